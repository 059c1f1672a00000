"""Compact JWS/JWT credentials (RFC 7515/7519) signed with Ed25519 (RFC 9864), and SD-JWT (RFC 9901).

Signing and signature checks are joserfc's; this module adds what a credential needs on top:
an explicit ``typ``, ``kid`` = the RFC 7638 thumbprint of the signing key, refusal of everything a
relying party could be tricked by (``alg: none``, HMAC with a public key as secret, duplicate JSON
members, non-canonical base64url, a kid the key set does not list), and time checks against an
injected clock. ``sv1.`` tokens (the old format) are checked only by ``selfverify.services.legacy_tokens``.

SD-JWT: the issuer signs a JWT whose ``_sd`` array holds SHA-256 digests of the hidden claims;
each disclosure is ``base64url(JSON [salt, name, value])``. A presentation is
``<issuer-signed JWT>~<disclosure>~...~`` (no key binding: a status and holder binding are future work).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selfverify.codec import _B64URL, b64url_decode_strict, b64url_encode, token_digest  # noqa: F401 (re-exported)
from selfverify.errors import InputError
from selfverify.i18n import N_, _

TOKEN_TYP = "selfverify+jwt"
SD_TOKEN_TYP = "selfverify+sd-jwt"
SIGNING_ALG = "Ed25519"
ACCEPTED_ALGS = ("Ed25519", "EdDSA")  # EdDSA is RFC 8037's name for the same signature
SD_ALG = "sha-256"
# claims a presentation always shows: who vouched, when, until when, and which credential (for revocation)
ALWAYS_VISIBLE = ("iss", "iat", "nbf", "exp", "jti")
# 1970 .. 9999-12-31: a date outside this is not a date (and would overflow datetime)
_MAX_EPOCH = 253402300799
MAX_TOKEN_TEXT = 16_000

REASON_MESSAGES = {
    "malformed": N_("this is not a selfverify credential (malformed token)"),
    "duplicate_member": N_("the token repeats a JSON member (a forgery trick)"),
    "alg_refused": N_("the token's algorithm is not Ed25519 (alg none and HMAC are refused)"),
    "wrong_type": N_("the token's typ is not a selfverify credential"),
    "unknown_key": N_("the key that signed it is not in the issuer's key set"),
    "bad_signature": N_("bad signature: the token was altered or signed by another key"),
    "bad_disclosure": N_("a disclosure was altered, repeated or added"),
    "expired": N_("expired"),
    "not_yet_valid": N_("not yet valid"),
    "revoked": N_("revoked"),
    "not_issued": N_("it was never completely issued"),
    "unknown": N_("this installation signed it but has no record of it (deleted or never issued): not valid"),
    "not_as_issued": N_("its claims or signing key differ from the issuer's record of that credential (a forgery)"),
    "too_long": N_("it claims a validity longer than credentials are issued for (or no issue time)"),
    "wrong_signer": N_("the key that signed it may not sign this credential (its method, agent or issuer does not match the key's kind)"),
    "no_decision": N_("no decision of the desk issued this interview credential (an agent cannot sign one outside a decision)"),
    "not_as_decided": N_("it differs from the interview credential the desk's decision issued under that id (a forgery)"),
}


def reason_message(reason: str | None) -> str:
    """The sentence for a refusal code, in the current language (the code itself if unknown)."""
    return _(REASON_MESSAGES[reason]) if reason in REASON_MESSAGES else str(reason)


@dataclass(frozen=True)
class TokenCheck:
    valid: bool
    reason: str | None  # None when valid; else a key of REASON_MESSAGES
    claims: dict | None
    format: str = "jwt"  # jwt | sd-jwt | sv1 (the old format)
    header: dict | None = None
    hidden: int = 0  # SD-JWT: how many claims the presentation keeps hidden
    signer: bytes | None = None  # the raw public key that verified the signature (never the declared kid)

    @property
    def message(self) -> str:
        old = _(" (old sv1 format)") if self.format == "sv1" else ""
        if self.valid:
            return _("valid") + old
        return _("invalid: {reason}").format(reason=reason_message(self.reason)) + old

    def but(self, reason: str) -> TokenCheck:
        """The same token found invalid for ``reason`` (revocation is decided after the signature)."""
        return TokenCheck(False, reason, self.claims, self.format, self.header, self.hidden, self.signer)


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Expired(_Refused):
    """Signature good, but outside its validity window: the claims are still shown."""


# encoding helpers (input checks only: signing and verifying are joserfc's)

def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise _Refused("duplicate_member")
        seen[name] = value
    return seen


def strict_json(data: bytes | str) -> Any:
    """JSON with every object checked for a repeated member (Python's json keeps the last one silently)."""
    def refuse_constant(name: str):
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=refuse_constant)


def _segment_json(segment: str) -> Any:
    try:
        return strict_json(b64url_decode_strict(segment))
    except _Refused:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _Refused("malformed") from None


# keys

def _ed25519_public(key):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key
    raise TypeError(f"not an Ed25519 key: {type(key).__name__}")


def raw_public(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return _ed25519_public(public_key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(public_key) -> str:
    """RFC 7638 JWK thumbprint (base64url SHA-256 of the canonical JWK members)."""
    from joserfc.jwk import OKPKey

    return OKPKey.import_key(_ed25519_public(public_key)).thumbprint()


def public_jwk(public_key) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw_public(public_key)),
            "kid": thumbprint(public_key), "alg": SIGNING_ALG, "use": "sig"}


def key_set(public_keys) -> dict:
    keys, seen = [], set()
    for key in public_keys:
        jwk = public_jwk(key)
        if jwk["kid"] not in seen:
            seen.add(jwk["kid"])
            keys.append(jwk)
    return {"keys": keys}


def public_pem(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    return _ed25519_public(public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _jwk_to_key(jwk: Any, index: int):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(jwk, dict):
        raise InputError(_("Key {index} of the key set is not a JSON object.").format(index=index), code="bad_key_set")
    if "d" in jwk:
        raise InputError(_("The key set holds a PRIVATE key: refusing it (publish only public keys; "
                           "treat that private key as leaked)."), code="private_key_in_key_set")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return None  # another kind of key (RSA, P-256...): not one that signs selfverify credentials
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", SIGNING_ALG) not in ACCEPTED_ALGS:
        return None
    try:
        raw = b64url_decode_strict(str(jwk.get("x", "")))
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InputError(_("Key {index} of the key set has a damaged 'x' (not a 32-byte Ed25519 key).").format(index=index),
                         code="bad_key_set") from None


def _key_index(text_or_dict) -> dict[str, Any]:
    """kid -> public key for every Ed25519 signing key of a JWKS (declared kid and thumbprint both)."""
    data = text_or_dict
    if isinstance(data, (str, bytes)):
        try:
            data = strict_json(data)
        except (_Refused, ValueError, RecursionError):
            raise InputError(_("That is not a JWK Set (not valid JSON, or a member repeated)."), code="bad_key_set") from None
    if isinstance(data, dict) and "kty" in data and "keys" not in data:
        data = {"keys": [data]}  # a single JWK
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise InputError(_('That is not a JWK Set (expected {"keys": [...]}).'), code="bad_key_set")
    index: dict[str, Any] = {}
    for position, jwk in enumerate(data["keys"], 1):
        key = _jwk_to_key(jwk, position)
        if key is None:
            continue
        names = {thumbprint(key)}
        if isinstance(jwk.get("kid"), str) and jwk["kid"]:
            names.add(jwk["kid"])
        for name in names:
            if name in index and raw_public(index[name]) != raw_public(key):
                raise InputError(_("The key set lists two different keys under kid {kid}.").format(kid=repr(name)), code="bad_key_set")
            index[name] = key
    if not index:
        raise InputError(_("The key set has no Ed25519 signing key."), code="bad_key_set")
    return index


def load_key_set(text_or_dict) -> list:
    """The Ed25519 public keys of a JWK Set (JSON text or dict); junk is refused with InputError."""
    unique: dict[bytes, Any] = {}
    for key in _key_index(text_or_dict).values():
        unique.setdefault(raw_public(key), key)
    return list(unique.values())


def _index_keys(keys) -> dict[str, Any]:
    if isinstance(keys, (dict, str, bytes)):
        return _key_index(keys)
    return {thumbprint(key): _ed25519_public(key) for key in keys}


# signing

def sign_token(claims: dict, private_key, *, typ: str = TOKEN_TYP) -> str:
    """Compact JWS, header {"alg": "Ed25519", "typ": typ, "kid": thumbprint}."""
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    header = {"alg": SIGNING_ALG, "typ": typ, "kid": thumbprint(private_key)}
    return jwt.encode(header, claims, OKPKey.import_key(private_key), algorithms=[SIGNING_ALG])


def make_disclosure(name: str, value: Any) -> str:
    salt = b64url_encode(secrets.token_bytes(16))
    return b64url_encode(json.dumps([salt, name, value], separators=(",", ":")).encode("utf-8"))


def disclosure_digest(disclosure: str) -> str:
    return b64url_encode(hashlib.sha256(disclosure.encode("ascii")).digest())


def sign_sd_token(claims: dict, hidden: tuple[str, ...], private_key, *, typ: str = SD_TOKEN_TYP) -> str:
    """An SD-JWT in issuance form (every disclosure attached): ``hidden`` claims become disclosures."""
    disclosures = [make_disclosure(name, claims[name]) for name in hidden if name in claims]
    visible = {k: v for k, v in claims.items() if k not in hidden}
    visible["_sd"] = sorted(disclosure_digest(d) for d in disclosures)
    visible["_sd_alg"] = SD_ALG
    return "~".join([sign_token(visible, private_key, typ=typ), *disclosures]) + "~"


def split_sd(token: str) -> tuple[str, list[str]]:
    """The issuer-signed JWT and the disclosures of an SD-JWT (refuses a key-binding JWT: not supported)."""
    parts = token.split("~")
    if len(parts) < 2 or parts[-1] != "":
        raise _Refused("malformed")
    return parts[0], parts[1:-1]


def present(sd_token: str, disclose: set[str]) -> str:
    """A presentation keeping only the disclosures of the claims named in ``disclose``."""
    jwt_part, disclosures = split_sd(sd_token)
    kept = [d for d in disclosures if _disclosure_name(d) in disclose]
    return "~".join([jwt_part, *kept]) + "~"


def _disclosure_name(disclosure: str) -> str:
    item = _segment_json(disclosure)
    return item[1] if isinstance(item, list) and len(item) == 3 else ""


def token_format(token: str) -> str:
    token = token.strip()
    if token.startswith("sv1."):
        return "sv1"
    return "sd-jwt" if "~" in token else "jwt"


# verifying

def verify_token(token: str, keys, now: datetime, *, typ: str = TOKEN_TYP) -> TokenCheck:
    """Check a compact JWS credential (or, with ``typ`` SD_TOKEN_TYP or a ``~``, an SD-JWT).

    ``keys``: a JWKS (dict or JSON text) or a list of Ed25519 public keys; the key is picked by kid.
    Refuses alg none/HS*, a wrong typ, duplicate JSON members, an unknown kid, a bad signature,
    exp reached, nbf not reached. Revocation is the caller's (it needs the issuer's database)."""
    token = token.strip()
    index = _index_keys(keys)
    if "~" in token:
        return _verify_sd(token, index, now, SD_TOKEN_TYP if typ == TOKEN_TYP else typ)
    try:
        header, claims, signer = _verify_jws(token, index, typ)
        _check_times(claims, now)
    except _Expired as late:
        return TokenCheck(False, late.reason, claims, "jwt", header, signer=signer)
    except _Refused as refused:
        return TokenCheck(False, refused.reason, None, "jwt")
    return TokenCheck(True, None, claims, "jwt", header, signer=signer)


def _verify_jws(token: str, index: dict[str, Any], typ: str) -> tuple[dict, dict, bytes]:
    from joserfc import jws
    from joserfc.errors import BadSignatureError, JoseError
    from joserfc.jwk import OKPKey

    if len(token) > MAX_TOKEN_TEXT or token.count(".") != 2:
        raise _Refused("malformed")
    header_segment, payload_segment, signature_segment = token.split(".")
    header, claims = _segment_json(header_segment), _segment_json(payload_segment)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _Refused("malformed")
    if header.get("alg") not in ACCEPTED_ALGS:
        raise _Refused("alg_refused")
    if header.get("typ") != typ:
        raise _Refused("wrong_type")
    if "crit" in header or "jwk" in header or "jku" in header or "x5u" in header:
        raise _Refused("malformed")  # keys come from the verifier's key set, never from the token
    key = index.get(header.get("kid")) if isinstance(header.get("kid"), str) else None
    if key is None:
        raise _Refused("unknown_key")
    _decode_or_refuse(signature_segment)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc warns that the name EdDSA is deprecated: we accept it on purpose
            jws.deserialize_compact(token, OKPKey.import_key(key), algorithms=list(ACCEPTED_ALGS))
    except BadSignatureError:
        raise _Refused("bad_signature") from None
    except (JoseError, ValueError, TypeError):
        raise _Refused("malformed") from None
    return header, claims, raw_public(key)


def _decode_or_refuse(segment: str) -> bytes:
    try:
        return b64url_decode_strict(segment)
    except ValueError:
        raise _Refused("malformed") from None


def _epoch_claim(claims: dict, name: str, required: bool) -> int | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_EPOCH:
        raise _Refused("malformed")
    return value


def _check_times(claims: dict, now: datetime) -> None:
    for name in ("iss", "jti", "sub"):
        if name in claims and not isinstance(claims[name], str):
            raise _Refused("malformed")
    expires = _epoch_claim(claims, "exp", required=True)
    not_before = _epoch_claim(claims, "nbf", required=False)
    _epoch_claim(claims, "iat", required=False)
    current = int(now.timestamp())
    if current >= expires:
        raise _Expired("expired")
    if not_before is not None and current < not_before:
        raise _Expired("not_yet_valid")


def _verify_sd(token: str, index: dict[str, Any], now: datetime, typ: str) -> TokenCheck:
    try:
        jwt_part, disclosures = split_sd(token)
        header, claims, signer = _verify_jws(jwt_part, index, typ)
        claims, hidden = _apply_disclosures(claims, disclosures)
        _check_times(claims, now)
    except _Expired as late:
        return TokenCheck(False, late.reason, claims, "sd-jwt", header, hidden, signer)
    except _Refused as refused:
        return TokenCheck(False, refused.reason, None, "sd-jwt")
    return TokenCheck(True, None, claims, "sd-jwt", header, hidden, signer)


def _apply_disclosures(claims: dict, disclosures: list[str]) -> tuple[dict, int]:
    """RFC 9901 section 7.1: each disclosure's digest must be listed once in ``_sd``; no name twice."""
    if claims.get("_sd_alg") != SD_ALG:
        raise _Refused("malformed")
    digests = claims.get("_sd")
    if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests) or len(set(digests)) != len(digests):
        raise _Refused("malformed")
    visible = {k: v for k, v in claims.items() if k not in ("_sd", "_sd_alg")}
    used: set[str] = set()
    for disclosure in disclosures:
        digest = disclosure_digest(disclosure) if set(disclosure) <= _B64URL else ""
        if digest not in digests or digest in used:
            raise _Refused("bad_disclosure")
        used.add(digest)
        try:
            item = _segment_json(disclosure)
        except _Refused:
            raise _Refused("bad_disclosure") from None
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], str)):
            raise _Refused("bad_disclosure")
        name = item[1]
        if name in visible or name in ("_sd", "_sd_alg", "..."):
            raise _Refused("bad_disclosure")
        visible[name] = item[2]
    return visible, len(digests) - len(used)
