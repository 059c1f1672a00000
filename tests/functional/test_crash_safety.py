"""kill -9 at every step of issuing, revoking, retaining and deleting: after a restart (start-up
reconcile) the database, the keyring and the vault directory agree, in every run.

A child process (plain ``python``, no ``uv run``) gets SELFVERIFY_FAULT=<step> and SIGKILLs itself
there; the test asserts it really died at that step before checking the aftermath."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from selfverify.context import AppContext
from selfverify.services.credentials import CredentialService, credential_key, decode_claims
from selfverify.store.signing_keys import DEVICE_KEY, keyring_entry
from selfverify.services.startup import on_startup
from selfverify.services.vault import TAG_FILE, PhotoVault, photo_key_name
from tests.conftest import keyring_items
from tests.privacy_support import accept_consent, live_decision

pytestmark = pytest.mark.keyring
CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(settings):
    full = dict(os.environ)
    full.update({"SELFVERIFY_USER": settings.user, "SELFVERIFY_KEYRING_SERVICE": settings.keyring_service,
                 "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])})
    full.pop("SELFVERIFY_FAULT", None)
    return full


def run_child(env: dict, fault: str | None, *args: str, cli: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "selfverify", *args] if cli else [sys.executable, str(CHILD), *args]
    child_env = dict(env)
    if fault:
        child_env["SELFVERIFY_FAULT"] = fault
    proc = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if fault:
        assert proc.returncode == -signal.SIGKILL, f"{fault} did not fire: rc={proc.returncode} {proc.stderr}"
    else:
        assert proc.returncode == 0, proc.stderr
    return proc


def restart(settings) -> AppContext:
    ctx = AppContext(settings=settings)
    report = on_startup(ctx)
    assert report.postponed == []
    return ctx


def credential_state(ctx, service: str) -> tuple[str | None, dict[str, str]]:
    """(token id in the keyring, {row id: status}) after checking they agree."""
    token = keyring_items(service).get(credential_key(ctx.settings, ctx.user))
    rows = {r.id: r.status for r in CredentialService(ctx).records()}
    assert not {s for s in rows.values() if s in ("pending", "revoking", "rolling_back")}, rows
    issued = [rid for rid, status in rows.items() if status == "issued"]
    token_id = decode_claims(token)["jti"] if token else None
    assert issued == ([token_id] if token_id else []), (rows, token_id)
    return token_id, rows


def vault_state(ctx, service: str) -> dict[str, str]:
    """{photo id: status} after checking keys, files, rows and receipts agree."""
    vault = PhotoVault(ctx)
    rows = {p.id: p.status for p in vault.list(include_deleted=True)}
    stored = {pid for pid, status in rows.items() if status == "stored"}
    assert set(rows.values()) <= {"stored", "deleted"}, rows
    keys = {k for k in keyring_items(service) if k.startswith("photo-key:")}
    assert keys == {photo_key_name(ctx.user, pid) for pid in stored}
    files = {p.name for p in vault.dir.iterdir() if p.name != TAG_FILE} if vault.dir.exists() else set()
    assert files == {f"{pid}.svv" for pid in stored}
    receipted = {r.item_id for r in vault.receipts()}
    assert receipted == set(rows) - stored
    return rows


@pytest.mark.parametrize("replacing", [False, True], ids=["first", "replacing"])
@pytest.mark.parametrize("fault, finished", [
    ("credential.after_pending", False),
    ("credential.after_keyring_write", True),
    ("credential.after_issued", True),
])
def test_issue_killed_at_each_step(ctx, settings, env, fault, finished, replacing):
    old = CredentialService(ctx).issue("selfie", live_decision()) if replacing else None
    run_child(env, fault, "issue")
    token_id, rows = credential_state(restart(settings), settings.keyring_service)
    [new_id] = set(rows) - ({old.id} if old else set())
    if finished:
        assert token_id == new_id
        assert rows[new_id] == "issued"
        if old:
            assert rows[old.id] == "superseded"
    else:
        assert rows[new_id] == "rolled_back"
        assert token_id == (old.id if old else None)


@pytest.mark.parametrize("fault", ["credential.revoke.after_mark", "credential.revoke.after_keyring_delete"])
def test_revoke_killed_at_each_step(ctx, settings, env, fault):
    issued = CredentialService(ctx).issue("selfie", live_decision())
    run_child(env, fault, "credential", "revoke", "--yes", cli=True)
    token_id, rows = credential_state(restart(settings), settings.keyring_service)
    assert token_id is None and rows == {issued.id: "revoked"}


def test_rollback_killed_half_way_resumes(ctx, settings, env):
    CredentialService(ctx).issue("selfie", live_decision())
    run_child(env, "credential.after_pending", "issue")
    # the next start begins the roll-back and is killed too
    run_child(env, "credential.rollback.after_mark", "photos", "list", cli=True)
    token_id, rows = credential_state(restart(settings), settings.keyring_service)
    assert sorted(rows.values()) == ["issued", "rolled_back"]


@pytest.fixture
def photo_file(tmp_path) -> Path:
    path = tmp_path / "frame.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0crash-test-frame" + os.urandom(4096))
    return path


@pytest.mark.parametrize("fault", ["vault.retain.after_pending", "vault.retain.after_key", "vault.retain.after_file"])
def test_retain_killed_at_each_step_rolls_back(ctx, settings, env, photo_file, fault):
    accept_consent(ctx)
    run_child(env, fault, "retain", str(photo_file))
    after = restart(settings)
    rows = vault_state(after, settings.keyring_service)
    assert list(rows.values()) == ["deleted"]
    assert [r.reason for r in PhotoVault(after).receipts()] == ["interrupted"]
    photo = photo_file.read_bytes()
    for path in after.paths.data_dir.rglob("*"):
        assert not path.is_file() or photo[:64] not in path.read_bytes()


@pytest.mark.parametrize("fault", ["vault.delete.after_mark", "vault.delete.after_key", "vault.delete.after_file",
                                   "vault.delete.after_row"])
def test_delete_killed_at_each_step_completes(ctx, settings, env, fault):
    accept_consent(ctx)
    vault = PhotoVault(ctx)
    doomed, kept = vault.retain("selfie", b"doomed photo"), vault.retain("reference", b"kept photo")
    run_child(env, fault, "photos", "delete", doomed.id, cli=True)
    after = restart(settings)
    assert vault_state(after, settings.keyring_service) == {doomed.id: "deleted", kept.id: "stored"}
    assert [(r.item_id, r.reason) for r in PhotoVault(after).receipts()] == [(doomed.id, "user")]
    assert PhotoVault(after).open(kept.id) == b"kept photo"


@pytest.mark.parametrize("fault", ["vault.delete.after_key", "credential.forget.after_mark"])
def test_delete_all_killed_half_way_stays_consistent_and_finishes_when_run_again(ctx, settings, env, fault):
    accept_consent(ctx)
    PhotoVault(ctx).retain("selfie", b"a selfie")
    CredentialService(ctx).issue("selfie", live_decision())
    run_child(env, fault, "data", "delete-all", "--yes", cli=True)
    after = restart(settings)
    credential_state(after, settings.keyring_service)
    vault_state(after, settings.keyring_service)
    run_child(env, None, "data", "delete-all", "--yes", cli=True)
    after = restart(settings)
    assert credential_state(after, settings.keyring_service) == (None, {})
    assert set(vault_state(after, settings.keyring_service).values()) == {"deleted"}
    assert set(keyring_items(settings.keyring_service)) <= {keyring_entry(settings, DEVICE_KEY)}
