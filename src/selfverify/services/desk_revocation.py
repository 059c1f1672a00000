"""The desk takes back an interview credential it issued by mistake (``selfverify agent revoke``).

Only agents and the desk admin may (on PostgreSQL the database enforces it: the ``desk_revoke``
policy), only for a credential the desk issued (the picked-up credential of an approved, decided
booking), and always with a reason. The tombstone makes the credential verify as revoked on this
desk for everyone; the staff member's event and the person's ``interview_credential_revoked``
event say who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from selfverify.errors import InputError, NotFound, PolicyRefusal
from selfverify.i18n import _
from selfverify.services.audit import AuditLog
from selfverify.store.desk_roles import connection_role
from selfverify.textcheck import check_free_text, shown

MAX_CREDENTIAL_ID_LENGTH = 200


@dataclass(frozen=True)
class DeskRevocation:
    credential_id: str
    appointment_id: int
    subject: str
    by: str
    reason: str
    revoked_at: datetime
    already: bool  # it was revoked before: nothing changed

    def as_dict(self) -> dict:
        return {"credential_id": self.credential_id, "appointment_id": self.appointment_id, "subject": self.subject,
                "by": self.by, "reason": self.reason, "revoked_at": self.revoked_at.isoformat(),
                "already_revoked": self.already}


def revoke_issued_credential(ctx, actor: str, credential_id: str, reason: str) -> DeskRevocation:  # noqa: ANN001
    from selfverify.services.interview import MAX_REASON_LENGTH
    from selfverify.store.repositories.desk_revocations import DeskRevocationRepository

    credential_id = check_free_text(credential_id, _("credential id"), MAX_CREDENTIAL_ID_LENGTH, "bad_credential_id")
    reason = check_free_text(reason, _("reason"), MAX_REASON_LENGTH, "bad_reason")
    if not credential_id:
        raise InputError(_("Give the id of the credential to revoke."), code="bad_credential_id")
    if not reason:
        raise InputError(_("Give a reason for revoking it (the person will see it)."), code="reason_required")
    role = connection_role(ctx.db)
    if role is not None and not role[1] & {"agent", "admin"}:
        raise PolicyRefusal(_("Only the desk's agents and its admin revoke a credential the desk issued."),
                            code="not_desk_staff", hint=_("To revoke your own credential: selfverify credential revoke."))
    repository = DeskRevocationRepository(ctx.db)
    found = repository.issued_by_desk(credential_id)
    if found is None:
        raise NotFound(_("No credential the desk issued has the id {id}.").format(id=shown(credential_id)),
                       hint=_("Give the id of a credential a person picked up after an approved interview "
                              "(its 'jti', the id 'selfverify credential show' prints)."))
    appointment_id, subject = found
    now = ctx.clock.now()
    created = repository.tombstone(credential_id, now)
    if created:
        data = {"credential_id": credential_id, "appointment_id": appointment_id, "reason": reason, "by": actor}
        AuditLog(ctx).record("desk_revoke", data, subject=actor)
        AuditLog(ctx).record("interview_credential_revoked", data, subject=subject)
    return DeskRevocation(credential_id, appointment_id, subject, actor, reason, now, not created)
