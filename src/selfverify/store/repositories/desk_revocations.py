"""The desk's revocation of an interview credential it issued (``revoked_credential`` tombstones,
found through the approved ``appointment`` that names the credential). On a PostgreSQL desk the
``desk_revoke`` policy (``store/sql/desk_roles.sql``) lets agents and the admin insert exactly these."""

from __future__ import annotations

from datetime import datetime


class DeskRevocationRepository:
    def __init__(self, db):  # noqa: ANN001  (store.db.Database)
        self.db = db

    def issued_by_desk(self, credential_id: str) -> tuple[int, str] | None:
        """(appointment id, person) of the approved, decided booking whose picked-up credential this is."""
        from sqlmodel import select

        from selfverify.store.models import Appointment, DecisionRecord

        with self.db.session() as s:
            row = s.exec(select(Appointment.id, Appointment.subject)
                         .join(DecisionRecord, DecisionRecord.appointment_id == Appointment.id)
                         .where(Appointment.credential_id == credential_id, Appointment.status == "approved")).first()
        return (row[0], row[1]) if row is not None else None

    def tombstone(self, credential_id: str, when: datetime) -> bool:
        """Add the tombstone; False if the credential was revoked already."""
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.models import RevokedCredential

        with self.db.session() as s:
            if s.get(RevokedCredential, credential_id) is not None:
                return False
            s.add(RevokedCredential(id=credential_id, revoked_at=when))
            try:
                s.commit()
            except IntegrityError:  # revoked at the same moment by someone else
                s.rollback()
                return False
        return True
