"""The interview service's SQL: slots, appointments and their e-mail notices.

Functions take an open session and return rows; the rules (who may do what, when) stay in
``selfverify.services.interview``. Every write here is a compare-and-set or an insert guarded by a
UNIQUE constraint, so two processes on a shared desk cannot send a notice twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, update
from sqlmodel import Session, select

from selfverify.store.models import Appointment, InterviewNotice, InterviewSlot

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
