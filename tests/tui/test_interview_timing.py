"""Issue 21 on the interview screen (Pilot): the booking window refused with a clear line, the queue's
place moving live when the agent takes the person before, running late and no-show on screen,
past interviews, the time zone chosen and remembered, and the cancel dialog's plain buttons."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from selfverify.context import AppContext
from tests.tui.conftest import settle
from tests.tui.test_app_flows import open_interview_screen

SLOT = datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)  # the fake clock reads 2026-01-01 12:00 UTC


def _agent(app_ctx, *handles: str):  # noqa: ANN001, ANN202
    from tests.desk_support import enrol_services

    def staff(user: str) -> AppContext:
        return AppContext(settings=app_ctx.settings.replace(user=user), clock=app_ctx.clock)

    return enrol_services(staff("desk-admin"), *(staff(h) for h in handles))


def _text(app, selector: str) -> str:  # noqa: ANN001
    return str(app.screen.query_one(selector).render())


async def test_a_slot_inside_the_lead_time_is_refused_with_a_clear_line(make_app, app_ctx):
    [agent] = _agent(app_ctx, "agent-ann")
    agent.add_slot(app_ctx.clock.now() + timedelta(minutes=61))
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_interview_screen(pilot)
        app.screen.query_one("#contact").value = "alice@example.org"
        app_ctx.clock.advance(120)  # the list was read; now it starts in 59 minutes
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert "starts too soon: bookings close 60 minutes before the start. Nothing was booked." in app.history.last


async def test_the_queue_place_moves_live_when_the_agent_takes_the_person_before(make_app, app_ctx):
    from selfverify.services.interview import InterviewService

    [agent] = _agent(app_ctx, "agent-ann")
    agent.set_on_duty(True)
    bob = InterviewService(AppContext(settings=app_ctx.settings.replace(user="bob"), clock=app_ctx.clock))
    bob.join_queue("bob@example.org")
    app = make_app(startup=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_interview_screen(pilot)
        assert "You are not in the queue." in _text(app, "#queue-line")
        app.screen.query_one("#contact").value = "alice@example.org"
        await pilot.click("#join-queue")
        await settle(pilot)
        assert "You are number 2 in the queue (1 ahead of you)" in _text(app, "#queue-line")
        assert app.screen.query_one("#book").disabled and not app.screen.query_one("#leave-queue").disabled
        assert agent.take_next().subject == "bob"
        await pilot.pause(3.5)  # the screen polls while the person waits
        await settle(pilot)
        assert "You are number 1 in the queue (you are next)" in _text(app, "#queue-line")
        taken = agent.take_next()
        await pilot.pause(3.5)
        await settle(pilot)
        assert f"An agent (agent-ann) has taken you: your interview starts now. Confirmation code {taken.display_code}" in _text(
            app, "#queue-line")


async def test_running_late_and_no_show_reach_the_screen_and_history(make_app, app_ctx):
    from selfverify.services.interview import InterviewService

    [agent] = _agent(app_ctx, "agent-ann")
    slot = agent.add_slot(SLOT)
    booked = InterviewService(app_ctx).book(slot.id, "alice@example.org")
    agent.running_late(booked.code, 25)
    app = make_app(startup=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_interview_screen(pilot)
        booking = _text(app, "#booking")
        assert "The agent is running 25 min late: it now starts at Fri 2026-01-02 09:25 UTC." in booking
        assert "If nobody has joined by Sat 2026-01-03 09:20 UTC, the booking expires and you may book again." in booking
        app_ctx.clock.advance((slot.starts_at - app_ctx.clock.now()).total_seconds() + 40 * 60)
        agent.no_show(booked.code)
        await pilot.press("f5")
        await settle(pilot)
        assert f"Interview {booked.display_code} (Fri 2026-01-02 09:25 UTC) was recorded as a no-show" in _text(app, "#booking")
        assert "Past: Interview" in _text(app, "#queue-line") and "no-show" in _text(app, "#queue-line")


async def test_the_time_zone_is_chosen_on_the_screen_and_remembered(make_app, app_ctx, tmp_path, monkeypatch):
    from selfverify.config import read_config_file

    config = tmp_path / "config.toml"
    monkeypatch.setenv("SELFVERIFY_CONFIG", str(config))
    [agent] = _agent(app_ctx, "agent-ann")
    agent.add_slot(SLOT)
    app = make_app(startup=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_interview_screen(pilot)
        assert "time zone UTC" in _text(app, "#zone") or "time zone UTC:" in _text(app, "#zone")
        app.screen.query_one("#tz").value = "Mars/Olympus"
        app.screen.query_one("#set-zone").press()
        await settle(pilot)
        assert "Unknown time zone 'Mars/Olympus'" in app.history.last
        app.screen.query_one("#tz").value = "Asia/Tokyo"
        app.screen.query_one("#set-zone").press()
        await settle(pilot)
        assert "Times are now shown in Asia/Tokyo" in app.history.last
        assert "Asia/Tokyo" in _text(app, "#zone")
        assert "18:00 JST (Asia/Tokyo)" in str(app.screen.query_one("#slots").get_row_at(0)[0])
    assert read_config_file(config)["timezone"] == "Asia/Tokyo"


async def test_the_cancel_dialog_says_what_each_button_does(make_app, app_ctx):
    from textual.widgets import Button

    from selfverify.services.interview import InterviewService

    agent = InterviewService(app_ctx, agent="desk")
    InterviewService(app_ctx).book(agent.add_slot(SLOT).id, "alice@example.org")
    app = make_app(startup=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_interview_screen(pilot)
        await pilot.click("#cancel-booking")
        await settle(pilot)
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["Keep my interview (n)", "Cancel the interview (y)"]
        await pilot.press("n")
        await settle(pilot)
    assert InterviewService(app_ctx).my_appointments()[0].status == "booked"
