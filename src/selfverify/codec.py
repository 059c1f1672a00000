"""Unpadded base64url (RFC 7515 section 2) and a token's digest: one codec for the tokens (services),
key thumbprints (store) and the schema upgrade that records digests (store), below both floors."""

from __future__ import annotations

import base64
import hashlib

_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode_strict(text: str) -> bytes:
    """Unpadded base64url, refusing every non-canonical spelling (so no flipped bit goes unnoticed)."""
    if not text or not set(text) <= _B64URL:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


def token_digest(token: str) -> str:
    """base64url SHA-256 of a token's issuer-signed JWS (an SD-JWT's part before the first ``~``, which
    every presentation of it keeps): what a desk records of an interview credential instead of the token."""
    return b64url_encode(hashlib.sha256(token.strip().split("~", 1)[0].encode("ascii", "replace")).digest())
