"""Credential pickup: the user's own process stores the credential of an approved interview."""

from __future__ import annotations

from selfverify.services.interview.base import ServiceBase
from selfverify.services.interview.views import APPROVED


class PickupMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    def pick_up_credentials(self):  # -> list[IssuedCredential]
        """Store the credential of each approved appointment of this user that has none yet.

        Runs in the user's process: the credential, signed by the deciding agent's key, is fetched
        from the desk, verified against the desk's agents' keys and stored in the user's own keyring.
        Once stored (and linked to the appointment), the bearer tokens are cleared from the decision
        row: only their digests stay in the shared database."""
        from selfverify.errors import PolicyRefusal
        from selfverify.services.credentials import CredentialService
        from selfverify.services.desk import DeskService

        desk = DeskService(self.ctx)
        waiting = desk.rows.waiting_pickups(self.ctx.user)
        stored = []
        for record, appointment in waiting:
            keys = desk.check_interview_credential(record.credential or "", self.ctx.user)
            try:
                credential = CredentialService(self.ctx).store_issued(record.credential, keys, sd_token=record.credential_sd,
                                                                      appointment_id=appointment.id)
            except PolicyRefusal as exc:
                if exc.code != "already_issued":
                    raise
                self._link_existing_credential(appointment)  # another process of this person picked it up first
                continue
            self._link_credential(appointment, credential.id)
            stored.append(credential)
        desk.rows.clear_picked_up(self.ctx.user)  # also finishes a pickup interrupted after the link
        return stored

    def _link_existing_credential(self, row) -> None:  # noqa: ANN001
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.ctx.db.session() as s:
            credential_id = s.exec(select(CredentialRecord.id).where(CredentialRecord.appointment_id == row.id)).first()
        if credential_id:
            self._link_credential(row, credential_id, announce=False)

    def _link_credential(self, row, credential_id: str, announce: bool = True) -> None:  # noqa: ANN001
        from sqlalchemy import update

        from selfverify.store.models import Appointment

        with self.ctx.db.session() as s:
            result = s.execute(
                update(Appointment)
                .where(Appointment.id == row.id, Appointment.credential_id.is_(None))
                .values(credential_id=credential_id)
            )
            if result.rowcount == 1:
                self._session_outcome(s, row.session_id, APPROVED, "credential issued", final=True)  # i18n: ignore (recorded data)
            s.commit()
        if announce:
            self._audit(
                "credential_issued", {"appointment_id": row.id, "credential_id": credential_id, "method": "interview"},
                row.session_id, row.subject,
            )
