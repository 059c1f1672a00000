"""The agent console (Textual) driven with Pilot on a real database, plus one snapshot at 100x30."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from selfverify.core.clock import FakeClock
from selfverify.services.interview import InterviewService, parse_local_time
from tests.desk_support import enrol_services
from tests.mail_support import mailbox  # noqa: F401 (fixture)

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
    clock.advance((booked[-1].starts_at - clock.now()).total_seconds())  # 09:40: every interview has started
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


async def test_a_booking_row_claiming_documents_seen_is_never_pre_ticked_for_the_agent(desk):
    """On a shared desk a person may write their own booking row: a checklist or reason put there
    must not reach the agent's screen as ticks, nor be signed by an approve press (attack review 4)."""
    from sqlalchemy import update
    from textual.widgets import Checkbox

    from selfverify.store.models import Appointment
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    target = booked[0]
    with agent.ctx.db.session() as s:
        s.execute(update(Appointment).where(Appointment.id == target.id)
                  .values(checklist='["passport", "id_card"]', decision_reason="seen by the desk"))
        s.commit()
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_typed(pilot, target.code)
        assert not any(app.query_one(f"#doc-{key}", Checkbox).value for key in ("passport", "id_card"))
        assert app.query_one("#reason").value == ""
        details = str(app.query_one("#details").render())
        assert "Passport" not in details and "seen by the desk" not in details
        await pilot.press("f9")
        await settle(pilot)
        assert "Tick at least one document type" in app.messages[-1]
        assert agent.find(target.code).status == "booked"


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
        assert {b.description for b in AgentApp.BINDINGS if b.show} <= shown
        # a key the 80-column footer has no room for is named on screen where it acts (a button, the day title)
        screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        for b in AgentApp.BINDINGS:
            if not b.show and b.key != "ctrl+c":  # ctrl+c: quit as everywhere (130)
                assert b.key.upper() in screen, (b.key, screen)


def open_with_a_tick(booked):  # noqa: ANN001, ANN201
    """run_before for the console's snapshots: the second appointment open, passport ticked."""
    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await open_typed(pilot, booked[1].display_code)
        await pilot.click("#doc-passport")
        await settle(pilot)

    return run_before


def test_snapshot_with_an_appointment_open(desk, snap_compare):
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    assert snap_compare(AgentApp(agent), terminal_size=SIZE, run_before=open_with_a_tick(booked))


async def test_duty_take_next_running_late_and_no_show_from_the_console(desk):
    """F2 on duty, F3 takes the person who waited longest (the booking's path), F8 running late moves
    the start the person sees, F4 records a no-show; each said in the status log."""
    from selfverify.tui.agent.app import AgentApp

    agent, booked, service = desk
    eve = service("eve", 50)
    app = AgentApp(agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert app.messages[-1] == "Nobody is waiting in the queue."
        await pilot.press("f2")
        await settle(pilot)
        assert app.messages[-1].startswith("On duty: F3 takes the next person")
        eve.join_queue("eve@example.org")
        app.load_queue()
        await settle(pilot)
        assert "Queue: 1 waiting · you are on duty" in str(app.query_one("#queue").render())
        await pilot.press("f3")
        await settle(pilot)
        assert app.current.subject == "eve" and app.messages[-1].startswith("Took eve from the queue")
        assert "has taken you" in eve.queue_line(eve.queue_status())
        assert "eve" in [r[2] for r in table_rows(app)] and table_rows(app)[-1][6] == "bob"  # the agent column

        await open_typed(pilot, booked[2].display_code)  # dan, 09:40 (it is 09:40 now)
        app.query_one("#late").value = "abc"
        await pilot.press("f8")
        assert "a whole number" in app.messages[-1]
        app.query_one("#late").value = "15"
        await pilot.press("f8")
        await settle(pilot)
        assert "now starts at Mon 2026-01-05 09:55" in app.messages[-1]
        dan = service("dan", 51)
        assert "running 15 min late" in dan.outcome_line(dan.my_appointments()[0])
        await open_typed(pilot, booked[1].display_code)  # alice, 09:20: started, nobody came
        await pilot.press("f4")
        await settle(pilot)
        assert app.messages[-1] == f"Recorded {booked[1].display_code} (alice) as a no-show: they may book again."
        assert agent.find(booked[1].code).status == "no_show"
        assert app.query_one("#no-show").disabled and app.query_one("#approve").disabled


async def test_the_console_sends_due_reminders_once_and_shows_what_people_asked_for(home, keyring_service, mailbox):
    """With the desk's mail server configured, an open console sends the reminders that are due
    (each once) and says which of the day's bookings ask for accommodations."""
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.services.desk_agent import agent_service
    from selfverify.services.interview import Accommodations
    from selfverify.tui.agent.app import AgentApp
    from tests.mail_support import body

    clock = FakeClock(START)
    smtp = {"smtp_host": mailbox.host, "smtp_port": mailbox.port, "smtp_security": "none", "smtp_sender": "desk@example.org"}

    def context(user: str) -> AppContext:
        return AppContext(settings=load_settings({"user": user, "timezone": "Europe/Paris", "keyring_service": keyring_service, **smtp}),
                          clock=clock)

    enrol_services(context("admin"), context("bob"))
    agent = agent_service(context("bob"))
    slot = agent.add_slot(parse_local_time("2026-01-05 10:00", agent.zone), details={"channel": "phone"})
    booked = InterviewService(context("carol")).book(slot.id, "carol@example.org", Accommodations.build("Farsi"))
    assert len(mailbox.messages) == 1  # the confirmation, at booking
    for _round in range(2):
        app = AgentApp(agent_service(context("bob")))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert f"{booked.display_code} asks for: interpreter (Farsi)." in app.messages
            await open_typed(pilot, booked.code)
            assert "Needs      interpreter (Farsi)" in str(app.query_one("#details").render())
    reminders = [m for m in mailbox.to("carol@example.org") if m["Subject"].lstrip().startswith("Reminder")]  # a subject folded before its first word
    assert len(reminders) == 1 and "Phone call" in body(reminders[0])
