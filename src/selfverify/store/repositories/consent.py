"""Consent records (``consent_record``): the notice version and language, the choice and the time."""

from __future__ import annotations

from datetime import datetime


class ConsentRepository:
    def __init__(self, db, subject: str):  # noqa: ANN001  (store.db.Database)
        self.db = db
        self.subject = subject

    def latest(self):
        """The subject's newest record (None if they were never asked)."""
        from sqlmodel import select

        from selfverify.store.models import ConsentRecord

        with self.db.session() as s:
            return s.exec(select(ConsentRecord).where(ConsentRecord.subject == self.subject)
                          .order_by(ConsentRecord.at.desc(), ConsentRecord.id.desc())).first()

    def add(self, *, notice_version: str, notice_language: str, choice: str, at: datetime) -> None:
        from selfverify.store.models import ConsentRecord

        with self.db.session() as s:
            s.add(ConsentRecord(subject=self.subject, notice_version=notice_version, notice_language=notice_language,
                                choice=choice, at=at))
            s.commit()

    def delete_all(self) -> int:
        """Delete every record of the subject; returns how many."""
        from sqlmodel import delete

        from selfverify.store.models import ConsentRecord

        with self.db.session() as s:
            result = s.exec(delete(ConsentRecord).where(ConsentRecord.subject == self.subject))
            s.commit()
        return result.rowcount or 0
