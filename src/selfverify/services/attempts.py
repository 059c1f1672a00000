"""Attempt limits for the selfie path (after NIST SP 800-63B-4 §3.2.3), counted in the database.

After ``max_consecutive_failures`` consecutive failures each further attempt waits at least
``failure_wait_seconds`` after the previous failure; after ``max_total_failures`` failures in
total the selfie path is locked and the user is sent to the interview path. A success resets the
consecutive count only. Time comes from ``ctx.clock`` (tests never sleep).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from selfverify.core.clock import utc
from selfverify.errors import LockedOut, PolicyRefusal
from selfverify.services.audit import AuditLog

INTERVIEW_HINT = ("You can verify with a person instead, with no camera or face data: see the free times with "
                  "'selfverify interview slots', then book one with 'selfverify interview book SLOT_ID --contact ...'.")


@dataclass(frozen=True)
class AttemptStatus:
    allowed: bool
    locked: bool
    wait_seconds: float
    tries_left_before_wait: int
    total_failures: int
    message: str
    consecutive_failures: int = 0

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed, "locked": self.locked, "wait_seconds": self.wait_seconds,
            "tries_left_before_wait": self.tries_left_before_wait, "total_failures": self.total_failures,
            "consecutive_failures": self.consecutive_failures, "message": self.message,
        }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


class AttemptPolicy:
    def __init__(self, ctx, subject: str | None = None):
        self.ctx = ctx
        self.subject = subject or ctx.user  # another subject: start-up counting a run that died
        s = ctx.settings
        self.max_consecutive = s.max_consecutive_failures
        self.wait = s.failure_wait_seconds
        self.max_total = s.max_total_failures

    def status(self) -> AttemptStatus:
        from selfverify.store.models import AttemptCounter

        with self.ctx.db.session() as s:
            row = s.get(AttemptCounter, self.subject)
        if row is None:
            return self._evaluate(0, 0, None)
        return self._evaluate(row.consecutive_failures, row.total_failures, row.last_failure_at)

    def require(self) -> AttemptStatus:
        """The status if another attempt may start now; else raise LockedOut / PolicyRefusal."""
        status = self.status()
        if status.locked:
            raise LockedOut(status.message, hint=INTERVIEW_HINT)
        if not status.allowed:
            raise PolicyRefusal(status.message, code="attempt_wait")
        return status

    def record_failure(self) -> AttemptStatus:
        return self._update(failed=True)

    def record_success(self) -> AttemptStatus:
        return self._update(failed=False)

    def reset(self) -> bool:
        """Forget this user's counts (``data delete-all``); True if there was anything."""
        from selfverify.store.models import AttemptCounter

        with self.ctx.db.session() as s:
            row = s.get(AttemptCounter, self.subject)
            if row is None:
                return False
            s.delete(row)
            s.commit()
        return True

    def _update(self, *, failed: bool) -> AttemptStatus:
        from sqlalchemy import update
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.models import AttemptCounter

        now = self.ctx.clock.now()
        table = AttemptCounter.__table__
        if failed:
            changes = {
                "consecutive_failures": table.c.consecutive_failures + 1,
                "total_failures": table.c.total_failures + 1,
                "last_failure_at": now,
            }
        else:
            changes = {"consecutive_failures": 0}
        for _ in range(2):  # a concurrent first insert makes ours fail once; then the row exists
            with self.ctx.db.session() as s:
                # SQL-side arithmetic so two processes failing at once both count
                result = s.exec(update(AttemptCounter).where(AttemptCounter.subject == self.subject).values(**changes))
                if result.rowcount == 0:
                    s.add(AttemptCounter(
                        subject=self.subject, consecutive_failures=int(failed), total_failures=int(failed),
                        last_failure_at=now if failed else None,
                    ))
                try:
                    s.commit()
                    break
                except IntegrityError:
                    s.rollback()
        status = self.status()
        AuditLog(self.ctx).record("attempt", {
            "outcome": "failed" if failed else "succeeded",
            "consecutive_failures": status.consecutive_failures,
            "total_failures": status.total_failures,
            "locked": status.locked,
        }, subject=self.subject)
        return status

    def _evaluate(self, consecutive: int, total: int, last_failure_at: datetime | None) -> AttemptStatus:
        tries_left = max(0, self.max_consecutive - consecutive)
        if total >= self.max_total:
            message = (f"The selfie check is locked after {_plural(total, 'failed attempt')}. "
                       "Please verify with a person instead: choose the interview (no camera, no face data).")
            return AttemptStatus(False, True, 0.0, 0, total, message, consecutive)
        wait = 0.0
        if consecutive >= self.max_consecutive and last_failure_at is not None:
            elapsed = (self.ctx.clock.now() - utc(last_failure_at)).total_seconds()
            wait = max(0.0, self.wait - elapsed)
        left_in_total = self.max_total - total
        if wait > 0:
            message = (f"Too many failed attempts in a row. Please wait {math.ceil(wait)} s before trying again "
                       f"({_plural(left_in_total, 'try', 'tries')} left before the selfie check locks).")
            return AttemptStatus(False, False, wait, 0, total, message, consecutive)
        if consecutive == 0:
            message = ""
        elif tries_left > 0:
            message = f"{_plural(tries_left, 'try', 'tries')} left before you have to wait {math.ceil(self.wait)} s between tries."
        else:
            message = f"Each new try now comes after a {math.ceil(self.wait)} s wait ({_plural(left_in_total, 'try', 'tries')} left before the selfie check locks)."
        return AttemptStatus(True, False, 0.0, tries_left, total, message, consecutive)
