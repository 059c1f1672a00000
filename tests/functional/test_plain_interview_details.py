"""The accessible mode on a pseudo-terminal: a phone slot's details are said before and after
booking, the needs asked for reach the agent, the confirmation e-mail reaches a real local SMTP
server, and the calendar file is saved from the menu."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.functional.test_plain_interview import ENV
from tests.mail_support import body, ics_attachment, mailbox  # noqa: F401 (fixture)
from tests.plain_support import assert_plain_transcript, converse, finish, spawn_plain


def test_plain_booking_says_how_and_what_to_bring_and_mails_the_confirmation(plain_settings, mailbox, tmp_path):
    from icalendar import Calendar

    from selfverify.context import AppContext
    from selfverify.services.interview import InterviewService

    agent = InterviewService(AppContext(settings=plain_settings.replace(user="agent-ann", timezone="Europe/Paris")))
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=2)
    slot = agent.add_slot(start, 25, details={"channel": "phone", "caller": "person", "phone": "+33 1 70 00 00 00",
                                              "documents": ["passport"]})
    target = tmp_path / "mine.ics"
    child, log = spawn_plain({**ENV, "TERM": "dumb"}, "--accessible")
    converse(child, [
        ("Choose 1 to 5:", "2"),  # the main menu: interview
        ("Choose 1 to 6:", "1"),  # book
        ("Choose 1 to 1:", "1"),
        ("Type a phone number or an e-mail address:", "alice@example.org"),
        ("or anything else? Type yes or no:", "yes"),
        ("Type the language, or press Enter for no:", "Ukrainian"),
        ("Type yes or no:", "no"),
        ("Type yes or no:", "no"),
        ("press Enter for nothing:", "I am hard of hearing"),
        ("Choose 1 to 5:", "3"),  # save it to your calendar
        ("Press Enter for", str(target)),
        ("Choose 1 to 5:", "5"),  # the booked menu: main menu
        ("Choose 1 to 5:", "4"),  # quit
    ])
    assert finish(child) == 0
    text = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(text)
    assert text.count("How: Phone call: you call +33 1 70 00 00 00 at the start time.") == 1  # before booking, heard once
    assert "Length: 25 minutes" in text and "Bring: One of: Passport. Originals only, not expired." in text
    assert "You asked for: interpreter (Ukrainian); note: I am hard of hearing" in text
    assert "A confirmation e-mail was sent to alice@example.org." in text
    assert f"Result: saved the interview to {target}." in text

    [booked] = agent.appointments_for_day(start.astimezone(agent.zone).date())
    assert booked.accommodations.interpreter == "Ukrainian" and dict(agent.describe(booked))["Needs"].startswith("interpreter")
    [message] = mailbox.to("alice@example.org")
    assert "+33 1 70 00 00 00" in body(message)
    [event] = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == slot.starts_at and str(event["location"]) == "+33 1 70 00 00 00"
    assert ics_attachment(message).walk("VEVENT")[0]["uid"] == event["uid"]
