"""The TUI interview screen: a slot's channel, length and documents before and after booking, the
person's needs stored with the booking, the calendar file saved, a confirmation e-mail received by
a real local SMTP server, and the upcoming interview said at start."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from selfverify.context import AppContext
from selfverify.services.interview import InterviewService
from tests.mail_support import body, ics_attachment, mailbox  # noqa: F401 (fixture)
from tests.tui.conftest import settle
from tests.tui.test_app_flows import open_interview_screen

ADDRESS = "12 Rue de la Paix, 75002 Paris, desk 3"


def _mail_ctx(app_ctx, box) -> AppContext:  # noqa: ANN001
    smtp = {"smtp_host": box.host, "smtp_port": box.port, "smtp_security": "none", "smtp_sender": "desk@example.org"}
    return AppContext(settings=app_ctx.settings.replace(**smtp), clock=app_ctx.clock, front_end="tui")


async def test_booking_shows_how_how_long_and_what_to_bring_and_mails_the_confirmation(make_app, app_ctx, mailbox, tmp_path):
    desk = InterviewService(app_ctx, agent="desk")
    desk.add_slot(datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc), 45,
                  details={"channel": "in_person", "address": ADDRESS, "documents": ["passport", "residence_permit"]})
    ctx = _mail_ctx(app_ctx, mailbox)
    app = make_app(ctx, startup=False)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_interview_screen(pilot)
        shown = str(app.screen.query_one("#slot-details").render())
        assert f"In person, at {ADDRESS}." in shown and "Passport, Residence permit" in shown
        app.screen.query_one("#contact").value = "alice@example.org"
        app.screen.query_one("#interpreter").value = "Tigrinya"
        app.screen.query_one("#captions").value = True
        await pilot.press("ctrl+b")
        await settle(pilot)
        booking = str(app.screen.query_one("#booking").render())
        assert booking.startswith("Booked:") and "45 minutes" in booking and ADDRESS in booking
        assert "Originals only, not expired" in booking and "You asked for: interpreter (Tigrinya); captions" in booking
        assert any("A confirmation e-mail was sent to alice@example.org." in text for _, text in app.history.entries)

        target = tmp_path / "my-interview.ics"
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert type(app.screen).__name__ == "CalendarDialog"
        app.screen.query_one("#ics-path").value = str(target)
        await pilot.click("#ics-save")
        await settle(pilot)
        assert "Saved to" in str(app.screen.query_one("#ics-result").render())
        await pilot.press("escape")
    [mine] = InterviewService(ctx).my_appointments()
    assert mine.accommodations.interpreter == "Tigrinya" and mine.accommodations.captions
    from icalendar import Calendar

    [event] = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)
    assert event.decoded("duration") == timedelta(minutes=45) and str(event["location"]) == ADDRESS
    assert target.stat().st_mode & 0o777 == 0o600
    [message] = mailbox.to("alice@example.org")
    assert mine.display_code in message["Subject"] and ADDRESS in body(message)
    [mailed] = ics_attachment(message).walk("VEVENT")
    assert mailed["uid"] == event["uid"]


async def test_the_upcoming_interview_is_said_at_start(make_app, app_ctx):
    desk = InterviewService(app_ctx, agent="desk")
    slot = desk.add_slot(datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc),
                         details={"channel": "phone", "caller": "agent"})
    booked = InterviewService(app_ctx).book(slot.id, "+33 6 12 34 56 78")
    app = make_app(startup=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause(0.5)
        said = [text for _, text in app.history.entries]
    [line] = [m for m in said if booked.display_code in m]
    assert "Phone call: the agent calls you" in line and "No e-mail reminder is sent from this computer" in line
