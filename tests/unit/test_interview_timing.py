"""When (issue 21): the desk's booking window, running late, no-show, history, and the on-demand
queue with agents on duty; on a real SQLite file and a real PostgreSQL, with an injected clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from selfverify.errors import PolicyRefusal
from selfverify.services.interview import InterviewService, parse_local_time
from tests.desk_support import enrol_services
from tests.postgres_db import database_url, make_ctx  # noqa: F401 - fixtures
from tests.unit.test_interview import PARIS, at_start, clock, enrol_more  # noqa: F401 - fixture


@pytest.fixture
def desk(make_ctx, clock, keyring_service):  # noqa: F811
    """The admin (whose keyring also holds bob's key), bob an enrolled agent, slots this morning at
    10:00, 10:20, 10:40 Paris (the clock reads 08:00), and alice and carol as people."""
    shared = {"clock": clock, "keyring_service": keyring_service}
    admin_ctx = make_ctx("admin", timezone=PARIS, **shared)
    [agent] = enrol_services(admin_ctx, make_ctx("bob", timezone=PARIS, **shared))
    first = parse_local_time("2026-01-05 10:00", agent.zone)
    slots = [agent.add_slot(first + timedelta(minutes=20 * i)) for i in range(3)]
    people = [InterviewService(make_ctx(name, clock=clock, timezone=PARIS)) for name in ("alice", "carol", "dan")]
    return InterviewService(admin_ctx), agent, people, slots


# ---------------------------------------------------------------- the booking window


def test_a_slot_inside_the_lead_time_or_beyond_the_horizon_is_refused(desk, clock):
    admin, agent, (alice, *_), slots = desk
    soon = agent.add_slot(clock.now() + timedelta(seconds=40))
    with pytest.raises(PolicyRefusal) as err:
        alice.book(soon.id, "alice@example.org")
    assert err.value.code == "too_soon" and "bookings close 60 minutes before the start" in err.value.user_message
    far = agent.add_slot(clock.now() + timedelta(days=91))
    with pytest.raises(PolicyRefusal) as err:
        alice.book(far.id, "alice@example.org")
    assert err.value.code == "too_far" and "up to 90 days ahead" in err.value.user_message
    assert [s.id for s in alice.available_slots()] == [s.id for s in slots]  # neither is offered
    assert alice.my_appointments() == []

    window = admin.set_booking_window(min_lead_minutes=0, horizon_days=120)  # the desk admin widens it
    assert (window.min_lead_minutes, window.horizon_days) == (0, 120)
    assert alice.book(far.id, "alice@example.org").status == "booked"


def test_only_the_desk_admin_sets_the_window_and_a_persons_config_cannot_loosen_it(desk, make_ctx, clock):  # noqa: F811
    _admin, agent, (alice, *_), _slots = desk
    with pytest.raises(PolicyRefusal) as err:
        alice.set_booking_window(min_lead_minutes=0)
    assert err.value.code == "not_admin"
    assert alice.booking_window().min_lead_minutes == 60
    soon = agent.add_slot(clock.now() + timedelta(minutes=5))
    with pytest.raises(PolicyRefusal, match="starts too soon"):
        alice.book(soon.id, "alice@example.org")


# ---------------------------------------------------------------- running late, no-show, history


def test_running_late_moves_the_start_within_the_grace_and_the_person_sees_it(desk, clock):
    _admin, agent, (alice, *_), slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    moved = agent.running_late(booked.code, 15)
    assert moved.late_minutes == 15 and moved.starts_at == slots[0].starts_at + timedelta(minutes=15)
    mine = alice.my_appointments()[0]
    assert "running 15 min late" in alice.outcome_line(mine) and "10:15" in alice.outcome_line(mine)
    assert ("Late", f"the agent is running 15 min late (the slot was {alice.when(slots[0].starts_at)})") in alice.describe(mine)
    agent.ctx.settings = agent.ctx.settings.replace(interview_grace_hours=1.0)  # the desk's grace: an hour
    with pytest.raises(PolicyRefusal) as err:  # 10:61 + 20 min would end after 10:20 + 1 h
        agent.running_late(booked.code, 61)
    assert err.value.code == "beyond_grace" and "after its grace period" in err.value.user_message
    assert agent.running_late(booked.code, 60).late_minutes == 60  # ends exactly at the deadline
    agent.running_late(booked.code, 15)
    at_start(clock, mine)  # 10:15, the moved start: before it nothing is decided
    clock.advance(-60)
    with pytest.raises(PolicyRefusal, match="cannot be approved before then"):
        agent.approve(booked.code, ["passport"])
    clock.advance(60)
    assert agent.approve(booked.code, ["passport"]).status == "approved"


def test_no_show_only_after_the_start_ends_the_booking_and_the_person_may_book_again(desk, clock):
    _admin, agent, (alice, *_), slots = desk
    booked = alice.book(slots[0].id, "alice@example.org")
    with pytest.raises(PolicyRefusal) as err:
        agent.no_show(booked.code)
    assert err.value.code == "not_started"
    at_start(clock, booked)
    clock.advance(10 * 60)
    marked = agent.no_show(booked.code)
    assert marked.status == "no_show" and marked.decided_by == "bob"
    line = alice.outcome_line(alice.my_appointments()[0])
    assert "recorded as a no-show" in line and "Book a new interview" in line
    with pytest.raises(PolicyRefusal) as err:
        agent.approve(booked.code, ["passport"])
    assert err.value.code == "already_decided"
    assert [a.status for a in alice.history()] == ["no_show"]
    later = agent.add_slot(slots[0].starts_at + timedelta(days=1))
    assert alice.book(later.id, "alice@example.org").status == "booked"
    assert [a.status for a in alice.history()] == ["no_show"]  # the open booking is not history


def test_history_lists_every_ended_interview_newest_first(desk, clock):
    _admin, agent, (alice, *_), slots = desk
    first = alice.book(slots[0].id, "alice@example.org")
    alice.cancel(first.code)
    second = alice.book(slots[1].id, "alice@example.org")
    at_start(clock, second)
    agent.decline(second.code, "The passport had expired", ["passport"])
    third = alice.book(agent.add_slot(slots[0].starts_at + timedelta(days=1)).id, "alice@example.org")
    clock.advance(3 * 24 * 3600)  # nobody recorded an outcome: it expires
    assert [(a.code, a.status) for a in alice.history()] == [
        (third.code, "expired"), (second.code, "declined"), (first.code, "cancelled")]
    assert "expired: no outcome was recorded by" in alice.outcome_line(alice.history()[0])


def test_a_declined_or_no_show_slot_can_be_removed_but_not_one_with_an_active_booking(desk, clock):
    _admin, agent, (alice, carol, _dan), slots = desk
    a = alice.book(slots[0].id, "alice@example.org")
    c = carol.book(slots[1].id, "carol@example.org")
    at_start(clock, c)
    agent.decline(a.code, "Not the person on the document")
    assert agent.remove_slot(slots[0].id).status == "removed"  # decided: it can go
    with pytest.raises(PolicyRefusal) as err:
        agent.remove_slot(slots[1].id)
    assert err.value.code == "slot_booked" and "has an active booking" in err.value.user_message
    assert agent.find(c.code).status == "booked"


# ---------------------------------------------------------------- the on-demand queue


def test_the_queue_is_closed_without_an_agent_on_duty(desk):
    _admin, agent, (alice, *_), _slots = desk
    with pytest.raises(PolicyRefusal) as err:
        alice.join_queue("alice@example.org")
    assert err.value.code == "queue_closed"
    agent.set_on_duty(True)
    assert alice.join_queue("alice@example.org").status == "waiting"
    agent.set_on_duty(False)
    assert "No agent is on duty" in alice.queue_line(alice.queue_status())


def test_position_moves_up_when_the_agent_takes_the_person_before(desk, clock):
    _admin, agent, (alice, carol, dan), _slots = desk
    agent.set_on_duty(True)
    alice.join_queue("alice@example.org")
    carol.join_queue("carol@example.org")
    dan.join_queue("+1 555 0100")
    assert [carol.queue_status().position, dan.queue_status().position] == [2, 3]
    assert carol.queue_status().wait_minutes == 40  # nothing measured yet: a slot's length per person ahead
    taken = agent.take_next()
    assert taken.subject == "alice" and taken.status == "booked" and taken.started_at == clock.now()
    assert [carol.queue_status().position, dan.queue_status().position] == [1, 2]
    assert "you are next" in carol.queue_line(carol.queue_status())
    assert "has taken you" in alice.queue_line(alice.queue_status()) and taken.display_code in alice.queue_line(alice.queue_status())
    dan.leave_queue()
    assert dan.queue_status().status == "left"
    # the same decision and credential path as a booking, and its length feeds the estimate
    clock.advance(12 * 60)
    assert agent.approve(taken.code, ["passport"]).status == "approved"
    assert agent.typical_minutes() == 12
    assert carol.queue_status().wait_minutes == 12
    assert alice.my_appointments()[0].waiting_for_pickup


def test_someone_waiting_cannot_also_book_and_a_booked_person_cannot_queue(desk):
    _admin, agent, (alice, carol, _dan), slots = desk
    agent.set_on_duty(True)
    alice.join_queue("alice@example.org")
    with pytest.raises(PolicyRefusal) as err:
        alice.book(slots[0].id, "alice@example.org")
    assert err.value.code == "in_queue"
    carol.book(slots[0].id, "carol@example.org")
    with pytest.raises(PolicyRefusal) as err:
        carol.join_queue("carol@example.org")
    assert err.value.code == "already_booked"


def test_two_agents_taking_at_once_each_person_goes_to_exactly_one(desk):
    _admin, agent, (alice, carol, _dan), _slots = desk
    agents = enrol_more(agent, "agent1", "agent2", "agent3")
    for a in agents:
        a.set_on_duty(True)
    alice.join_queue("alice@example.org")
    carol.join_queue("carol@example.org")
    barrier = threading.Barrier(len(agents))
    taken: dict[str, str | None] = {}

    def take(svc: InterviewService) -> None:
        barrier.wait()
        view = svc.take_next()
        taken[svc.agent] = view.subject if view else None

    threads = [threading.Thread(target=take, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    people = sorted(p for p in taken.values() if p)
    assert people == ["alice", "carol"] and list(taken.values()).count(None) == 1
    for person in (alice, carol):
        [mine] = person.my_appointments()
        assert mine.status == "booked" and mine.slot.agent == next(k for k, v in taken.items() if v == person.ctx.user)
    for svc in agents:
        svc.ctx.db.dispose()


def test_delete_everything_removes_the_persons_queue_entries(desk):
    from selfverify.services.erasure import delete_all_user_data
    from selfverify.store.models import InterviewQueueEntry

    _admin, agent, (alice, carol, _dan), _slots = desk
    agent.set_on_duty(True)
    alice.join_queue("alice-secret@example.org")
    carol.join_queue("carol@example.org")
    delete_all_user_data(alice.ctx)
    with agent.ctx.db.session() as s:
        from sqlmodel import select

        rows = s.exec(select(InterviewQueueEntry)).all()
    assert [(r.subject, r.contact) for r in rows] == [("carol", "carol@example.org")]
    assert carol.queue_status().position == 1
