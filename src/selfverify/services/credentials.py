"""Signed credentials: issued on a live, verified selfie or an approved interview, kept in the keyring.

A credential is a compact JWS (``services/tokens.py``: Ed25519, ``typ`` selfverify+jwt, ``kid`` the
RFC 7638 thumbprint of the issuer key) with ``iss sub iat nbf exp jti method assurance``, and beside
it the same claims as an SD-JWT (RFC 9901) whose ``sub``, ``method`` and ``assurance`` can be
disclosed one by one (``credential present``). Both live in the keyring under this installation's
names (``store/signing_keys.keyring_entry``); the database keeps only id, subject, method, dates,
status and which key signed it (thumbprint and kind: ``signer_kid``, ``signer_kind``), so a token
under a recorded id signed by any other key never verifies here. Who signs is decided in one place,
``CredentialService.issuer_for``. On a database that has a desk, verification also uses the desk's
key set and holds interview credentials to the desk's decisions (``signer_rules.decision_refusal``).

Issuing is crash-safe across database and keyring: a ``pending`` row, then the keyring writes
(SD-JWT, then the JWS: that write is the commit point), then the row marked ``issued`` (the
previous credential ``superseded``). Revoking writes a tombstone (id and time, which ``data
delete-all`` keeps) and marks the row ``revoking``, deletes the tokens, then marks it ``revoked``.
``reconcile`` (at every start-up) finishes or rolls back whatever a crash interrupted. A token
whose id this database does not know is never deleted; on this installation it never verifies.

Old ``sv1.`` tokens (``services/legacy_tokens.py``) still verify, saying so, until they expire.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import cached_property
from typing import Any

from selfverify.errors import InputError, KeyringUnavailable, NotFound, PolicyRefusal, SelfverifyError
from selfverify.i18n import _
from selfverify.services import legacy_tokens, tokens
from selfverify.services.audit import AuditLog
from selfverify.store.crashsafe import fault_point, interprocess_lock
from selfverify.services.credential_claims import (  # noqa: F401  (re-exported: the public names stay here)
    DISCLOSABLE, LEGACY_CREDENTIAL_PREFIX, MAX_TOKEN_CHARS, METHODS, IssuedCredential, Issuer, _as_recorded,
    _check_assurance, _epoch, _liveness_facts, _thumbprint_raw, credential_key, decode_claims, from_epoch,
    handed_out_lines, load_public_key, same_key, sd_credential_key, selfie_assurance,
)
from selfverify.services.credential_keyring import CredentialKeyring
from selfverify.services.signer_rules import AGENT, SignerRoles, decision_refusal
from selfverify.services.tokens import REASON_MESSAGES, TokenCheck  # noqa: F401  (re-exported)
from selfverify.store.repositories.credentials import CredentialRepository
from selfverify.store.signing_keys import DEVICE_KEY, legacy_issuer_key, load_signing_key

# statuses whose token must not be in the keyring and does not verify
_DEAD = ("revoking", "revoked", "superseded", "rolling_back", "rolled_back")
_TRANSITIONAL = ("pending", "revoking", "rolling_back")
# statuses whose token is already gone from the keyring (reconcile saw to it)
_TOKEN_GONE = ("revoked", "superseded", "rolled_back", "handed_out")
HANDED_OUT = "handed_out"  # a kiosk's credential: given to the person, never in the kiosk's keyring


class CredentialService:
    def __init__(self, ctx):
        self.ctx = ctx
        self.subject = ctx.user
        self._own_keys = None  # (device, legacy) public keys, read once per service object

    @cached_property
    def rows(self) -> CredentialRepository:
        return CredentialRepository(self.ctx.db, self.subject)

    @cached_property
    def keyring(self) -> CredentialKeyring:  # the subject's tokens in the keyring
        return CredentialKeyring(self.ctx, self.subject, known=lambda credential_id: self.rows.get(credential_id) is not None)

    @property
    def _lock_path(self):
        return self.ctx.paths.data_dir / "locks" / "credentials.lock"

    # who signs

    def issuer_for(self, method: str, kiosk=None) -> Issuer:  # noqa: ANN001
        """The one place that decides who signs a credential issued by this installation.

        This device's key. On a person's own machine the credential says it is self-asserted (the
        machine vouches for itself); on a kiosk (``kiosk``: its enrolment, see ``DeskService.kiosk``)
        the desk vouches for the kiosk: ``self_asserted`` false, kind ``kiosk``. Interview credentials
        are signed by the deciding agent (``services/desk.py``), never here."""
        key = load_signing_key(self.ctx.settings, DEVICE_KEY, create=True, secrets_store=self.ctx.secrets)
        iss = f"selfverify:device:{tokens.thumbprint(key)}"
        if kiosk is not None:
            return Issuer(key=key, iss=iss, self_asserted=False, kind="kiosk")
        return Issuer(key=key, iss=iss, self_asserted=True)

    def _kiosk(self):  # noqa: ANN202
        from selfverify.services.desk import DeskService

        return DeskService(self.ctx).kiosk()

    # issuing

    def issue(self, method: str, assurance, *, appointment_id: int | None = None) -> IssuedCredential:
        """Sign a credential for this subject. On a kiosk, only for a subject a member of staff admitted
        (the admission is used up), and the token is handed out, never kept in the kiosk's keyring."""
        claims_assurance = self._assurance_for(method, assurance, appointment_id)
        self.ctx.secrets.require_secure()
        kiosk = self._kiosk()
        if kiosk is not None:
            from selfverify.services.desk import DeskService

            admission = DeskService(self.ctx).take_admission(self.subject)
            claims_assurance = {**claims_assurance, "admitted_by": admission["agent"]}
        with interprocess_lock(self._lock_path):
            self._reconcile_locked(full=False)
            issuer = self.issuer_for(method, kiosk)
            self._own_keys = None  # the device key may have just been created
            now = self.ctx.clock.now()
            issued = _epoch(now)
            expires = _epoch(now + timedelta(days=self.ctx.settings.credential_days))
            credential_id = uuid.uuid4().hex
            claims = {
                "iss": issuer.iss, "sub": self.subject, "iat": issued, "nbf": issued, "exp": expires,
                "jti": credential_id, "method": method,
                "assurance": {**claims_assurance, "self_asserted": issuer.self_asserted},
            }
            token = tokens.sign_token(claims, issuer.key)
            sd_token = tokens.sign_sd_token(claims, DISCLOSABLE, issuer.key)
            self._check_size(token, sd_token)
            signer = (tokens.thumbprint(issuer.key.public_key()), issuer.kind)
            if kiosk is not None:  # handed to the person: the next one at the kiosk finds nothing to export
                self._insert_pending(credential_id, method, issued, expires, appointment_id, signer)
                self.rows.mark_issued(credential_id, self.ctx.clock.now(), status=HANDED_OUT)
            else:
                self._store_locked(credential_id, method, issued, expires, appointment_id, token, sd_token, signer)
        AuditLog(self.ctx).record("issue", {"credential_id": credential_id, "method": method,
                                            "expires_at": from_epoch(expires), "appointment_id": appointment_id,
                                            "kiosk": kiosk.handle if kiosk is not None else None})
        return IssuedCredential(credential_id, self.subject, method, from_epoch(issued), from_epoch(expires),
                                token, claims["assurance"], issuer.iss, handed_out=kiosk is not None)

    def store_issued(self, token: str, keys, *, sd_token: str | None = None,
                     appointment_id: int | None = None, signer_kind: str = "agent") -> IssuedCredential:
        """Keep a credential issued elsewhere (an interview desk) after verifying it against ``keys``
        (the issuer's JWK Set or public keys): it must be valid, for this subject, of a known method.
        Refused with PolicyRefusal (exit 5) otherwise; nothing is stored then."""
        check = tokens.verify_token(token, keys, self.ctx.clock.now())
        claims = check.claims or {}
        if not check.valid:
            raise PolicyRefusal(_("The credential from the issuer does not verify: {why}.").format(why=check.message),
                                code="pickup_invalid")
        if claims.get("sub") != self.subject:
            raise PolicyRefusal(_("The credential from the issuer is for someone else."), code="pickup_wrong_subject")
        if claims.get("method") not in METHODS or not isinstance(claims.get("jti"), str) or not claims["jti"]:
            raise PolicyRefusal(_("The credential from the issuer lacks a method or an id."), code="pickup_invalid")
        if sd_token is not None:
            sd_check = tokens.verify_token(sd_token, keys, self.ctx.clock.now())
            if not sd_check.valid or sd_check.claims != claims:
                raise PolicyRefusal(_("The selectively disclosable copy does not match the credential."), code="pickup_invalid")
        self._check_size(token, sd_token)
        self.ctx.secrets.require_secure()
        with interprocess_lock(self._lock_path):
            self._reconcile_locked(full=False)
            if self.rows.tombstoned(claims["jti"]):
                raise PolicyRefusal(_("That credential was revoked."), code="pickup_revoked")
            self._store_locked(claims["jti"], claims["method"], claims.get("iat", _epoch(self.ctx.clock.now())),
                               claims["exp"], appointment_id, token.strip(), sd_token,
                               (_thumbprint_raw(check.signer), signer_kind))
        return IssuedCredential(claims["jti"], self.subject, claims["method"],
                                from_epoch(claims.get("iat", _epoch(self.ctx.clock.now()))),
                                from_epoch(claims["exp"]), token.strip(), dict(claims.get("assurance") or {}),
                                str(claims.get("iss", "")))

    @staticmethod
    def _check_size(*tokens_: str | None) -> None:
        for token in tokens_:
            if token is not None and len(token) > MAX_TOKEN_CHARS:
                raise InputError(_("The credential would be {size} characters, over the keyring limit of "
                                   "{limit}: shorten the assurance details.").format(size=len(token), limit=MAX_TOKEN_CHARS),
                                 code="credential_too_large")

    def _store_locked(self, credential_id: str, method: str, issued: int, expires: int,
                      appointment_id: int | None, token: str, sd_token: str | None, signer: tuple[str, str]) -> None:
        self._insert_pending(credential_id, method, issued, expires, appointment_id, signer)
        fault_point("credential.after_pending")
        try:
            self.keyring.write(token, sd_token)
        except SelfverifyError:
            self._roll_back(credential_id)
            raise
        fault_point("credential.after_keyring_write")
        self._finish(credential_id)
        fault_point("credential.after_issued")

    def _assurance_for(self, method: str, assurance, appointment_id: int | None) -> dict[str, Any]:
        if method == "selfie":
            if appointment_id is not None:
                raise InputError(_("A selfie credential has no interview appointment."))
            if isinstance(assurance, dict):
                if assurance.get("liveness") != "passed":
                    raise PolicyRefusal(_("A check without a passed liveness challenge can never produce a credential."),
                                        code="liveness_required")
                distance, tolerance = assurance.get("distance"), assurance.get("tolerance")
                if not isinstance(distance, (int, float)) or not isinstance(tolerance, (int, float)) or distance > tolerance:
                    raise PolicyRefusal(_("Only a verified selfie check can produce a credential."), code="not_verified")
                return _liveness_facts()
            return selfie_assurance(assurance)
        if method == "interview":
            if appointment_id is None:
                raise PolicyRefusal(_("An interview credential needs the approved appointment it comes from."),
                                    code="appointment_required")
            return _check_assurance({"appointment": int(appointment_id), **dict(assurance or {})})
        raise InputError(_("Unknown verification method {method} (expected one of: {methods}).").format(
            method=repr(method), methods=", ".join(METHODS)))

    def _insert_pending(self, credential_id: str, method: str, issued: int, expires: int, appointment_id: int | None,
                        signer: tuple[str, str] | None = None) -> None:
        refused = self.rows.insert_pending(credential_id, method, from_epoch(issued), from_epoch(expires), appointment_id,
                                           signer)
        if refused == "known":
            raise PolicyRefusal(_("That credential is already kept here."), code="already_issued")
        if refused is not None:
            raise PolicyRefusal(_("A credential was already issued for interview appointment {id}.").format(id=appointment_id),
                                code="already_issued")

    def _finish(self, credential_id: str) -> None:
        """Mark ``credential_id`` issued and every other live credential of the subject superseded (one transaction)."""
        self.rows.mark_issued(credential_id, self.ctx.clock.now())

    def _roll_back(self, credential_id: str) -> None:
        """Undo an interrupted issue: the row says so before the token is removed, so a crash resumes."""
        self._set_status(credential_id, "rolling_back", appointment_id=None)
        fault_point("credential.rollback.after_mark")
        self.keyring.delete_of({credential_id})
        self._set_status(credential_id, "rolled_back")

    def _set_status(self, credential_id: str, status: str, *, tombstone: bool = False, **changes) -> None:
        self.rows.set_status(credential_id, status, tombstone_at=self.ctx.clock.now() if tombstone else None, **changes)

    # reading

    def current(self) -> IssuedCredential | None:
        """The subject's issued credential with its token from the keyring (None if there is none)."""
        row = self._issued_row()
        if row is None:
            return None
        token = self.keyring.read()
        claims = decode_claims(token) if token else None
        if not claims or claims.get("jti") != row.id:
            return None
        return IssuedCredential(row.id, row.subject, row.method, row.issued_at, row.expires_at, token,
                                dict(claims.get("assurance") or {}), str(claims.get("iss", "")))

    def holds_one(self) -> bool:
        """Whether the subject has an issued (not revoked or deleted) credential; reads no keyring."""
        return self._issued_row() is not None

    def _row(self, credential_id: str):
        return self.rows.get(credential_id)

    def _issued_row(self):
        return self.rows.issued()

    def signer_of(self, row) -> dict[str, Any] | None:  # noqa: ANN001
        """Which key signed a credential row and whether it still signs here: ``current``, ``rotated`` (this
        installation's device key is another one now), ``retired`` (the agent or kiosk key is no longer
        enrolled at the desk) or ``unknown`` (no desk here to ask). None for a row issued before schema 6."""
        if row is None or row.signer_kid is None:
            return None
        state = "unknown"
        if row.signer_kind == "device":
            device, _ = self._own_public_keys(required=False)
            state = "current" if device is not None and tokens.thumbprint(device) == row.signer_kid else "rotated"
        else:
            from selfverify.services.desk import DeskService
            from selfverify.store.repositories.desk import DeskRepository

            if DeskRepository(self.ctx.db).info() is not None:
                enrolled = {k.kid for k in DeskService(self.ctx).enrolled(row.signer_kind)}
                state = "current" if row.signer_kid in enrolled else "retired"
        return {"kid": row.signer_kid, "kind": row.signer_kind, "state": state}

    def records(self) -> list:
        """Every credential row of the subject, newest first (no tokens)."""
        return self.rows.of_subject()

    def verify_token(self, token: str, public_key=None, key_set=None) -> TokenCheck:
        """Signature, typ, dates and revocation of a JWS, an SD-JWT presentation or an old sv1 token.

        Keys: ``key_set`` (any issuer's JWK Set), else ``public_key``, else this installation's own.
        A token signed by this installation's key that its database does not know is ``unknown``."""
        explicit, jws_keys, desk_set = None, None, None
        if key_set is not None:
            explicit, jws_keys = tokens.load_key_set(key_set), key_set  # the set itself keeps its declared kids
        elif public_key is not None:
            explicit = jws_keys = [public_key]
        else:
            desk_set = self._desk_key_set()  # on a desk's database: its agents and kiosks, and its decisions
        own_device, own_legacy = self._own_public_keys(required=explicit is None and desk_set is None)
        now = self.ctx.clock.now()
        if tokens.token_format(token) == "sv1":
            keys = explicit if explicit is not None else [own_legacy] if own_legacy is not None else None
            if keys is None:
                raise self._no_key()
            check, used = legacy_tokens.check_token(token, keys, now)
            signed_here = used is not None and own_legacy is not None and same_key(used, own_legacy)
        else:
            keys = jws_keys if jws_keys is not None else [own_device] if own_device is not None else None
            if desk_set is not None:
                keys = {"keys": [*desk_set["keys"], *([tokens.public_jwk(own_device)] if own_device is not None else [])]}
            if keys is None:
                raise self._no_key()
            check = tokens.verify_token(token, keys, now)
            # the key that verified the signature, compared as a key: a second kid for it changes nothing
            signed_here = own_device is not None and check.signer == tokens.raw_public(own_device)
        if check.claims is None:
            return check  # malformed or not signed by any of the keys: nothing to look up
        if check.valid and not self._within_lifetime(check.claims):
            return check.but("too_long")
        check = self._with_revocation(check, signed_here)
        if check.valid and check.format != "sv1":  # the kind of key that signed may sign these claims
            published = key_set if key_set is not None else desk_set
            roles = SignerRoles.of_key_set(published) if published is not None else SignerRoles()
            if roles.refusal(check.claims, check.signer) is not None:
                return check.but("wrong_signer")
            if roles.kind_of(check.signer) == AGENT:  # an interview credential: exactly one a decision issued
                refused = decision_refusal(roles.decided.get(str(check.claims.get("jti", ""))), token)
                if refused is not None:
                    return check.but(refused)
        return check

    def _desk_key_set(self) -> dict | None:
        """The desk's published key set when this database has a desk (None otherwise)."""
        from selfverify.services.desk import DeskService
        from selfverify.store.repositories.desk import DeskRepository

        if DeskRepository(self.ctx.db).info() is None:
            return None
        return DeskService(self.ctx).jwks()

    def _within_lifetime(self, claims: dict) -> bool:
        """exp no later than the configured credential lifetime after iat (a hand-signed year 9999 is refused)."""
        issued, expires = claims.get("iat"), claims.get("exp")
        if not isinstance(issued, int) or isinstance(issued, bool) or not isinstance(expires, int):
            return False
        return expires - issued <= self.ctx.settings.credential_days * 86400

    def _with_revocation(self, check: TokenCheck, signed_here: bool) -> TokenCheck:
        claims = check.claims or {}
        credential_id = str(claims.get("jti", ""))
        row = self._row(credential_id)
        if self.rows.tombstoned(credential_id) or (row is not None and row.status in ("revoking", "revoked", "superseded")):
            return check.but("revoked")
        if row is not None and row.status in ("pending", "rolling_back", "rolled_back"):
            return check.but("not_issued")
        if row is None and signed_here and check.valid:
            return check.but("unknown")
        if row is not None and check.valid and not _as_recorded(claims, row):
            return check.but("not_as_issued")  # a live row's id on a token minted with other claims
        if row is not None and check.valid and row.signer_kid is not None and _thumbprint_raw(check.signer) != row.signer_kid:
            return check.but("not_as_issued")  # a live row's id, signed by another key than the one that issued it
        return check

    def _own_public_keys(self, required: bool):
        """This installation's device key and the old shared issuer key (public halves; None when absent)."""
        if self._own_keys is not None:
            return self._own_keys
        try:
            device = load_signing_key(self.ctx.settings, DEVICE_KEY, create=False, secrets_store=self.ctx.secrets)
            legacy = legacy_issuer_key(self.ctx.settings, secrets_store=self.ctx.secrets)
        except KeyringUnavailable:
            if required:
                raise
            return None, None  # checking another issuer's token needs no keyring
        self._own_keys = (device.public_key() if device else None), (legacy.public_key() if legacy else None)
        return self._own_keys

    @staticmethod
    def _no_key() -> NotFound:
        return NotFound(_("This computer has no issuer key, so it cannot check credentials by itself."),
                        code="no_issuer_key",
                        hint=_("Pass the issuer's key set or public key: credential verify --jwks FILE (or --public-key FILE)"))

    def export(self) -> str:
        current = self.current()
        if current is None:
            raise NotFound(_("You have no credential to export."), hint=_("Pass a selfie check or an interview first."))
        return current.token

    def present(self, disclose) -> str:
        """An SD-JWT presentation of the current credential showing only ``disclose`` (plus iss, dates and id)."""
        wanted = {name.strip() for name in disclose if name.strip()}
        unknown = sorted(wanted - set(DISCLOSABLE) - set(tokens.ALWAYS_VISIBLE))
        if unknown:
            raise InputError(_("Cannot disclose {names}: choose from {choices} ({always} are always shown).").format(
                names=", ".join(unknown), choices=", ".join(DISCLOSABLE), always=", ".join(tokens.ALWAYS_VISIBLE)),
                code="bad_disclosure_name")
        current = self.current()
        if current is None:
            raise NotFound(_("You have no credential to present."), hint=_("Pass a selfie check or an interview first."))
        sd_token = self.keyring.read_sd()
        if sd_token is None or (decode_claims(sd_token) or {}).get("jti") != current.id:
            raise NotFound(_("Your credential has no selectively disclosable form (it is in the old format or came "
                             "from an issuer that did not provide one)."), code="no_sd_jwt",
                           hint=_("Export it whole (credential export), or get a new one."))
        return tokens.present(sd_token, wanted & set(DISCLOSABLE))

    # revoking

    def revoke(self) -> IssuedCredential:
        self.ctx.secrets.require_secure("delete")
        with interprocess_lock(self._lock_path):
            self._reconcile_locked(full=False)
            row = self._issued_row()
            if row is None:
                raise NotFound(_("You have no credential to revoke."))
            revoked = IssuedCredential(row.id, row.subject, row.method, row.issued_at, row.expires_at, "")
            self._set_status(row.id, "revoking", tombstone=True, revoked_at=self.ctx.clock.now())
            fault_point("credential.revoke.after_mark")
            self.keyring.delete_of({row.id})
            fault_point("credential.revoke.after_keyring_delete")
            self._set_status(row.id, "revoked")
        AuditLog(self.ctx).record("revoke", {"credential_id": row.id})
        return revoked

    def may_hold_token(self) -> bool:
        """True if a row of the subject may still have its token in the keyring (forgetting it needs the keyring)."""
        return any(row.status not in _TOKEN_GONE for row in self.records())

    def forget(self) -> list[str]:
        """``data delete-all``: tombstone every credential, remove its tokens, then delete the rows; returns the ids.

        The keyring is checked before any row changes, so an unusable keyring leaves everything as it was.
        Only tokens whose id this database knows are removed (another home's token is not ours)."""
        with interprocess_lock(self._lock_path):
            rows = self.rows.of_subject()
            if not rows:
                return []
            live = [row for row in rows if row.status not in _TOKEN_GONE]
            if live:
                self.ctx.secrets.require_secure("delete")
            self.rows.tombstone_all(rows, self.ctx.clock.now(), ("issued", "missing", "pending"))
            fault_point("credential.forget.after_mark")
            ids = [row.id for row in rows]
            if live:  # dead rows have no token left in the keyring (reconcile saw to it)
                self.keyring.delete_of(set(ids))
            self.rows.delete_all()
        return ids

    # crash recovery

    def reconcile(self, full: bool = True) -> dict[str, int]:
        """Finish or roll back interrupted work so that keyring and database agree.

        ``full=False`` (start-up) touches the keyring only when a row is mid-change; ``full=True``
        also finds issued rows whose token vanished and removes tokens of dead credentials. A token
        whose id this database does not know is left alone (it may belong to another installation)."""
        with interprocess_lock(self._lock_path):
            return self._reconcile_locked(full=full)

    def _reconcile_locked(self, full: bool) -> dict[str, int]:
        done = {"finished": 0, "rolled_back": 0, "revoked": 0, "missing": 0, "orphans_removed": 0}
        rows = self.rows.of_subject()
        transitional = [r for r in rows if r.status in _TRANSITIONAL]
        if not transitional and not full:
            return done
        token = self.keyring.read()
        token_id = (decode_claims(token) or {}).get("jti") if token else None
        for row in transitional:
            if row.status == "pending" and row.id == token_id:
                self._finish(row.id)
                done["finished"] += 1
            elif row.status == "pending" or row.status == "rolling_back":
                self._roll_back(row.id)
                done["rolled_back"] += 1
            else:  # revoking
                self.keyring.delete_of({row.id})
                self._set_status(row.id, "revoked", tombstone=True)
                done["revoked"] += 1
        if full:
            for row in rows:
                if row.status == "issued" and row.id != token_id:
                    self._set_status(row.id, "missing")
                    done["missing"] += 1
                elif row.status == "missing" and row.id == token_id:
                    self._set_status(row.id, "issued")  # the token came back (e.g. a keyring restored from backup)
            dead = {r.id for r in rows if r.status in _DEAD}
            if dead:
                done["orphans_removed"] = self.keyring.delete_of(dead)
        if any(done.values()):
            AuditLog(self.ctx).record("reconcile", {"area": "credential", **done})
        return done

    # the issuer's public keys

    def issuer_key_set(self) -> dict:
        """This installation's JWK Set, for ``credential verify --jwks`` and relying parties."""
        return tokens.key_set([self._device_key_for_publishing().public_key()])

    def issuer_public_key(self) -> str:
        """The device key as PEM, for ``credential verify --public-key`` on another machine."""
        return tokens.public_pem(self._device_key_for_publishing())

    def _device_key_for_publishing(self):
        self.ctx.secrets.require_secure()
        with interprocess_lock(self._lock_path):
            return self.issuer_for("selfie").key
