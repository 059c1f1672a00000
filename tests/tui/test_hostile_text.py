"""What people and agents type is shown literally on every screen (issue 20, "hostile text").

Markup such as ``[/]`` or ``[bold]`` in a contact line or a decline reason once crashed the agent
console (exit 0 with a traceback), dropped ``[work]`` from a contact line, and left the person's
interview screen on "Loading your bookings…". These drive the real screens with Pilot.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.core.clock import FakeClock
from selfverify.errors import InputError
from selfverify.services.interview import InterviewService, parse_local_time

START = datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)
CONTACTS = [
    "[/] [bold]x[/bold] +33 6 12 34 56 78",
    "[work] +33 6 12 34 56 78",
    "[link=https://evil.example]a@example.org[/link]",
    "[@click=app.quit]a@example.org",
    "a@example.org [red]\\[ok]",
]
REASONS = ["[/]", "[bold]no[/bold] [/i]", "[link=x]see[/link] \\[esc", "ID expired [red]", "mismatch [@click=quit]"]


def _service(user: str, clock, seed: int) -> InterviewService:
    settings = load_settings({"user": user, "timezone": "Europe/Paris"})
    return InterviewService(AppContext(settings=settings, clock=clock), rng=random.Random(seed))


def _visible(widget) -> str:  # noqa: ANN001
    return str(widget.render())


@pytest.fixture
def desk(home, keyring_service):
    from tests.desk_support import enrol_services

    clock = FakeClock(START)

    def context(user: str) -> AppContext:
        settings = load_settings({"user": user, "timezone": "Europe/Paris", "keyring_service": keyring_service})
        return AppContext(settings=settings, clock=clock)

    [agent] = enrol_services(context("admin"), context("bob"))  # only an enrolled agent decides (issue 19)
    first = parse_local_time("2026-01-05 09:00", agent.zone)
    slots = [agent.add_slot(first + timedelta(minutes=20 * i)) for i in range(len(CONTACTS))]
    booked = [_service(f"user{i}", clock, 10 + i).book(slots[i].id, c) for i, c in enumerate(CONTACTS)]
    clock.advance((booked[-1].starts_at - clock.now()).total_seconds())  # every interview has started
    return agent, booked, clock


async def _settle(pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_agent_console_shows_markup_in_contact_lines_literally(desk):
    from textual.widgets import DataTable

    from selfverify.tui.agent.app import AgentApp

    agent, booked, _clock = desk
    app = AgentApp(agent)
    async with app.run_test(size=(120, 30)) as pilot:
        await _settle(pilot)
        table = app.query_one("#appointments", DataTable)
        shown = [str(table.get_row_at(i)[7]) for i in range(table.row_count)]  # the contact column, after the agent column
        assert shown == CONTACTS  # "[work]" and "[/]" kept, nothing parsed
        for a in booked:
            app.query_one("#code").value = a.code
            await pilot.press("ctrl+o", "enter")
            await _settle(pilot)
            assert a.contact in _visible(app.query_one("#details")), a.contact
        assert app.is_running  # no crash, no silent exit


async def test_decline_reasons_with_markup_reach_the_console_and_the_persons_screen(desk):
    from textual.widgets import Button

    from selfverify.tui.agent.app import AgentApp
    from selfverify.tui.app import SelfverifyApp

    agent, booked, clock = desk
    app = AgentApp(agent)
    async with app.run_test(size=(120, 30)) as pilot:
        await _settle(pilot)
        for a, reason in zip(booked, REASONS):
            app.query_one("#code").value = a.code
            await pilot.press("ctrl+o", "enter")
            await _settle(pilot)
            app.query_one("#reason").value = reason
            await pilot.press("f10")
            await _settle(pilot)
            assert app.messages[-1] == f"Declined {a.display_code} ({a.subject}): {reason}"
            assert reason in _visible(app.query_one("#details"))
            assert app.query_one("#approve", Button).disabled  # the console no longer offers Approve
    for i, reason in enumerate(REASONS):  # each person sees the agent's reason, the screen loaded
        person = SelfverifyApp(AppContext(settings=load_settings({"user": f"user{i}", "timezone": "UTC"}),
                                          clock=clock, front_end="tui"), startup=False)
        async with person.run_test(size=(100, 30)) as pilot:
            person.action_interview()
            await _settle(pilot)
            booking = _visible(person.screen.query_one("#booking"))
            assert "Loading" not in booking and reason in booking, booking


async def test_the_persons_status_line_shows_a_refused_contact_literally(home):
    from selfverify.tui.app import SelfverifyApp

    clock = FakeClock(START)
    agent = _service("bob", clock, 1)
    agent.add_slot(parse_local_time("2026-01-05 09:00", agent.zone))
    ctx = AppContext(settings=load_settings({"user": "alice", "timezone": "UTC"}), clock=clock, front_end="tui")
    app = SelfverifyApp(ctx, startup=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_interview()
        await _settle(pilot)
        app.screen.query_one("#contact").value = "[bold]x[/bold] \u202enope"
        await pilot.press("ctrl+b")
        await _settle(pilot)
        status = _visible(app.screen.query_one("#status-line"))
        assert "text-direction" in status and app.is_running
    assert InterviewService(ctx).my_appointments() == []


@pytest.mark.parametrize("contact", ["x", "a\x1b[31mb@example.org", "a@example.org\nforged line", "+33 6\u202e12 34 56 78",
                                     "\udcff@example.org", "  ", "call me maybe"])
def test_contact_lines_that_are_not_an_address_or_a_number_are_refused(home, contact):
    clock = FakeClock(START)
    agent = _service("bob", clock, 1)
    slot = agent.add_slot(parse_local_time("2026-01-05 09:00", agent.zone))
    with pytest.raises(InputError) as err:
        _service("alice", clock, 2).book(slot.id, contact)
    assert err.value.code == "bad_contact"
    assert "\x1b" not in err.value.user_message and "\n" not in err.value.user_message


@pytest.mark.parametrize("handle", ["a\nb", "a\u202eb", "a\u2066b", "a\x1bb", "x" * 65, "a\x00b", "\udcff"])
def test_handles_must_be_printable_and_short(home, handle):
    from selfverify.errors import ConfigError

    with pytest.raises(ConfigError):
        load_settings({"user": handle})
    with pytest.raises(InputError):
        InterviewService(AppContext(settings=load_settings({"user": "bob"})), agent=handle)


STORED = ["line one\nforged line", "rtl\u202eevil", "esc\x1b[2Jclear", "[b]bold[/b]\u2066iso"]


async def test_text_stored_by_an_older_version_cannot_forge_lines_on_either_screen(desk):
    """Rows written before the edge checks existed (or by hand): newline, bidi and escape characters
    are shown as visible escapes, markup literally, on the console and on the person's screen."""
    import sqlite3

    from textual.widgets import DataTable

    from selfverify.tui.agent.app import AgentApp
    from selfverify.tui.app import SelfverifyApp

    agent, booked, clock = desk
    conn = sqlite3.connect(agent.ctx.paths.database_file)
    for a, text in zip(booked, STORED):
        conn.execute("UPDATE appointment SET contact = ? WHERE id = ?", (text, a.id))
    conn.commit()
    conn.close()
    app = AgentApp(agent)
    async with app.run_test(size=(140, 30)) as pilot:
        await _settle(pilot)
        table = app.query_one("#appointments", DataTable)
        contacts = [str(table.get_row_at(i)[7]) for i in range(len(STORED))]  # the contact column, after the agent column
        assert all("\n" not in c and "\x1b" not in c and "\u202e" not in c for c in contacts), contacts
        assert contacts[0] == "line one\\nforged line" and contacts[3].startswith("[b]bold[/b]")
        app.query_one("#code").value = booked[0].code
        await pilot.press("ctrl+o", "enter")
        await _settle(pilot)
        details = _visible(app.query_one("#details"))
        assert "line one\\nforged line" in details and "\nforged line" not in details
        app.query_one("#reason").value = "ok"
        await pilot.press("f10")
        await _settle(pilot)
    conn = sqlite3.connect(agent.ctx.paths.database_file)
    conn.execute("UPDATE appointment SET decision_reason = ? WHERE id = ?", ("bad\nforged\u202e\x1b[2J", booked[0].id))
    conn.commit()
    conn.close()
    person = SelfverifyApp(AppContext(settings=load_settings({"user": "user0", "timezone": "UTC"}), clock=clock,
                                      front_end="tui"), startup=False)
    async with person.run_test(size=(120, 30)) as pilot:
        person.action_interview()
        await _settle(pilot)
        booking = _visible(person.screen.query_one("#booking"))
        assert "bad\\nforged\\u202e\\x1b[2J" in booking and "\x1b" not in booking and "\n" not in booking.strip()
