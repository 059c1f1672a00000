"""The append-only audit log and session timelines. Nothing biometric ever goes in.

``AuditLog.record`` refuses (``BiometricDataRefused``) any value that could carry an image, a
face encoding or landmarks: bytes, numpy arrays, long runs of numbers, or keys named like them.
Support staff build session timelines (``selfverify sessions``) on ``timeline`` and ``list_sessions``.

A session with no outcome is running. ``close_interrupted_sessions`` (every start-up) marks the
ones whose process died ``interrupted``: at once when this computer holds the session's liveness
lock file and nobody holds the lock any more, else once nothing happened for ``stale_after``.
An interrupted selfie run with liveness on counts as a failed attempt unless its result was
already counted or was not a failure, so killing the process cannot dodge the attempt limit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# keys whose values are biometric by name, whatever their type
_BIOMETRIC_KEYS = frozenset({
    "image", "images", "frame", "frames", "photo", "pixels", "encoding", "encodings", "face_encoding",
    "embedding", "embeddings", "landmarks", "face_landmarks", "template", "jpeg", "png",
})
# a 128-d face encoding or 68 landmark points is a long list of numbers; no audit value needs one
_MAX_NUMBERS_IN_A_LIST = 16
_MAX_TEXT = 2000


class BiometricDataRefused(ValueError):
    """A caller tried to put image, encoding or landmark data into the audit log (a bug)."""


def sanitize(data: dict[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe copy of ``data``; raise BiometricDataRefused on anything biometric-looking."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TypeError(f"audit data must be a dict, not {type(data).__name__}")
    return _clean_dict(data, "data")


def _clean_dict(data: dict, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        if name.lower() in _BIOMETRIC_KEYS:
            raise BiometricDataRefused(f"{where}.{name}: biometric data is never written to the audit log")
        out[name] = _clean_value(value, f"{where}.{name}")
    return out


def _clean_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise BiometricDataRefused(f"{where}: raw bytes are never written to the audit log")
    if type(value).__module__.split(".")[0] == "numpy" or hasattr(value, "__array_interface__"):
        if getattr(value, "ndim", 1) == 0 and hasattr(value, "item"):
            return _clean_value(value.item(), where)  # a numpy scalar (e.g. a rounded distance)
        raise BiometricDataRefused(f"{where}: arrays are never written to the audit log")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return _clean_dict(value, where)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_clean_value(v, f"{where}[]") for v in value]
        if sum(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items) > _MAX_NUMBERS_IN_A_LIST:
            raise BiometricDataRefused(f"{where}: long number lists (encodings, landmarks) are never written to the audit log")
        return items
    return str(value)


class AuditLog:
    def __init__(self, ctx):
        self.ctx = ctx

    def record(self, kind: str, data: dict | None = None, session_id: str | None = None, *, subject: str | None = None) -> None:
        from selfverify.store.models import AuditEvent

        row = AuditEvent(
            at=self.ctx.clock.now(),
            subject=self.ctx.user if subject is None else subject,
            session_id=session_id,
            kind=kind,
            data=json.dumps(sanitize(data), separators=(",", ":"), sort_keys=True),
        )
        with self.ctx.db.session() as s:
            s.add(row)
            s.commit()


# settings that name the person or this machine's places: never stored with a session
_NOT_RUN_SETTINGS = ("user", "home", "database_url", "keyring_service")


def run_settings(settings) -> dict[str, Any]:
    """The settings a run used, as stored with its session for support bundles: everything that
    shapes a decision, nothing that names the person, a file or a database (the camera by kind only)."""
    data = {k: v for k, v in settings.public_dict().items() if k not in _NOT_RUN_SETTINGS}
    camera = str(data.get("camera", ""))
    data["camera"] = "device" if camera.isdigit() or camera.startswith("/dev/") else "file or folder"
    return data


def session_settings(ctx, session_id: str) -> dict[str, Any] | None:
    """The settings stored with a session (None for a session of an earlier version)."""
    from selfverify.store.models import SessionSettings

    with ctx.db.session() as s:
        row = s.get(SessionSettings, session_id)
    return json.loads(row.data) if row is not None else None


def session_lock_path(ctx, session_id: str) -> Path:
    return ctx.paths.data_dir / "locks" / "sessions" / f"{session_id}.lock"


class SessionRecorder:
    """One verification run: a ``verification_session`` row plus its timeline of audit events.

    While it runs, this process holds the session's liveness lock (released by ``finish``, or by
    the OS when the process dies), so start-up can tell a crashed session from a running one."""

    def __init__(self, ctx, method: str, seed: int | None = None):
        from selfverify.services.crashsafe import LivenessLock
        from selfverify.store.models import SessionSettings, VerificationSession

        self.ctx = ctx
        self.id = uuid.uuid4().hex
        self.method = method
        self._log = AuditLog(ctx)
        # taken before the row exists, so no running row is ever seen without it (when it can be made)
        self._alive = LivenessLock(session_lock_path(ctx, self.id))
        self._alive.acquire()
        with ctx.db.session() as s:
            s.add(VerificationSession(
                id=self.id, subject=ctx.user, method=method, front_end=ctx.front_end,
                started_at=ctx.clock.now(), seed=seed,
            ))
            s.add(SessionSettings(session_id=self.id, data=json.dumps(sanitize(run_settings(ctx.settings)), sort_keys=True)))
            s.commit()
        self._log.record("session_started", {"method": method, "front_end": ctx.front_end, "seed": seed}, self.id)

    def event(self, ev) -> None:
        """Store a flow event's timeline form; preview frames are never stored."""
        if not getattr(ev, "in_timeline", True):
            return
        data = ev.to_timeline()
        kind = data.pop("kind", getattr(ev, "kind", "event"))
        self._log.record(kind, data, self.id)

    def note(self, kind: str, **data: Any) -> None:
        self._log.record(kind, data, self.id)

    def finish(self, outcome: str, reason: str | None = None) -> None:
        from selfverify.store.models import VerificationSession

        now = self.ctx.clock.now()
        with self.ctx.db.session() as s:
            row = s.get(VerificationSession, self.id)
            if row is not None:
                row.ended_at = now
                row.outcome = outcome
                row.reason = reason
                s.add(row)
                s.commit()
        self._log.record("session_finished", {"outcome": outcome, "reason": reason}, self.id)
        self._alive.release()


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
    from sqlmodel import func, select

    from selfverify.core.clock import utc
    from selfverify.services.crashsafe import LivenessLock
    from selfverify.store.models import AuditEvent, VerificationSession

    with ctx.db.session() as s:
        running = s.exec(select(VerificationSession).where(VerificationSession.outcome.is_(None),
                                                           VerificationSession.ended_at.is_(None))).all()
    closed = []
    now = ctx.clock.now()
    for row in running:
        lock = LivenessLock.state(session_lock_path(ctx, row.id))
        if lock == "held":
            continue
        with ctx.db.session() as s:
            last_event = s.exec(select(func.max(AuditEvent.at)).where(AuditEvent.session_id == row.id)).one()
        last_seen = max(utc(row.started_at), utc(last_event)) if last_event else utc(row.started_at)
        if lock == "absent" and now - last_seen < stale_after(ctx.settings):
            continue
        if not _mark_interrupted(ctx, row.id, last_seen):
            continue  # another process's start-up got there first
        AuditLog(ctx).record("session_finished", {"outcome": "interrupted", "reason": "process_ended"}, row.id,
                             subject=row.subject)
        counted = row.method == "selfie" and _owes_failed_attempt(ctx, row.id, row.subject)
        if counted:
            from selfverify.services.attempts import AttemptPolicy

            AttemptPolicy(ctx, subject=row.subject).record_failure()
        closed.append(InterruptedSession(row.id, row.subject, row.method, counted))
    _remove_abandoned_lock_files(ctx, {row.id for row in running} - {c.id for c in closed})
    return closed


def _mark_interrupted(ctx, session_id: str, ended_at: datetime) -> bool:
    from sqlalchemy import update

    from selfverify.store.models import VerificationSession

    with ctx.db.session() as s:
        result = s.exec(update(VerificationSession)
                        .where(VerificationSession.id == session_id, VerificationSession.outcome.is_(None))
                        .values(outcome="interrupted", reason="process_ended", ended_at=ended_at))
        s.commit()
    return bool(result.rowcount)


def _owes_failed_attempt(ctx, session_id: str, subject: str) -> bool:
    """A liveness run that died before its result was counted: a failure, unless it was not one."""
    from sqlmodel import select

    from selfverify.services.selfie import is_failed_try
    from selfverify.store.models import AuditEvent

    with ctx.db.session() as s:
        steps = s.exec(select(AuditEvent).where(AuditEvent.session_id == session_id,
                                                AuditEvent.kind.in_(("preflight", "decision")))
                       .order_by(AuditEvent.id)).all()
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
    from sqlmodel import select

    from selfverify.store.models import AuditEvent

    with ctx.db.session() as s:
        following = s.exec(select(AuditEvent.kind).where(AuditEvent.subject == subject, AuditEvent.id > event_id,
                                                         AuditEvent.kind.in_(("attempt", "session_started")))
                           .order_by(AuditEvent.id).limit(1)).first()
    return following == "attempt"


def _remove_abandoned_lock_files(ctx, still_running: set[str]) -> None:
    """Lock files whose session ended without ``finish`` (e.g. an interview booking) and whose process is gone."""
    from selfverify.services.crashsafe import LivenessLock

    folder = session_lock_path(ctx, "x").parent
    if not folder.is_dir():
        return
    for path in folder.glob("*.lock"):
        if path.stem not in still_running and LivenessLock.state(path) == "abandoned":
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class SessionSummary:
    id: str
    subject: str
    method: str
    front_end: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    reason: str | None
    seed: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "subject": self.subject, "method": self.method, "front_end": self.front_end,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "outcome": self.outcome, "reason": self.reason, "seed": self.seed,
        }


def timeline(ctx, session_id: str) -> list[dict[str, Any]]:
    """The session's events in order: ``{"at": iso time, "kind": ..., "data": {...}}``."""
    from sqlmodel import select

    from selfverify.store.models import AuditEvent

    with ctx.db.session() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.session_id == session_id).order_by(AuditEvent.id)).all()
    return [{"at": r.at.isoformat(), "kind": r.kind, "data": json.loads(r.data)} for r in rows]


def list_sessions(ctx, limit: int = 50, subject: str | None = None) -> list[SessionSummary]:
    """Newest sessions first (all subjects unless ``subject`` is given)."""
    from sqlmodel import select

    from selfverify.store.models import VerificationSession

    query = select(VerificationSession)
    if subject is not None:
        from selfverify.textcheck import check_handle

        query = query.where(VerificationSession.subject == check_handle(subject, "handle"))
    query = query.order_by(VerificationSession.started_at.desc(), VerificationSession.id).limit(limit)
    with ctx.db.session() as s:
        rows = s.exec(query).all()
    return [
        SessionSummary(r.id, r.subject, r.method, r.front_end, r.started_at, r.ended_at, r.outcome, r.reason, r.seed)
        for r in rows
    ]


def events(ctx, subject: str | None = None, kind: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit events, oldest first, optionally for one subject and/or kind."""
    from sqlmodel import select

    from selfverify.store.models import AuditEvent

    query = select(AuditEvent)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if kind is not None:
        query = query.where(AuditEvent.kind == kind)
    with ctx.db.session() as s:
        rows = s.exec(query.order_by(AuditEvent.id).limit(limit)).all()
    return [
        {"at": r.at.isoformat(), "subject": r.subject, "session_id": r.session_id, "kind": r.kind, "data": json.loads(r.data)}
        for r in rows
    ]
