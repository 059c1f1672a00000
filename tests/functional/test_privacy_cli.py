"""``consent``, ``credential``, ``photos`` and ``data`` as users and scripts run them: exit codes,
one-line errors, --json, confirmation rules, and verification across "computers" (homes)."""

from __future__ import annotations

import contextlib
import json
import os

import pytest

from selfverify.context import AppContext
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.consent import ConsentService
from selfverify.services.credentials import CredentialService, credential_key, decode_claims
from selfverify.services.tokens import sign_token
from selfverify.store.signing_keys import DEVICE_KEY, keyring_entry, load_signing_key
from selfverify.services.vault import PhotoVault, receipts_for
from tests.conftest import keyring_items
from tests.helpers import assert_no_traceback, run_cli
from tests.privacy_support import accept_consent, cli_env, find_bytes, live_decision, sv  # noqa: F401 - fixture

pytestmark = pytest.mark.keyring


def test_consent_commands(cli_env):
    assert sv("consent", "status").returncode == 1
    refused = sv("consent", "accept")  # no terminal to ask on
    assert refused.returncode == 2 and "--yes" in refused.stderr
    accepted = sv("consent", "accept", "--yes", "--json")
    assert accepted.returncode == 0 and json.loads(accepted.stdout)["accepted"] is True
    shown = sv("consent", "show")
    assert "interview" in shown.stdout and "Consent: accepted notice v1" in shown.stdout
    assert json.loads(sv("consent", "status", "--json").stdout)["version"] == "v1"
    not_asked = sv("consent", "withdraw")  # no terminal to ask on
    assert not_asked.returncode == 2 and "--yes" in not_asked.stderr and "Nothing was changed" in not_asked.stderr
    assert sv("consent", "status").returncode == 0
    withdrawn = sv("consent", "withdraw", "--yes")
    assert withdrawn.returncode == 0 and "Deleted 0 kept photo" in withdrawn.stdout
    assert sv("consent", "status").returncode == 1


def test_credential_show_export_verify_revoke(ctx, cli_env, tmp_path):
    assert sv("credential", "show").returncode == 5
    issued = CredentialService(ctx).issue("selfie", live_decision())

    shown = sv("credential", "show")
    assert shown.returncode == 0 and "Subject:     alice" in shown.stdout and "Status:      valid" in shown.stdout
    exported = sv("credential", "export")
    assert exported.stdout.strip() == issued.token

    # a real pipe between two processes, as another program would use it
    piped = run_cli("credential", "verify", env=cli_env, input=exported.stdout)
    assert_no_traceback(piped)
    assert piped.returncode == 0 and piped.stdout.startswith("valid: credential " + issued.id)

    token_file = tmp_path / "token.txt"
    at = len(issued.token) - 10  # inside the signature
    flipped = issued.token[:at] + ("A" if issued.token[at] != "A" else "B") + issued.token[at + 1:]
    token_file.write_text(flipped)
    bad = sv("credential", "verify", str(token_file))
    assert bad.returncode == 1 and bad.stdout.strip().startswith("invalid: bad signature")
    as_json = json.loads(sv("credential", "verify", str(token_file), "--json").stdout)
    assert (as_json["valid"], as_json["reason"]) == (False, "bad_signature")

    claims = decode_claims(issued.token)
    token_file.write_text(sign_token({**claims, "exp": claims["iat"] - 1, "jti": "a" * 32},
                                     load_signing_key(ctx.settings, DEVICE_KEY, create=False)))
    expired = sv("credential", "verify", str(token_file))
    assert expired.returncode == 1 and expired.stdout.strip() == "invalid: expired"

    not_asked = sv("credential", "revoke")  # no terminal to ask on
    assert not_asked.returncode == 2 and "--yes" in not_asked.stderr and "Nothing was revoked" in not_asked.stderr
    assert sv("credential", "show").returncode == 0
    assert sv("credential", "revoke", "--yes").returncode == 0
    assert sv("credential", "revoke").returncode == 5  # nothing left to revoke: said before asking
    token_file.write_text(issued.token)
    revoked = sv("credential", "verify", str(token_file))
    assert revoked.returncode == 1 and revoked.stdout.strip() == "invalid: revoked"
    assert sv("credential", "export").returncode == 5
    missing = sv("credential", "verify", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_verify_on_another_computer_with_the_public_key(ctx, cli_env, tmp_path, settings):
    issued = CredentialService(ctx).issue("selfie", live_decision())
    key_file = tmp_path / "issuer.pem"
    key_file.write_text(sv("credential", "public-key", "--format", "pem").stdout)
    token_file = tmp_path / "token.txt"
    token_file.write_text(issued.token)
    elsewhere = ["--home", str(tmp_path / "other-computer"), "--keyring-service", settings.keyring_service + "-other"]
    no_key = sv(*elsewhere, "credential", "verify", str(token_file))
    assert no_key.returncode == 5 and "--jwks" in no_key.stderr
    ok = sv(*elsewhere, "credential", "verify", str(token_file), "--public-key", str(key_file))
    assert ok.returncode == 0, ok.stderr
    key_file.write_text("not a key")
    assert sv(*elsewhere, "credential", "verify", str(token_file), "--public-key", str(key_file)).returncode == 2


def test_photos_list_delete_receipts(ctx, cli_env, settings):
    accept_consent(ctx)
    vault = PhotoVault(ctx)
    photo = b"\xff\xd8\xff\xe0cli photo" + os.urandom(8192)
    first, second = vault.retain("reference", photo), vault.retain("selfie", b"second photo")

    listed = json.loads(sv("photos", "list", "--json").stdout)
    assert {p["id"] for p in listed} == {first.id, second.id}
    assert f"will be deleted on {first.expires_at:%Y-%m-%d %H:%M} UTC" in sv("photos", "list").stdout
    refused = sv("photos", "delete", "--all")
    assert refused.returncode == 2 and "--yes" in refused.stderr and "Nothing was deleted" in refused.stderr
    assert sv("photos", "delete").returncode == 2
    assert sv("photos", "delete", "not-an-id").returncode == 5
    assert len(vault.list()) == 2

    deleted = sv("photos", "delete", first.id)
    assert deleted.returncode == 0 and f"Deleted reference photo {first.id}" in deleted.stdout
    db = ctx.paths.database_file
    for needle in (photo, photo[:64], photo[4000:4064]):
        assert find_bytes(needle, ctx.paths.data_dir, db, db.with_name(db.name + "-wal")) == []
    assert not any(k.endswith(first.id) for k in keyring_items(settings.keyring_service))
    assert "already deleted" in sv("photos", "delete", first.id).stdout

    assert sv("photos", "delete", "--all", "--yes").returncode == 0
    receipts = json.loads(sv("photos", "show-receipts", "--json").stdout)
    assert {(r["item_id"], r["reason"]) for r in receipts} == {(first.id, "user"), (second.id, "user")}
    assert "No photos are kept." in sv("photos", "list").stdout
    assert sv("photos", "purge").stdout.strip() == "Purged 0 expired photos."


def test_data_delete_all_leaves_only_receipts_and_says_so(ctx, cli_env, settings):
    accept_consent(ctx)
    PhotoVault(ctx).retain("selfie", b"a kept selfie")
    CredentialService(ctx).issue("selfie", live_decision())
    AttemptPolicy(ctx).record_failure()

    refused = sv("data", "delete-all")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = sv("data", "delete-all", "--yes")
    assert done.returncode == 0, done.stderr
    assert "1 photo, 1 credential, 1 consent record, 0 interview" in done.stdout
    assert "Kept: 4 deletion receipts" in done.stdout  # photo, credential, consent, audit events
    assert "Also kept: the count of your failed selfie tries" in done.stdout

    after = AppContext(settings=settings)
    [photo] = PhotoVault(after).list(include_deleted=True)
    # the row keeps only what its receipt says: no size, no dates but the deletion's
    assert (photo.status, photo.size, photo.created_at, photo.expires_at) == ("deleted", 0, photo.expires_at, photo.created_at)
    assert photo.created_at == PhotoVault(after).receipts()[0].deleted_at
    assert CredentialService(after).records() == []
    assert AttemptPolicy(after).status().total_failures == 1  # erasing it would hand out fresh tries
    assert set(keyring_items(settings.keyring_service)) == {keyring_entry(settings, DEVICE_KEY)}
    kinds = {r["kind"] for r in json.loads(sv("photos", "show-receipts", "--json").stdout)}
    assert kinds == {"selfie", "credential", "consent_records", "audit_events"}


def test_without_a_keyring_secrets_are_refused_clearly_and_the_rest_works(cli_env):
    env = {**cli_env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    refused = run_cli("credential", "public-key", env=env)
    assert_no_traceback(refused)
    assert refused.returncode == 3 and refused.stderr.startswith("Error: Cannot use the keyring")
    listed = run_cli("photos", "list", env=env)
    assert listed.returncode == 0 and "No photos are kept." in listed.stdout


@contextlib.contextmanager
def failing_keyring():
    """This process's keyring is the fail backend, as on a machine with no Secret Service."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def everything_kept(settings, issued, photo_id: str) -> None:
    after = AppContext(settings=settings)
    assert {r.id: r.status for r in CredentialService(after).records()} == {issued.id: "issued"}
    assert keyring_items(settings.keyring_service)[credential_key(settings, settings.user)] == issued.token
    assert [(p.id, p.status) for p in PhotoVault(after).list()] == [(photo_id, "stored")]
    assert ConsentService(after).status().accepted
    assert AttemptPolicy(after).status().total_failures == 1
    assert receipts_for(after, settings.user) == []


def test_without_a_usable_keyring_deleting_changes_nothing_at_all(ctx, cli_env, settings):
    accept_consent(ctx)
    photo = PhotoVault(ctx).retain("selfie", b"a kept selfie")
    issued = CredentialService(ctx).issue("selfie", live_decision())
    AttemptPolicy(ctx).record_failure()

    # exactly what QA ran: a separate process whose keyring is the fail backend
    env = {**cli_env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    refused = run_cli("data", "delete-all", "--yes", env=env)
    assert_no_traceback(refused)
    assert refused.returncode == 3 and "Nothing was deleted." in refused.stderr and "stored" not in refused.stderr
    everything_kept(settings, issued, photo.id)
    with failing_keyring():
        for command in (("consent", "withdraw", "--yes"), ("photos", "delete", "--all", "--yes"),
                        ("photos", "delete", photo.id), ("credential", "revoke", "--yes"), ("data", "delete-all")):
            result = sv(*command)
            assert result.returncode == 3 and "Nothing was deleted." in result.stderr, (command, result.stderr)
    everything_kept(settings, issued, photo.id)

    status = sv("status")  # the keyring works again: the credential is still there, and says so
    assert status.returncode == 0 and "Credential: valid, method selfie" in status.stdout


def test_status_finishes_a_revocation_left_half_done(ctx, cli_env, settings):
    """A row left ``revoking`` with its token still in the keyring (how the old delete-all left it)."""
    service = CredentialService(ctx)
    issued = service.issue("selfie", live_decision())
    service._set_status(issued.id, "revoking")
    status = sv("status")
    assert status.returncode == 0 and "Credential: none" in status.stdout
    assert {r.id: r.status for r in service.records()} == {issued.id: "revoked"}
    assert credential_key(settings, settings.user) not in keyring_items(settings.keyring_service)


def run_cli_on_a_terminal(args: tuple[str, ...], answer: str, env: dict) -> tuple[int, str]:
    """The CLI with a real pseudo-terminal as its standard input, answering its question with ``answer``."""
    import pty
    import subprocess
    import sys

    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "selfverify", *args], stdin=terminal, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, text=True)
        os.write(controller, answer.encode() + b"\n")
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    return proc.returncode, out


def test_revoke_and_withdraw_ask_first_on_a_terminal(ctx, cli_env, settings):
    accept_consent(ctx)
    photo = PhotoVault(ctx).retain("selfie", b"a kept selfie")
    issued = CredentialService(ctx).issue("selfie", live_decision())

    code, out = run_cli_on_a_terminal(("credential", "revoke"), "n", cli_env)
    assert code == 1 and "Revoke your credential?" in out and "Nothing was revoked." in out, out
    assert keyring_items(settings.keyring_service)[credential_key(settings, settings.user)] == issued.token

    code, out = run_cli_on_a_terminal(("consent", "withdraw"), "y", cli_env)
    assert code == 0 and "delete your 1 kept photo?" in out and "Deleted 1 kept photo." in out, out
    assert [(p.id, p.status) for p in PhotoVault(ctx).list(include_deleted=True)] == [(photo.id, "deleted")]
