"""The interview path's SQL, in one small repository module: slots, appointments, their e-mail
notices (i21-slots), the desk's booking rules, outcomes, the queue and history (i21-timing).

The services in services/interview/ say what the rules are (who may do what, when); the queries
that read and change the rows live here. Each function takes an open session and neither commits
nor rolls back unless it says so: the caller decides what one transaction holds. Every write is a
compare-and-set or an insert guarded by a UNIQUE constraint, so two processes on a shared desk
cannot send a notice twice or take one person twice; compare-and-set updates return whether they won.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, update
from sqlmodel import Session, select

from selfverify.store.models import Appointment, InterviewNotice, InterviewSlot

# ============================================================ i21-slots: slots, bookings, notices

NOTICE_KINDS = ("confirmation", "reminder", "decision")
MAX_NOTICE_ATTEMPTS = 20  # then the notice stays failed and is listed, never retried forever
CLAIM_LAPSES = timedelta(minutes=10)  # a sender that crashed mid-send gives the notice back after this


def slots_near(s: Session, agent: str, first: datetime, last: datetime) -> list[InterviewSlot]:
    """This agent's slots starting between ``first`` and ``last`` (any status)."""
    return list(s.exec(
        select(InterviewSlot).where(InterviewSlot.agent == agent, InterviewSlot.starts_at >= first,
                                    InterviewSlot.starts_at <= last)
    ).all())


def appointment_by_code(s: Session, code: str) -> Appointment | None:
    return s.exec(select(Appointment).where(Appointment.code == code)).first()


def appointments_of(s: Session, subject: str) -> list[Appointment]:
    """A person's appointments, newest booking first."""
    return list(s.exec(select(Appointment).where(Appointment.subject == subject).order_by(Appointment.id.desc())).all())


def set_accommodations(s: Session, appointment_id: int, value: str | None) -> None:
    s.execute(update(Appointment).where(Appointment.id == appointment_id).values(accommodations=value))


# ------------------------------------------------------------------ notices


def queue_notice(s: Session, appointment_id: int, slot_id: int, kind: str, now: datetime, status: str = "pending") -> bool:
    """Record (and commit) that ``kind`` is owed for this appointment at this slot; False if it already
    was. The UNIQUE constraint decides between two processes queueing the same notice at once."""
    from sqlalchemy.exc import IntegrityError

    already = s.exec(select(InterviewNotice.id).where(
        InterviewNotice.appointment_id == appointment_id, InterviewNotice.kind == kind, InterviewNotice.slot_id == slot_id,
    )).first()
    if already is not None:
        return False
    s.add(InterviewNotice(appointment_id=appointment_id, slot_id=slot_id, kind=kind, status=status, created_at=now))
    try:
        s.commit()
    except IntegrityError:
        s.rollback()  # another sender queued it first
        return False
    return True


def owed_notices(s: Session, now: datetime) -> list[tuple[InterviewNotice, Appointment, InterviewSlot]]:
    """Notices not sent yet (pending, failed and still to be retried, or claimed by a sender that
    never finished), oldest first."""
    from sqlalchemy import or_

    rows = s.exec(
        select(InterviewNotice, Appointment, InterviewSlot)
        .join(Appointment, Appointment.id == InterviewNotice.appointment_id)
        .join(InterviewSlot, InterviewSlot.id == InterviewNotice.slot_id)
        .where(or_(InterviewNotice.status.in_(("pending", "failed")),
                   and_(InterviewNotice.status == "sending", InterviewNotice.tried_at < now - CLAIM_LAPSES)),
               InterviewNotice.attempts < MAX_NOTICE_ATTEMPTS)
        .order_by(InterviewNotice.id)
    ).all()
    return [tuple(r) for r in rows]


def reminders_due(s: Session, now: datetime, lead: timedelta) -> list[tuple[Appointment, InterviewSlot]]:
    """Booked appointments starting within ``lead`` from now that have no reminder for their slot yet."""
    reminded = exists().where(and_(
        InterviewNotice.appointment_id == Appointment.id, InterviewNotice.kind == "reminder",
        InterviewNotice.slot_id == Appointment.slot_id,
    ))
    rows = s.exec(
        select(Appointment, InterviewSlot)
        .join(InterviewSlot, InterviewSlot.id == Appointment.slot_id)
        .where(Appointment.status == "booked", InterviewSlot.starts_at > now, InterviewSlot.starts_at <= now + lead, ~reminded)
        .order_by(InterviewSlot.starts_at)
    ).all()
    return [tuple(r) for r in rows]


def claim_notice(s: Session, notice_id: int, attempts: int, now: datetime) -> bool:
    """Take a notice for one send attempt (compare-and-set on its attempt count): two senders never
    both send it."""
    result = s.execute(
        update(InterviewNotice)
        .where(InterviewNotice.id == notice_id, InterviewNotice.attempts == attempts,
               InterviewNotice.status.in_(("pending", "failed", "sending")))
        .values(attempts=attempts + 1, status="sending", tried_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish_notice(s: Session, notice_id: int, status: str, error: str | None, now: datetime) -> None:
    values: dict[str, Any] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = now
    s.execute(update(InterviewNotice).where(InterviewNotice.id == notice_id).values(**values))


def delete_notices_of(s: Session, subject: str) -> int:
    """Before a person's appointments are erased: the records of the notices about them."""
    from sqlalchemy import delete

    mine = select(Appointment.id).where(Appointment.subject == subject)
    return s.execute(delete(InterviewNotice).where(InterviewNotice.appointment_id.in_(mine))).rowcount


def notices_of(s: Session, appointment_id: int) -> list[InterviewNotice]:
    return list(s.exec(select(InterviewNotice).where(InterviewNotice.appointment_id == appointment_id)
                       .order_by(InterviewNotice.id)).all())


# ============================================================ i21-timing: desk rules, outcomes, queue, history
# (lead time and horizon, started/late/no-show, the on-demand queue and agents on duty, past appointments)


def desk_settings(s) -> dict[str, str]:  # noqa: ANN001
    """The desk's booking rules as stored (key -> text)."""
    from sqlmodel import select

    from selfverify.store.models import DeskSetting

    return {row.key: row.value for row in s.exec(select(DeskSetting)).all()}


def put_desk_setting(s, key: str, value: str, by: str, now: datetime) -> None:  # noqa: ANN001
    from selfverify.store.models import DeskSetting

    row = s.get(DeskSetting, key)
    if row is None:
        s.add(DeskSetting(key=key, value=value, set_by=by, set_at=now))
    else:
        row.value, row.set_by, row.set_at = value, by, now
        s.add(row)


def slot_with_booking(s, slot_id: int):  # noqa: ANN001 - (slot row or None, whether an active booking holds it)
    from sqlmodel import select

    from selfverify.store.models import Appointment, InterviewSlot

    slot = s.get(InterviewSlot, slot_id)
    held = s.exec(select(Appointment.id).where(Appointment.active_slot_id == slot_id)).first() is not None
    return slot, held


def remove_unbooked_slot(s, slot_id: int) -> bool:  # noqa: ANN001
    """Mark the slot removed unless an active booking holds it (one statement: a booking racing in loses
    or makes this a no-op). Open, unbooked slots go, and so do slots whose appointment was decided,
    cancelled or expired; a slot with an active booking never does."""
    from sqlalchemy import exists, update
    from sqlmodel import select

    from selfverify.store.models import Appointment, InterviewSlot

    booked = select(Appointment.id).where(Appointment.active_slot_id == slot_id, Appointment.status == "booked")
    result = s.execute(
        update(InterviewSlot)
        .where(InterviewSlot.id == slot_id, InterviewSlot.status == "open", ~exists(booked))
        .values(status="removed")
    )
    return result.rowcount == 1


def set_appointment_fields(s, appointment_id: int, expect_status: str, **values) -> bool:  # noqa: ANN001, ANN003
    """Compare-and-set on one appointment: only while its status is ``expect_status``."""
    from sqlalchemy import update

    from selfverify.store.models import Appointment

    result = s.execute(
        update(Appointment).where(Appointment.id == appointment_id, Appointment.status == expect_status).values(**values)
    )
    return result.rowcount == 1


def mark_started(s, appointment_id: int, now: datetime) -> bool:  # noqa: ANN001
    """Record when the agent started the interview (the first start counts)."""
    from sqlalchemy import update

    from selfverify.store.models import Appointment

    result = s.execute(
        update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.status == "booked", Appointment.started_at.is_(None))
        .values(started_at=now)
    )
    return result.rowcount == 1


def recent_interview_minutes(s, limit: int = 20) -> list[float]:  # noqa: ANN001
    """Lengths (minutes) of the latest interviews that were started and decided, newest first."""
    from sqlmodel import select

    from selfverify.store.models import Appointment

    rows = s.exec(
        select(Appointment.started_at, Appointment.decided_at)
        .where(Appointment.started_at.is_not(None), Appointment.decided_at.is_not(None))
        .order_by(Appointment.decided_at.desc())
        .limit(limit)
    ).all()
    return [(end - start).total_seconds() / 60 for start, end in rows if end >= start]


def appointments_with_slots(s, subject: str):  # noqa: ANN001 - [(appointment, slot)], newest booking first
    from sqlmodel import select

    from selfverify.store.models import Appointment, InterviewSlot

    return s.exec(
        select(Appointment, InterviewSlot)
        .join(InterviewSlot, InterviewSlot.id == Appointment.slot_id)
        .where(Appointment.subject == subject)
        .order_by(Appointment.id.desc())
    ).all()


# -------------------------------------------------------------- agents on duty


def agents_on_duty(s) -> list[str]:  # noqa: ANN001
    from sqlmodel import select

    from selfverify.store.models import AgentDuty

    return list(s.exec(select(AgentDuty.agent).order_by(AgentDuty.agent)).all())


def set_on_duty(s, agent: str, on: bool, now: datetime) -> None:  # noqa: ANN001
    from sqlalchemy import delete

    from selfverify.store.models import AgentDuty

    if on:
        if s.get(AgentDuty, agent) is None:
            s.add(AgentDuty(agent=agent, since=now))
    else:
        s.execute(delete(AgentDuty).where(AgentDuty.agent == agent))


# -------------------------------------------------------------- the on-demand queue


def waiting_entry_of(s, subject: str):  # noqa: ANN001
    from sqlmodel import select

    from selfverify.store.models import InterviewQueueEntry

    return s.exec(
        select(InterviewQueueEntry).where(InterviewQueueEntry.active_subject == subject)
    ).first()


def latest_entry_of(s, subject: str):  # noqa: ANN001
    from sqlmodel import select

    from selfverify.store.models import InterviewQueueEntry

    return s.exec(
        select(InterviewQueueEntry).where(InterviewQueueEntry.subject == subject).order_by(InterviewQueueEntry.id.desc())
    ).first()


def queue_position(s, entry, through_view: bool = False) -> int:  # noqa: ANN001 - 1 = next
    """How many wait up to and including ``entry``. A person's role on a PostgreSQL desk sees only its
    own entry, so it counts through the ``queue_waiting`` view (ids only, nothing about who waits)."""
    from sqlalchemy import func, text
    from sqlmodel import select

    from selfverify.store.models import InterviewQueueEntry

    if through_view:
        return int(s.execute(text("SELECT count(*) FROM queue_waiting WHERE id <= :id"), {"id": entry.id}).scalar())
    return int(s.exec(
        select(func.count()).select_from(InterviewQueueEntry)
        .where(InterviewQueueEntry.status == "waiting", InterviewQueueEntry.id <= entry.id)
    ).one())


def waiting_entries(s, limit: int = 50) -> list:  # noqa: ANN001 - oldest first
    from sqlmodel import select

    from selfverify.store.models import InterviewQueueEntry

    return list(s.exec(
        select(InterviewQueueEntry).where(InterviewQueueEntry.status == "waiting").order_by(InterviewQueueEntry.id).limit(limit)
    ).all())


def claim_entry(s, entry_id: int, agent: str, now: datetime) -> bool:  # noqa: ANN001
    """The compare-and-set that gives a waiting person to exactly one agent."""
    from sqlalchemy import update

    from selfverify.store.models import InterviewQueueEntry

    result = s.execute(
        update(InterviewQueueEntry)
        .where(InterviewQueueEntry.id == entry_id, InterviewQueueEntry.status == "waiting")
        .values(status="taken", active_subject=None, taken_by=agent, taken_at=now)
    )
    return result.rowcount == 1


def leave_entry(s, entry_id: int) -> bool:  # noqa: ANN001
    from sqlalchemy import update

    from selfverify.store.models import InterviewQueueEntry

    result = s.execute(
        update(InterviewQueueEntry)
        .where(InterviewQueueEntry.id == entry_id, InterviewQueueEntry.status == "waiting")
        .values(status="left", active_subject=None)
    )
    return result.rowcount == 1


def link_entry(s, entry_id: int, appointment_id: int) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from selfverify.store.models import InterviewQueueEntry

    s.execute(update(InterviewQueueEntry).where(InterviewQueueEntry.id == entry_id).values(appointment_id=appointment_id))


def delete_queue_entries(s, subject: str) -> int:  # noqa: ANN001
    """"Delete everything": the person's queue entries (each holds a contact line) go."""
    from sqlalchemy import delete

    from selfverify.store.models import InterviewQueueEntry

    return s.execute(delete(InterviewQueueEntry).where(InterviewQueueEntry.subject == subject)).rowcount
