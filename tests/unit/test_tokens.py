"""JWS credentials and SD-JWT (services/tokens.py): every forgery a relying party could be fooled by is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from selfverify.core.liveness import CHALLENGE_VERSION
from selfverify.errors import InputError
from selfverify.services import tokens
from selfverify.services.tokens import (
    SD_TOKEN_TYP,
    TOKEN_TYP,
    key_set,
    load_key_set,
    present,
    public_jwk,
    sign_sd_token,
    sign_token,
    thumbprint,
    verify_token,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
T = int(NOW.timestamp())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**extra) -> dict:
    return {"iss": "selfverify:device:test", "sub": "alice", "iat": T, "nbf": T, "exp": T + 86400,
            "jti": "a" * 32, "method": "selfie",
            "assurance": {"liveness": True, "liveness_version": CHALLENGE_VERSION, "self_asserted": True}, **extra}


def forge(header: dict | str, payload: dict | str, key=None, secret: bytes | None = None) -> str:
    """A token built by hand, the way an attacker would (raw JSON text allows repeated members)."""
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    signing_input = f"{b64(h.encode())}.{b64(p.encode())}"
    if secret is not None:
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    elif key is not None:
        signature = key.sign(signing_input.encode())
    else:
        signature = b""
    return f"{signing_input}.{b64(signature)}"


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def jwks(key):
    return key_set([key.public_key()])


def header(key, **changes) -> dict:
    return {"alg": "Ed25519", "typ": TOKEN_TYP, "kid": thumbprint(key), **changes}


def test_rfc8037_thumbprint_vector():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="))
    assert thumbprint(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    jwk = public_jwk(public)
    assert jwk == {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                   "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "Ed25519", "use": "sig"}


def test_a_signed_token_has_the_agreed_header_and_verifies(key, jwks):
    token = sign_token(claims(), key)
    head = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert head == {"alg": "Ed25519", "typ": TOKEN_TYP, "kid": thumbprint(key)}
    for keys in (jwks, json.dumps(jwks), [key.public_key()], load_key_set(jwks)):
        check = verify_token(token, keys, NOW)
        assert (check.valid, check.reason, check.format) == (True, None, "jwt")
        assert check.claims == claims() and check.message == "valid"


def test_the_older_eddsa_name_is_accepted(key, jwks):
    token = forge(header(key, alg="EdDSA"), claims(), key)
    assert verify_token(token, jwks, NOW).valid


def _flip(token: str, index: int, mask: int) -> str:
    return token[:index] + chr(ord(token[index]) ^ mask) + token[index + 1:]


def test_every_byte_of_header_payload_and_signature_flipped_is_refused(key, jwks):
    token = sign_token(claims(), key)
    dots = [i for i, c in enumerate(token) if c == "."]
    parts = {"header": range(0, dots[0]), "payload": range(dots[0] + 1, dots[1]),
             "signature": range(dots[1] + 1, len(token))}
    reasons: dict[str, set] = {}
    for part, positions in parts.items():
        for index in positions:
            for mask in (0x01, 0x02, 0x04, 0x20):
                tampered = _flip(token, index, mask)
                check = verify_token(tampered, jwks, NOW)
                assert not check.valid, (part, index, mask)
                reasons.setdefault(part, set()).add(check.reason)
    assert reasons["signature"] <= {"malformed", "bad_signature"}
    assert "bad_signature" in reasons["payload"] and "bad_signature" in reasons["signature"]
    assert reasons["header"] <= {"malformed", "bad_signature", "alg_refused", "wrong_type", "unknown_key", "duplicate_member"}


@pytest.mark.parametrize("attack, reason", [
    ("alg_none", "alg_refused"),
    ("alg_none_no_signature", "alg_refused"),
    ("hs256_with_public_key_as_secret", "alg_refused"),
    ("another_key_same_kid", "bad_signature"),
    ("another_key_own_kid", "unknown_key"),
    ("no_kid", "unknown_key"),
    ("wrong_typ", "wrong_type"),
    ("plain_jwt_typ", "wrong_type"),
    ("expired", "expired"),
    ("not_yet_valid", "not_yet_valid"),
    ("sub_twice", "duplicate_member"),
    ("alg_twice", "duplicate_member"),
    ("exp_10e20", "malformed"),
    ("exp_is_a_string", "malformed"),
    ("exp_is_true", "malformed"),
    ("embedded_jwk", "malformed"),
    ("crit", "malformed"),
])
def test_forgeries_are_refused_with_their_reason(key, jwks, attack, reason):
    other = Ed25519PrivateKey.generate()
    public_raw = json.dumps(public_jwk(key.public_key())).encode()
    token = {
        "alg_none": lambda: forge(header(key, alg="none"), claims()) ,
        "alg_none_no_signature": lambda: forge(header(key, alg="none"), claims()).rsplit(".", 1)[0] + ".",
        "hs256_with_public_key_as_secret": lambda: forge(header(key, alg="HS256"), claims(), secret=public_raw),
        "another_key_same_kid": lambda: forge(header(key), claims(), other),
        "another_key_own_kid": lambda: sign_token(claims(), other),
        "no_kid": lambda: forge({"alg": "Ed25519", "typ": TOKEN_TYP}, claims(), key),
        "wrong_typ": lambda: sign_token(claims(), key, typ="selfverify+other"),
        "plain_jwt_typ": lambda: forge(header(key, typ="JWT"), claims(), key),
        "expired": lambda: sign_token(claims(exp=T), key),
        "not_yet_valid": lambda: sign_token(claims(nbf=T + 1), key),
        "sub_twice": lambda: forge(header(key), json.dumps(claims())[:-1] + ', "sub": "mallory"}', key),
        "alg_twice": lambda: forge('{"alg": "none", "alg": "Ed25519", "typ": "%s", "kid": "%s"}'
                                   % (TOKEN_TYP, thumbprint(key)), claims(), key),
        "exp_10e20": lambda: sign_token(claims(exp=10**20), key),
        "exp_is_a_string": lambda: sign_token(claims(exp=str(T + 99)), key),
        "exp_is_true": lambda: sign_token(claims(exp=True), key),
        "embedded_jwk": lambda: forge(header(key, jwk=public_jwk(other.public_key())), claims(), other),
        "crit": lambda: forge(header(key, crit=["exp"]), claims(), key),
    }[attack]()
    check = verify_token(token, jwks, NOW)
    assert (check.valid, check.reason) == (False, reason)
    assert check.message.startswith("invalid: ")


def test_expiry_and_not_before_are_exact(key, jwks):
    token = sign_token(claims(exp=T + 10, nbf=T + 5), key)
    assert verify_token(token, jwks, NOW + timedelta(seconds=4)).reason == "not_yet_valid"
    assert verify_token(token, jwks, NOW + timedelta(seconds=5)).valid
    assert verify_token(token, jwks, NOW + timedelta(seconds=9)).valid
    check = verify_token(token, jwks, NOW + timedelta(seconds=10))
    assert check.reason == "expired" and check.claims["sub"] == "alice"  # the holder still sees what expired


@pytest.mark.parametrize("text", [
    "", "[]", "{}", '{"keys": 3}', '{"keys": []}', "not json", '{"keys": [1]}',
    '{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "short"}]}',
    '{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}',
    '{"keys": [], "keys": []}',
])
def test_junk_key_sets_are_refused(text):
    with pytest.raises(InputError) as err:
        load_key_set(text)
    assert err.value.exit_code == 2


def test_a_key_set_with_a_private_key_is_refused(key):
    from joserfc.jwk import OKPKey

    private = OKPKey.import_key(key).as_dict(private=True)
    with pytest.raises(InputError) as err:
        load_key_set({"keys": [private]})
    assert err.value.code == "private_key_in_key_set"


def test_other_kinds_of_keys_in_a_set_are_skipped(key):
    jwks = {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r1"}, public_jwk(key.public_key())]}
    assert len(load_key_set(jwks)) == 1
    assert verify_token(sign_token(claims(), key), jwks, NOW).valid


# SD-JWT (RFC 9901)

HIDDEN = ("sub", "method", "assurance")


def test_a_presentation_hiding_the_subject_verifies(key, jwks):
    issued = sign_sd_token(claims(), HIDDEN, key)
    presentation = present(issued, {"method"})
    assert "alice" not in presentation
    assert all("alice" not in base64.urlsafe_b64decode(p + "==").decode("latin-1")
               for p in presentation.replace("~", ".").split(".") if p)
    check = verify_token(presentation, jwks, NOW)
    assert (check.valid, check.format, check.hidden) == (True, "sd-jwt", 2)
    assert check.claims["method"] == "selfie" and "sub" not in check.claims
    assert check.claims["exp"] == T + 86400 and check.header["typ"] == SD_TOKEN_TYP
    full = verify_token(issued, jwks, NOW)
    assert full.valid and full.claims == claims() and full.hidden == 0


def test_altered_added_or_repeated_disclosures_are_refused(key, jwks):
    issued = sign_sd_token(claims(), HIDDEN, key)
    jwt_part, *disclosures, _ = issued.split("~")
    method = next(d for d in disclosures if json.loads(base64.urlsafe_b64decode(d + "=="))[1] == "method")
    salt = json.loads(base64.urlsafe_b64decode(method + "=="))[0]
    altered = b64(json.dumps([salt, "method", "interview"]).encode())
    added = b64(json.dumps(["c2FsdHNhbHRzYWx0", "sub", "mallory"]).encode())
    visible_again = b64(json.dumps(["c2FsdHNhbHRzYWx0", "iss", "selfverify:desk:x"]).encode())
    for bad in ([altered], [method, added], [method, method], [visible_again], [method[:-1]], ["!!"]):
        check = verify_token("~".join([jwt_part, *bad]) + "~", jwks, NOW)
        assert (check.valid, check.reason) == (False, "bad_disclosure"), bad
    # a key-binding JWT (not supported) or a missing trailing ~ is not a presentation we accept
    assert verify_token(f"{jwt_part}~{method}", jwks, NOW).reason == "malformed"
    # the issuer-signed part still gets every JWS check
    at = len(jwt_part) - 60  # inside the signature; another base64url letter (a flipped bit may leave the alphabet)
    flipped = jwt_part[:at] + ("A" if jwt_part[at] != "A" else "B") + jwt_part[at + 1:]
    assert verify_token(f"{flipped}~{method}~", jwks, NOW).reason == "bad_signature"
    assert verify_token(sign_token(claims(), key) + "~", jwks, NOW).reason == "wrong_type"


def test_an_sd_jwt_with_a_repeated_digest_is_refused(key, jwks):
    issued = sign_sd_token(claims(), HIDDEN, key)
    jwt_part, *disclosures, _ = issued.split("~")
    payload = json.loads(base64.urlsafe_b64decode(jwt_part.split(".")[1] + "=="))
    payload["_sd"] = payload["_sd"] + payload["_sd"][:1]
    forged = forge(header(key, typ=SD_TOKEN_TYP), payload, key)
    assert verify_token("~".join([forged, *disclosures]) + "~", jwks, NOW).reason == "malformed"


def test_strict_json_refuses_repeated_members_at_any_depth():
    with pytest.raises(tokens._Refused):
        tokens.strict_json('{"a": {"b": 1, "b": 2}}')
    assert tokens.strict_json('{"a": {"b": 1}, "c": [1, {"b": 2}]}') == {"a": {"b": 1}, "c": [1, {"b": 2}]}


def test_a_key_set_naming_its_keys_its_own_way_is_honoured(key):
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    named = {"keys": [{**public_jwk(key.public_key()), "kid": "desk-2026"}]}
    token = jwt.encode({"alg": "Ed25519", "typ": TOKEN_TYP, "kid": "desk-2026"}, claims(), OKPKey.import_key(key),
                       algorithms=["Ed25519"])
    assert verify_token(token, named, NOW).valid
    assert verify_token(token, [key.public_key()], NOW).reason == "unknown_key"  # a bare key is known by its thumbprint
    twice = {"keys": [named["keys"][0], {**public_jwk(Ed25519PrivateKey.generate().public_key()), "kid": "desk-2026"}]}
    with pytest.raises(InputError):
        load_key_set(twice)
