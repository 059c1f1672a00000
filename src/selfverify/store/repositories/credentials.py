"""Credential rows and revocation tombstones (``credential_record``, ``revoked_credential``).
No token is ever stored here: tokens live in the keyring; a row names the key that signed it."""

from __future__ import annotations

from datetime import datetime


class CredentialRepository:
    def __init__(self, db, subject: str):  # noqa: ANN001  (store.db.Database)
        self.db = db
        self.subject = subject

    def get(self, credential_id: str):
        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            return s.get(CredentialRecord, credential_id)

    def of_subject(self) -> list:
        """Every row of the subject, newest first."""
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            return list(s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject)
                               .order_by(CredentialRecord.issued_at.desc())).all())

    def issued(self):
        """The subject's newest ``issued`` row (None if there is none)."""
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            return s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject,
                                                         CredentialRecord.status == "issued")
                          .order_by(CredentialRecord.issued_at.desc())).first()

    def insert_pending(self, credential_id: str, method: str, issued_at: datetime, expires_at: datetime,
                       appointment_id: int | None, signer: tuple[str, str] | None = None) -> str | None:
        """Add a ``pending`` row (``signer``: the signing key's thumbprint and kind); on refusal returns why:
        ``known`` (the id is kept here) or ``appointment_taken`` (another credential came from that appointment)."""
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.models import CredentialRecord

        row = CredentialRecord(id=credential_id, subject=self.subject, method=method, issued_at=issued_at,
                               expires_at=expires_at, status="pending", appointment_id=appointment_id,
                               signer_kid=signer[0] if signer else None, signer_kind=signer[1] if signer else None)
        with self.db.session() as s:
            if s.get(CredentialRecord, credential_id) is not None:
                return "known"
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                return "appointment_taken"
        return None

    def mark_issued(self, credential_id: str, now: datetime, status: str = "issued") -> None:
        """``credential_id`` issued (or ``status``), every other live row of the subject superseded and
        tombstoned (one transaction)."""
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            rows = s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject,
                                                         CredentialRecord.status.in_(("issued", "missing")))).all()
            for row in rows:
                if row.id != credential_id:
                    row.status, row.revoked_at = "superseded", now
                    s.add(row)
                    _add_tombstone(s, row.id, now)
            row = s.get(CredentialRecord, credential_id)
            row.status = status
            s.add(row)
            s.commit()

    def set_status(self, credential_id: str, status: str, *, tombstone_at: datetime | None = None, **changes) -> None:
        """Change a row's status (and other columns); ``tombstone_at``: also tombstone it, in the same transaction."""
        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            row = s.get(CredentialRecord, credential_id)
            if row is None:
                return
            row.status = status
            for name, value in changes.items():
                setattr(row, name, value)
            s.add(row)
            if tombstone_at is not None:
                _add_tombstone(s, credential_id, tombstone_at)
            s.commit()

    def tombstoned(self, credential_id: str) -> bool:
        from selfverify.store.desk_roles import credential_revoked_on_desk
        from selfverify.store.models import RevokedCredential

        on_desk = credential_revoked_on_desk(self.db, credential_id)  # a desk role sees only its own tombstones
        if on_desk is not None:
            return on_desk
        with self.db.session() as s:
            return s.get(RevokedCredential, credential_id) is not None

    def tombstone_all(self, rows: list, now: datetime, live_statuses: tuple[str, ...]) -> None:
        """Tombstone every row; those in ``live_statuses`` become ``revoking`` (one transaction)."""
        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            for row in rows:
                _add_tombstone(s, row.id, now)
                if row.status in live_statuses:
                    stored = s.get(CredentialRecord, row.id)
                    stored.status, stored.revoked_at = "revoking", now
                    s.add(stored)
            s.commit()

    def delete_all(self) -> None:
        from sqlmodel import delete

        from selfverify.store.models import CredentialRecord

        with self.db.session() as s:
            s.exec(delete(CredentialRecord).where(CredentialRecord.subject == self.subject))
            s.commit()


def _add_tombstone(session, credential_id: str, when: datetime) -> None:  # noqa: ANN001
    from selfverify.store.models import RevokedCredential

    if session.get(RevokedCredential, credential_id) is None:
        session.add(RevokedCredential(id=credential_id, revoked_at=when))
