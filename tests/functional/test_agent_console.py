"""The agent console (Textual) driven with Pilot on a real database, plus one snapshot at 100x30."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from selfverify.core.clock import FakeClock
from selfverify.services.interview import InterviewService, parse_local_time
from tests.desk_support import enrol_services

START = datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)  # Monday 08:00 in Paris
SIZE = (100, 30)


@pytest.fixture
def desk(home, keyring_service):
    """bob's console service (bob and dora are enrolled agents) and three appointments this morning,
    with seeded codes and a fixed clock."""
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.services.desk_agent import agent_service

    clock = FakeClock(START)

    def context(user: str) -> AppContext:
        settings = load_settings({"user": user, "timezone": "Europe/Paris", "keyring_service": keyring_service})
        return AppContext(settings=settings, clock=clock)

    def service(user: str, seed: int) -> InterviewService:
        if user in ("bob", "dora"):
            return agent_service(context(user), rng=random.Random(seed))
        return InterviewService(context(user), rng=random.Random(seed))

    enrol_services(context("admin"), context("bob"), context("dora"))
    agent = service("bob", 1)
    first = parse_local_time("2026-01-05 09:00", agent.zone)
    slots = [agent.add_slot(first + timedelta(minutes=20 * i)) for i in range(4)]
    agent.add_slot(first + timedelta(days=1))
    people = [("carol", "carol@example.org"), ("alice", "+33 6 12 34 56 78"), ("dan", "+1 555 0100")]
    booked = [service(user, 10 + i).book(slots[i].id, contact) for i, (user, contact) in enumerate(people)]
    return agent, booked, service


async def settle(pilot) -> None:  # noqa: ANN001
    """Let every worker finish and the screen catch up (workers may start follow-up workers)."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def table_rows(app) -> list[tuple[str, ...]]:  # noqa: ANN001
    from textual.widgets import DataTable

    table = app.query_one("#appointments", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def open_typed(pilot, code: str) -> None:  # noqa: ANN001
    await pilot.press("ctrl+o")
    pilot.app.query_one("#code").value = code
    await pilot.press("enter")
    await settle(pilot)


async def test_todays_appointments_are_listed_in_time_order(desk):
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [r[:4] for r in table_rows(app)] == [
            ("09:00", booked[0].display_code, "carol", "booked"),
            ("09:20", booked[1].display_code, "alice", "booked"),
            ("09:40", booked[2].display_code, "dan", "booked"),
        ]
        assert "today, Mon 2026-01-05 (3)" in str(app.query_one("#day-title").render())
        await pilot.press("f7")
        await settle(pilot)
        assert table_rows(app) == [] and app.messages[-1] == "No appointments on Tue 2026-01-06."
        await pilot.press("f6")
        await settle(pilot)
        assert len(table_rows(app)) == 3


async def test_open_by_code_tick_documents_and_approve(desk):
    from textual.widgets import Button, Checkbox

    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    target = booked[1]
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.query_one("#approve", Button).disabled  # nothing open yet
        await open_typed(pilot, target.code.lower())
        assert app.current.code == target.code
        assert app.messages[-1].startswith(f"Opened {target.display_code}: alice, Mon 2026-01-05 09:20 CET")
        await pilot.press("f9")  # nothing ticked yet
        await settle(pilot)
        assert "Tick at least one document type" in app.messages[-1]
        await pilot.click("#doc-passport")
        await pilot.click("#doc-driving_licence")
        assert app.query_one("#doc-passport", Checkbox).value
        await pilot.press("f9")
        await settle(pilot)
        assert app.messages[-1].startswith(f"Approved {target.display_code} (alice)")
        stored = agent.find(target.code)
        assert (stored.status, stored.decided_by, stored.checklist) == ("approved", "bob", ("passport", "driving_licence"))
        assert table_rows(app)[1][3] == "approved"
        assert app.query_one("#approve", Button).disabled and app.query_one("#doc-passport", Checkbox).disabled


async def test_a_decision_another_agent_made_first_is_reported_not_repeated(desk):
    from selfverify.tui.agent.app import AgentApp

    agent, booked, service = desk
    target = booked[0]
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#appointments")
        await pilot.press("enter")  # opens the row under the cursor (the first one)
        await settle(pilot)
        assert app.current.code == target.code
        service("dora", 99).approve(target.code, ["id_card"])  # another agent, on another engine
        await pilot.click("#doc-passport")
        await pilot.press("f9")
        await settle(pilot)
        assert any("was already approved by dora" in m for m in app.messages)
        assert app.current.status == "approved" and app.current.decided_by == "dora"
        assert agent.find(target.code).checklist == ("id_card",)


async def test_wrong_codes_and_a_decline_without_reason_get_clear_messages(desk):
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        assert app.messages[-1] == "Open an appointment first (pick a row or type its code)."
        await open_typed(pilot, "K7QX-M4P0")
        assert "codes never contain 0" in app.messages[-1]
        await open_typed(pilot, "K7QX-M4PD")
        assert app.messages[-1] == "No appointment has the code K7QX-M4PD: check it with the user."
        await open_typed(pilot, booked[2].display_code)
        await pilot.press("f10")
        await settle(pilot)
        assert app.messages[-1] == "Give a reason for declining (the user will see it)."
        app.query_one("#reason").value = "Name on the document does not match"
        await pilot.press("f10")
        await settle(pilot)
        assert app.messages[-1] == f"Declined {booked[2].display_code} (dan): Name on the document does not match"
        assert agent.find(booked[2].code).status == "declined"


async def test_every_binding_is_shown_in_the_footer(desk):
    from textual.widgets._footer import FooterKey

    from selfverify.tui.agent.app import AgentApp

    agent, _booked, _service = desk
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = {key.description for key in app.query(FooterKey)}
        assert {b.description for b in AgentApp.BINDINGS} <= shown
        assert all(b.show for b in AgentApp.BINDINGS if b.key != "ctrl+c")  # ctrl+c: quit as everywhere (130)


def test_snapshot_with_an_appointment_open(desk, snap_compare):
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await open_typed(pilot, booked[1].display_code)
        await pilot.click("#doc-passport")
        await settle(pilot)

    assert snap_compare(AgentApp(agent), terminal_size=SIZE, run_before=run_before)
