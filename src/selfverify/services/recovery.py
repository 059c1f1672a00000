"""Closing the sessions whose process died (run at every start-up by ``services/startup.py``).

A session with no outcome is running. ``close_interrupted_sessions`` marks the ones whose process
died ``interrupted``: at once when this computer holds the session's liveness lock file and nobody
holds the lock any more, else once nothing happened for ``stale_after``. An interrupted selfie run
with liveness on counts as a failed attempt unless its result was already counted or was not a
failure, so killing the process cannot dodge the attempt limit. Its reserved try is settled by
that failure; a reservation left by a run that died before its session could tell (older than
``stale_after``) becomes a failure too (``AttemptPolicy.expire_reservations``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from selfverify.core.clock import utc
from selfverify.core.decisions import is_failed_try
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.audit import AuditLog, session_lock_path
from selfverify.store.crashsafe import LivenessLock
from selfverify.store.repositories.sessions import SessionRepository

# a session silent for longer than this is dead even without a lock file to prove it (another
# computer's session on a shared database, or a lock file that could not be made)
_STALE_GRACE_SECONDS = 300.0


def stale_after(settings) -> timedelta:
    """How long a running session may stay silent before start-up calls it interrupted."""
    longest_run = max(settings.verify_timeout, settings.plain_run_timeout, 60.0)
    return timedelta(seconds=2 * longest_run + _STALE_GRACE_SECONDS)


@dataclass(frozen=True)
class InterruptedSession:
    id: str
    subject: str
    method: str
    attempt_counted: bool  # a failed attempt was recorded for it


def close_interrupted_sessions(ctx) -> list[InterruptedSession]:
    """Mark running sessions whose process died ``interrupted`` (ended at their last event)."""
    from selfverify.store.desk_roles import connection_role

    sessions = SessionRepository(ctx.db)
    running = sessions.running()
    if connection_role(ctx.db) is not None:  # a desk role closes its own runs only (staff write no one's timeline)
        running = [row for row in running if row.subject == ctx.user]
    closed = []
    now = ctx.clock.now()
    for row in running:
        lock = LivenessLock.state(session_lock_path(ctx, row.id))
        if lock == "held":
            continue
        last_event = sessions.last_event_at(row.id)
        last_seen = max(utc(row.started_at), utc(last_event)) if last_event else utc(row.started_at)
        if lock == "absent" and now - last_seen < stale_after(ctx.settings):
            continue
        if not sessions.mark_interrupted(row.id, last_seen):
            continue  # another process's start-up got there first
        AuditLog(ctx).record("session_finished", {"outcome": "interrupted", "reason": "process_ended"}, row.id,
                             subject=row.subject)
        counted = row.method == "selfie" and _owes_failed_attempt(ctx, row.id, row.subject)
        if counted:
            AttemptPolicy(ctx, subject=row.subject).record_failure()
        closed.append(InterruptedSession(row.id, row.subject, row.method, counted))
    _remove_abandoned_lock_files(ctx, {row.id for row in running} - {c.id for c in closed})
    for subject in sorted({ctx.user} | {c.subject for c in closed if c.method == "selfie"}):
        AttemptPolicy(ctx, subject=subject).expire_reservations(stale_after(ctx.settings).total_seconds())
    return closed


def _owes_failed_attempt(ctx, session_id: str, subject: str) -> bool:
    """A liveness run that died before its result was counted: a failure, unless it was not one."""
    steps = SessionRepository(ctx.db).events_of_session(session_id, ("preflight", "decision"))
    preflight = next((step for step in steps if step.kind == "preflight"), None)
    # SelfieService notes whether liveness was on in the session's "preflight" event
    if preflight is None or json.loads(preflight.data).get("liveness") is not True:
        return False  # a replay (liveness off) counts nothing, or the run died before it started
    decision = next((step for step in reversed(steps) if step.kind == "decision"), None)
    if decision is None:
        return True  # stopped mid-run: indistinguishable from walking away from a failing check
    data = json.loads(decision.data)
    if data.get("verified") or not is_failed_try(data.get("reason"), data.get("challenge_started", False)):
        return False
    return not _attempt_recorded_after(ctx, decision.id, subject)


def _attempt_recorded_after(ctx, event_id: int, subject: str) -> bool:
    """Whether the subject's next attempt-or-session event after ``event_id`` is the attempt count."""
    return SessionRepository(ctx.db).next_kind_after(subject, event_id, ("attempt", "session_started")) == "attempt"


def _remove_abandoned_lock_files(ctx, still_running: set[str]) -> None:
    """Lock files whose session ended without ``finish`` (e.g. an interview booking) and whose process is gone."""
    folder = session_lock_path(ctx, "x").parent
    if not folder.is_dir():
        return
    for path in folder.glob("*.lock"):
        if path.stem not in still_running and LivenessLock.state(path) == "abandoned":
            path.unlink(missing_ok=True)
