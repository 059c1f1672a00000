"""The selfie attempt counter (``attempt_counter``): one row per subject.

Every change is one SQL statement whose arithmetic runs in the database, so parallel processes
never lose a count and a reservation is taken or refused atomically. On a PostgreSQL desk, a
desk role's connection may only read the table: its changes go through the ``attempt_change``
function that ``store/sql/desk_roles.sql`` installs (SECURITY DEFINER; it only counts up, a
success clears the run of consecutive failures, and it reads the time from the server).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ACTIONS = ("reserve", "failed", "succeeded", "released", "expire")


@dataclass(frozen=True)
class Counts:
    consecutive_failures: int = 0
    total_failures: int = 0
    last_failure_at: datetime | None = None
    in_flight: int = 0
    reserved_at: datetime | None = None


@dataclass(frozen=True)
class Limits:
    max_total: int
    max_consecutive: int
    wait_seconds: float
    stale_seconds: float = 0.0


class AttemptRepository:
    def __init__(self, db, subject: str):  # noqa: ANN001  (store.db.Database)
        self.db = db
        self.subject = subject

    def counts(self) -> Counts:
        from selfverify.store.models import AttemptCounter

        with self.db.session() as s:
            row = s.get(AttemptCounter, self.subject)
        if row is None:
            return Counts()
        return Counts(row.consecutive_failures, row.total_failures, row.last_failure_at, row.in_flight or 0,
                      row.reserved_at)

    def change(self, action: str, now: datetime, limits: Limits) -> int:
        """Apply ``action``: ``reserve`` (1 if a try was reserved, 0 if the limits refuse it),
        ``failed`` / ``succeeded`` / ``released`` (settle one reservation), ``expire`` (reservations
        older than ``limits.stale_seconds`` become failures; returns how many)."""
        if action not in ACTIONS:
            raise ValueError(action)
        from selfverify.store.desk_roles import connection_role

        if connection_role(self.db) is not None:
            return self._change_on_desk(action, limits)
        return self._change(action, now, limits)

    def _change_on_desk(self, action: str, limits: Limits) -> int:
        from sqlalchemy import text

        query = text("SELECT attempt_change(:subject, :action, :max_total, :max_consecutive, :wait, :stale)")
        with self.db.session() as s:
            done = s.execute(query, {"subject": self.subject, "action": action, "max_total": limits.max_total,
                                     "max_consecutive": limits.max_consecutive, "wait": float(limits.wait_seconds),
                                     "stale": float(limits.stale_seconds)}).scalar()
            s.commit()
        return int(done or 0)

    def _change(self, action: str, now: datetime, limits: Limits) -> int:
        from sqlalchemy import and_, case, not_, or_, select, update

        from selfverify.store.models import AttemptCounter

        c = AttemptCounter.__table__.c
        mine = c.subject == self.subject
        settle = case((c.in_flight > 0, c.in_flight - 1), else_=0)
        later = case((or_(c.last_failure_at.is_(None), c.last_failure_at < now), now), else_=c.last_failure_at)
        with self.db.session() as s:
            if action in ("reserve", "failed"):
                self._ensure_row(s)
            if action == "reserve":
                waiting = and_(c.last_failure_at.is_not(None),
                               c.last_failure_at > now - timedelta(seconds=limits.wait_seconds))
                statement = update(AttemptCounter.__table__).where(
                    mine, c.total_failures + c.in_flight < limits.max_total,
                    not_(and_(c.consecutive_failures + c.in_flight >= limits.max_consecutive,
                              or_(c.in_flight > 0, waiting))),
                ).values(in_flight=c.in_flight + 1, reserved_at=now)
            elif action == "failed":
                statement = update(AttemptCounter.__table__).where(mine).values(
                    consecutive_failures=c.consecutive_failures + 1, total_failures=c.total_failures + 1,
                    last_failure_at=later, in_flight=settle)
            elif action == "succeeded":  # only a reserved try can succeed
                statement = update(AttemptCounter.__table__).where(mine, c.in_flight > 0).values(
                    consecutive_failures=0, in_flight=settle)
            elif action == "released":
                statement = update(AttemptCounter.__table__).where(mine).values(in_flight=settle)
            else:  # expire
                cutoff = now - timedelta(seconds=limits.stale_seconds)
                stale = s.execute(select(c.in_flight).where(mine, c.in_flight > 0, c.reserved_at < cutoff)
                                  .with_for_update()).scalar() or 0
                if not stale:
                    return 0
                statement = update(AttemptCounter.__table__).where(mine, c.in_flight == stale).values(
                    consecutive_failures=c.consecutive_failures + stale, total_failures=c.total_failures + stale,
                    last_failure_at=case((or_(c.last_failure_at.is_(None), c.last_failure_at < c.reserved_at),
                                          c.reserved_at), else_=c.last_failure_at), in_flight=0)
                done = s.execute(statement).rowcount
                s.commit()
                return stale if done else 0
            done = s.execute(statement).rowcount
            s.commit()
        return int(done or 0)

    def _ensure_row(self, session) -> None:  # noqa: ANN001
        """Insert the subject's zero row unless it exists (parallel first inserts do not clash)."""
        from selfverify.store.models import AttemptCounter

        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        session.execute(insert(AttemptCounter.__table__).values(
            subject=self.subject, consecutive_failures=0, total_failures=0, in_flight=0).on_conflict_do_nothing())
