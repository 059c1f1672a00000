"""All tables. Nothing here may hold biometric data (no image, encoding or landmark column).

Datetimes are stored as naive UTC and returned as aware UTC (``UTCDateTime``), the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DDL, CheckConstraint, DateTime, Index, UniqueConstraint, event
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 1


class UTCDateTime(TypeDecorator):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def result_processor(self, dialect, coltype):
        """A stored date that cannot be read (a damaged or hand-edited database) is a storage
        error naming the value, never a crash."""
        inner = super().result_processor(dialect, coltype)
        if inner is None:
            return None

        def process(value):
            try:
                return inner(value)
            except (ValueError, TypeError, OverflowError):
                from selfverify.errors import DatabaseError

                raise DatabaseError(f"The database holds a date that cannot be read ({str(value)[:40]!r}): it is damaged.",
                                    code="database_damaged",
                                    hint="Restore it from a backup, or run 'selfverify doctor' to see what else is wrong.") from None

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _dt(**kw):
    return Field(sa_type=UTCDateTime, **kw)


class SchemaInfo(SQLModel, table=True):
    __tablename__ = "schema_info"
    key: str = Field(primary_key=True)
    value: str


class VerificationSession(SQLModel, table=True):
    """One run of a flow (selfie or interview); its timeline is the audit events with its id."""

    __tablename__ = "verification_session"
    id: str = Field(primary_key=True)
    subject: str = Field(index=True)
    method: str  # selfie | interview
    front_end: str = "cli"  # tui | plain | cli
    started_at: datetime = _dt()
    ended_at: datetime | None = _dt(default=None)
    outcome: str | None = None  # verified | rejected | error | cancelled | booked ...
    reason: str | None = None
    seed: int | None = None


class AuditEvent(SQLModel, table=True):
    """Append-only: the database refuses DELETE, and every UPDATE but one, the erasure redaction
    (``subject`` -> ``ERASED_SUBJECT`` and ``data`` -> ``REDACTED_DATA``, id, time, kind and session
    unchanged, once). ``data`` is JSON with no biometric content."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _dt(index=True)
    subject: str = Field(index=True)
    session_id: str | None = Field(default=None, index=True)
    kind: str = Field(index=True)
    data: str = "{}"


# "delete everything" redacts a person's events: the subject becomes '' (no handle can be empty)
# and the data this marker; nothing else may change, and a redacted event can never change again
ERASED_SUBJECT = ""
REDACTED_DATA = '{"redacted":true}'
AUDIT_RULES_VERSION = "2"  # schema_info "audit_rules": 2 = append-only with the erasure redaction
_REDACTION = (
    f"OLD.subject <> '{ERASED_SUBJECT}' AND NEW.subject = '{ERASED_SUBJECT}' AND NEW.data = '{REDACTED_DATA}' "
    "AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.kind = OLD.kind AND {same_session}"
)
AUDIT_APPEND_ONLY_SQLITE = (
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    f"WHEN NOT ({_REDACTION.replace('{same_session}', 'NEW.session_id IS OLD.session_id')}) "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
)
AUDIT_APPEND_ONLY_POSTGRES = (
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ BEGIN "
    f"IF TG_OP = 'UPDATE' AND {_REDACTION.replace('{same_session}', 'NEW.session_id IS NOT DISTINCT FROM OLD.session_id')} "
    "THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'audit_event is append-only'; END $$ LANGUAGE plpgsql",
)
_AUDIT_TRIGGER_POSTGRES = (
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)
_AUDIT_APPEND_ONLY_SQLITE = AUDIT_APPEND_ONLY_SQLITE
_AUDIT_APPEND_ONLY_POSTGRES = (*AUDIT_APPEND_ONLY_POSTGRES, _AUDIT_TRIGGER_POSTGRES)
for _statement in _AUDIT_APPEND_ONLY_SQLITE:
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in _AUDIT_APPEND_ONLY_POSTGRES:
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class SessionSettings(SQLModel, table=True):
    """The settings a verification run used (no handle, paths or database URL), for support bundles."""

    __tablename__ = "session_settings"
    session_id: str = Field(primary_key=True)
    data: str = "{}"


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consent_record"
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True)
    notice_version: str
    choice: str  # accepted | declined | withdrawn
    at: datetime = _dt()


class AttemptCounter(SQLModel, table=True):
    __tablename__ = "attempt_counter"
    subject: str = Field(primary_key=True)
    consecutive_failures: int = 0
    total_failures: int = 0
    last_failure_at: datetime | None = _dt(default=None)


class CredentialRecord(SQLModel, table=True):
    """The token itself lives only in the OS keyring."""

    __tablename__ = "credential_record"
    id: str = Field(primary_key=True)
    subject: str = Field(index=True)
    method: str  # selfie | interview
    issued_at: datetime = _dt()
    expires_at: datetime = _dt()
    # pending -> issued -> revoked | superseded; pending -> rolled_back; issued -> missing (token lost from the keyring)
    status: str = Field(default="pending", index=True)
    revoked_at: datetime | None = _dt(default=None)
    # an interview appointment earns at most one credential: enforced by the database
    appointment_id: int | None = Field(default=None, unique=True)


class RetainedPhoto(SQLModel, table=True):
    """Metadata of an opted-in, encrypted photo; the key is in the keyring, the ciphertext in the vault."""

    __tablename__ = "retained_photo"
    id: str = Field(primary_key=True)
    subject: str = Field(index=True)
    kind: str  # reference | selfie
    created_at: datetime = _dt()
    expires_at: datetime = _dt(index=True)
    size: int = 0  # bytes of the original photo
    content_type: str = "image/jpeg"
    status: str = Field(default="pending", index=True)  # pending | stored | deleting | deleted
    # set when deletion starts, so a deletion interrupted by a crash resumes with its reason
    delete_reason: str | None = None
    deleted_at: datetime | None = _dt(default=None)


class DeletionReceipt(SQLModel, table=True):
    """Proof that something was deleted: what, when and why; never the thing itself."""

    __tablename__ = "deletion_receipt"
    id: str = Field(primary_key=True)
    # the photo id or credential id; for record sets (consent, attempts) a fresh id
    item_id: str = Field(unique=True)
    subject: str = Field(index=True)
    kind: str  # reference | selfie | credential | consent_records | attempt_counter
    deleted_at: datetime = _dt(index=True)
    reason: str  # user | expiry | consent_withdrawn | delete_all | interrupted


class InterviewSlot(SQLModel, table=True):
    __tablename__ = "interview_slot"
    __table_args__ = (
        UniqueConstraint("starts_at", "agent", name="uq_slot_start_agent"),
        CheckConstraint("status IN ('open', 'removed')", name="ck_slot_status"),
        CheckConstraint("duration_minutes > 0", name="ck_slot_duration"),
    )
    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = _dt(index=True)
    duration_minutes: int = 20
    agent: str = ""
    timezone: str = "UTC"  # the zone the agent defined it in, for display
    status: str = "open"  # open | removed
    created_at: datetime = _dt()


class Appointment(SQLModel, table=True):
    """A booking: a handle and a contact line, never a photo or document image."""

    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_subject_status", "subject", "status"),
        CheckConstraint(
            "status IN ('booked', 'cancelled', 'approved', 'declined', 'expired')", name="ck_appointment_status"
        ),
        # the "active" columns are the database's guard against double booking; keep them consistent
        CheckConstraint("active_slot_id IS NULL OR active_slot_id = slot_id", name="ck_appointment_active_slot"),
        CheckConstraint(
            "(status = 'booked') = (active_subject IS NOT NULL AND active_slot_id IS NOT NULL)",
            name="ck_appointment_active_when_booked",
        ),
        CheckConstraint(
            "status IN ('booked', 'cancelled', 'expired') OR decided_by IS NOT NULL", name="ck_appointment_decider"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="interview_slot.id", index=True)
    # equals slot_id while the booking is active, NULL once it ends: UNIQUE forbids double booking
    active_slot_id: int | None = Field(default=None, unique=True)
    # equals subject while the booking is active: UNIQUE allows one open booking per person
    active_subject: str | None = Field(default=None, unique=True)
    subject: str = Field(index=True)
    contact: str = ""
    code: str = Field(unique=True)
    status: str = "booked"  # booked | cancelled | approved | declined | expired
    booked_at: datetime = _dt()
    decided_at: datetime | None = _dt(default=None)
    decided_by: str | None = None
    decision_reason: str | None = None
    checklist: str = "[]"  # JSON list of document types seen (never images)
    credential_id: str | None = None
    session_id: str | None = None
