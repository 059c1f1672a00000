"""The agent console in its own user's language (issue 15): Spanish at 80x24 (snapshot), the
person's booking language never changes the console's, and each booking shows how the interview
happens (the slot's channel) and, when the booking records it, the language the person chose."""

from __future__ import annotations

import dataclasses

import pytest

from selfverify import i18n
from tests.functional.test_agent_console import desk, open_typed, open_with_a_tick, settle, table_rows  # noqa: F401 (desk: fixture)


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_snapshot_in_spanish_at_80x24(desk, snap_compare, spanish):  # noqa: F811
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    assert snap_compare(AgentApp(agent), terminal_size=(80, 24), run_before=open_with_a_tick(booked))


async def test_the_console_speaks_spanish_with_babel_dates(desk, spanish):  # noqa: F811
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    app = AgentApp(agent)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.messages[0] == "Agente bob. Las horas se muestran en Europe/Paris."
        assert "Citas de hoy, lun, 5 ene 2026 (3)" in str(app.query_one("#day-title").render())
        assert [r[3:6] for r in table_rows(app)] == [("reservada", "en", "sin indicar")] * 3  # booked in English
        await open_typed(pilot, booked[0].code)
        assert app.messages[-1].startswith(f"Cita {booked[0].display_code} abierta: carol, lun, 5 ene 2026, 9:00 CET")
        await pilot.press("f9")
        await settle(pilot)
        assert str(app.query_one("#approve").label) == "Aprobar (F9)"


async def test_the_persons_language_does_not_change_the_consoles(desk):  # noqa: F811
    """A person who booked in Spanish: the agent whose language is English still reads English."""
    from selfverify.services.interview import InterviewService, parse_local_time
    from selfverify.tui.agent.app import AgentApp

    agent, _booked, service = desk
    slot = agent.add_slot(parse_local_time("2026-01-05 11:00", agent.zone))
    i18n.set_language("es")
    try:
        person: InterviewService = service("erin", 42)
        person.book(slot.id, "erin@example.org")
    finally:
        i18n.set_language("en")
    app = AgentApp(agent)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.messages[0] == "Agent bob. Times are shown in Europe/Paris."
        assert table_rows(app)[-1][2:4] == ("erin", "booked")


async def test_each_booking_shows_its_channel_and_the_language_it_records(desk):  # noqa: F811
    from selfverify.services.interview import parse_local_time
    from selfverify.tui.agent.app import AgentApp

    agent, _booked, service = desk
    slot = agent.add_slot(parse_local_time("2026-01-05 11:00", agent.zone), details={"channel": "phone"})
    view = service("erin", 42).book(slot.id, "erin@example.org")

    recorded = dataclasses.replace(view, language="es")  # booked in Spanish (the appointment's column, schema 7)
    unrecorded = dataclasses.replace(view, language=None)  # a view that carries no language
    app = AgentApp(agent)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app._show_day([recorded])
        app._show_appointment(recorded, announce=False)
        await pilot.pause()
        assert table_rows(app)[0][3:6] == ("booked", "es", "phone")
        details = str(app.query_one("#details").render())
        assert "How        phone" in details and "Language   Español (es)" in details
        assert table_rows(app)[0][4] == "es"
        app._show_day([unrecorded])  # no recorded language: a dash, no row in the details
        app._show_appointment(unrecorded, announce=False)
        await pilot.pause()
        assert table_rows(app)[0][4] == "-" and "Language" not in str(app.query_one("#details").render())
