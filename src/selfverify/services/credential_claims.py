"""What a credential says and where its tokens are kept: the claims, the keyring entry names, and
reading a token's claims without its signature. ``services/credentials.py`` issues, verifies and
revokes; it re-exports these names, so ``from selfverify.services.credentials import ...`` still works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from selfverify.core.liveness import CHALLENGE_VERSION
from selfverify.errors import InputError, PolicyRefusal
from selfverify.i18n import _
from selfverify.services import legacy_tokens
from selfverify.services.tokens import _Refused, _segment_json, b64url_decode_strict, split_sd, thumbprint, token_format
from selfverify.store.signing_keys import keyring_entry

# Windows' Credential Manager stores up to 2560 bytes of UTF-16, i.e. 1280 characters
MAX_TOKEN_CHARS = 1200
METHODS = ("selfie", "interview")
# what an SD-JWT presentation may hide; everything else (iss iat nbf exp jti) is always shown
DISCLOSABLE = ("sub", "method", "assurance")
LEGACY_CREDENTIAL_PREFIX = "credential:"  # the pre-installation-id entry, shared by every home


@dataclass(frozen=True)
class IssuedCredential:
    id: str
    subject: str
    method: str
    issued_at: datetime
    expires_at: datetime
    token: str
    assurance: dict[str, Any] = field(default_factory=dict)
    issuer: str = ""
    handed_out: bool = False  # a kiosk's: the token is only here (shown or written), not in any keyring

    def as_dict(self, with_token: bool = False) -> dict[str, Any]:
        data = {
            "id": self.id, "subject": self.subject, "method": self.method, "issuer": self.issuer,
            "issued_at": self.issued_at.isoformat(), "expires_at": self.expires_at.isoformat(),
            "assurance": self.assurance,
        }
        if self.handed_out:
            data["handed_out"] = True
        if with_token or self.handed_out:
            data["token"] = self.token
        return data


@dataclass(frozen=True)
class Issuer:
    """Who signs a credential: the private key, the ``iss`` naming it, and whether it only vouches for itself."""

    key: Any  # Ed25519PrivateKey
    iss: str
    self_asserted: bool
    kind: str = "device"  # device | kiosk (what the record says signed it)


def credential_key(settings, subject: str) -> str:
    """The keyring entry of ``subject``'s credential (the JWS) on this installation."""
    return keyring_entry(settings, f"credential:{subject}")


def sd_credential_key(settings, subject: str) -> str:
    """The keyring entry of the same credential as an SD-JWT (every disclosure attached)."""
    return keyring_entry(settings, f"credential-sd:{subject}")


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


def decode_claims(token: str) -> dict | None:
    """The claims of a well-formed token of any format, without checking the signature (None if malformed)."""
    fmt = token_format(token)
    if fmt == "sv1":
        return legacy_tokens.decode_claims(token)
    try:
        jws = split_sd(token.strip())[0] if fmt == "sd-jwt" else token.strip()
        parts = jws.split(".")
        claims = _segment_json(parts[1]) if len(parts) == 3 else None
    except _Refused:
        return None
    return claims if isinstance(claims, dict) else None


def load_public_key(text: str | bytes):
    """An Ed25519 public key from PEM or from 32 raw bytes in base64url."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = text.encode() if isinstance(text, str) else text
    try:
        if b"-----BEGIN" in raw:
            key = serialization.load_pem_public_key(raw)
        else:
            key = Ed25519PublicKey.from_public_bytes(b64url_decode_strict(raw.decode("ascii").strip()))
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise InputError(_("That is not an Ed25519 public key ({error}).").format(error=exc), code="bad_public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(_("That public key is not an Ed25519 key."), code="bad_public_key")
    return key


def selfie_assurance(decision) -> dict[str, Any]:
    """Assurance claims from a selfie Decision; refuses any decision that cannot earn a credential.

    The facts a relying party may rely on, never a biometric and never a distance."""
    if not getattr(decision, "can_issue_credential", False):
        if getattr(decision, "verified", False) and getattr(decision, "liveness", None) != "passed":
            raise PolicyRefusal(_("A check without a passed liveness challenge (for example a replay with liveness off) "
                                  "can never produce a credential."), code="liveness_required")
        raise PolicyRefusal(_("Only a verified selfie check can produce a credential."), code="not_verified")
    return _liveness_facts()


def _liveness_facts() -> dict[str, Any]:
    return {"liveness": True, "liveness_version": CHALLENGE_VERSION}


def _check_assurance(assurance: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in assurance.items():
        if not isinstance(value, (str, int, float, bool)) and value is not None:
            raise InputError(_("Credential assurance {name} must be a short plain value, not {kind}.").format(
                name=repr(key), kind=type(value).__name__))
        if isinstance(value, str) and len(value) > 120:
            raise InputError(_("Credential assurance {name} is too long for a compact credential.").format(name=repr(key)))
        clean[str(key)] = value
    return clean


def same_key(a, b) -> bool:
    return thumbprint(a) == thumbprint(b)


def handed_out_lines(credential: IssuedCredential) -> list[str]:
    """What a kiosk shows the person: their token, kept nowhere on the kiosk."""
    return [_("This kiosk keeps no copy of your credential: take it now (copy it or photograph it as text)."),
            credential.token]


def _thumbprint_raw(raw: bytes | None) -> str | None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return thumbprint(Ed25519PublicKey.from_public_bytes(raw)) if raw is not None else None


def _as_recorded(claims: dict, row) -> bool:
    """A token naming a credential this database holds must say what that credential says (an SD-JWT
    presentation may keep sub and method hidden: then it asserts nothing about them)."""
    recorded = {"sub": row.subject, "method": row.method, "iat": _row_epoch(row.issued_at), "exp": _row_epoch(row.expires_at)}
    return all(claims.get(name) == value for name, value in recorded.items() if name in claims or name in ("iat", "exp"))


def _row_epoch(value) -> int:
    from datetime import timezone

    return _epoch(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
