"""``data delete-all``: erase everything selfverify keeps about one user, leaving only receipts.

Photos are crypto-shredded, the credential is revoked and removed from the keyring and its rows
deleted, consent records and the attempt counter are deleted. Each gets a deletion receipt (what,
when, why; nothing biometric). The append-only audit log is not rewritten. When photos or a
credential are kept, the keyring is checked first: without it nothing at all is deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class ErasureReport:
    photos_deleted: int = 0
    credentials_deleted: int = 0
    consent_records_deleted: int = 0
    attempt_counter_deleted: bool = False
    receipts: list = field(default_factory=list)  # DeletionReceiptInfo written by this erasure

    def as_dict(self) -> dict:
        return {
            "photos_deleted": self.photos_deleted,
            "credentials_deleted": self.credentials_deleted,
            "consent_records_deleted": self.consent_records_deleted,
            "attempt_counter_deleted": self.attempt_counter_deleted,
            "receipts": [r.as_dict() for r in self.receipts],
            "kept": "deletion receipts and the append-only audit log (no photos, no face data)",
        }


def require_erasure_possible(ctx) -> None:
    """Raise KeyringUnavailable (exit 3) now if the erasure needs the keyring and it cannot be used.

    Front ends call it before asking for confirmation; ``delete_all_user_data`` calls it again before changing anything."""
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault

    if PhotoVault(ctx).list() or CredentialService(ctx).may_hold_token():
        ctx.secrets.require_secure("delete")


def delete_all_user_data(ctx) -> ErasureReport:
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.audit import AuditLog
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault, add_receipt

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
    report.attempt_counter_deleted = AttemptPolicy(ctx).reset()
    if report.attempt_counter_deleted:
        report.receipts.append(add_receipt(ctx, uuid.uuid4().hex, "attempt_counter", "delete_all"))
    AuditLog(ctx).record("delete_all", {k: v for k, v in report.as_dict().items() if k not in ("receipts", "kept")})
    ctx.db.checkpoint()
    return report
