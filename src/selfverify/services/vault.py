"""Opt-in retained photos, encrypted at rest and deleted by crypto-shredding.

Each photo gets its own random AES-256-GCM key, stored in the keyring as
``photo-key:<subject>:<photo id>``; the ciphertext is ``<vault dir>/<photo id>.svv`` (dir 0700,
file 0600). Plaintext exists only in memory. The database row holds id, kind, dates, size and
status, never the photo.

Retaining: ``pending`` row, key in the keyring, ciphertext written, row ``stored``. Deleting:
row ``deleting`` (with its reason), key removed (the photo is now unreadable), ciphertext removed,
then row ``deleted`` and a deletion receipt in one transaction, then a WAL checkpoint.
``reconcile`` (every start-up) finishes interrupted deletions and rolls back interrupted retains.

The vault is tagged with its database's id (``<vault dir>/.database-id``, written with the first
photo). Reconcile and retain leave a vault tagged for another database alone (start-up and
``doctor`` report it), and reconcile only ever removes files of photos this database knew and
no longer keeps: a file whose id the database never heard of is not touched.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Iterable

from selfverify.errors import InputError, NotFound, SelfverifyError, StorageError
from selfverify.i18n import _, ngettext
from selfverify.paths import ensure_private_dir, write_private_file
from selfverify.services.audit import AuditLog
from selfverify.services.consent import ConsentService
from selfverify.store.crashsafe import fault_point, interprocess_lock
from selfverify.store.repositories.photos import PhotoRepository
from selfverify.textcheck import shown

KINDS = ("reference", "selfie")
REASONS = ("user", "expiry", "consent_withdrawn", "delete_all", "interrupted")
_MAGIC = b"SVV1"
_NONCE_BYTES = 12
_FILE_SUFFIX = ".svv"
_LIVE = ("pending", "stored", "deleting")
TAG_FILE = ".database-id"
_PHOTO_ID = re.compile(r"[0-9a-f]{32}")


def _photo_id_of(name: str) -> str | None:
    """The photo id in a vault file name: ``<id>.svv`` or a write's temp file ``.<id>.svv.tmp-<pid>``."""
    if name.endswith(_FILE_SUFFIX) and not name.startswith("."):
        return name[: -len(_FILE_SUFFIX)]
    if name.startswith(".") and f"{_FILE_SUFFIX}.tmp-" in name:
        return name[1:].split(f"{_FILE_SUFFIX}.tmp-", 1)[0]
    return None


@dataclass(frozen=True)
class RetainedPhotoInfo:
    id: str
    kind: str
    created_at: datetime
    expires_at: datetime
    size: int
    status: str
    content_type: str = "image/jpeg"

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(), "size": self.size, "status": self.status,
                "content_type": self.content_type}


@dataclass(frozen=True)
class DeletionReceiptInfo:
    id: str
    item_id: str
    kind: str
    deleted_at: datetime
    reason: str

    def as_dict(self) -> dict:
        return {"id": self.id, "item_id": self.item_id, "kind": self.kind,
                "deleted_at": self.deleted_at.isoformat(), "reason": self.reason}


def photo_key_name(subject: str, photo_id: str) -> str:
    return f"photo-key:{subject}:{photo_id}"


def _aad(subject: str, photo_id: str, kind: str) -> bytes:
    # binds the ciphertext to its row: a file swapped between photos or users does not decrypt
    return f"selfverify-photo|{subject}|{photo_id}|{kind}".encode("utf-8")


def encrypt_photo(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE_BYTES)
    return _MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt_photo(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Raises ValueError when the blob is not ours, damaged, or the key/aad is wrong."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + _NONCE_BYTES + 16:
        raise ValueError("not a selfverify vault file")
    nonce = blob[len(_MAGIC):len(_MAGIC) + _NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(_MAGIC) + _NONCE_BYTES:], aad)
    except InvalidTag:
        raise ValueError("the photo cannot be decrypted (wrong key or damaged file)") from None


def _encode_key(key: bytes) -> str:
    return "aes256gcm:" + base64.urlsafe_b64encode(key).decode("ascii")


def _decode_key(text: str) -> bytes:
    key = base64.urlsafe_b64decode(text.removeprefix("aes256gcm:").encode("ascii"))
    if len(key) != 32:
        raise ValueError("wrong key length")
    return key


class PhotoVault:
    def __init__(self, ctx):
        self.ctx = ctx
        self.subject = ctx.user
        self.dir = ctx.paths.vault_dir

    @cached_property
    def rows(self) -> PhotoRepository:
        return PhotoRepository(self.ctx.db)

    @property
    def _lock_path(self) -> Path:
        return self.ctx.paths.data_dir / "locks" / "vault.lock"

    def path_for(self, photo_id: str) -> Path:
        return self.dir / f"{photo_id}{_FILE_SUFFIX}"

    # retaining

    def retain(self, kind: str, image_bytes: bytes, *, content_type: str = "image/jpeg") -> RetainedPhotoInfo:
        """Encrypt ``image_bytes`` in memory and keep it for ``retention_days`` (needs consent and a keyring)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if kind not in KINDS:
            raise InputError(_("Unknown photo kind {kind!r} (expected one of: {kinds}).").format(kind=kind, kinds=", ".join(KINDS)))
        if not image_bytes:
            raise InputError(_("There is no photo to keep (it is empty)."))
        ConsentService(self.ctx).require()
        self.ctx.secrets.require_secure()
        self._require_own_vault()
        photo_id = uuid.uuid4().hex
        key = AESGCM.generate_key(bit_length=256)
        blob = encrypt_photo(key, bytes(image_bytes), _aad(self.subject, photo_id, kind))
        now = self.ctx.clock.now()
        info = RetainedPhotoInfo(photo_id, kind, now, now + timedelta(days=self.ctx.settings.retention_days),
                                 len(image_bytes), "pending", content_type)
        with interprocess_lock(self._lock_path):
            self.rows.add_pending(id=photo_id, subject=self.subject, kind=kind, created_at=info.created_at,
                                  expires_at=info.expires_at, size=info.size, content_type=content_type)
            fault_point("vault.retain.after_pending")
            try:
                self.ctx.secrets.set(photo_key_name(self.subject, photo_id), _encode_key(key))
                fault_point("vault.retain.after_key")
                self._write_ciphertext(photo_id, blob)
                fault_point("vault.retain.after_file")
            except SelfverifyError:
                self._start_deletion(photo_id, "interrupted")
                self._shred(photo_id)
                raise
            self._set(photo_id, status="stored")
        AuditLog(self.ctx).record("retain", {"photo_id": photo_id, "kind": kind, "size": len(image_bytes),
                                             "expires_at": info.expires_at})
        return RetainedPhotoInfo(**{**info.__dict__, "status": "stored"})

    # ownership

    def owner(self) -> str | None:
        """The database id this vault is tagged with (None: untagged or no vault)."""
        try:
            return (self.dir / TAG_FILE).read_text(encoding="ascii").strip()[:64] or None
        except (OSError, UnicodeDecodeError):
            return None

    def foreign_reason(self) -> str | None:
        """Why this vault must not be touched with this database, or None when it is its own."""
        owner = self.owner()
        if owner is None:
            return None
        mine = self.ctx.db.database_id
        if owner == mine:
            return None
        return _("the vault {vault} belongs to another database (id {owner}), not {database} (id {mine}): its photos were "
                 "left untouched").format(vault=self.dir, owner=owner[:12], database=self.ctx.db.display_url, mine=mine[:12])

    def _require_own_vault(self) -> None:
        reason = self.foreign_reason()
        if reason is not None:
            raise StorageError(_("No photo was kept: {reason}.").format(reason=reason), code="vault_foreign",
                               hint=_("Use the database that owns this vault, or another --home for this one."))
        try:
            self._claim()
        except OSError as exc:
            raise StorageError(_("The vault {vault} cannot be written ({reason}): no photo was kept.").format(
                vault=self.dir, reason=exc.strerror), code="vault_write") from None

    def _claim(self) -> None:
        """Tag an untagged vault (a new one, or one of the previous version) with this database,
        unless it holds photos this database never knew (then it is another database's)."""
        if self.owner() is not None:
            return
        files, known = self._files_and_known()
        strangers = sorted(p.name for p, pid in files.items() if pid not in known)
        if strangers:
            raise StorageError(ngettext("No photo was kept: the vault {vault} holds photos this database ({database}) does "
                                        "not know ({count} file).",
                                        "No photo was kept: the vault {vault} holds photos this database ({database}) does "
                                        "not know ({count} files).", len(strangers)).format(
                                   vault=self.dir, database=self.ctx.db.display_url, count=len(strangers)),
                               code="vault_foreign",
                               hint=_("Use the database that owns this vault, or another --home for this one."))
        ensure_private_dir(self.dir)
        write_private_file(self.dir / TAG_FILE, self.ctx.db.database_id.encode("ascii"))

    def _write_ciphertext(self, photo_id: str, blob: bytes) -> None:
        try:
            ensure_private_dir(self.dir)
            write_private_file(self.path_for(photo_id), blob)
        except OSError as exc:
            from selfverify.store.db import _is_disk_full  # store.db loads sqlmodel: only on a write error

            if _is_disk_full(exc):
                raise StorageError(_("The disk is full: the photo was not kept."), code="disk_full") from None
            raise StorageError(_("The photo could not be written to the vault: {reason}. It was not kept.").format(
                reason=exc.strerror), code="vault_write") from None

    # reading

    def list(self, include_deleted: bool = False) -> list[RetainedPhotoInfo]:
        rows = self.rows.of_subject(self.subject, None if include_deleted else _LIVE)
        return [_info(r) for r in rows]

    def open(self, photo_id: str) -> bytes:
        """Decrypt a stored photo into memory (for an appeal); never written anywhere."""
        row = self._row(photo_id)
        if row is None or row.status != "stored":
            raise NotFound(_("There is no kept photo {id}.").format(id=shown(photo_id)),
                           hint=_("List them with: selfverify photos list"))
        text = self.ctx.secrets.get(photo_key_name(self.subject, photo_id))
        if text is None:
            raise StorageError(_("The key of photo {id} is missing from the keyring: it cannot be opened.").format(id=photo_id),
                               code="vault_key_missing")
        try:
            blob = self.path_for(photo_id).read_bytes()
            return decrypt_photo(_decode_key(text), blob, _aad(self.subject, photo_id, row.kind))
        except FileNotFoundError:
            raise StorageError(_("The encrypted file of photo {id} is missing from the vault.").format(id=photo_id),
                               code="vault_damaged") from None
        except ValueError as exc:
            raise StorageError(_("Photo {id} cannot be opened: {detail}.").format(id=photo_id, detail=exc),
                               code="vault_damaged") from None

    def receipts(self) -> list[DeletionReceiptInfo]:
        """Receipts of deleted photos (``receipts_for`` also lists credentials, consent and attempts)."""
        return [r for r in receipts_for(self.ctx, self.subject) if r.kind in KINDS]

    # deleting

    def delete(self, ids: Iterable[str], reason: str = "user") -> list[DeletionReceiptInfo]:
        """Crypto-shred the given photos. Already deleted ones are skipped; unknown ids are refused first."""
        ids = list(dict.fromkeys(ids))
        rows = {}
        for photo_id in ids:
            row = self._row(photo_id)
            if row is None:
                raise NotFound(_("There is no photo {id}: nothing was deleted.").format(id=shown(photo_id)),
                               hint=_("List them with: selfverify photos list"))
            rows[photo_id] = row
        live = [pid for pid, row in rows.items() if row.status in _LIVE]
        return self._delete_ids(live, reason)

    def delete_all(self, reason: str = "user") -> list[DeletionReceiptInfo]:
        return self._delete_ids([p.id for p in self.list()], reason)

    def purge(self) -> int:
        """Delete every expired photo kept on this computer; returns how many."""
        rows = self.rows.with_status(("stored",), expired_by=self.ctx.clock.now())
        expired = [r for r in rows if self._is_local(r)]
        if not expired:
            return 0
        self.ctx.secrets.require_secure("delete")
        with interprocess_lock(self._lock_path):
            for row in expired:
                self._start_deletion(row.id, "expiry")
                self._shred(row.id, subject=row.subject)
        AuditLog(self.ctx).record("purge", {"photos_deleted": len(expired), "photo_ids": [r.id for r in expired]})
        self.ctx.db.checkpoint()
        return len(expired)

    def _delete_ids(self, ids: list[str], reason: str) -> list[DeletionReceiptInfo]:
        if reason not in REASONS:
            raise ValueError(f"unknown deletion reason {reason!r}")
        if not ids:
            return []
        self.ctx.secrets.require_secure("delete")
        receipts = []
        with interprocess_lock(self._lock_path):
            for photo_id in ids:
                self._start_deletion(photo_id, reason)
                receipt = self._shred(photo_id)
                if receipt is not None:
                    receipts.append(receipt)
        AuditLog(self.ctx).record("delete", {"photo_ids": ids, "reason": reason})
        self.ctx.db.checkpoint()  # last, so freed pages leave the WAL too
        return receipts

    def _start_deletion(self, photo_id: str, reason: str) -> None:
        row = self._row(photo_id, any_subject=True)
        if row is not None and row.status in ("pending", "stored"):
            self._set(photo_id, status="deleting", delete_reason=reason)
        fault_point("vault.delete.after_mark")

    def _shred(self, photo_id: str, subject: str | None = None) -> DeletionReceiptInfo | None:
        """Finish the deletion of a ``deleting`` row (idempotent: every step tolerates being done already)."""
        subject = subject or self.subject
        self.ctx.secrets.delete(photo_key_name(subject, photo_id))
        fault_point("vault.delete.after_key")
        path = self.path_for(photo_id)
        try:
            path.unlink()
            _fsync_dir(path.parent)
        except FileNotFoundError:
            pass
        fault_point("vault.delete.after_file")
        receipt = self.rows.finish_deletion(photo_id, self.ctx.clock.now())
        if receipt is None:
            return None
        fault_point("vault.delete.after_row")
        return _receipt_info(receipt)

    # crash recovery

    def reconcile(self) -> dict[str, int]:
        """Roll back interrupted retains, finish interrupted deletions, remove stray vault files."""
        done = {"rolled_back": 0, "deletions_finished": 0, "stray_files_removed": 0}
        if self.foreign_reason() is not None:
            return done
        rows = [r for r in self.rows.with_status(("pending", "deleting")) if self._is_local(r)]
        stray = self._stray_files()
        if not rows and not stray:
            return done
        if rows:
            self.ctx.secrets.require_secure("delete")
        with interprocess_lock(self._lock_path):
            for row in rows:
                if row.status == "pending":
                    self._start_deletion(row.id, "interrupted")
                    done["rolled_back"] += 1
                else:
                    done["deletions_finished"] += 1
                self._shred(row.id, subject=row.subject)
            for path in self._stray_files():
                path.unlink(missing_ok=True)
                done["stray_files_removed"] += 1
        AuditLog(self.ctx).record("reconcile", {"area": "vault", **done})
        self.ctx.db.checkpoint()
        return done

    def _stray_files(self) -> list[Path]:
        """Vault files of photos this database knew and no longer keeps (e.g. the temp file of a
        write killed half-way). A file whose photo id this database never heard of is not ours to remove."""
        files, known = self._files_and_known()
        return [p for p, pid in files.items()
                if pid in known and (known[pid] not in _LIVE or p.name != f"{pid}{_FILE_SUFFIX}")]

    def _files_and_known(self) -> tuple[dict[Path, str], dict[str, str]]:
        """The vault's photo files (path -> photo id) and the status of those ids this database knows."""
        if not self.dir.is_dir():
            return {}, {}
        files = {p: _photo_id_of(p.name) for p in self.dir.iterdir() if p.is_file()}
        files = {p: pid for p, pid in files.items() if pid}
        if not files:
            return {}, {}
        return files, self.rows.statuses(set(files.values()))

    # helpers

    def _is_local(self, row) -> bool:
        # a shared database may list photos kept on other computers: their keys are in other keyrings
        return row.subject == self.subject or self.path_for(row.id).exists()

    def _row(self, photo_id: str, any_subject: bool = False):
        if not _PHOTO_ID.fullmatch(str(photo_id)):  # typed ids are checked before they reach SQL
            return None
        row = self.rows.get(photo_id)
        return row if row is not None and (any_subject or row.subject == self.subject) else None

    def _set(self, photo_id: str, **changes) -> None:
        self.rows.update(photo_id, **changes)


def receipts_for(ctx, subject: str) -> list[DeletionReceiptInfo]:
    return [_receipt_info(r) for r in PhotoRepository(ctx.db).receipts_of(subject)]


def add_receipt(ctx, item_id: str, kind: str, reason: str) -> DeletionReceiptInfo:
    """A receipt for something that is not a photo (credential, consent records, attempt counter)."""
    row = PhotoRepository(ctx.db).add_receipt(item_id=item_id, subject=ctx.user, kind=kind,
                                              deleted_at=ctx.clock.now(), reason=reason)
    return _receipt_info(row)


def _info(row) -> RetainedPhotoInfo:
    return RetainedPhotoInfo(row.id, row.kind, row.created_at, row.expires_at, row.size, row.status, row.content_type)


def _receipt_info(row) -> DeletionReceiptInfo:
    return DeletionReceiptInfo(row.id, row.item_id, row.kind, row.deleted_at, row.reason)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
