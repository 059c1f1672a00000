"""Signed credentials on the real Secret Service: issuing rules, JWS format, tamper detection, expiry,
revocation tombstones, keyring entries per installation, old sv1 tokens, SD-JWT presentations."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from selfverify.core.liveness import CHALLENGE_VERSION
from selfverify.context import AppContext
from selfverify.core.events import Decision
from selfverify.errors import InputError, KeyringUnavailable, NotFound, PolicyRefusal
from selfverify.services.credentials import (
    MAX_TOKEN_CHARS,
    CredentialService,
    credential_key,
    decode_claims,
    load_public_key,
    sd_credential_key,
)
from selfverify.services.tokens import TOKEN_TYP, key_set, sign_token, thumbprint
from selfverify.store.models import CredentialRecord, RevokedCredential
from selfverify.store.signing_keys import DEVICE_KEY, LEGACY_ISSUER_KEY, encode_private_key, keyring_entry
from tests.conftest import keyring_items
from tests.privacy_support import fail_keyring, find_bytes, kctx, live_decision, pctx, row_counts, sign_sv1  # noqa: F401

pytestmark = pytest.mark.keyring


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(token: str, index: int) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[index] + "=="))


@pytest.fixture
def issued(kctx):
    return CredentialService(kctx).issue("selfie", live_decision())


def device_key(ctx):
    from selfverify.store.signing_keys import load_signing_key

    return load_signing_key(ctx.settings, DEVICE_KEY, create=False)


def test_a_live_verified_selfie_issues_a_compact_jws(kctx, issued, settings):
    assert issued.token.count(".") == 2 and len(issued.token) <= MAX_TOKEN_CHARS
    key = device_key(kctx)
    assert segment(issued.token, 0) == {"alg": "Ed25519", "typ": TOKEN_TYP, "kid": thumbprint(key)}
    claims = decode_claims(issued.token)
    now = int(kctx.clock.now().timestamp())
    assert claims == {"iss": f"selfverify:device:{thumbprint(key)}", "sub": "alice", "iat": now, "nbf": now,
                      "exp": now + 365 * 86400, "jti": issued.id, "method": "selfie",
                      "assurance": {"liveness": True, "liveness_version": CHALLENGE_VERSION, "self_asserted": True}}
    assert "distance" not in issued.token and "0.31" not in json.dumps(claims)  # never a distance
    assert issued.issuer == claims["iss"]

    items = keyring_items(settings.keyring_service)
    assert items[credential_key(settings, "alice")] == issued.token
    assert set(items) == {credential_key(settings, "alice"), sd_credential_key(settings, "alice"),
                          keyring_entry(settings, DEVICE_KEY)}
    assert all(name.startswith(kctx.paths.data_dir.joinpath("installation-id").read_text().strip() + ":") for name in items)
    assert len(items[sd_credential_key(settings, "alice")]) <= MAX_TOKEN_CHARS
    [row] = CredentialService(kctx).records()
    assert (row.id, row.subject, row.method, row.status) == (issued.id, "alice", "selfie", "issued")
    assert "token" not in CredentialRecord.model_fields
    db = kctx.paths.database_file
    assert find_bytes(issued.token.split(".")[2].encode(), db, db.with_name(db.name + "-wal")) == []

    current = CredentialService(kctx).current()
    assert current.id == issued.id and current.token == issued.token
    assert CredentialService(kctx).export() == issued.token
    check = CredentialService(kctx).verify_token(issued.token)
    assert check.valid and check.reason is None and check.claims["jti"] == issued.id and check.format == "jwt"


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
    assert decode_claims(first.token)["assurance"] == {"appointment": 42, "agent": "sam", "documents": "passport",
                                                       "self_asserted": True}
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
    assert {check.reason for check in results.values()} <= {"malformed", "bad_signature", "alg_refused", "wrong_type",
                                                              "unknown_key", "duplicate_member"}


def test_edited_claims_a_foreign_key_and_a_repeated_sub_are_refused(kctx, issued):
    service = CredentialService(kctx)
    header, payload, signature = issued.token.split(".")
    claims = decode_claims(issued.token)
    edits = [{"sub": "mallory"}, {"exp": claims["exp"] + 86400 * 3650}, {"method": "interview"},
             {"assurance": {**claims["assurance"], "self_asserted": False}}, {"jti": "0" * 32}]
    for edit in edits:
        forged_payload = b64(json.dumps({**claims, **edit}).encode())
        check = service.verify_token(f"{header}.{forged_payload}.{signature}")
        assert (check.valid, check.reason) == (False, "bad_signature"), edit
    assert service.verify_token(sign_token(claims, Ed25519PrivateKey.generate())).reason == "unknown_key"
    assert service.verify_token(issued.token + "x").reason == "malformed"
    assert service.verify_token(f"{header}.{payload}").reason == "malformed"
    # signed by the real issuer key, but with sub twice: Python's json would keep the second one
    key = device_key(kctx)
    signing_input = header + "." + b64((json.dumps(claims)[:-1] + ', "sub": "mallory"}').encode())
    twice = service.verify_token(f"{signing_input}.{b64(key.sign(signing_input.encode()))}")
    assert (twice.valid, twice.reason) == (False, "duplicate_member")


def test_expired_credentials_say_expired(kctx, issued, fake_clock):
    service = CredentialService(kctx)
    fake_clock.advance(365 * 86400 - 1)
    assert service.verify_token(issued.token).valid
    fake_clock.advance(1)
    check = service.verify_token(issued.token)
    assert (check.valid, check.reason, check.message) == (False, "expired", "invalid: expired")


def test_revoke_removes_the_token_and_leaves_a_tombstone(kctx, issued, settings):
    service = CredentialService(kctx)
    revoked = service.revoke()
    assert revoked.id == issued.id
    assert set(keyring_items(settings.keyring_service)) == {keyring_entry(settings, DEVICE_KEY)}
    assert [r.status for r in service.records()] == ["revoked"]
    assert service.verify_token(issued.token).reason == "revoked"
    with kctx.db.session() as s:
        [tomb] = s.exec(__import__("sqlmodel").select(RevokedCredential)).all()
    assert tomb.id == issued.id and set(RevokedCredential.model_fields) == {"id", "revoked_at"}
    assert service.current() is None
    with pytest.raises(NotFound):
        service.revoke()
    with pytest.raises(NotFound):
        service.export()


def test_revoked_then_erased_still_does_not_verify(kctx, issued):
    from selfverify.services.erasure import delete_all_user_data

    service = CredentialService(kctx)
    service.revoke()
    delete_all_user_data(kctx)
    assert service.records() == []
    check = service.verify_token(issued.token)
    assert (check.valid, check.reason) == (False, "revoked")


def test_erased_without_revoking_does_not_verify_either(kctx, issued):
    from selfverify.services.erasure import delete_all_user_data

    delete_all_user_data(kctx)
    assert CredentialService(kctx).verify_token(issued.token).reason == "revoked"


def test_a_token_this_installation_signed_but_does_not_know_is_unknown(kctx, issued, tmp_path, settings, fake_clock):
    service = CredentialService(kctx)
    stray = sign_token({**decode_claims(issued.token), "jti": "d" * 32}, device_key(kctx))
    check = service.verify_token(stray)
    assert (check.valid, check.reason) == (False, "unknown")
    assert "no record" in check.message
    # a relying party elsewhere (no database of the issuer) sees a valid signature: revocation is the issuer's
    other = AppContext(settings=settings.replace(home=str(tmp_path / "rp")), clock=fake_clock)
    assert CredentialService(other).verify_token(stray, key_set=service.issuer_key_set()).valid


def test_another_computer_verifies_with_the_exported_key_set_or_pem(kctx, issued, tmp_path, settings, fake_clock):
    service = CredentialService(kctx)
    pem = service.issuer_public_key()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    jwks = service.issuer_key_set()
    assert [k["kid"] for k in jwks["keys"]] == [thumbprint(device_key(kctx))]
    other = AppContext(settings=settings.replace(home=str(tmp_path / "elsewhere")), clock=fake_clock)
    with pytest.raises(NotFound):  # no issuer key there
        CredentialService(other).verify_token(issued.token)
    assert CredentialService(other).verify_token(issued.token, public_key=load_public_key(pem)).claims["sub"] == "alice"
    check = CredentialService(other).verify_token(issued.token, key_set=json.dumps(jwks))
    assert check.valid and check.claims["sub"] == "alice"
    named = {"keys": [{**jwks["keys"][0], "kid": "laptop-1"}]}  # a set may name the key its own way
    assert CredentialService(other).verify_token(issued.token, key_set=named).valid
    foreign = key_set([Ed25519PrivateKey.generate().public_key()])
    assert CredentialService(other).verify_token(issued.token, key_set=foreign).reason == "unknown_key"


def test_device_key_is_created_once_and_reused(kctx, issued, settings):
    entry = keyring_entry(settings, DEVICE_KEY)
    key_before = keyring_items(settings.keyring_service)[entry]
    CredentialService(kctx).issue("selfie", live_decision())
    assert keyring_items(settings.keyring_service)[entry] == key_before


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
    assert keyring_items(settings.keyring_service)[credential_key(settings, "alice")] == issued.token
    assert from_epoch(claims["exp"]) == issued.expires_at


def test_reconcile_removes_dead_tokens_flags_lost_ones_and_keeps_unknown_ones(kctx, issued, settings):
    service = CredentialService(kctx)
    entry = credential_key(settings, "alice")
    kctx.secrets.delete(entry)
    assert service.reconcile()["missing"] == 1
    assert service.current() is None

    kctx.secrets.set(entry, issued.token)
    service.reconcile()
    assert service.current().id == issued.id  # a token that comes back is recognised again

    newer = service.issue("selfie", live_decision())
    kctx.secrets.set(entry, issued.token)  # the superseded token came back (a restored keyring)
    assert service.reconcile()["orphans_removed"] >= 1
    assert entry not in keyring_items(settings.keyring_service)

    stranger = sign_token({**decode_claims(newer.token), "jti": "e" * 32}, device_key(kctx))
    kctx.secrets.set(entry, stranger)  # an id this database does not know: never deleted
    assert service.reconcile()["orphans_removed"] == 0
    assert keyring_items(settings.keyring_service)[entry] == stranger


def test_two_homes_sharing_a_keyring_never_touch_each_others_tokens(settings, tmp_path, fake_clock):
    """Issue in home A, then in home B: `credential show` in A used to delete B's token as an orphan."""
    a = AppContext(settings=settings, clock=fake_clock)
    b = AppContext(settings=settings.replace(home=str(tmp_path / "home-b")), clock=fake_clock)
    in_a = CredentialService(a).issue("selfie", live_decision())
    in_b = CredentialService(b).issue("selfie", live_decision())
    for _ in range(2):
        CredentialService(a).reconcile(full=True)
        assert CredentialService(a).current().token == in_a.token
    assert CredentialService(b).current().token == in_b.token
    assert [r.status for r in CredentialService(b).records()] == ["issued"]
    assert CredentialService(a).verify_token(in_b.token).reason == "unknown_key"  # B's device key is not A's
    CredentialService(a).forget()
    assert CredentialService(b).current().token == in_b.token
    assert len({credential_key(a.settings, "alice"), credential_key(b.settings, "alice")}) == 2


def test_old_sv1_tokens_still_verify_say_so_and_are_adopted_only_by_their_issuer(kctx, settings, tmp_path, fake_clock):
    old_key = Ed25519PrivateKey.generate()
    kctx.secrets.set(LEGACY_ISSUER_KEY, encode_private_key(old_key))
    now = int(kctx.clock.now().timestamp())
    claims = {"jti": "c" * 32, "sub": "alice", "mth": "selfie", "iat": now, "exp": now + 86400, "iss": "x",
              "asr": {"liveness": "passed", "distance": 0.3, "tolerance": 0.5}}
    old = sign_sv1(old_key, claims)
    kctx.secrets.set("credential:alice", old)
    service = CredentialService(kctx)
    service._insert_pending("c" * 32, "selfie", now, now + 86400, None)
    service._finish("c" * 32)

    # another home on the same keyring does not know it: it neither adopts nor deletes it
    other = AppContext(settings=settings.replace(home=str(tmp_path / "home-b")), clock=fake_clock)
    CredentialService(other).reconcile(full=True)
    assert CredentialService(other).current() is None
    assert keyring_items(settings.keyring_service)["credential:alice"] == old

    current = service.current()  # adopted under this installation's name
    assert current.token == old and current.assurance["liveness"] == "passed"
    items = keyring_items(settings.keyring_service)
    assert "credential:alice" not in items and items[credential_key(settings, "alice")] == old
    check = service.verify_token(old)
    assert (check.valid, check.format, check.message) == (True, "sv1", "valid (old sv1 format)")
    assert check.claims["method"] == "selfie"
    tampered = sign_sv1(old_key, {**claims, "exp": 10**20})
    assert service.verify_token(tampered).reason == "malformed"
    assert service.verify_token(old[:-3] + "AAA").reason in ("bad_signature", "malformed")
    fake_clock.advance(86400)
    assert service.verify_token(old).message == "invalid: expired (old sv1 format)"
    with pytest.raises(NotFound):
        service.present({"method"})


def test_sd_jwt_presentation_hides_the_subject_and_follows_revocation(kctx, issued, settings):
    service = CredentialService(kctx)
    presentation = service.present({"method", "exp"})
    assert "~" in presentation and presentation.endswith("~")
    assert b"alice" not in b"".join(base64.urlsafe_b64decode(p + "==") for p in presentation.replace("~", ".").split(".") if p)
    check = service.verify_token(presentation)
    assert (check.valid, check.format, check.hidden) == (True, "sd-jwt", 2)
    assert check.claims["method"] == "selfie" and "sub" not in check.claims and check.claims["jti"] == issued.id
    with pytest.raises(InputError):
        service.present({"method", "face"})
    service.revoke()
    assert service.verify_token(presentation).reason == "revoked"


def test_a_credential_issued_elsewhere_is_stored_only_after_it_verifies(kctx, settings):
    desk_key = Ed25519PrivateKey.generate()
    desk_set = {"selfverify_desk": "d1", "keys": [{**key_set([desk_key.public_key()])["keys"][0],
                                                   "selfverify_kind": "agent", "selfverify_handle": "sam"}]}
    now = int(kctx.clock.now().timestamp())
    claims = {"iss": "selfverify:desk:d1", "sub": "alice", "iat": now, "nbf": now, "exp": now + 3600,
              "jti": "b" * 32, "method": "interview", "assurance": {"agent": "sam", "documents_seen": ["passport"]}}
    service = CredentialService(kctx)
    refusals = {
        "pickup_invalid": sign_token(claims, Ed25519PrivateKey.generate()),
        "pickup_wrong_subject": sign_token({**claims, "sub": "bob"}, desk_key),
    }
    for code, token in refusals.items():
        with pytest.raises(PolicyRefusal) as err:
            service.store_issued(token, desk_set)
        assert err.value.code == code
    assert keyring_items(settings.keyring_service) == {} and service.records() == []

    token = sign_token(claims, desk_key)
    kept = service.store_issued(token, desk_set, appointment_id=7)
    assert kept.id == "b" * 32 and kept.issuer == "selfverify:desk:d1"
    assert service.current().token == token
    assert service.verify_token(token, key_set=desk_set).reason == "no_decision"  # the set lists no decision for it
    from selfverify.services.tokens import token_digest

    listed = {**desk_set, "selfverify_credentials": {"b" * 32: {"decision": "d" * 32, "digests": [token_digest(token)]}}}
    assert service.verify_token(token, key_set=listed).valid
    with pytest.raises(PolicyRefusal):
        service.store_issued(token, desk_set)
    service.revoke()
    with pytest.raises(PolicyRefusal):
        CredentialService(kctx).store_issued(token, desk_set)


# --- second review, findings 2 and 8: a live row's id does not vouch for other claims --------------

@pytest.mark.parametrize("change", [
    {"sub": "mallory"}, {"method": "interview"}, {"iat": 1}, {"exp": -1},
])
def test_a_live_credential_id_on_a_token_with_other_claims_is_a_forgery(kctx, issued, change):
    """The device key sits in every local user's keyring: re-signing the real credential's jti with
    another sub, method or dates must not verify on the issuing installation."""
    claims = decode_claims(issued.token)
    forged_claims = {**claims, **{k: (claims[k] + v if k in ("iat", "exp") else v) for k, v in change.items()}}
    forged = sign_token(forged_claims, device_key(kctx))
    check = CredentialService(kctx).verify_token(forged)
    assert (check.valid, check.reason) == (False, "not_as_issued")
    assert CredentialService(kctx).verify_token(sign_token(claims, device_key(kctx))).valid  # the same claims still do


def test_a_token_valid_for_longer_than_credentials_are_issued_is_refused(kctx, issued, tmp_path, settings, fake_clock):
    service = CredentialService(kctx)
    claims = {**decode_claims(issued.token), "jti": "e" * 32, "exp": 253402300799}  # year 9999
    forged = sign_token(claims, device_key(kctx))
    other = AppContext(settings=settings.replace(home=str(tmp_path / "rp")), clock=fake_clock)
    check = CredentialService(other).verify_token(forged, key_set=service.issuer_key_set())
    assert (check.valid, check.reason) == (False, "too_long")
    no_iat = sign_token({k: v for k, v in decode_claims(issued.token).items() if k != "iat"}, device_key(kctx))
    assert CredentialService(other).verify_token(no_iat, key_set=service.issuer_key_set()).reason == "too_long"


def test_a_second_kid_for_the_device_key_is_still_signed_here(kctx, issued):
    """Finding 8: the installation's own key listed under kid 'alias' got past the unknown-token guard."""
    from selfverify.services.tokens import public_jwk

    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = device_key(kctx)
    claims = {**decode_claims(issued.token), "jti": "never-issued", "sub": "alice", "method": "interview"}
    aliased = jwt.encode({"alg": "Ed25519", "typ": TOKEN_TYP, "kid": "alias"}, claims, OKPKey.import_key(key),
                         algorithms=["Ed25519"])
    alias_set = {"keys": [{**public_jwk(key.public_key()), "kid": "alias"}]}
    check = CredentialService(kctx).verify_token(aliased, key_set=alias_set)
    assert (check.valid, check.reason) == (False, "unknown")
