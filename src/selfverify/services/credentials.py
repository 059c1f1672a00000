"""Signed credentials: issued on a live, verified selfie or an approved interview, kept in the keyring.

Token (compact, well under Windows' 2.5 KB secret limit): ``sv1.<claims>.<signature>``, where
claims is base64url (unpadded) JSON and the signature is Ed25519 over ``sv1.<claims>``. The issuer's
private key is the keyring item ``issuer-key`` (created on first use); the token is the keyring item
``credential:<subject>``; the database keeps only id, subject, method, dates and status.

Issuing is crash-safe across database and keyring: a ``pending`` row, then the keyring write, then
the row marked ``issued`` (the previous credential ``superseded``). Revoking marks the row
``revoking``, deletes the token, then marks it ``revoked``. ``reconcile`` (at every start-up)
finishes or rolls back whatever a crash interrupted, so a token is in the keyring exactly when its
row says ``issued``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from selfverify.errors import InputError, NotFound, PolicyRefusal, SelfverifyError
from selfverify.services.crashsafe import fault_point, interprocess_lock

TOKEN_PREFIX = "sv1."
ISSUER_KEY_NAME = "issuer-key"
# Windows' Credential Manager stores up to 2560 bytes of UTF-16, i.e. 1280 characters
MAX_TOKEN_CHARS = 1200
METHODS = ("selfie", "interview")
# statuses whose token must not be in the keyring and does not verify
_DEAD = ("revoking", "revoked", "superseded", "rolling_back", "rolled_back")
_TRANSITIONAL = ("pending", "revoking", "rolling_back")
# statuses whose token is already gone from the keyring (reconcile saw to it)
_TOKEN_GONE = ("revoked", "superseded", "rolled_back")

REASON_MESSAGES = {
    "malformed": "this is not a selfverify credential (malformed token)",
    "bad_signature": "bad signature: the token was altered or signed by another key",
    "expired": "expired",
    "revoked": "revoked",
    "not_issued": "it was never completely issued",
}


@dataclass(frozen=True)
class IssuedCredential:
    id: str
    subject: str
    method: str
    issued_at: datetime
    expires_at: datetime
    token: str
    assurance: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, with_token: bool = False) -> dict[str, Any]:
        data = {
            "id": self.id, "subject": self.subject, "method": self.method,
            "issued_at": self.issued_at.isoformat(), "expires_at": self.expires_at.isoformat(),
            "assurance": self.assurance,
        }
        if with_token:
            data["token"] = self.token
        return data


@dataclass(frozen=True)
class TokenCheck:
    valid: bool
    reason: str | None  # None when valid; else malformed | bad_signature | expired | revoked | not_issued
    claims: dict | None

    @property
    def message(self) -> str:
        if self.valid:
            return "valid"
        return f"invalid: {REASON_MESSAGES.get(self.reason or '', self.reason)}"


def credential_key(subject: str) -> str:
    return f"credential:{subject}"


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d_strict(text: str) -> bytes:
    """Decode unpadded base64url, refusing every non-canonical spelling (so no flipped bit goes unnoticed)."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if _b64e(data) != text:
        raise ValueError("non-canonical base64url")
    return data


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


def key_id(public_raw: bytes) -> str:
    return _b64e(hashlib.sha256(public_raw).digest()[:8])


def decode_claims(token: str) -> dict | None:
    """The claims of a well-formed token, without checking the signature (None if malformed)."""
    try:
        payload, _ = _split(token)
        claims = json.loads(_b64d_strict(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def _split(token: str) -> tuple[str, str]:
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError("wrong prefix")
    parts = token[len(TOKEN_PREFIX):].split(".")
    if len(parts) != 2:
        raise ValueError("wrong number of parts")
    return parts[0], parts[1]


def load_public_key(text: str | bytes):
    """An Ed25519 public key from PEM or from 32 raw bytes in base64url."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = text.encode() if isinstance(text, str) else text
    try:
        if b"-----BEGIN" in raw:
            key = serialization.load_pem_public_key(raw)
        else:
            key = Ed25519PublicKey.from_public_bytes(_b64d_strict(raw.decode("ascii").strip()))
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise InputError(f"That is not an Ed25519 public key ({exc}).", code="bad_public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("That public key is not an Ed25519 key.", code="bad_public_key")
    return key


def check_token(token: str, public_key, now: datetime) -> TokenCheck:
    """Signature and expiry only (revocation needs the database: ``CredentialService.verify_token``)."""
    from cryptography.exceptions import InvalidSignature

    try:
        payload, signature_text = _split(token)
        signature = _b64d_strict(signature_text)
        claims = json.loads(_b64d_strict(payload))
        if not isinstance(claims, dict):
            raise ValueError("claims are not an object")
        expires = int(claims["exp"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return TokenCheck(False, "malformed", None)
    try:
        public_key.verify(signature, (TOKEN_PREFIX + payload).encode("ascii"))
    except InvalidSignature:
        return TokenCheck(False, "bad_signature", None)
    if _epoch(now) >= expires:
        return TokenCheck(False, "expired", claims)
    return TokenCheck(True, None, claims)


def selfie_assurance(decision) -> dict[str, Any]:
    """Assurance claims from a selfie Decision; refuses any decision that cannot earn a credential."""
    if not getattr(decision, "can_issue_credential", False):
        if getattr(decision, "verified", False) and getattr(decision, "liveness", None) != "passed":
            raise PolicyRefusal("A check without a passed liveness challenge (for example a replay with liveness off) "
                                "can never produce a credential.", code="liveness_required")
        raise PolicyRefusal("Only a verified selfie check can produce a credential.", code="not_verified")
    assurance: dict[str, Any] = {"liveness": "passed"}
    if decision.distance is not None:
        assurance["distance"] = round(float(decision.distance), 2)
    assurance["tolerance"] = round(float(decision.tolerance), 2)
    return assurance


def _check_assurance(assurance: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in assurance.items():
        if not isinstance(value, (str, int, float, bool)) and value is not None:
            raise InputError(f"Credential assurance {key!r} must be a short plain value, not {type(value).__name__}.")
        if isinstance(value, str) and len(value) > 120:
            raise InputError(f"Credential assurance {key!r} is too long for a compact credential.")
        clean[str(key)] = value
    return clean


class CredentialService:
    def __init__(self, ctx):
        self.ctx = ctx
        self.subject = ctx.user
        self._public_key = None  # the issuer key never changes while a service object lives

    @property
    def _lock_path(self):
        return self.ctx.paths.data_dir / "locks" / "credentials.lock"

    # issuing

    def issue(self, method: str, assurance, *, appointment_id: int | None = None) -> IssuedCredential:
        claims_assurance = self._assurance_for(method, assurance, appointment_id)
        self.ctx.secrets.require_secure()
        with interprocess_lock(self._lock_path):
            self._reconcile_locked(full=False)
            private_key = self._issuer_private_key(create=True)
            now = self.ctx.clock.now()
            issued = _epoch(now)
            expires = _epoch(now + timedelta(days=self.ctx.settings.credential_days))
            credential_id = uuid.uuid4().hex
            claims = {
                "jti": credential_id, "sub": self.subject, "mth": method, "iat": issued, "exp": expires,
                "iss": key_id(_public_raw(private_key)), "asr": claims_assurance,
            }
            token = _sign(private_key, claims)
            if len(token) > MAX_TOKEN_CHARS:
                raise InputError(f"The credential would be {len(token)} characters, over the keyring limit of "
                                 f"{MAX_TOKEN_CHARS}: shorten the assurance details.", code="credential_too_large")
            self._insert_pending(credential_id, method, issued, expires, appointment_id)
            fault_point("credential.after_pending")
            try:
                self.ctx.secrets.set(credential_key(self.subject), token)
            except SelfverifyError:
                self._roll_back(credential_id)
                raise
            fault_point("credential.after_keyring_write")
            self._finish(credential_id)
            fault_point("credential.after_issued")
        from selfverify.services.audit import AuditLog

        AuditLog(self.ctx).record("issue", {"credential_id": credential_id, "method": method,
                                            "expires_at": from_epoch(expires), "appointment_id": appointment_id})
        return IssuedCredential(credential_id, self.subject, method, from_epoch(issued), from_epoch(expires),
                                token, claims_assurance)

    def _assurance_for(self, method: str, assurance, appointment_id: int | None) -> dict[str, Any]:
        if method == "selfie":
            if appointment_id is not None:
                raise InputError("A selfie credential has no interview appointment.")
            if isinstance(assurance, dict):
                if assurance.get("liveness") != "passed":
                    raise PolicyRefusal("A check without a passed liveness challenge can never produce a credential.",
                                        code="liveness_required")
                distance, tolerance = assurance.get("distance"), assurance.get("tolerance")
                if not isinstance(distance, (int, float)) or not isinstance(tolerance, (int, float)) or distance > tolerance:
                    raise PolicyRefusal("Only a verified selfie check can produce a credential.", code="not_verified")
                return _check_assurance(assurance)
            return selfie_assurance(assurance)
        if method == "interview":
            if appointment_id is None:
                raise PolicyRefusal("An interview credential needs the approved appointment it comes from.",
                                    code="appointment_required")
            return _check_assurance({"appointment": int(appointment_id), **dict(assurance or {})})
        raise InputError(f"Unknown verification method {method!r} (expected one of: {', '.join(METHODS)}).")

    def _insert_pending(self, credential_id: str, method: str, issued: int, expires: int, appointment_id: int | None) -> None:
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.models import CredentialRecord

        row = CredentialRecord(id=credential_id, subject=self.subject, method=method, issued_at=from_epoch(issued),
                               expires_at=from_epoch(expires), status="pending", appointment_id=appointment_id)
        with self.ctx.db.session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                raise PolicyRefusal(f"A credential was already issued for interview appointment {appointment_id}.",
                                    code="already_issued") from None

    def _finish(self, credential_id: str) -> None:
        """Mark ``credential_id`` issued and every other live credential of the subject superseded (one transaction)."""
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        now = self.ctx.clock.now()
        with self.ctx.db.session() as s:
            rows = s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject,
                                                         CredentialRecord.status.in_(("issued", "missing")))).all()
            for row in rows:
                if row.id != credential_id:
                    row.status, row.revoked_at = "superseded", now
                    s.add(row)
            row = s.get(CredentialRecord, credential_id)
            row.status = "issued"
            s.add(row)
            s.commit()

    def _roll_back(self, credential_id: str) -> None:
        """Undo an interrupted issue: the row says so before the token is removed, so a crash resumes."""
        self._set_status(credential_id, "rolling_back", appointment_id=None)
        fault_point("credential.rollback.after_mark")
        self._delete_token_if(credential_id)
        self._set_status(credential_id, "rolled_back")

    def _set_status(self, credential_id: str, status: str, **changes) -> None:
        from selfverify.store.models import CredentialRecord

        with self.ctx.db.session() as s:
            row = s.get(CredentialRecord, credential_id)
            if row is None:
                return
            row.status = status
            for name, value in changes.items():
                setattr(row, name, value)
            s.add(row)
            s.commit()

    def _delete_token_if(self, credential_id: str) -> None:
        """Remove the keyring token only if it is this credential (a newer one may have replaced it)."""
        token = self.ctx.secrets.get(credential_key(self.subject))
        if token is not None and (decode_claims(token) or {}).get("jti") == credential_id:
            self.ctx.secrets.delete(credential_key(self.subject))

    # reading

    def current(self) -> IssuedCredential | None:
        """The subject's issued credential with its token from the keyring (None if there is none)."""
        row = self._issued_row()
        if row is None:
            return None
        token = self.ctx.secrets.get(credential_key(self.subject))
        claims = decode_claims(token) if token else None
        if not claims or claims.get("jti") != row.id:
            return None
        return IssuedCredential(row.id, row.subject, row.method, row.issued_at, row.expires_at, token,
                                dict(claims.get("asr") or {}))

    def _issued_row(self):
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.ctx.db.session() as s:
            return s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject,
                                                         CredentialRecord.status == "issued")
                          .order_by(CredentialRecord.issued_at.desc())).first()

    def records(self) -> list:
        """Every credential row of the subject, newest first (no tokens)."""
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.ctx.db.session() as s:
            return list(s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject)
                               .order_by(CredentialRecord.issued_at.desc())).all())

    def verify_token(self, token: str, public_key=None) -> TokenCheck:
        """Signature, expiry and (when this database knows the credential) revocation."""
        from selfverify.store.models import CredentialRecord

        if decode_claims(token) is None:
            return TokenCheck(False, "malformed", None)
        key = public_key if public_key is not None else self._issuer_public_key_object()
        check = check_token(token, key, self.ctx.clock.now())
        if check.reason in ("malformed", "bad_signature"):
            return check
        claims = check.claims or {}
        with self.ctx.db.session() as s:
            row = s.get(CredentialRecord, str(claims.get("jti", "")))
        if row is not None and row.status in ("revoking", "revoked", "superseded"):
            return TokenCheck(False, "revoked", claims)
        if row is not None and row.status in ("pending", "rolling_back", "rolled_back"):
            return TokenCheck(False, "not_issued", claims)
        return check

    def export(self) -> str:
        current = self.current()
        if current is None:
            raise NotFound("You have no credential to export.", hint="Pass a selfie check or an interview first.")
        return current.token

    # revoking

    def revoke(self) -> IssuedCredential:
        from selfverify.services.audit import AuditLog

        self.ctx.secrets.require_secure("delete")
        with interprocess_lock(self._lock_path):
            self._reconcile_locked(full=False)
            row = self._issued_row()
            if row is None:
                raise NotFound("You have no credential to revoke.")
            revoked = IssuedCredential(row.id, row.subject, row.method, row.issued_at, row.expires_at, "")
            self._set_status(row.id, "revoking", revoked_at=self.ctx.clock.now())
            fault_point("credential.revoke.after_mark")
            self._delete_token_if(row.id)
            fault_point("credential.revoke.after_keyring_delete")
            self._set_status(row.id, "revoked")
        AuditLog(self.ctx).record("revoke", {"credential_id": row.id})
        return revoked

    def may_hold_token(self) -> bool:
        """True if a row of the subject may still have its token in the keyring (forgetting it needs the keyring)."""
        return any(row.status not in _TOKEN_GONE for row in self.records())

    def forget(self) -> list[str]:
        """``data delete-all``: revoke and remove the token, then delete the rows; returns the deleted ids.

        The keyring is checked before any row changes, so an unusable keyring leaves everything as it was."""
        from sqlmodel import delete, select

        from selfverify.store.models import CredentialRecord

        with interprocess_lock(self._lock_path):
            with self.ctx.db.session() as s:
                rows = s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject)).all()
            if not rows:
                return []
            live = [row for row in rows if row.status not in _TOKEN_GONE]
            if live:
                self.ctx.secrets.require_secure("delete")
            for row in live:
                if row.status in ("issued", "missing", "pending"):
                    self._set_status(row.id, "revoking", revoked_at=self.ctx.clock.now())
            fault_point("credential.forget.after_mark")
            if live:  # dead rows have no token left in the keyring (reconcile saw to it)
                self.ctx.secrets.delete(credential_key(self.subject))
            ids = [row.id for row in rows]
            with self.ctx.db.session() as s:
                s.exec(delete(CredentialRecord).where(CredentialRecord.subject == self.subject))
                s.commit()
        return ids

    # crash recovery

    def reconcile(self, full: bool = True) -> dict[str, int]:
        """Finish or roll back interrupted work so that keyring and database agree.

        ``full=False`` (start-up) touches the keyring only when a row is mid-change; ``full=True``
        also finds issued rows whose token vanished and tokens no row knows."""
        with interprocess_lock(self._lock_path):
            return self._reconcile_locked(full=full)

    def _reconcile_locked(self, full: bool) -> dict[str, int]:
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        done = {"finished": 0, "rolled_back": 0, "revoked": 0, "missing": 0, "orphans_removed": 0}
        with self.ctx.db.session() as s:
            rows = s.exec(select(CredentialRecord).where(CredentialRecord.subject == self.subject)).all()
        transitional = [r for r in rows if r.status in _TRANSITIONAL]
        if not transitional and not full:
            return done
        token = self.ctx.secrets.get(credential_key(self.subject))
        token_id = (decode_claims(token) or {}).get("jti") if token else None
        for row in transitional:
            if row.status == "pending" and row.id == token_id:
                self._finish(row.id)
                done["finished"] += 1
            elif row.status == "pending" or row.status == "rolling_back":
                self._roll_back(row.id)
                done["rolled_back"] += 1
            else:  # revoking
                self._delete_token_if(row.id)
                self._set_status(row.id, "revoked")
                done["revoked"] += 1
        if full:
            known = {r.id: r.status for r in rows}
            for row in rows:
                if row.status == "issued" and row.id != token_id:
                    self._set_status(row.id, "missing")
                    done["missing"] += 1
                elif row.status == "missing" and row.id == token_id:
                    self._set_status(row.id, "issued")  # the token came back (e.g. a keyring restored from backup)
            if token is not None and (token_id not in known or known[token_id] in _DEAD):
                self.ctx.secrets.delete(credential_key(self.subject))
                done["orphans_removed"] += 1
        if any(done.values()):
            from selfverify.services.audit import AuditLog

            AuditLog(self.ctx).record("reconcile", {"area": "credential", **done})
        return done

    # issuer key

    def issuer_public_key(self) -> str:
        """The issuer's public key as PEM, for ``credential verify --public-key`` on another machine."""
        from cryptography.hazmat.primitives import serialization

        self.ctx.secrets.require_secure()
        with interprocess_lock(self._lock_path):
            private_key = self._issuer_private_key(create=True)
        return private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    def _issuer_public_key_object(self):
        if self._public_key is not None:
            return self._public_key
        private_key = self._issuer_private_key(create=False)
        if private_key is None:
            raise NotFound("This computer has no issuer key, so it cannot check credentials by itself.",
                           code="no_issuer_key", hint="Pass the issuer's public key: credential verify --public-key FILE")
        self._public_key = private_key.public_key()
        return self._public_key

    def _issuer_private_key(self, create: bool):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from selfverify.errors import StorageError

        stored = self.ctx.secrets.get(ISSUER_KEY_NAME)
        if stored:
            try:
                return Ed25519PrivateKey.from_private_bytes(_b64d_strict(stored.removeprefix("ed25519:")))
            except ValueError:
                raise StorageError("The issuer key in the keyring is damaged.", code="issuer_key_damaged",
                                   hint=f"Remove the keyring item {ISSUER_KEY_NAME!r}; credentials signed with it will stop verifying.") from None
        if not create:
            return None
        key = Ed25519PrivateKey.generate()
        self.ctx.secrets.set(ISSUER_KEY_NAME, "ed25519:" + _b64e(_private_raw(key)))
        return key


def _private_raw(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _public_raw(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _sign(private_key, claims: dict) -> str:
    payload = _b64e(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signing_input = TOKEN_PREFIX + payload
    return signing_input + "." + _b64e(private_key.sign(signing_input.encode("ascii")))
