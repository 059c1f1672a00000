"""The photo vault on the real Secret Service: encryption at rest, crypto-shredding, receipts, purge."""

from __future__ import annotations

import os
import stat

import pytest

from selfverify.errors import ConsentRequired, KeyringUnavailable, NotFound, StorageError
from selfverify.services.audit import events
from selfverify.services.vault import PhotoVault, _aad, _decode_key, decrypt_photo, photo_key_name
from selfverify.store.models import DeletionReceipt, RetainedPhoto
from tests.conftest import keyring_items
from tests.privacy_support import accept_consent, fail_keyring, find_bytes, kctx, pctx, row_counts  # noqa: F401

pytestmark = pytest.mark.keyring


@pytest.fixture
def photo_bytes() -> bytes:
    # stands in for a JPEG: what matters is that these exact bytes never reach the disk in clear
    return b"\xff\xd8\xff\xe0JFIF-test-photo" + os.urandom(48 * 1024)


@pytest.fixture
def vault(kctx):
    accept_consent(kctx)
    return PhotoVault(kctx)


def scan_targets(ctx):
    db = ctx.paths.database_file
    return [ctx.paths.data_dir, db, db.with_name(db.name + "-wal")]


def test_retained_photo_is_encrypted_with_its_own_key(vault, kctx, settings, photo_bytes):
    first = vault.retain("reference", photo_bytes)
    second = vault.retain("selfie", photo_bytes)
    assert (first.kind, first.size, first.status) == ("reference", len(photo_bytes), "stored")
    assert (first.expires_at - first.created_at).days == 30

    items = keyring_items(settings.keyring_service)
    assert set(items) == {photo_key_name("alice", first.id), photo_key_name("alice", second.id)}
    assert items[photo_key_name("alice", first.id)] != items[photo_key_name("alice", second.id)]

    path = vault.path_for(first.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(kctx.paths.vault_dir.stat().st_mode) == 0o700
    # no plaintext anywhere on disk, not even a 64-byte slice, while the photo is kept
    assert find_bytes(photo_bytes[1000:1064], *scan_targets(kctx)) == []
    assert vault.open(first.id) == photo_bytes
    assert {p.id for p in vault.list()} == {first.id, second.id}
    assert set(RetainedPhoto.model_fields) == {"id", "subject", "kind", "created_at", "expires_at", "size",
                                               "content_type", "status", "delete_reason", "deleted_at"}


def test_a_ciphertext_moved_to_another_photo_does_not_decrypt(vault, photo_bytes):
    first = vault.retain("reference", photo_bytes)
    second = vault.retain("reference", b"another photo")
    vault.path_for(second.id).write_bytes(vault.path_for(first.id).read_bytes())
    with pytest.raises(StorageError) as err:
        vault.open(second.id)
    assert err.value.code == "vault_damaged"


def test_delete_shreds_key_file_and_leaves_only_a_receipt(vault, kctx, settings, photo_bytes, tmp_path):
    info = vault.retain("selfie", photo_bytes)
    key_text = keyring_items(settings.keyring_service)[photo_key_name("alice", info.id)]
    kept_copy = vault.path_for(info.id).read_bytes()
    aad = _aad("alice", info.id, "selfie")
    assert decrypt_photo(_decode_key(key_text), kept_copy, aad) == photo_bytes  # the copy is readable before
    planted = tmp_path / "control.bin"
    planted.write_bytes(b"x" + photo_bytes[5000:5064] + b"y")
    assert find_bytes(photo_bytes[5000:5064], planted) == [planted]  # the scan does find what is there

    [receipt] = vault.delete([info.id])
    assert (receipt.item_id, receipt.kind, receipt.reason) == (info.id, "selfie", "user")
    assert keyring_items(settings.keyring_service) == {}
    assert not vault.path_for(info.id).exists()
    assert vault.list() == [] and vault.list(include_deleted=True)[0].status == "deleted"
    for needle in (photo_bytes, photo_bytes[:64], photo_bytes[20000:20064], photo_bytes[-64:]):
        assert find_bytes(needle, *scan_targets(kctx)) == []
    assert find_bytes(kept_copy[-64:], *scan_targets(kctx)) == []  # the ciphertext is gone too
    with pytest.raises(NotFound):
        vault.open(info.id)
    # without the key nothing decrypts the kept copy: every key left in the keyring fails
    for other_key in keyring_items(settings.keyring_service).values():
        with pytest.raises(ValueError):
            decrypt_photo(_decode_key(other_key), kept_copy, aad)
    wal = kctx.paths.database_file.with_name("selfverify.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed after the deletion
    with kctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_delete_is_idempotent_and_refuses_unknown_ids(vault, photo_bytes):
    info = vault.retain("reference", photo_bytes)
    with pytest.raises(NotFound):
        vault.delete([info.id, "no-such-photo"])
    assert [p.id for p in vault.list()] == [info.id]  # nothing was deleted
    assert len(vault.delete([info.id, info.id])) == 1
    assert vault.delete([info.id]) == []
    assert len(vault.receipts()) == 1


def test_an_interrupted_deletion_resumes_with_its_reason(vault, kctx, settings, photo_bytes):
    info = vault.retain("reference", photo_bytes)
    vault._start_deletion(info.id, "consent_withdrawn")
    kctx.secrets.delete(photo_key_name("alice", info.id))  # the crash came after the key was shredded
    assert vault.reconcile() == {"rolled_back": 0, "deletions_finished": 1, "stray_files_removed": 0}
    [receipt] = vault.receipts()
    assert receipt.reason == "consent_withdrawn"
    assert not vault.path_for(info.id).exists()


def test_reconcile_rolls_back_pending_retains_and_removes_stray_files(vault, kctx, settings, photo_bytes):
    info = vault.retain("reference", photo_bytes)
    vault._set(info.id, status="pending")
    stray = kctx.paths.vault_dir / f".{info.id}.svv.tmp-999"
    stray.write_bytes(b"half-written ciphertext")
    result = vault.reconcile()
    assert result == {"rolled_back": 1, "deletions_finished": 0, "stray_files_removed": 1}
    assert keyring_items(settings.keyring_service) == {}
    assert [p.name for p in kctx.paths.vault_dir.iterdir()] in ([], [".database-id"])
    assert [r.reason for r in vault.receipts()] == ["interrupted"]


def test_purge_deletes_only_expired_photos(vault, kctx, fake_clock, photo_bytes):
    old = vault.retain("reference", photo_bytes)
    fake_clock.advance(20 * 86400)
    young = vault.retain("selfie", photo_bytes)
    assert vault.purge() == 0
    fake_clock.advance(10 * 86400)
    assert vault.purge() == 1
    assert [p.id for p in vault.list()] == [young.id]
    assert [(r.item_id, r.reason) for r in vault.receipts()] == [(old.id, "expiry")]
    assert events(kctx, kind="purge")[0]["data"]["photos_deleted"] == 1


def test_retention_needs_consent(kctx, settings, photo_bytes):
    with pytest.raises(ConsentRequired):
        PhotoVault(kctx).retain("reference", photo_bytes)
    assert keyring_items(settings.keyring_service) == {}
    assert not kctx.paths.vault_dir.exists() or [p.name for p in kctx.paths.vault_dir.iterdir()] in ([], [".database-id"])


def test_fail_backend_refuses_retention_and_stores_nothing(pctx, fail_keyring, photo_bytes):
    accept_consent(pctx)
    with pytest.raises(KeyringUnavailable) as err:
        PhotoVault(pctx).retain("selfie", photo_bytes)
    assert "Nothing was stored" in err.value.user_message
    assert row_counts(pctx, RetainedPhoto, DeletionReceipt) == {"retained_photo": 0, "deletion_receipt": 0}
    assert not pctx.paths.vault_dir.exists() or [p.name for p in pctx.paths.vault_dir.iterdir()] in ([], [".database-id"])
    assert find_bytes(photo_bytes[:64], pctx.paths.data_dir) == []


def test_unknown_kinds_and_empty_photos_are_refused(vault):
    from selfverify.errors import InputError

    with pytest.raises(InputError):
        vault.retain("passport", b"x")
    with pytest.raises(InputError):
        vault.retain("selfie", b"")
