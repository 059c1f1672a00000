"""The old credential format, ``sv1.<claims>.<signature>``: still verified until such tokens expire, never issued.

claims is base64url JSON (``jti sub mth iat exp iss asr``); the signature is Ed25519 over
``sv1.<claims>`` by the pre-installation-id ``issuer-key``. Claims are returned under today's names
(``method``, ``assurance``) so every front end shows both formats the same way.
"""

from __future__ import annotations

from datetime import datetime

from selfverify.services.tokens import TokenCheck, _Refused, b64url_decode_strict, strict_json

PREFIX = "sv1."
_MAX_EPOCH = 253402300799


def _split(token: str) -> tuple[str, str]:
    token = token.strip()
    if not token.startswith(PREFIX):
        raise ValueError("wrong prefix")
    parts = token[len(PREFIX):].split(".")
    if len(parts) != 2:
        raise ValueError("wrong number of parts")
    return parts[0], parts[1]


def _raw_claims(payload: str) -> dict:
    claims = strict_json(b64url_decode_strict(payload))
    if not isinstance(claims, dict):
        raise ValueError("claims are not an object")
    return claims


def _today_names(claims: dict) -> dict:
    renamed = {"mth": "method", "asr": "assurance"}
    return {renamed.get(k, k): v for k, v in claims.items()}


def decode_claims(token: str) -> dict | None:
    """The claims of a well-formed old token, signature unchecked (None if malformed)."""
    try:
        return _today_names(_raw_claims(_split(token)[0]))
    except (ValueError, UnicodeDecodeError, RecursionError, _Refused):
        return None


def check_token(token: str, public_keys, now: datetime) -> tuple[TokenCheck, object | None]:
    """Signature (by any of ``public_keys``) and expiry; also returns the key that verified it."""
    from cryptography.exceptions import InvalidSignature

    try:
        payload, signature_text = _split(token)
        signature = b64url_decode_strict(signature_text)
        claims = _raw_claims(payload)
        expires = claims["exp"]
        if isinstance(expires, bool) or not isinstance(expires, int) or not 0 <= expires <= _MAX_EPOCH:
            raise ValueError("exp is not a date")
    except _Refused as refused:
        return TokenCheck(False, refused.reason, None, "sv1"), None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return TokenCheck(False, "malformed", None, "sv1"), None
    signing_input = (PREFIX + payload).encode("ascii")
    for key in public_keys:
        try:
            key.verify(signature, signing_input)
        except InvalidSignature:
            continue
        claims = _today_names(claims)
        if int(now.timestamp()) >= expires:
            return TokenCheck(False, "expired", claims, "sv1"), key
        return TokenCheck(True, None, claims, "sv1"), key
    return TokenCheck(False, "bad_signature", None, "sv1"), None
