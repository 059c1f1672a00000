"""The append-only audit log and session timelines. Nothing biometric ever goes in.

``AuditLog.record`` refuses (``BiometricDataRefused``) any value that could carry an image, a
face encoding or landmarks: bytes, numpy arrays, long runs of numbers, or keys named like them.
Support staff build session timelines (``selfverify sessions``) on ``timeline`` and ``list_sessions``.

A session with no outcome is running; ``services/recovery.py`` closes the ones whose process died.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from selfverify.store.crashsafe import LivenessLock
from selfverify.store.repositories.sessions import SessionRepository
from selfverify.textcheck import check_handle

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
            raise BiometricDataRefused(f"{where}.{name}: biometric data is never written to the audit log")  # i18n: ignore (a bug, for developers)
        out[name] = _clean_value(value, f"{where}.{name}")
    return out


def _clean_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise BiometricDataRefused(f"{where}: raw bytes are never written to the audit log")  # i18n: ignore (a bug, for developers)
    if type(value).__module__.split(".")[0] == "numpy" or hasattr(value, "__array_interface__"):
        if getattr(value, "ndim", 1) == 0 and hasattr(value, "item"):
            return _clean_value(value.item(), where)  # a numpy scalar (e.g. a rounded distance)
        raise BiometricDataRefused(f"{where}: arrays are never written to the audit log")  # i18n: ignore (a bug, for developers)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return _clean_dict(value, where)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_clean_value(v, f"{where}[]") for v in value]
        if sum(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items) > _MAX_NUMBERS_IN_A_LIST:
            raise BiometricDataRefused(f"{where}: long number lists (encodings, landmarks) are never written to the audit log")  # i18n: ignore (a bug, for developers)
        return items
    return str(value)


class AuditLog:
    def __init__(self, ctx):
        self.ctx = ctx

    def record(self, kind: str, data: dict | None = None, session_id: str | None = None, *, subject: str | None = None) -> None:
        SessionRepository(self.ctx.db).add_event(
            at=self.ctx.clock.now(),
            subject=self.ctx.user if subject is None else subject,
            session_id=session_id,
            kind=kind,
            data=json.dumps(sanitize(data), separators=(",", ":"), sort_keys=True),
        )


# settings that name the person or this machine's places: never stored with a session
_NOT_RUN_SETTINGS = ("user", "home", "database_url", "keyring_service")


def run_settings(settings) -> dict[str, Any]:
    """The settings a run used, as stored with its session for support bundles: everything that
    shapes a decision, nothing that names the person, a file or a database (the camera by kind only)."""
    data = {k: v for k, v in settings.public_dict().items() if k not in _NOT_RUN_SETTINGS}
    camera = str(data.get("camera", ""))
    data["camera"] = "device" if camera.isdigit() or camera.startswith("/dev/") else "file or folder"  # i18n: ignore (stored data)
    return data


def session_settings(ctx, session_id: str) -> dict[str, Any] | None:
    """The settings stored with a session (None for a session of an earlier version)."""
    data = SessionRepository(ctx.db).settings_of(session_id)
    return json.loads(data) if data is not None else None


def session_lock_path(ctx, session_id: str) -> Path:
    return ctx.paths.data_dir / "locks" / "sessions" / f"{session_id}.lock"


class SessionRecorder:
    """One verification run: a ``verification_session`` row plus its timeline of audit events.

    While it runs, this process holds the session's liveness lock (released by ``finish``, or by
    the OS when the process dies), so start-up can tell a crashed session from a running one."""

    def __init__(self, ctx, method: str, seed: int | None = None):
        self.ctx = ctx
        self.id = uuid.uuid4().hex
        self.method = method
        self._log = AuditLog(ctx)
        # taken before the row exists, so no running row is ever seen without it (when it can be made)
        self._alive = LivenessLock(session_lock_path(ctx, self.id))
        self._alive.acquire()
        SessionRepository(ctx.db).start(
            id=self.id, subject=ctx.user, method=method, front_end=ctx.front_end, started_at=ctx.clock.now(), seed=seed,
            settings=json.dumps(sanitize(run_settings(ctx.settings)), sort_keys=True),
        )
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
        SessionRepository(self.ctx.db).finish(self.id, ended_at=self.ctx.clock.now(), outcome=outcome, reason=reason)
        self._log.record("session_finished", {"outcome": outcome, "reason": reason}, self.id)
        self._alive.release()


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

    @classmethod
    def of(cls, row) -> SessionSummary:  # noqa: ANN001  (a verification_session row)
        return cls(row.id, row.subject, row.method, row.front_end, row.started_at, row.ended_at, row.outcome,
                   row.reason, row.seed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "subject": self.subject, "method": self.method, "front_end": self.front_end,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "outcome": self.outcome, "reason": self.reason, "seed": self.seed,
        }


def timeline(ctx, session_id: str) -> list[dict[str, Any]]:
    """The session's events in order: ``{"at": iso time, "kind": ..., "data": {...}}``."""
    rows = SessionRepository(ctx.db).events_of_session(session_id)
    return [{"at": r.at.isoformat(), "kind": r.kind, "data": json.loads(r.data)} for r in rows]


def list_sessions(ctx, limit: int = 50, subject: str | None = None) -> list[SessionSummary]:
    """Newest sessions first (all subjects unless ``subject`` is given)."""
    rows = SessionRepository(ctx.db).newest(limit, check_handle(subject, "handle") if subject is not None else None)
    return [SessionSummary.of(r) for r in rows]


def events(ctx, subject: str | None = None, kind: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit events, oldest first, optionally for one subject and/or kind."""
    rows = SessionRepository(ctx.db).events(subject, kind, limit)
    return [
        {"at": r.at.isoformat(), "subject": r.subject, "session_id": r.session_id, "kind": r.kind, "data": json.loads(r.data)}
        for r in rows
    ]
