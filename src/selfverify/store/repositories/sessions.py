"""Verification sessions, their stored settings and the audit events (``verification_session``,
``session_settings``, ``audit_event``)."""

from __future__ import annotations

from datetime import datetime


class SessionRepository:
    def __init__(self, db):  # noqa: ANN001  (store.db.Database)
        self.db = db

    # audit events

    def add_event(self, *, at: datetime, subject: str, session_id: str | None, kind: str, data: str) -> None:
        from selfverify.store.models import AuditEvent

        with self.db.session() as s:
            s.add(AuditEvent(at=at, subject=subject, session_id=session_id, kind=kind, data=data))
            s.commit()

    def events_of_session(self, session_id: str, kinds: tuple[str, ...] | None = None) -> list:
        """The session's audit events in order (only ``kinds`` when given)."""
        from sqlmodel import select

        from selfverify.store.models import AuditEvent

        query = select(AuditEvent).where(AuditEvent.session_id == session_id)
        if kinds is not None:
            query = query.where(AuditEvent.kind.in_(kinds))
        with self.db.session() as s:
            return list(s.exec(query.order_by(AuditEvent.id)).all())

    def events(self, subject: str | None = None, kind: str | None = None, limit: int = 1000) -> list:
        """Audit events, oldest first, optionally for one subject and/or kind."""
        from sqlmodel import select

        from selfverify.store.models import AuditEvent

        query = select(AuditEvent)
        if subject is not None:
            query = query.where(AuditEvent.subject == subject)
        if kind is not None:
            query = query.where(AuditEvent.kind == kind)
        with self.db.session() as s:
            return list(s.exec(query.order_by(AuditEvent.id).limit(limit)).all())

    def last_event_at(self, session_id: str) -> datetime | None:
        from sqlmodel import func, select

        from selfverify.store.models import AuditEvent

        with self.db.session() as s:
            return s.exec(select(func.max(AuditEvent.at)).where(AuditEvent.session_id == session_id)).one()

    def next_kind_after(self, subject: str, event_id: int, kinds: tuple[str, ...]) -> str | None:
        """The kind of ``subject``'s first event of one of ``kinds`` after ``event_id``."""
        from sqlmodel import select

        from selfverify.store.models import AuditEvent

        with self.db.session() as s:
            return s.exec(select(AuditEvent.kind).where(AuditEvent.subject == subject, AuditEvent.id > event_id,
                                                        AuditEvent.kind.in_(kinds))
                          .order_by(AuditEvent.id).limit(1)).first()

    def redact_events(self, subject: str, erased: str) -> int:
        """The one change the append-only log allows: ``subject``'s events lose handle and details."""
        from sqlalchemy import update

        from selfverify.store.models import REDACTED_DATA, AuditEvent

        with self.db.session() as s:
            done = s.exec(update(AuditEvent).where(AuditEvent.subject == subject)
                          .values(subject=erased, data=REDACTED_DATA)).rowcount
            s.commit()
        return done

    # sessions

    def start(self, *, id: str, subject: str, method: str, front_end: str, started_at: datetime,  # noqa: A002
              seed: int | None, settings: str) -> None:
        """The session row and its settings, in one transaction."""
        from selfverify.store.models import SessionSettings, VerificationSession

        with self.db.session() as s:
            s.add(VerificationSession(id=id, subject=subject, method=method, front_end=front_end,
                                      started_at=started_at, seed=seed))
            s.add(SessionSettings(session_id=id, data=settings))
            s.commit()

    def finish(self, session_id: str, *, ended_at: datetime, outcome: str, reason: str | None) -> None:
        from selfverify.store.models import VerificationSession

        with self.db.session() as s:
            row = s.get(VerificationSession, session_id)
            if row is not None:
                row.ended_at, row.outcome, row.reason = ended_at, outcome, reason
                s.add(row)
                s.commit()

    def settings_of(self, session_id: str) -> str | None:
        """The stored settings (JSON) of a session; None for a session of an earlier version."""
        from selfverify.store.models import SessionSettings

        with self.db.session() as s:
            row = s.get(SessionSettings, session_id)
        return row.data if row is not None else None

    def running(self) -> list:
        """Sessions with neither an outcome nor an end."""
        from sqlmodel import select

        from selfverify.store.models import VerificationSession

        with self.db.session() as s:
            return list(s.exec(select(VerificationSession).where(VerificationSession.outcome.is_(None),
                                                                 VerificationSession.ended_at.is_(None))).all())

    def mark_interrupted(self, session_id: str, ended_at: datetime) -> bool:
        """End a running session as interrupted; False if another process ended it first."""
        from sqlalchemy import update

        from selfverify.store.models import VerificationSession

        with self.db.session() as s:
            result = s.exec(update(VerificationSession)
                            .where(VerificationSession.id == session_id, VerificationSession.outcome.is_(None))
                            .values(outcome="interrupted", reason="process_ended", ended_at=ended_at))
            s.commit()
        return bool(result.rowcount)

    def get(self, session_id: str):
        from selfverify.store.models import VerificationSession

        with self.db.session() as s:
            return s.get(VerificationSession, session_id)

    def with_prefix(self, prefix: str, limit: int = 2) -> list:
        from sqlmodel import select

        from selfverify.store.models import VerificationSession

        with self.db.session() as s:
            return list(s.exec(select(VerificationSession).where(VerificationSession.id.startswith(prefix))
                               .limit(limit)).all())

    def newest(self, limit: int, subject: str | None = None) -> list:
        from sqlmodel import select

        from selfverify.store.models import VerificationSession

        query = select(VerificationSession)
        if subject is not None:
            query = query.where(VerificationSession.subject == subject)
        query = query.order_by(VerificationSession.started_at.desc(), VerificationSession.id).limit(limit)
        with self.db.session() as s:
            return list(s.exec(query).all())
