"""Retained-photo rows and deletion receipts (``retained_photo``, ``deletion_receipt``).
Never the photo: its ciphertext is a vault file, its key is in the keyring."""

from __future__ import annotations

import uuid
from datetime import datetime


class PhotoRepository:
    def __init__(self, db):  # noqa: ANN001  (store.db.Database)
        self.db = db

    def add_pending(self, **columns) -> None:
        from selfverify.store.models import RetainedPhoto

        with self.db.session() as s:
            s.add(RetainedPhoto(status="pending", **columns))
            s.commit()

    def get(self, photo_id: str):
        from selfverify.store.models import RetainedPhoto

        with self.db.session() as s:
            return s.get(RetainedPhoto, photo_id)

    def update(self, photo_id: str, **changes) -> None:
        from selfverify.store.models import RetainedPhoto

        with self.db.session() as s:
            row = s.get(RetainedPhoto, photo_id)
            for name, value in changes.items():
                setattr(row, name, value)
            s.add(row)
            s.commit()

    def of_subject(self, subject: str, statuses: tuple[str, ...] | None = None) -> list:
        """The subject's rows, oldest first (only ``statuses`` when given)."""
        from sqlmodel import select

        from selfverify.store.models import RetainedPhoto

        query = select(RetainedPhoto).where(RetainedPhoto.subject == subject)
        if statuses is not None:
            query = query.where(RetainedPhoto.status.in_(statuses))
        with self.db.session() as s:
            return list(s.exec(query.order_by(RetainedPhoto.created_at, RetainedPhoto.id)).all())

    def with_status(self, statuses: tuple[str, ...], expired_by: datetime | None = None) -> list:
        """Every subject's rows in ``statuses`` (and expired by ``expired_by`` when given)."""
        from sqlmodel import select

        from selfverify.store.models import RetainedPhoto

        query = select(RetainedPhoto).where(RetainedPhoto.status.in_(statuses))
        if expired_by is not None:
            query = query.where(RetainedPhoto.expires_at <= expired_by)
        with self.db.session() as s:
            return list(s.exec(query).all())

    def statuses(self, photo_ids: set[str]) -> dict[str, str]:
        """``{photo id: status}`` for the ids this database knows."""
        from sqlmodel import select

        from selfverify.store.models import RetainedPhoto

        with self.db.session() as s:
            rows = s.exec(select(RetainedPhoto.id, RetainedPhoto.status).where(RetainedPhoto.id.in_(photo_ids))).all()
        return {pid: status for pid, status in rows}

    def finish_deletion(self, photo_id: str, now: datetime):
        """A ``deleting`` row becomes ``deleted`` (size cleared) with its receipt, in one transaction;
        returns the receipt (the existing one if a crash left it), or None if the row is not being deleted."""
        from sqlmodel import select

        from selfverify.store.models import DeletionReceipt, RetainedPhoto

        with self.db.session() as s:
            row = s.get(RetainedPhoto, photo_id)
            if row is None or row.status != "deleting":
                return None
            existing = s.exec(select(DeletionReceipt).where(DeletionReceipt.item_id == photo_id)).first()
            receipt = existing or DeletionReceipt(id=uuid.uuid4().hex, item_id=photo_id, subject=row.subject,
                                                  kind=row.kind, deleted_at=now, reason=row.delete_reason or "user")
            row.status, row.deleted_at = "deleted", now
            row.size = 0  # the exact byte size of a photo that is gone says nothing anyone needs
            s.add(row)
            s.add(receipt)
            s.commit()
        return receipt

    def receipts_of(self, subject: str) -> list:
        from sqlmodel import select

        from selfverify.store.models import DeletionReceipt

        with self.db.session() as s:
            return list(s.exec(select(DeletionReceipt).where(DeletionReceipt.subject == subject)
                               .order_by(DeletionReceipt.deleted_at, DeletionReceipt.id)).all())

    def add_receipt(self, *, item_id: str, subject: str, kind: str, deleted_at: datetime, reason: str):
        from selfverify.store.models import DeletionReceipt

        row = DeletionReceipt(id=uuid.uuid4().hex, item_id=item_id, subject=subject, kind=kind,
                              deleted_at=deleted_at, reason=reason)
        with self.db.session() as s:
            s.add(row)
            s.commit()
        return row
