"""Through the CLI: a slot's details reach the person at booking, in 'interview show' and in the .ics;
e-mail notices (confirmation with the .ics, reminder, decision) arrive at a real local SMTP server;
a refusing or dropping server loses nothing; accommodations reach the agent."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.desk_support import enrol_by_cli
from tests.inprocess_cli import run_main
from tests.mail_support import body, dropping_server, ics_attachment, mailbox  # noqa: F401 (fixtures)

LINK = "https://meet.example.org/desk-7"


def _ok(proc):  # noqa: ANN001, ANN202
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, (proc.args, proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def desk(home, keyring_service, monkeypatch, tmp_path):
    """bob is an enrolled agent; two video slots start in 3 and 4 hours (UTC), with a join link."""
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"])
    start = (datetime.now(timezone.utc) + timedelta(hours=3)).replace(second=0, microsecond=0)
    added = json.loads(_ok(run_main(
        "--user", "bob", "agent", "slots", "add", start.isoformat(), "--repeat", "2", "--duration", "30",
        "--channel", "video", "--link", LINK, "--document", "passport", "--document", "id_card",
        "--instructions", "Have the confirmation code ready.", "--json",
    )).stdout)["added"]
    return [s["id"] for s in added], [datetime.fromisoformat(s["starts_at"]) for s in added]


def test_booking_shows_channel_length_documents_and_sends_a_confirmation_with_the_ics(desk, mailbox, tmp_path):
    slots, starts = desk
    booked = _ok(run_main("--user", "alice", "interview", "book", str(slots[0]), "--contact", "Alice <alice@example.org>",
                          "--interpreter", "Portuguese", "--captions"))
    out = booked.stdout
    assert f"Video call: join at {LINK} at the start time." in out
    assert "30 minutes" in out and "One of: Passport, National identity card. Originals only, not expired." in out
    assert "A quiet place, a camera" in out and "Have the confirmation code ready." in out
    assert "A confirmation e-mail was sent to alice@example.org." in out
    code = out.split("Your confirmation code is ")[1][:9]

    [message] = mailbox.to("alice@example.org")
    assert code in message["Subject"] and message["From"] == "desk@example.org"
    assert LINK in body(message) and "Passport" in body(message)
    calendar = ics_attachment(message)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == starts[0] and event.decoded("dtstart").utcoffset() == timedelta(0)

    shown = _ok(run_main("--user", "alice", "interview", "show")).stdout
    assert "Video call" in shown and "Passport" in shown and "interpreter (Portuguese); captions" in shown

    saved = tmp_path / "interview.ics"
    _ok(run_main("--user", "alice", "interview", "calendar", code, "--output", str(saved)))
    assert saved.stat().st_mode & 0o777 == 0o600
    from icalendar import Calendar

    [saved_event] = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert saved_event["uid"] == event["uid"]  # the mailed file and the saved one are the same entry
    assert saved_event.decoded("duration") == timedelta(minutes=30) and str(saved_event["location"]) == LINK
    again = _ok(run_main("--user", "alice", "interview", "calendar", code, "--output", "-")).stdout
    assert again.encode() == saved.read_bytes()  # stable across re-exports
    refused = run_main("--user", "alice", "interview", "calendar", code, "--output", str(saved))
    assert refused.returncode == 2 and "already exists" in refused.stderr
    device = run_main("--user", "alice", "interview", "calendar", code, "--output", os.devnull, "--force")
    assert device.returncode == 2 and "Traceback" not in device.stderr

    # moving keeps the calendar entry (same UID, a higher SEQUENCE) and confirms again
    _ok(run_main("--user", "alice", "interview", "reschedule", code, str(slots[1])))
    [moved] = Calendar.from_ical(_ok(run_main("--user", "alice", "interview", "calendar", code, "-o", "-")).stdout.encode()).walk("VEVENT")
    assert moved["uid"] == event["uid"] and moved.decoded("dtstart") == starts[1] and int(moved["sequence"]) == 1
    assert len(mailbox.to("alice@example.org")) == 2


def test_reminders_go_once_and_the_decision_arrives(desk, mailbox, monkeypatch, time_travel):  # noqa: F811
    slots, _ = desk
    booked = json.loads(_ok(run_main("--user", "alice", "interview", "book", str(slots[0]), "--contact", "alice@example.org", "--json")).stdout)
    code = booked["code"]
    monkeypatch.setenv("SELFVERIFY_INTERVIEW_REMINDER_HOURS", "1")
    nothing = json.loads(_ok(run_main("interview", "send-reminders", "--json")).stdout)
    assert nothing["sent"] == [] and nothing["queued_reminders"] == 0  # 3 hours away: not yet
    monkeypatch.setenv("SELFVERIFY_INTERVIEW_REMINDER_HOURS", "4")
    first = json.loads(_ok(run_main("interview", "send-reminders", "--json")).stdout)
    assert first["sent"] == [f"reminder {code}"]
    second = json.loads(_ok(run_main("interview", "send-reminders", "--json")).stdout)
    assert second["sent"] == [] and second["queued_reminders"] == 0  # once only
    reminders = [m for m in mailbox.to("alice@example.org") if m["Subject"].lstrip().startswith("Reminder")]  # a subject folded before its first word
    assert len(reminders) == 1 and LINK in body(reminders[0])

    time_travel.to(datetime.fromisoformat(booked["slot"]["starts_at"]))  # an agent decides once the interview started
    _ok(run_main("--user", "bob", "agent", "decline", code, "--reason", "The passport had expired."))
    decision = mailbox.to("alice@example.org")[-1]
    assert decision["Subject"] == f"Interview {code} declined"
    assert "The passport had expired." in body(decision) and ics_attachment(decision) is None


def test_a_refusing_server_keeps_the_booking_and_the_notice_is_retried(desk, mailbox, monkeypatch):
    slots, _ = desk
    monkeypatch.setenv("SELFVERIFY_INTERVIEW_REMINDER_HOURS", "1")  # the slot is 3 hours away: no reminder yet
    mailbox.refuse = True
    booked = _ok(run_main("--user", "alice", "interview", "book", str(slots[0]), "--contact", "alice@example.org"))
    assert "could not be sent now" in booked.stdout and "Your booking is kept." in booked.stdout
    assert "554" in booked.stdout and mailbox.messages == []
    shown = _ok(run_main("--user", "alice", "interview", "show", "--json"))
    assert json.loads(shown.stdout)["appointments"][0]["status"] == "booked"
    retry = run_main("interview", "send-reminders", "--json")
    assert retry.returncode == 3 and json.loads(retry.stdout)["failed"]
    mailbox.refuse = False
    sent = json.loads(_ok(run_main("interview", "send-reminders", "--json")).stdout)
    assert len(sent["sent"]) == 1 and sent["sent"][0].startswith("confirmation ")
    assert len(mailbox.messages) == 1 and ics_attachment(mailbox.messages[0]) is not None


def test_a_dropping_server_keeps_the_booking(desk, dropping_server):
    slots, _ = desk
    booked = _ok(run_main("--user", "alice", "interview", "book", str(slots[0]), "--contact", "alice@example.org"))
    assert "could not be sent now" in booked.stdout and "Your booking is kept." in booked.stdout


def test_without_smtp_or_without_an_address_the_person_is_told(desk):
    slots, _ = desk
    booked = _ok(run_main("--user", "alice", "interview", "book", str(slots[0]), "--contact", "alice@example.org"))
    assert "No mail server is configured here" in booked.stdout and "save the calendar file" in booked.stdout
    phone = _ok(run_main("--user", "carol", "interview", "book", str(slots[1]), "--contact", "+33 6 12 34 56 78"))
    assert "No confirmation or reminder can be e-mailed: your contact line is not an e-mail address" in phone.stdout
    nothing = run_main("interview", "send-reminders")
    assert nothing.returncode == 3 and "No mail server is configured" in nothing.stderr


def test_accommodations_reach_the_agent_and_change_with_reschedule(desk):
    slots, _ = desk
    code = json.loads(_ok(run_main("--user", "alice", "interview", "book", str(slots[0]), "--contact", "alice@example.org",
                                   "--phone-instead", "--need", "I use a wheelchair", "--json")).stdout)["code"]
    today = _ok(run_main("--user", "bob", "agent", "today", "--date", "2000-01-01"))  # another day: nothing
    assert "needs" not in today.stdout
    day = datetime.fromisoformat(json.loads(_ok(run_main("--user", "bob", "agent", "open", code, "--json")).stdout)["slot"]["starts_at"])
    listed = _ok(run_main("--user", "bob", "agent", "today", "--date", day.date().isoformat(), "--tz", "UTC")).stdout
    assert "needs: phone instead of video; note: I use a wheelchair" in listed
    opened = _ok(run_main("--user", "bob", "agent", "open", code)).stdout
    assert "phone instead of video" in opened
    _ok(run_main("--user", "alice", "interview", "reschedule", code, "--interpreter", "Arabic"))
    opened = _ok(run_main("--user", "bob", "agent", "open", code)).stdout
    assert "interpreter (Arabic)" in opened and "wheelchair" not in opened
    nothing = run_main("--user", "alice", "interview", "reschedule", code)
    assert nothing.returncode == 2 and "Give a new SLOT" in nothing.stderr


@pytest.mark.parametrize("args, fragment", [
    (("--channel", "video"), "A video slot needs a join link starting with https://"),
    (("--channel", "video", "--link", "http://plain.example.org"), "needs a join link starting with https://"),
    (("--channel", "phone", "--caller", "person"), "needs the number to call"),
    (("--channel", "in_person"), "An in-person slot needs an address"),
    (("--channel", "in_person", "--address", "1 Main St\x1b[31m"), "address"),
])
def test_incomplete_slot_details_are_refused_in_one_line(desk, args, fragment):
    proc = run_main("--user", "bob", "agent", "slots", "add", "2031-01-05 09:00", *args)
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr


def test_the_hours_file_sets_slot_details_and_bad_ones_name_the_file(desk, tmp_path):
    hours = tmp_path / "hours.toml"
    hours.write_text('timezone = "UTC"\nduration_minutes = 30\nchannel = "in_person"\naddress = "2 Quay St, desk 4"\n'
                     'documents = ["residence_permit"]\n[[hours]]\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
                     'from = "10:00"\nto = "11:00"\n')
    loaded = json.loads(_ok(run_main("--user", "bob", "agent", "slots", "load", str(hours), "--days", "3", "--json")).stdout)
    assert loaded["added"] and all(s["details"]["address"] == "2 Quay St, desk 4" and s["details"]["documents"] == ["residence_permit"]
                                   for s in loaded["added"])
    hours.write_text('channel = "in_person"\ndocuments = ["selfie"]\n[[hours]]\ndays = ["mon"]\nfrom = "10:00"\nto = "11:00"\n')
    bad = run_main("--user", "bob", "agent", "slots", "load", str(hours))
    assert bad.returncode == 2 and f"The hours file {hours}: documents: unknown document 'selfie'" in bad.stderr
    hours.write_text('channel = "in_person"\n[[hours]]\ndays = ["mon"]\nfrom = "10:00"\nto = "11:00"\n')
    incomplete = run_main("--user", "bob", "agent", "slots", "load", str(hours))
    assert incomplete.returncode == 2 and "An in-person slot needs an address" in incomplete.stderr
