"""The interview service on a real database (SQLite file and PostgreSQL), with an injected clock."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from selfverify.core.clock import FakeClock
from selfverify.errors import InputError, NotFound, PolicyRefusal
from selfverify.services.interview import (
    CODE_ALPHABET,
    InterviewService,
    format_code,
    format_when,
    load_recurring_hours,
    new_code,
    normalise_code,
    parse_local_time,
    resolve_zone,
)
from tests.desk_support import enrol_services
from tests.postgres_db import database_url, make_ctx  # noqa: F401 - fixtures

PARIS = "Europe/Paris"
START = datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)  # Monday 08:00 in Paris


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def desk(make_ctx, clock, keyring_service):
    """An enrolled agent (bob) with three slots that morning, and two users on the same database."""
    shared = {"clock": clock, "keyring_service": keyring_service}  # one keyring: the admin's and bob's keys
    [agent] = enrol_services(make_ctx("admin", **shared), make_ctx("bob", timezone=PARIS, **shared))
    first = parse_local_time("2026-01-05 10:00", agent.zone)
    slots = [agent.add_slot(first + timedelta(minutes=20 * i)) for i in range(3)]
    alice = InterviewService(make_ctx("alice", clock=clock, timezone="America/New_York"))
    carol = InterviewService(make_ctx("carol", clock=clock, timezone=PARIS))
    return agent, alice, carol, slots


# ---------------------------------------------------------------- codes and times


def test_codes_are_unambiguous_random_and_accepted_in_any_form():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set(CODE_ALPHABET) & set("01ILO")
    code = "K7QXM4PD"
    assert format_code(code) == "K7QX-M4PD"
    for typed in ("K7QX-M4PD", "k7qx-m4pd", "k7qxm4pd", " K7QX M4PD ", "k7qX-M4pd"):
        assert normalise_code(typed) == code


@pytest.mark.parametrize("typed, fragment", [
    ("", "Type the confirmation code"),
    ("K7QX-M4P", "should be 8 letters"),
    ("K7QX-M4PDX", "should be 8 letters"),
    ("K7QX-M4P0", "never contain 0"),
    ("I7QX-L4PO", "never contain I, L, O"),
])
def test_malformed_codes_are_input_errors(typed, fragment):
    with pytest.raises(InputError) as err:
        normalise_code(typed)
    assert fragment in err.value.user_message
    assert err.value.exit_code == 2


def test_times_are_shown_with_their_zone_and_typed_in_the_viewers_zone():
    paris, tokyo = resolve_zone(PARIS), resolve_zone("Asia/Tokyo")
    moment = parse_local_time("2026-07-01 09:30", paris)
    assert moment == datetime(2026, 7, 1, 7, 30, tzinfo=timezone.utc)
    assert format_when(moment, paris) == "Wed 2026-07-01 09:30 CEST (Europe/Paris)"
    assert format_when(moment, tokyo) == "Wed 2026-07-01 16:30 JST (Asia/Tokyo)"
    assert format_when(moment, resolve_zone("UTC")) == "Wed 2026-07-01 07:30 UTC"
    assert parse_local_time("2026-07-01T09:30+02:00", tokyo) == moment


def test_a_wall_time_skipped_by_daylight_saving_is_refused():
    with pytest.raises(InputError, match="does not exist in Europe/Paris"):
        parse_local_time("2026-03-29 02:30", resolve_zone(PARIS))
    with pytest.raises(InputError, match="not a date and time"):
        parse_local_time("tomorrow-ish", resolve_zone(PARIS))


def test_recurring_hours_follow_the_local_clock_across_a_dst_change(tmp_path):
    hours_file = tmp_path / "hours.toml"
    hours_file.write_text(
        'timezone = "Europe/Paris"\nduration_minutes = 30\n'
        '[[hours]]\ndays = ["fri", "mon"]\nfrom = "09:00"\nto = "10:00"\n'
    )
    hours = load_recurring_hours(hours_file, resolve_zone("UTC"))
    starts = hours.starts_between(date(2026, 3, 27), 4)  # Fri 27 March .. Mon 30 March, DST starts on the 29th
    assert [s.isoformat() for s in starts] == [
        "2026-03-27T08:00:00+00:00", "2026-03-27T08:30:00+00:00",  # CET, UTC+1
        "2026-03-30T07:00:00+00:00", "2026-03-30T07:30:00+00:00",  # CEST, UTC+2
    ]


@pytest.mark.parametrize("content, fragment", [
    ("[[hours]]\ndays = ['mon']\nfrom = '09:00'\n", "to must be a time like"),
    ("[[hours]]\ndays = ['funday']\nfrom = '09:00'\nto = '10:00'\n", "unknown day 'funday'"),
    ("[[hours]]\ndays = ['mon']\nfrom = '11:00'\nto = '10:00'\n", "'to' must be after 'from'"),
    ("duration_minutes = 2\n[[hours]]\ndays = ['mon']\nfrom = '09:00'\nto = '10:00'\n", "duration_minutes"),
    ("timezone = 'Nowhere/Land'\n", "Unknown time zone"),
    ("hours = [\n", "not valid TOML"),
    ("", "at least one [[hours]]"),
])
def test_bad_hours_files_get_one_clear_message(tmp_path, content, fragment):
    path = tmp_path / "hours.toml"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        load_recurring_hours(path, resolve_zone("UTC"))
    assert fragment in err.value.user_message


def test_missing_hours_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_recurring_hours(tmp_path / "nope.toml", resolve_zone("UTC"))


# ---------------------------------------------------------------- slots


def test_slots_are_published_once_and_never_in_the_past(make_ctx, clock):
    agent = InterviewService(make_ctx("bob", clock=clock, timezone=PARIS))
    slot = agent.add_slot(parse_local_time("2026-01-06 09:00", agent.zone))
    assert agent.when(slot.starts_at) == "Tue 2026-01-06 09:00 CET (Europe/Paris)"
    with pytest.raises(PolicyRefusal, match="already has a slot at Tue 2026-01-06 09:00 CET"):
        agent.add_slot(slot.starts_at)
    with pytest.raises(PolicyRefusal, match="has already passed"):
        agent.add_slot(START - timedelta(minutes=1))
    with pytest.raises(PolicyRefusal, match="which Tue 2026-01-06 09:10 CET .* would overlap"):
        agent.add_slot(slot.starts_at + timedelta(minutes=10))
    with pytest.raises(PolicyRefusal, match="would overlap"):  # back-to-back slots in one batch must not overlap either
        agent.add_slots([slot.ends_at, slot.ends_at + timedelta(minutes=10)])
    # another agent may offer the same time
    other = InterviewService(make_ctx("dora", clock=clock, timezone=PARIS))
    other.add_slot(slot.starts_at)
    assert len(agent.list_slots()) == 2
    # a removed slot can be published again
    agent.remove_slot(slot.id)
    assert agent.add_slot(slot.starts_at).id == slot.id
    assert [s.agent for s in agent.list_slots()] == ["bob", "dora"]


def test_loading_hours_twice_adds_nothing_the_second_time(make_ctx, clock, tmp_path):
    agent = InterviewService(make_ctx("bob", clock=clock, timezone=PARIS))
    path = tmp_path / "hours.toml"
    path.write_text('[[hours]]\ndays = ["mon", "tue"]\nfrom = "09:00"\nto = "10:00"\n')
    added, skipped = agent.add_recurring(load_recurring_hours(path, agent.zone), days=7)
    # it is Monday 08:00 in Paris: this Monday and Tuesday give three 20-minute slots each
    assert (len(added), skipped) == (6, 0)
    added, skipped = agent.add_recurring(load_recurring_hours(path, agent.zone), days=7)
    assert (len(added), skipped) == (0, 6)


def test_a_booked_slot_cannot_be_removed_but_a_free_one_can(desk):
    agent, alice, _carol, slots = desk
    alice.book(slots[0].id, "alice@example.org")
    with pytest.raises(PolicyRefusal, match="is booked"):
        agent.remove_slot(slots[0].id)
    agent.remove_slot(slots[1].id)
    assert [s.id for s in alice.available_slots()] == [slots[2].id]
    with pytest.raises(NotFound):
        agent.remove_slot(slots[1].id)


# ---------------------------------------------------------------- booking


def test_booking_gives_a_code_and_takes_the_slot(desk):
    _agent, alice, carol, slots = desk
    booked = alice.book(slots[0].id, "  +1 555 0100  ")
    assert booked.status == "booked" and booked.contact == "+1 555 0100"
    assert len(booked.code) == 8 and booked.display_code[4] == "-"
    assert slots[0].id not in [s.id for s in carol.available_slots()]
    assert alice.when(booked.slot.starts_at) == "Mon 2026-01-05 04:00 EST (America/New_York)"
    with pytest.raises(PolicyRefusal) as err:
        carol.book(slots[0].id, "carol@example.org")
    assert err.value.code == "slot_taken" and err.value.exit_code == 5


def test_one_open_booking_per_person(desk):
    _agent, alice, _carol, slots = desk
    first = alice.book(slots[0].id, "alice@example.org")
    with pytest.raises(PolicyRefusal) as err:
        alice.book(slots[1].id, "alice@example.org")
    assert err.value.code == "already_booked" and first.display_code in err.value.user_message


@pytest.mark.parametrize("contact, fragment", [("   ", "Give a contact line"), ("x" * 201, "too long")])
def test_contact_line_is_required_and_short(desk, contact, fragment):
    _agent, alice, _carol, slots = desk
    with pytest.raises(InputError, match=fragment):
        alice.book(slots[0].id, contact)


def test_expired_and_unknown_slots_cannot_be_booked(desk, clock):
    _agent, alice, _carol, slots = desk
    with pytest.raises(NotFound):
        alice.book(9999, "alice@example.org")
    clock.advance(3 * 3600)  # 10:00 Paris has passed
    with pytest.raises(PolicyRefusal) as err:
        alice.book(slots[0].id, "alice@example.org")
    assert err.value.code == "slot_expired"
    assert alice.available_slots() == []


def test_double_booking_is_refused_by_the_database_itself(desk):
    """Bypassing every check in code, the UNIQUE columns still refuse a second open booking."""
    from sqlalchemy.exc import IntegrityError

    from selfverify.store.models import Appointment

    agent, alice, _carol, slots = desk
    alice.book(slots[0].id, "alice@example.org")
    rows = [
        Appointment(slot_id=slots[0].id, active_slot_id=slots[0].id, subject="mallory", active_subject="mallory",
                    code=new_code(), booked_at=START),  # same slot
        Appointment(slot_id=slots[1].id, active_slot_id=slots[1].id, subject="alice", active_subject="alice",
                    code=new_code(), booked_at=START),  # same person
        Appointment(slot_id=slots[2].id, active_slot_id=None, subject="erin", active_subject=None,
                    code=new_code(), booked_at=START),  # 'booked' without the active markers
    ]
    for row in rows:
        with agent.ctx.db.engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(Appointment.__table__.insert().values(**row.model_dump(exclude={"id"})))
            conn.commit()


def test_racing_bookings_of_one_slot_exactly_one_wins(make_ctx, clock):
    agent = InterviewService(make_ctx("bob", clock=clock))
    slot = agent.add_slot(START + timedelta(hours=3))
    services = [InterviewService(make_ctx(f"user{i}", clock=clock)) for i in range(4)]
    barrier = threading.Barrier(len(services))
    results: list[object] = []

    def book(svc: InterviewService) -> None:
        barrier.wait()
        try:
            results.append(svc.book(slot.id, "phone +1 555 0100"))
        except PolicyRefusal as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=book, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 4
    assert sum(not isinstance(r, str) for r in results) == 1
    assert sorted(r for r in results if isinstance(r, str)) == ["slot_taken"] * 3


# ---------------------------------------------------------------- reschedule and cancel


def test_reschedule_moves_the_booking_and_frees_the_old_slot(desk):
    _agent, alice, carol, slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    moved = alice.reschedule(booked.display_code.lower(), slots[2].id)
    assert moved.code == booked.code and moved.slot.id == slots[2].id
    assert carol.book(slots[0].id, "carol@example.org").slot.id == slots[0].id
    with pytest.raises(PolicyRefusal) as err:
        alice.reschedule(booked.code, slots[0].id)
    assert err.value.code == "slot_taken"
    with pytest.raises(PolicyRefusal, match="already at that slot"):
        alice.reschedule(booked.code, slots[2].id)


def test_cancel_frees_the_slot_and_only_works_once_for_the_owner(desk, clock):
    _agent, alice, carol, slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    with pytest.raises(NotFound):  # someone else's code looks exactly like a wrong one
        carol.cancel(booked.code)
    with pytest.raises(NotFound, match="No interview of yours has the code"):
        alice.cancel("ABCD-EFGH")
    assert alice.cancel(booked.code).status == "cancelled"
    with pytest.raises(PolicyRefusal, match="is cancelled: it can no longer be cancelled"):
        alice.cancel(booked.code)
    assert slots[0].id in [s.id for s in carol.available_slots()]
    again = alice.book(slots[1].id, "alice@example.org")  # a new booking after cancelling is fine
    clock.advance(3 * 3600)
    with pytest.raises(PolicyRefusal) as err:
        alice.cancel(again.code)
    assert err.value.code == "slot_expired"


# ---------------------------------------------------------------- the agent


def test_todays_list_uses_the_agents_day(make_ctx, clock):
    agent = InterviewService(make_ctx("bob", clock=clock, timezone=PARIS))
    late = agent.add_slot(parse_local_time("2026-01-05 23:40", agent.zone))  # 22:40 UTC on the 5th
    next_day = agent.add_slot(parse_local_time("2026-01-06 00:20", agent.zone))  # still the 5th in UTC
    InterviewService(make_ctx("alice", clock=clock)).book(late.id, "a@example.org")
    InterviewService(make_ctx("carol", clock=clock)).book(next_day.id, "c@example.org")
    assert [a.subject for a in agent.appointments_for_day()] == ["alice"]
    assert [a.subject for a in agent.appointments_for_day(date(2026, 1, 6))] == ["carol"]
    utc_agent = InterviewService(make_ctx("bob", clock=clock, timezone="UTC"))
    assert [a.subject for a in utc_agent.appointments_for_day()] == ["alice", "carol"]


def test_approve_records_the_checklist_once(desk):
    agent, alice, _carol, slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    opened = agent.open(booked.display_code.lower())
    assert opened.subject == "alice" and opened.status == "booked"
    with pytest.raises(InputError, match="at least one document type"):
        agent.approve(booked.code, [])
    with pytest.raises(InputError, match="'selfie' is not a document type"):
        agent.approve(booked.code, ["selfie"])
    approved = agent.approve(booked.code, ["passport", "ID card", "passport"], "photo page checked")
    assert approved.status == "approved" and approved.decided_by == "bob"
    assert approved.checklist == ("passport", "id_card")
    assert approved.waiting_for_pickup
    other_agent = enrol_more(agent, "dora")[0]
    for attempt in (lambda: other_agent.approve(booked.code, ["passport"]), lambda: other_agent.decline(booked.code, "no")):
        with pytest.raises(PolicyRefusal) as err:
            attempt()
        assert err.value.code == "already_decided"
        assert "already approved by bob" in err.value.user_message
    assert agent.find(booked.code).decided_by == "bob"


def test_decline_needs_a_reason_and_lets_the_user_book_again(desk):
    agent, alice, _carol, slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    with pytest.raises(InputError, match="Give a reason"):
        agent.decline(booked.code, "  ")
    declined = agent.decline(booked.code, "The document had expired", ["passport"])
    assert declined.status == "declined" and declined.decision_reason == "The document had expired"
    assert alice.book(slots[1].id, "alice@example.org").status == "booked"


def test_cancelled_unknown_and_expired_appointments_cannot_be_decided(desk, clock):
    agent, alice, carol, slots = desk
    cancelled = alice.book(slots[0].id, "alice@example.org")
    alice.cancel(cancelled.code)
    with pytest.raises(PolicyRefusal) as err:
        agent.approve(cancelled.code, ["passport"])
    assert err.value.code == "appointment_cancelled"
    with pytest.raises(NotFound, match="No appointment has the code"):
        agent.open("ABCD-EFGH")
    late = carol.book(slots[1].id, "carol@example.org")
    clock.advance(3600 * 3)  # the interview time has passed, within the grace period: still decidable
    assert agent.open(late.code).status == "booked"
    clock.advance(3600 * 24)
    with pytest.raises(PolicyRefusal) as err:
        agent.approve(late.code, ["passport"])
    assert err.value.code == "appointment_expired"
    assert carol.my_appointments()[0].status == "expired"


def test_racing_agents_exactly_one_approval_wins(desk):
    agent, alice, _carol, slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    agents = enrol_more(agent, *(f"agent{i}" for i in range(4)))
    barrier = threading.Barrier(len(agents))
    outcomes: dict[str, str] = {}

    def approve(svc: InterviewService) -> None:
        barrier.wait()
        try:
            svc.approve(booked.code, ["passport"])
            outcomes[svc.agent] = "won"
        except PolicyRefusal as exc:
            outcomes[svc.agent] = exc.code

    threads = [threading.Thread(target=approve, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["already_decided"] * 3 + ["won"]
    winner = next(name for name, result in outcomes.items() if result == "won")
    assert agent.find(booked.code).decided_by == winner
    for svc in agents:
        svc.ctx.db.dispose()


def _same_db_ctx(ctx, user: str):
    """A context with its own engine (like another process) on the same database."""
    from selfverify.context import AppContext

    return AppContext(settings=ctx.settings.replace(user=user), clock=ctx.clock)


def enrol_more(agent: InterviewService, *handles: str) -> list[InterviewService]:
    """More agents on the desk, each with its own key (enrolled by the desk's admin, whose keyring the
    first agent shares in these tests)."""
    from selfverify.services.desk import DeskService
    from selfverify.services.desk_agent import agent_service

    admin = DeskService(agent.ctx)
    contexts = [_same_db_ctx(agent.ctx, handle) for handle in handles]
    for ctx in contexts:
        admin.enrol(DeskService(ctx).enrolment_request("agent"), "agent")
    return [agent_service(ctx, requested=ctx.user) for ctx in contexts]


# ---------------------------------------------------------------- the timeline


def test_the_interview_timeline_has_every_step_and_no_contact_details(desk):
    from selfverify.services.audit import list_sessions, timeline

    agent, alice, _carol, slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    alice.reschedule(booked.code, slots[1].id)
    agent.open(booked.code)
    agent.approve(booked.code, ["driving_licence"])
    events = timeline(alice.ctx, booked.session_id)
    kinds = [e["kind"] for e in events]
    assert kinds == ["session_started", "interview_booked", "interview_rescheduled", "interview_opened", "interview_decision"]
    assert events[-1]["data"]["documents_seen"] == ["driving_licence"] and events[-1]["data"]["agent"] == "bob"
    assert "alice@example.org" not in repr(events) and booked.code not in repr(events)
    session = next(s for s in list_sessions(alice.ctx) if s.id == booked.session_id)
    assert (session.method, session.outcome, session.subject) == ("interview", "approved", "alice")
