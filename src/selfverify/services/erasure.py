"""``data delete-all`` and ``consent withdraw``: erase everything selfverify keeps about one user, leaving only receipts.

Photos are crypto-shredded, the credential is revoked and removed from the keyring and its rows
deleted, consent records are deleted, interview appointments (contact
line, the agent's note) and session rows (seed, reason, the settings used) are deleted, and the
rows of deleted photos keep only what their receipt says (id, kind, deletion time: the vault
needs the ids it owned; size and dates are cleared). The person's audit events are redacted: the
append-only log allows exactly one change, subject -> '' and data -> {"redacted": true}, keeping
each event's id, time, kind and session, so the log still shows that something happened, in
order, but not to whom or with what details. Each erased set gets a deletion receipt (what,
when, why; nothing biometric): the receipts are the only rows left that carry the handle.
The selfie attempt counter is kept: it holds no biometric data (counts and times), and erasing
it would give a locked-out person a fresh set of tries. When photos or a credential are kept, the keyring is checked first: without it nothing at all
is deleted. Every step is idempotent: an erasure killed half-way finishes when run again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from selfverify.i18n import N_, _
from selfverify.services.audit import AuditLog
from selfverify.services.consent import ConsentService, ConsentStatus
from selfverify.services.credentials import CredentialService
from selfverify.services.vault import PhotoVault, add_receipt
from selfverify.store.repositories.sessions import SessionRepository

# what an erasure keeps of the attempt limit, for the front ends' "Kept:" lines (English; mark it where shown)
ATTEMPTS_KEPT = N_("the count of your failed selfie tries (numbers and times, no face data), so a locked selfie "
                    "check stays locked")
ERASED_SUBJECT = ""  # selfverify.store.models.ERASED_SUBJECT (not imported here: sqlmodel is heavy)


@dataclass
class ErasureReport:
    photos_deleted: int = 0
    credentials_deleted: int = 0
    consent_records_deleted: int = 0
    attempt_counter_deleted: bool = False  # always False since schema 5: the counter is kept (KEPT)
    appointments_deleted: int = 0
    sessions_deleted: int = 0
    audit_events_redacted: int = 0
    receipts: list = field(default_factory=list)  # DeletionReceiptInfo written by this erasure

    def as_dict(self) -> dict:
        return {
            "photos_deleted": self.photos_deleted,
            "credentials_deleted": self.credentials_deleted,
            "consent_records_deleted": self.consent_records_deleted,
            "attempt_counter_deleted": self.attempt_counter_deleted,
            "appointments_deleted": self.appointments_deleted,
            "sessions_deleted": self.sessions_deleted,
            "audit_events_redacted": self.audit_events_redacted,
            "receipts": [r.as_dict() for r in self.receipts],
            "kept": _("deletion receipts (with your handle), the audit log's events redacted to their kind "
                      "and time (no handle, no details), and {attempts}").format(attempts=_(ATTEMPTS_KEPT)),
        }


def withdraw_consent(ctx) -> ConsentStatus:
    """Withdraw consent to the selfie check: crypto-shred every retained photo of this user, then record it."""
    deleted = PhotoVault(ctx).delete_all(reason="consent_withdrawn")
    return ConsentService(ctx).record_withdrawal(photos_deleted=len(deleted))


def require_erasure_possible(ctx) -> None:
    """Raise KeyringUnavailable (exit 3) now if the erasure needs the keyring and it cannot be used.

    Front ends call it before asking for confirmation; ``delete_all_user_data`` calls it again before changing anything."""
    if PhotoVault(ctx).list() or CredentialService(ctx).may_hold_token():
        ctx.secrets.require_secure("delete")


def delete_all_user_data(ctx) -> ErasureReport:
    require_erasure_possible(ctx)  # an unusable keyring must leave every record as it was
    report = ErasureReport()
    photo_receipts = PhotoVault(ctx).delete_all(reason="delete_all")
    report.photos_deleted = len(photo_receipts)
    report.receipts.extend(photo_receipts)
    credential_ids = CredentialService(ctx).forget()
    report.credentials_deleted = len(credential_ids)
    report.receipts.extend(add_receipt(ctx, cid, "credential", "delete_all") for cid in credential_ids)
    report.consent_records_deleted = ConsentService(ctx).forget()
    if report.consent_records_deleted:
        report.receipts.append(add_receipt(ctx, uuid.uuid4().hex, "consent_records", "delete_all"))
    # the attempt counter stays (ATTEMPTS_KEPT): a fresh set of tries is not a privacy right
    report.appointments_deleted, report.sessions_deleted = _delete_interviews_and_sessions(ctx)
    if report.appointments_deleted:
        report.receipts.append(add_receipt(ctx, uuid.uuid4().hex, "appointments", "delete_all"))
    if report.sessions_deleted:
        report.receipts.append(add_receipt(ctx, uuid.uuid4().hex, "sessions", "delete_all"))
    from selfverify.store.desk_roles import record_erasure_on_desk, redact_own_records_on_desk

    redacted = redact_own_records_on_desk(ctx.db)  # a person's role on a PostgreSQL desk: the database does it
    if redacted is None:
        redact_decisions(ctx, ctx.user)
        redacted = redact_audit_events(ctx, ctx.user)
    report.audit_events_redacted = redacted
    if report.audit_events_redacted:
        report.receipts.append(add_receipt(ctx, uuid.uuid4().hex, "audit_events", "delete_all"))
    # the erasure's own event names nobody: the receipts above are the handle's only trace
    summary = {k: v for k, v in report.as_dict().items() if k not in ("receipts", "kept")}
    if not record_erasure_on_desk(ctx.db, summary):
        AuditLog(ctx).record("delete_all", summary, subject=ERASED_SUBJECT)
    ctx.db.checkpoint()
    return report


def _delete_interviews_and_sessions(ctx) -> tuple[int, int]:
    """Delete the person's appointments and session rows (with their stored settings); reduce the rows
    of their deleted photos to what the receipts say."""
    from sqlalchemy import delete, update
    from sqlmodel import select

    from selfverify.store.interviews import delete_notices_of, delete_queue_entries
    from selfverify.store.models import Appointment, KioskAdmission, RetainedPhoto, SessionSettings, VerificationSession

    subject = ctx.user
    with ctx.db.session() as s:
        s.exec(delete(KioskAdmission).where(KioskAdmission.subject == subject))  # an unused kiosk admission names them
        delete_notices_of(s, subject)  # the e-mail notice records point at the appointments
        appointments = s.exec(delete(Appointment).where(Appointment.subject == subject)).rowcount
        delete_queue_entries(s, subject)  # the queue's contact lines go with the bookings (issue 21)
        session_ids = list(s.exec(select(VerificationSession.id).where(VerificationSession.subject == subject)).all())
        if session_ids:
            s.exec(delete(SessionSettings).where(SessionSettings.session_id.in_(session_ids)))
            s.exec(delete(VerificationSession).where(VerificationSession.id.in_(session_ids)))
        s.exec(update(RetainedPhoto).where(RetainedPhoto.subject == subject, RetainedPhoto.status == "deleted")
               .values(size=0, content_type="", delete_reason=None, created_at=RetainedPhoto.deleted_at,
                       expires_at=RetainedPhoto.deleted_at))
        s.commit()
    return appointments, len(session_ids)


def redact_decisions(ctx, subject: str) -> int:
    """The one change decision records allow: the person's handle and the signed tokens naming them
    go; the agent, outcome, documents seen and time stay (the desk's record that it vouched)."""
    from sqlalchemy import update

    from selfverify.store.models import DecisionRecord

    if subject == ERASED_SUBJECT:
        return 0
    with ctx.db.session() as s:
        done = s.exec(update(DecisionRecord).where(DecisionRecord.subject == subject)
                      .values(subject=ERASED_SUBJECT, token="", credential=None, credential_sd=None)).rowcount
        s.commit()
    return done


def redact_audit_events(ctx, subject: str) -> int:
    """The one change the append-only audit log allows: a person's events lose their handle and details."""
    if subject == ERASED_SUBJECT:
        return 0
    return SessionRepository(ctx.db).redact_events(subject, ERASED_SUBJECT)
