"""Attempt limits for the selfie path (after NIST SP 800-63B-4 §3.2.3), counted in the database.

After ``max_consecutive_failures`` consecutive failures each further attempt waits at least
``failure_wait_seconds`` after the previous failure; after ``max_total_failures`` failures in
total the selfie path is locked and the user is sent to the interview path. A success resets the
consecutive count only; nothing resets the total (``data delete-all`` keeps the counter: it holds
no biometric data, and erasing it would hand a locked-out person a fresh set of tries).

A live run reserves its try before it starts (``reserve``), atomically in the database, so N runs
started in parallel one try before a limit get one try between them, not N. The run settles its
reservation with its result; a run that died leaves it, and start-up turns it into a failure
(``services/recovery.py``). Time comes from ``ctx.clock`` (tests never sleep); on a PostgreSQL
desk the database's own clock stamps the counter. The SQL is ``store/repositories/attempts.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from selfverify.core.clock import utc
from selfverify.errors import LockedOut, PolicyRefusal
from selfverify.i18n import N_, _, ngettext
from selfverify.services.audit import AuditLog

INTERVIEW_HINT = N_("You can verify with a person instead, with no camera or face data: see the free times with "
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
    in_flight: int = 0  # tries reserved by runs not yet settled

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed, "locked": self.locked, "wait_seconds": self.wait_seconds,
            "tries_left_before_wait": self.tries_left_before_wait, "total_failures": self.total_failures,
            "consecutive_failures": self.consecutive_failures, "in_flight": self.in_flight, "message": self.message,
        }


class AttemptPolicy:
    def __init__(self, ctx, subject: str | None = None):
        self.ctx = ctx
        self.subject = subject or ctx.user  # another subject: start-up counting a run that died
        s = ctx.settings
        self.max_consecutive = s.max_consecutive_failures
        self.wait = s.failure_wait_seconds
        self.max_total = s.max_total_failures

    def _repository(self):
        from selfverify.store.repositories.attempts import AttemptRepository

        return AttemptRepository(self.ctx.db, self.subject)

    def _limits(self, stale_seconds: float = 0.0):
        from selfverify.store.repositories.attempts import Limits

        return Limits(self.max_total, self.max_consecutive, self.wait, stale_seconds)

    def status(self) -> AttemptStatus:
        counts = self._repository().counts()
        return self._evaluate(counts.consecutive_failures, counts.total_failures, counts.last_failure_at, counts.in_flight)

    def require(self) -> AttemptStatus:
        """The status if another attempt may start now; else raise LockedOut / PolicyRefusal."""
        return self._raise_unless_allowed(self.status())

    def reserve(self) -> AttemptStatus:
        """Take one try before a live run starts, atomically; raise LockedOut / PolicyRefusal when
        the limits leave none. The run must settle it: ``record_failure``, ``record_success`` or ``release``."""
        status = self._raise_unless_allowed(self.status())
        if not self._repository().change("reserve", self.ctx.clock.now(), self._limits()):
            self._raise_unless_allowed(self.status())  # taken by a parallel run between the two reads
            raise PolicyRefusal(_("Another selfie check of yours took the last try at the same moment."),
                                code="attempt_in_flight")
        return status

    def _raise_unless_allowed(self, status: AttemptStatus) -> AttemptStatus:
        if status.locked:
            raise LockedOut(status.message, hint=_(INTERVIEW_HINT))
        if not status.allowed:
            raise PolicyRefusal(status.message, code="attempt_in_flight" if status.in_flight else "attempt_wait")
        return status

    def record_failure(self) -> AttemptStatus:
        """A failed try: counted, and its reservation (if any) settled."""
        return self._update("failed")

    def record_success(self) -> AttemptStatus:
        return self._update("succeeded")

    def release(self) -> None:
        """The reserved run ended without a try (stopped before the challenge, a camera error)."""
        self._repository().change("released", self.ctx.clock.now(), self._limits())

    def expire_reservations(self, stale_seconds: float) -> int:
        """Reservations older than ``stale_seconds`` belong to runs that died: count each as a failure."""
        expired = self._repository().change("expire", self.ctx.clock.now(), self._limits(stale_seconds))
        if expired:
            self._audit("expired", self.status(), reservations=expired)
        return expired

    def _update(self, outcome: str) -> AttemptStatus:
        self._repository().change(outcome, self.ctx.clock.now(), self._limits())
        status = self.status()
        self._audit(outcome, status)
        return status

    def _audit(self, outcome: str, status: AttemptStatus, **extra) -> None:
        AuditLog(self.ctx).record("attempt", {
            "outcome": outcome,
            "consecutive_failures": status.consecutive_failures,
            "total_failures": status.total_failures,
            "locked": status.locked,
            **extra,
        }, subject=self.subject)

    def _evaluate(self, consecutive: int, total: int, last_failure_at: datetime | None, in_flight: int = 0) -> AttemptStatus:
        tries_left = max(0, self.max_consecutive - consecutive)
        if total >= self.max_total:
            message = ngettext("The selfie check is locked after {n} failed attempt. ",
                               "The selfie check is locked after {n} failed attempts. ", total).format(n=total) + \
                _("Please verify with a person instead: choose the interview (no camera, no face data).")
            return AttemptStatus(False, True, 0.0, 0, total, message, consecutive, in_flight)
        wait = 0.0
        if consecutive >= self.max_consecutive and last_failure_at is not None:
            elapsed = (self.ctx.clock.now() - utc(last_failure_at)).total_seconds()
            wait = max(0.0, self.wait - elapsed)
        left_in_total = self.max_total - total
        tries_before_lock = ngettext("{n} try left before the selfie check locks",
                                     "{n} tries left before the selfie check locks", left_in_total).format(n=left_in_total)
        if wait > 0:
            message = _("Too many failed attempts in a row. Please wait {seconds} s before trying again ({tries}).").format(
                seconds=math.ceil(wait), tries=tries_before_lock)
            return AttemptStatus(False, False, wait, 0, total, message, consecutive, in_flight)
        if in_flight and (total + in_flight >= self.max_total or consecutive + in_flight >= self.max_consecutive):
            message = _("Another selfie check of yours is still running, and its result decides whether you may try "
                        "again: please wait until it ends ({tries}).").format(tries=tries_before_lock)
            return AttemptStatus(False, False, 0.0, 0, total, message, consecutive, in_flight)
        if consecutive == 0:
            message = ""
        elif tries_left > 0:
            message = ngettext("{n} try left before you have to wait {seconds} s between tries.",
                               "{n} tries left before you have to wait {seconds} s between tries.", tries_left).format(
                n=tries_left, seconds=math.ceil(self.wait))
        else:
            message = _("Each new try now comes after a {seconds} s wait ({tries}).").format(
                seconds=math.ceil(self.wait), tries=tries_before_lock)
        return AttemptStatus(True, False, 0.0, tries_left, total, message, consecutive, in_flight)
