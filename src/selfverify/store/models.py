"""All tables. Nothing here may hold biometric data (no image, encoding or landmark column).

Datetimes are stored as naive UTC and returned as aware UTC (``UTCDateTime``), the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DDL, CheckConstraint, DateTime, Index, UniqueConstraint, event
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 7  # 2: consent language; 3: slot details, accommodations, notices; 4: interview timing;
# 5: attempt reservations (sec-pg); 6: decision_record binds its credential (ids, digests), credential_record
# names its signing key; 7: a booking's language


def _language_now() -> str:
    """The language the person uses now: a booking or a queue entry remembers it, so staff know in
    which language to call (schema 7; rows from before read as English)."""
    from selfverify.i18n import current_language

    return current_language()


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

                from selfverify.i18n import _

                raise DatabaseError(_("The database holds a date that cannot be read ({value!r}): it is damaged.").format(
                                        value=str(value)[:40]),
                                    code="database_damaged",
                                    hint=_("Restore it from a backup, or run 'selfverify doctor' to see what else is wrong.")) from None

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


def append_only(table, allowed_update: str | None = None) -> None:  # noqa: ANN001
    """Make the database itself refuse UPDATE and DELETE on ``table`` (SQLite and PostgreSQL triggers),
    except an UPDATE whose OLD/NEW values satisfy ``allowed_update`` (an erasure's one-way redaction)."""
    for statement, dialect in append_only_statements(table.name, allowed_update):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))


def append_only_statements(name: str, allowed_update: str | None) -> list[tuple[str, str]]:
    """(statement, dialect) pairs that install the append-only triggers of table ``name`` (also used by
    migrations to replace them). ``{same}`` in ``allowed_update`` becomes each dialect's NULL-safe equality."""
    allowed_sqlite = (allowed_update or "FALSE").replace("{same}", "IS")
    allowed_pg = (allowed_update or "FALSE").replace("{same}", "IS NOT DISTINCT FROM")
    sqlite = (
        f"CREATE TRIGGER IF NOT EXISTS {name}_no_update BEFORE UPDATE ON {name} WHEN NOT ({allowed_sqlite}) "
        f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_no_delete BEFORE DELETE ON {name} "
        f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END",
    )
    postgres = (
        f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' AND ({allowed_pg}) THEN RETURN NEW; END IF; "
        f"RAISE EXCEPTION '{name} is append-only'; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {name} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()",
    )
    return [(statement, "sqlite") for statement in sqlite] + [(statement, "postgresql") for statement in postgres]



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
    notice_language: str = "en"  # the language of the notice text the person read (schema 2)
    choice: str  # accepted | declined | withdrawn
    at: datetime = _dt()


class AttemptCounter(SQLModel, table=True):
    __tablename__ = "attempt_counter"
    subject: str = Field(primary_key=True)
    consecutive_failures: int = 0
    total_failures: int = 0
    last_failure_at: datetime | None = _dt(default=None)
    # schema 5: tries taken and not yet settled (a run reserves one before it starts; a run that died
    # leaves its reservation, which counts against the limit and becomes a failure at recovery)
    in_flight: int = 0
    reserved_at: datetime | None = _dt(default=None)  # the latest reservation


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
    # which key signed it (RFC 7638 thumbprint) and its kind: device | kiosk | agent (None: issued before schema 6)
    signer_kid: str | None = None
    signer_kind: str | None = None


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
    # JSON: how the interview happens (channel, link/number/address, instructions, documents), the desk's
    # defaults merged with this slot's overrides when the slot was added (schema 3)
    details: str | None = None


APPOINTMENT_STATUSES = ("booked", "cancelled", "approved", "declined", "expired", "no_show")
APPOINTMENT_STATUS_CHECK = "status IN (" + ", ".join(f"'{x}'" for x in APPOINTMENT_STATUSES) + ")"


class Appointment(SQLModel, table=True):
    """A booking: a handle and a contact line, never a photo or document image."""

    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_subject_status", "subject", "status"),
        CheckConstraint(
            APPOINTMENT_STATUS_CHECK, name="ck_appointment_status"
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
    status: str = "booked"  # booked | cancelled | approved | declined | expired | no_show
    booked_at: datetime = _dt()
    decided_at: datetime | None = _dt(default=None)
    decided_by: str | None = None
    decision_reason: str | None = None
    # the language the person used when booking (an i18n code such as "es"): staff call in it (schema 7)
    language: str = Field(default_factory=_language_now)
    checklist: str = "[]"  # JSON list of document types seen (never images)
    credential_id: str | None = None
    session_id: str | None = None
    # schema 4 (i21-timing): when the agent started the interview (its length = decided_at - started_at,
    # for the queue's estimate) and how many minutes the agent is running late (start moved, within the grace)
    started_at: datetime | None = _dt(default=None)
    late_minutes: int = 0
    accommodations: str | None = None  # JSON: interpreter language, captions, phone instead of video, a note (schema 3)


class InterviewQueueEntry(SQLModel, table=True):
    """A person waiting for the next free agent (on-demand interview). Taking one creates a slot that
    starts now and a booked appointment, so the decision and the credential follow the booking's path."""

    __tablename__ = "interview_queue"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'taken', 'left')", name="ck_queue_status"),
        CheckConstraint("(status = 'waiting') = (active_subject IS NOT NULL)", name="ck_queue_active_when_waiting"),
    )
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True)
    active_subject: str | None = Field(default=None, unique=True)  # one waiting entry per person
    contact: str = ""
    status: str = Field(default="waiting", index=True)  # waiting | taken | left
    joined_at: datetime = _dt(index=True)
    taken_by: str | None = None
    taken_at: datetime | None = _dt(default=None)
    appointment_id: int | None = Field(default=None, unique=True)
    language: str = Field(default_factory=_language_now)  # the person's, when joining (schema 7)


class AgentDuty(SQLModel, table=True):
    """An agent who is on duty for the on-demand queue (the row exists while they are)."""

    __tablename__ = "agent_duty"
    agent: str = Field(primary_key=True)
    since: datetime = _dt()


class DeskSetting(SQLModel, table=True):
    """A desk-wide booking rule (minimum lead time, horizon), set by the desk and binding every booker."""

    __tablename__ = "desk_setting"
    key: str = Field(primary_key=True)
    value: str
    set_by: str = ""
    set_at: datetime = _dt()


class InterviewNotice(SQLModel, table=True):
    """One e-mail notice about an appointment (confirmation, reminder, decision): sent once, recorded.

    Holds no message text, only what was sent when and the last failure (retried until sent)."""

    __tablename__ = "interview_notice"
    __table_args__ = (
        UniqueConstraint("appointment_id", "kind", "slot_id", name="uq_notice_once"),
        CheckConstraint("kind IN ('confirmation', 'reminder', 'decision')", name="ck_notice_kind"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'unsendable')", name="ck_notice_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    slot_id: int  # a reschedule earns a new confirmation and reminder for the new time
    kind: str
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = _dt()
    tried_at: datetime | None = _dt(default=None)  # the last attempt (a crashed sender's claim lapses after a while)
    sent_at: datetime | None = _dt(default=None)


class RevokedCredential(SQLModel, table=True):
    """A revocation tombstone: the credential id and when, nothing personal. ``data delete-all`` keeps
    it, so an erased credential can never verify again on the installation that issued it."""

    __tablename__ = "revoked_credential"
    id: str = Field(primary_key=True)
    revoked_at: datetime = _dt()


# ---------------------------------------------------------------- the desk (services/desk.py)


class DeskInfo(SQLModel, table=True):
    """The desk this database serves: one row, written by ``selfverify desk init``."""

    __tablename__ = "desk_info"
    __table_args__ = (CheckConstraint("singleton = 1", name="ck_desk_info_one_row"),)
    id: str = Field(primary_key=True)  # the desk id, in every interview credential's iss
    singleton: int = Field(default=1, unique=True)  # one desk per database, enforced by the database
    admin: str  # handle (PostgreSQL: role) of the admin who created it
    admin_jwk: str  # public JWK of the admin's desk-key: every enrolment is signed by it
    created_at: datetime = _dt()


class DeskKey(SQLModel, table=True):
    """A public key the desk vouches for: an enrolled agent's or an enrolled kiosk's (never a private key)."""

    __tablename__ = "desk_key"
    __table_args__ = (
        CheckConstraint("kind IN ('agent', 'kiosk')", name="ck_desk_key_kind"),
        UniqueConstraint("kind", "handle", name="uq_desk_key_handle"),
    )
    kid: str = Field(primary_key=True)  # RFC 7638 thumbprint of the public key
    kind: str  # agent | kiosk
    handle: str  # the agent's handle (PostgreSQL: its role) or the kiosk's name
    jwk: str  # the public JWK (JSON)
    enrolment: str  # JWS by the admin's desk-key over desk, kind, handle and jwk
    enrolled_by: str
    enrolled_at: datetime = _dt()


class KioskAdmission(SQLModel, table=True):
    """A person admitted at the desk's kiosk by an enrolled agent who checked who they are: the kiosk
    issues a selfie credential only for the subject an admission names, once (the row is consumed)."""

    __tablename__ = "kiosk_admission"
    id: str = Field(primary_key=True)  # the admission token's jti
    subject: str = Field(index=True)  # the identity the agent entered (never the person's own --user)
    agent: str
    token: str  # JWS by the agent's enrolled key, typ selfverify-admission+jwt, short-lived
    created_at: datetime = _dt()
    expires_at: datetime = _dt()


class DecisionRecord(SQLModel, table=True):
    """An agent's signed decision on an appointment. Append-only; one per appointment."""

    __tablename__ = "decision_record"
    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(unique=True)
    subject: str = Field(index=True)
    outcome: str  # approved | declined
    agent: str  # the handle named by the signing key
    kid: str  # which enrolled key signed
    documents_seen: str = "[]"  # JSON list of document types (never images)
    decided_at: datetime = _dt()
    token: str  # the decision, a JWS by the agent's key
    # approved: the interview credential (JWS by the same key) and its SD-JWT, fetched by the person's
    # app and cleared once picked up (no bearer token stays in the shared database)
    credential: str | None = None
    credential_sd: str | None = None
    decision_id: str | None = Field(default=None, unique=True)  # the decision token's jti (the credential's "decision")
    credential_id: str | None = Field(default=None, unique=True)  # the credential's jti
    # base64url SHA-256 of the issuer-signed JWS of each form: what stays after pickup, what verify compares
    credential_digest: str | None = None
    credential_sd_digest: str | None = None


# "delete everything": the person's handle and the signed tokens (which name them) go; who decided,
# what and when stay. Once redacted, a decision can never change again. "{same}" is the NULL-safe
# equality of each dialect (IS / IS NOT DISTINCT FROM).
_DECISION_KEPT = ("id", "appointment_id", "outcome", "agent", "kid", "documents_seen", "decided_at", "decision_id",
                  "credential_id", "credential_digest", "credential_sd_digest")
DECISION_REDACTION = (
    "OLD.subject <> '' AND NEW.subject = '' AND NEW.token = '' AND NEW.credential IS NULL "
    "AND NEW.credential_sd IS NULL AND " + " AND ".join(f"NEW.{c} {{same}} OLD.{c}" for c in _DECISION_KEPT)
)
# pickup: the person's app clears the bearer tokens once stored in its keyring; the digests stay
DECISION_PICKUP = (
    "OLD.credential IS NOT NULL AND NEW.credential IS NULL AND NEW.credential_sd IS NULL "
    "AND NEW.credential_digest IS NOT NULL AND NEW.subject = OLD.subject AND NEW.token = OLD.token AND "
    + " AND ".join(f"NEW.{c} {{same}} OLD.{c}" for c in _DECISION_KEPT)
)
DECISION_CHANGES = f"({DECISION_REDACTION}) OR ({DECISION_PICKUP})"
append_only(DecisionRecord.__table__, DECISION_CHANGES)
