"""Signed credentials on the real Secret Service: issuing rules, tamper detection, expiry, revocation."""

from __future__ import annotations

import base64
import json

import pytest

from selfverify.context import AppContext
from selfverify.core.events import Decision
from selfverify.errors import KeyringUnavailable, NotFound, PolicyRefusal
from selfverify.services.credentials import (
    ISSUER_KEY_NAME,
    MAX_TOKEN_CHARS,
    CredentialService,
    _sign,
    credential_key,
    decode_claims,
    load_public_key,
)
from selfverify.store.models import CredentialRecord
from tests.conftest import keyring_items
from tests.privacy_support import fail_keyring, find_bytes, kctx, live_decision, pctx, row_counts  # noqa: F401

pytestmark = pytest.mark.keyring


@pytest.fixture
def issued(kctx):
    return CredentialService(kctx).issue("selfie", live_decision())


def test_a_live_verified_selfie_issues_a_compact_signed_credential(kctx, issued, settings):
    assert issued.token.startswith("sv1.") and len(issued.token) <= MAX_TOKEN_CHARS
    assert len(issued.token.encode()) < 600  # far below Windows' 2.5 KB
    claims = decode_claims(issued.token)
    assert claims["sub"] == "alice" and claims["mth"] == "selfie" and claims["jti"] == issued.id
    assert claims["asr"] == {"liveness": "passed", "distance": 0.31, "tolerance": 0.5}
    assert claims["exp"] - claims["iat"] == 365 * 86400
    assert issued.expires_at == kctx.clock.now().replace(microsecond=0) + (issued.expires_at - issued.issued_at)

    items = keyring_items(settings.keyring_service)
    assert items[credential_key("alice")] == issued.token
    assert set(items) == {credential_key("alice"), ISSUER_KEY_NAME}
    [row] = CredentialService(kctx).records()
    assert (row.id, row.subject, row.method, row.status) == (issued.id, "alice", "selfie", "issued")
    assert "token" not in CredentialRecord.model_fields
    db = kctx.paths.database_file
    assert find_bytes(issued.token.split(".")[2].encode(), db, db.with_name(db.name + "-wal")) == []

    current = CredentialService(kctx).current()
    assert current.id == issued.id and current.token == issued.token
    assert CredentialService(kctx).export() == issued.token
    check = CredentialService(kctx).verify_token(issued.token)
    assert check.valid and check.reason is None and check.claims["jti"] == issued.id


@pytest.mark.parametrize("decision", [
    Decision(verified=True, distance=0.3, tolerance=0.5, liveness="skipped"),  # a --liveness off replay
    Decision(verified=True, distance=0.3, tolerance=0.5, liveness="failed"),
    Decision(verified=False, reason="no_match", distance=0.7, tolerance=0.5, liveness="passed"),
])
def test_only_a_live_verified_decision_earns_a_credential(kctx, settings, decision):
    with pytest.raises(PolicyRefusal):
        CredentialService(kctx).issue("selfie", decision)
    with pytest.raises(PolicyRefusal):
        CredentialService(kctx).issue("selfie", {"liveness": decision.liveness, "distance": decision.distance,
                                                 "tolerance": decision.tolerance})
    assert keyring_items(settings.keyring_service) == {}
    assert row_counts(kctx, CredentialRecord) == {"credential_record": 0}


def test_interview_credentials_need_an_appointment_and_only_one_each(kctx):
    service = CredentialService(kctx)
    with pytest.raises(PolicyRefusal) as err:
        service.issue("interview", {"agent": "sam"})
    assert err.value.code == "appointment_required"
    first = service.issue("interview", {"agent": "sam", "documents": "passport"}, appointment_id=42)
    assert decode_claims(first.token)["asr"] == {"appointment": 42, "agent": "sam", "documents": "passport"}
    with pytest.raises(PolicyRefusal) as err:
        service.issue("interview", {"agent": "sam"}, appointment_id=42)
    assert err.value.code == "already_issued"
    assert service.current().id == first.id


def test_a_new_credential_supersedes_the_old_one(kctx, issued):
    service = CredentialService(kctx)
    newer = service.issue("selfie", live_decision(distance=0.25))
    assert service.current().id == newer.id
    assert {r.id: r.status for r in service.records()} == {issued.id: "superseded", newer.id: "issued"}
    check = service.verify_token(issued.token)
    assert not check.valid and check.reason == "revoked"


def _flip(token: str, index: int, mask: int) -> str:
    return token[:index] + chr(ord(token[index]) ^ mask) + token[index + 1:]


def test_every_single_byte_flip_fails_verification(kctx, issued):
    service = CredentialService(kctx)
    results = {}
    for index in range(len(issued.token)):
        for mask in (0x01, 0x02, 0x20):
            tampered = _flip(issued.token, index, mask)
            if tampered != issued.token:
                results[(index, mask)] = service.verify_token(tampered)
    assert len(results) >= 3 * len(issued.token) - 3
    assert not [key for key, check in results.items() if check.valid]
    assert {check.reason for check in results.values()} <= {"malformed", "bad_signature"}


def test_edited_claims_and_a_foreign_key_fail_as_bad_signature(kctx, issued):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    service = CredentialService(kctx)
    prefix, payload, signature = issued.token.split(".")
    claims = decode_claims(issued.token)
    edits = [{"sub": "mallory"}, {"exp": claims["exp"] + 86400 * 3650}, {"mth": "interview"},
             {"asr": {**claims["asr"], "liveness": "passed", "distance": 0.01}}, {"jti": "0" * 32}]
    for edit in edits:
        forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, **edit}).encode()).rstrip(b"=").decode()
        check = service.verify_token(f"{prefix}.{forged_payload}.{signature}")
        assert (check.valid, check.reason) == (False, "bad_signature"), edit
    foreign = _sign(Ed25519PrivateKey.generate(), claims)
    assert service.verify_token(foreign).reason == "bad_signature"
    assert service.verify_token(issued.token + "x").reason == "malformed"
    assert service.verify_token("sv1." + payload).reason == "malformed"


def test_expired_credentials_say_expired(kctx, issued, fake_clock):
    service = CredentialService(kctx)
    fake_clock.advance(365 * 86400 - 1)
    assert service.verify_token(issued.token).valid
    fake_clock.advance(1)
    check = service.verify_token(issued.token)
    assert (check.valid, check.reason, check.message) == (False, "expired", "invalid: expired")


def test_revoke_removes_the_token_and_marks_the_row(kctx, issued, settings):
    service = CredentialService(kctx)
    revoked = service.revoke()
    assert revoked.id == issued.id
    assert credential_key("alice") not in keyring_items(settings.keyring_service)
    assert [r.status for r in service.records()] == ["revoked"]
    assert service.verify_token(issued.token).reason == "revoked"
    assert service.current() is None
    with pytest.raises(NotFound):
        service.revoke()
    with pytest.raises(NotFound):
        service.export()


def test_another_computer_verifies_with_the_exported_public_key(kctx, issued, tmp_path, settings, fake_clock):
    pem = CredentialService(kctx).issuer_public_key()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    other = AppContext(settings=settings.replace(home=str(tmp_path / "elsewhere"), keyring_service=settings.keyring_service + "-x"),
                       clock=fake_clock)
    with pytest.raises(NotFound):  # no issuer key there
        CredentialService(other).verify_token(issued.token)
    check = CredentialService(other).verify_token(issued.token, public_key=load_public_key(pem))
    assert check.valid and check.claims["sub"] == "alice"


def test_issuer_key_is_created_once_and_reused(kctx, issued, settings):
    key_before = keyring_items(settings.keyring_service)[ISSUER_KEY_NAME]
    CredentialService(kctx).issue("selfie", live_decision())
    assert keyring_items(settings.keyring_service)[ISSUER_KEY_NAME] == key_before


def test_fail_backend_refuses_to_issue_and_stores_nothing(pctx, fail_keyring):
    with pytest.raises(KeyringUnavailable) as err:
        CredentialService(pctx).issue("selfie", live_decision())
    assert err.value.exit_code == 3 and "Nothing was stored" in err.value.user_message
    assert row_counts(pctx, CredentialRecord) == {"credential_record": 0}


def test_reconcile_finishes_a_pending_row_whose_token_landed(kctx, issued, settings):
    from selfverify.services.credentials import from_epoch

    service = CredentialService(kctx)
    service._set_status(issued.id, "pending")
    assert service.reconcile()["finished"] == 1
    assert [r.status for r in service.records()] == ["issued"]

    # a pending row whose keyring write never happened is rolled back
    claims = decode_claims(issued.token)
    service._insert_pending("f" * 32, "selfie", claims["iat"], claims["exp"], None)
    assert service.reconcile()["rolled_back"] == 1
    assert {r.id: r.status for r in service.records()}["f" * 32] == "rolled_back"
    assert keyring_items(settings.keyring_service)[credential_key("alice")] == issued.token
    assert from_epoch(claims["exp"]) == issued.expires_at


def test_reconcile_removes_tokens_no_row_knows_and_flags_lost_ones(kctx, issued, settings):
    service = CredentialService(kctx)
    kctx.secrets.delete(credential_key("alice"))
    assert service.reconcile()["missing"] == 1
    assert service.current() is None

    kctx.secrets.set(credential_key("alice"), issued.token)
    service.reconcile()
    assert service.current().id == issued.id  # a token that comes back is recognised again

    orphan = _sign(service._issuer_private_key(create=False), {**decode_claims(issued.token), "jti": "e" * 32})
    kctx.secrets.set(credential_key("alice"), orphan)
    assert service.reconcile()["orphans_removed"] == 1
    assert credential_key("alice") not in keyring_items(settings.keyring_service)
