"""The desk: who may decide an interview, and whose key vouches for an interview credential.

- ``desk init`` creates the desk (its id, its admin) and gives the admin a ``desk-key`` in the
  admin's own keyring. On PostgreSQL it also installs ``store/sql/desk_roles.sql``: person, agent
  and admin roles with row-level security, so the database itself keeps people apart.
- An agent makes its signing key in its own keyring (``agent-key:<handle>``) and hands the public
  key (a JWK, in an enrolment request) to the admin, who registers it: the admin's desk-key signs
  each enrolment, and only keys with a valid enrolment count. The handle comes from the key: an
  agent is whoever holds an enrolled key, never a ``--user`` or ``--agent`` label.
- A decision is signed by the deciding agent's key (a JWS, ``typ`` ``selfverify-decision+jwt``) and
  kept append-only in ``decision_record``; an approval also carries the interview credential, signed
  by the same key (``iss`` ``selfverify:desk:<desk id>``, ``kid`` naming the agent's key), whose
  ``decision`` claim is the decision's id. The row keeps the credential's id and the SHA-256 digest
  of each form (JWS, SD-JWT), and the desk publishes them (``desk jwks``, ``selfverify_credentials``):
  an interview credential verifies against the desk only if it is exactly one a decision issued.
- The person's app fetches that credential, verifies it against the desk's key set (``desk jwks``:
  every enrolled agent and kiosk key), stores it in the person's keyring and clears the tokens from
  the decision row (the digests stay). Nothing a person holds can make one.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from selfverify.errors import DatabaseError, InputError, PolicyRefusal
from selfverify.i18n import N_, _
from selfverify.services.audit import AuditLog
from selfverify.services.credential_claims import DISCLOSABLE
from selfverify.store.desk_roles import booked_slots, connection_role, desk_roles_sql  # noqa: F401  (re-exported)
from selfverify.services.tokens import (
    key_set, load_key_set, public_jwk, reason_message, sign_sd_token, sign_token, thumbprint, token_digest, verify_token,
)
from selfverify.store.repositories.desk import DeskRepository
from selfverify.store.signing_keys import load_signing_key

DESK_KEY = "desk-key"
DEVICE_KEY = "device-key"
DECISION_TYP = "selfverify-decision+jwt"
ENROLMENT_TYP = "selfverify-enrolment+jwt"
ADMISSION_TYP = "selfverify-admission+jwt"
ADMISSION_MINUTES = 30  # an admission at the kiosk is used within this long, or made again
KINDS = ("agent", "kiosk")
_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}")

# enrolments and decisions are records, not credentials: they stay verifiable this long
RECORD_YEARS = 10
ENROL_HINT = N_(
    "An agent runs 'selfverify desk agent-key --out request.json' on their own account and gives the "
    "file to the desk admin, who runs 'selfverify desk enrol-agent request.json'."
)


def agent_key_name(handle: str) -> str:
    return f"agent-key:{handle}"


def desk_issuer(desk_id: str) -> str:
    return f"selfverify:desk:{desk_id}"


def check_handle(handle: str, what: str | None = None) -> str:
    """``what``: what the text would be, in the current language (default: a handle)."""
    text = str(handle or "").strip()
    if not _HANDLE.fullmatch(text):
        raise InputError(
            _("{value} cannot be a {what}: use 1 to 63 letters, digits, '.', '_', '-' or '@', starting with a letter "
              "or digit.").format(value=repr(text), what=what or _("handle")),
            code="bad_handle",
        )
    return text


# ---------------------------------------------------------------- who is deciding


@dataclass(frozen=True)
class AgentIdentity:
    """An enrolled agent whose private key this process holds (from its own keyring)."""

    handle: str
    kid: str
    private_key: Any
    desk_id: str


@dataclass(frozen=True)
class EnrolledKey:
    kid: str
    kind: str
    handle: str
    public_key: Any
    enrolled_at: datetime
    enrolled_by: str

    def as_dict(self) -> dict[str, Any]:
        return {"kid": self.kid, "kind": self.kind, "handle": self.handle,
                "enrolled_at": self.enrolled_at.isoformat(), "enrolled_by": self.enrolled_by}


class DeskService:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rows = DeskRepository(ctx.db)

    @property
    def _now(self) -> datetime:
        return self.ctx.clock.now()

    # -------------------------------------------------- the desk itself

    def info(self):
        row = self.rows.info()
        if row is None:
            raise PolicyRefusal(
                _("This database has no desk yet, so nobody can decide an interview."), code="no_desk",
                hint=_("The desk admin runs 'selfverify desk init' first (with --database-url for a shared desk)."),
            )
        return row

    def _admin_public_key(self, info):  # noqa: ANN001

        return load_key_set({"keys": [json.loads(info.admin_jwk)]})[0]

    def init(self) -> tuple[Any, bool]:
        """Create the desk (returns (info, created)); on PostgreSQL (re)install the roles and policies."""
        from selfverify.store.models import DeskInfo

        db = self.ctx.db
        if not db.is_sqlite:
            if connection_role(db) is not None:
                raise PolicyRefusal(
                    _("A desk is created by the owner of its tables, not from a person's, agent's or admin's role."),
                    code="not_owner", hint=_("Run 'selfverify desk init' with the owner's --database-url."),
                )
            self._install_roles()
        existing = self.rows.info()
        if existing is not None:
            return existing, False
        self.ctx.secrets.require_secure()
        admin_key = load_signing_key(self.ctx.settings, DESK_KEY, create=True, secrets_store=self.ctx.secrets)
        row = DeskInfo(id=uuid.uuid4().hex[:16], admin=self.ctx.user, admin_jwk=json.dumps(public_jwk(admin_key.public_key())),
                       created_at=self._now)
        if self.rows.add(row) is not None:
            raise PolicyRefusal(_("Another process created the desk at the same moment."), code="desk_exists")
        self._audit("desk_created", {"desk_id": row.id, "admin": row.admin})
        return row, True

    def _install_roles(self) -> None:
        db = self.ctx.db
        db.init()
        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute(desk_roles_sql())
            raw.commit()
        except Exception as exc:  # psycopg reports what it refused; the connection is rolled back
            raw.rollback()
            first = str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
            raise DatabaseError(_("The desk roles could not be installed: {error}.").format(error=first), code="desk_roles",
                                hint=_("Connect as the owner of the tables (a role allowed to CREATE ROLE).")) from None
        finally:
            raw.close()

    def _audit(self, kind: str, data: dict[str, Any]) -> None:
        AuditLog(self.ctx).record(kind, data)

    # -------------------------------------------------- enrolment

    def enrolment_request(self, kind: str, name: str | None = None) -> dict[str, Any]:
        """Make (or reuse) this account's key and return the request the admin registers.

        An agent's key is ``agent-key:<handle>`` (the handle is this account's user, on PostgreSQL its
        role); a kiosk's is this machine's ``device-key`` (selfie credentials), under ``name``."""

        if kind not in KINDS:
            raise InputError(_("Unknown kind {kind}: agent or kiosk.").format(kind=repr(kind)), code="bad_kind")
        handle = check_handle(self.ctx.user if kind == "agent" else (name or ""), _("kiosk name") if kind == "kiosk" else None)
        self.ctx.secrets.require_secure()
        key_name = agent_key_name(handle) if kind == "agent" else DEVICE_KEY
        key = load_signing_key(self.ctx.settings, key_name, create=True, secrets_store=self.ctx.secrets)
        return {"kind": kind, "handle": handle, "jwk": public_jwk(key.public_key())}

    def _admin_key(self, info):  # noqa: ANN001

        self.ctx.secrets.require_secure()
        key = load_signing_key(self.ctx.settings, DESK_KEY, create=False, secrets_store=self.ctx.secrets)
        if key is None or thumbprint(key.public_key()) != json.loads(info.admin_jwk).get("kid"):
            raise PolicyRefusal(
                _("Only the desk admin enrols agents and kiosks: this keyring does not hold the desk's admin key."),
                code="not_admin", hint=_("Give the request to the desk admin ({admin}).").format(admin=info.admin),
            )
        return key

    def enrol(self, request: str | dict, kind: str) -> EnrolledKey:
        from selfverify.store.models import DeskKey

        data = _parse_request(request)
        if data.get("kind") != kind:
            raise InputError(_("That is a {found} request, not an {kind} enrolment request.").format(
                found=repr(data.get("kind")), kind=kind), code="bad_request")
        handle = check_handle(data.get("handle"), _("kiosk name") if kind == "kiosk" else None)
        public_key = load_key_set({"keys": [data.get("jwk")]})[0]
        kid = thumbprint(public_key)
        info = self.info()
        admin_key = self._admin_key(info)

        jwk = public_jwk(public_key)
        now = self._now
        claims = {"iss": desk_issuer(info.id), "kind": kind, "handle": handle, "key": kid, **_record_times(now)}
        row = DeskKey(kid=kid, kind=kind, handle=handle, jwk=json.dumps(jwk), enrolled_by=self.ctx.user, enrolled_at=now,
                      enrolment=sign_token(claims, admin_key, typ=ENROLMENT_TYP))
        refused = self.rows.add(row)
        if refused == "exists":
            raise PolicyRefusal(_("That key or the {kind} {handle} is already enrolled: nothing was changed.").format(
                kind=kind, handle=repr(handle)), code="already_enrolled")
        if refused == "denied":  # PostgreSQL: this role may not write desk_key
            raise PolicyRefusal(_("Only the desk admin's database role may enrol keys: nothing was changed."),
                                code="not_admin")
        self._audit("desk_key_enrolled", {"kind": kind, "handle": handle, "kid": kid})
        return EnrolledKey(kid, kind, handle, public_key, now, self.ctx.user)

    def enrolled(self, kind: str | None = None) -> list[EnrolledKey]:
        """The keys the desk vouches for: rows whose enrolment the admin's desk-key signed."""
        info = self.info()
        admin = self._admin_public_key(info)
        keys = []
        for row in self.rows.keys(kind):
            check = verify_token(row.enrolment, [admin], self._now, typ=ENROLMENT_TYP)
            claims = check.claims or {}
            if not check.valid or (claims.get("iss"), claims.get("kind"), claims.get("handle"), claims.get("key")) != (
                desk_issuer(info.id), row.kind, row.handle, row.kid
            ):
                continue  # not vouched for by the admin: a row written behind the desk's back
            public_key = load_key_set({"keys": [json.loads(row.jwk)]})[0]
            keys.append(EnrolledKey(row.kid, row.kind, row.handle, public_key, row.enrolled_at, row.enrolled_by))
        return keys

    def jwks(self) -> dict[str, Any]:
        """The desk's key set: every enrolled agent's and kiosk's public key (what relying parties trust),
        each tagged with what it was enrolled as, the desk's id, and the list of interview credentials
        its decisions issued (``services/signer_rules.py``)."""
        from selfverify.services.signer_rules import CREDENTIALS_MEMBER, DESK_MEMBER, HANDLE_MEMBER, KIND_MEMBER

        keys: dict[str, dict] = {}
        for k in self.enrolled():
            jwk = public_jwk(k.public_key)
            keys.setdefault(jwk["kid"], {**jwk, KIND_MEMBER: k.kind, HANDLE_MEMBER: k.handle})
        return {DESK_MEMBER: self.info().id, "keys": list(keys.values()), CREDENTIALS_MEMBER: self.issued_credentials()}

    def issued_credentials(self) -> dict[str, dict[str, Any]]:
        """credential id -> {"decision", "kid", "digests"}: every interview credential a decision of this
        desk issued (random ids and digests: nothing names a person). Revocation is not listed here."""
        role = connection_role(self.ctx.db)
        listed = {}
        for credential_id, decision_id, kid, digest, sd_digest in self.rows.issued_credentials(role is not None):
            if credential_id and digest:
                listed[credential_id] = {"decision": decision_id, "kid": kid,
                                         "digests": [d for d in (digest, sd_digest) if d]}
        return listed

    def decided_credential(self, credential_id: str) -> dict[str, Any] | None:
        """The entry of ``issued_credentials`` for one credential id (None: no decision issued it)."""
        return self.issued_credentials().get(credential_id)

    # -------------------------------------------------- agents

    def current_agent(self, requested: str | None = None) -> AgentIdentity:
        """The enrolled agent whose key this keyring holds; refuses when there is none."""
        info = self.info()
        agents = {k.handle: k for k in self.enrolled("agent")}
        role = connection_role(self.ctx.db)
        if role is not None:  # on a role-based desk an agent is its database role
            candidates = [role[0]]
        else:
            candidates = [check_handle(requested)] if requested else sorted(agents)
        if not agents:
            raise PolicyRefusal(_("No agent is enrolled on this desk, so no interview can be decided."),
                                code="not_enrolled", hint=_(ENROL_HINT))
        self.ctx.secrets.require_secure()
        held = []
        for handle in candidates:
            enrolled = agents.get(handle)
            if enrolled is None:
                continue
            key = load_signing_key(self.ctx.settings, agent_key_name(handle), create=False,
                                   secrets_store=self.ctx.secrets)
            if key is not None and thumbprint(key.public_key()) == enrolled.kid:
                held.append(AgentIdentity(handle, enrolled.kid, key, info.id))
        if not held:
            who = _("the agent {handle}").format(handle=repr(candidates[0])) if len(candidates) == 1 else _("any enrolled agent")
            raise PolicyRefusal(_("This account does not hold the enrolled key of {who}: only an enrolled agent decides.").format(
                who=who), code="not_enrolled", hint=_(ENROL_HINT))
        if len(held) > 1:  # one keyring with several agents' keys (a single-account demo desk): --user picks
            held = [h for h in held if h.handle == self.ctx.settings.user] or held
        if len(held) > 1:
            raise InputError(
                _("This keyring holds the keys of several enrolled agents ({handles}): choose one with --agent.").format(
                    handles=", ".join(h.handle for h in held)), code="several_agents",
            )
        return held[0]

    def check_decider(self, identity: AgentIdentity | None, subject: str) -> AgentIdentity:
        """Refuse a decision by anyone but an enrolled agent, and an agent deciding its own booking."""
        if identity is None:
            raise PolicyRefusal(_("Only an enrolled agent holding its key decides interviews: nothing was changed."),
                                code="not_enrolled", hint=_(ENROL_HINT))
        if identity.kid not in {k.kid for k in self.enrolled("agent")}:
            raise PolicyRefusal(_("The key of {handle} is no longer enrolled on this desk: nothing was changed.").format(
                handle=repr(identity.handle)), code="not_enrolled", hint=_(ENROL_HINT))
        if identity.handle == subject:
            raise PolicyRefusal(
                _("{handle} booked this interview: an agent cannot decide their own. Nothing was changed.").format(
                    handle=identity.handle),
                code="self_approval", hint=_("Another enrolled agent must decide it."),
            )
        return identity

    def decision_record(self, identity: AgentIdentity, appointment, outcome: str, seen: list[str],  # noqa: ANN001
                        reason: str | None, now: datetime):
        """The signed, append-only record of a decision (and, on approval, the interview credential)."""
        from selfverify.store.models import DecisionRecord

        issuer = desk_issuer(identity.desk_id)
        at = int(now.timestamp())
        decision_id = uuid.uuid4().hex
        decision = {
            "iss": issuer, "sub": appointment.subject, "jti": decision_id, **_record_times(now),
            "appointment": appointment.display_code, "decision": outcome, "agent": identity.handle,
            "documents_seen": seen, "reason": reason,
        }
        credential = credential_sd = credential_id = None
        if outcome == "approved":
            expires = now + timedelta(days=self.ctx.settings.credential_days)
            credential_id = uuid.uuid4().hex
            claims = {
                "iss": issuer, "sub": appointment.subject, "jti": credential_id, "iat": at, "nbf": at,
                "exp": int(expires.timestamp()), "method": "interview", "decision": decision_id,
                "assurance": {"agent": identity.handle, "documents_seen": seen},
            }
            credential = sign_token(claims, identity.private_key)
            credential_sd = sign_sd_token(claims, DISCLOSABLE, identity.private_key)
        return DecisionRecord(
            appointment_id=appointment.id, subject=appointment.subject, outcome=outcome, agent=identity.handle,
            kid=identity.kid, documents_seen=json.dumps(seen), decided_at=now,
            token=sign_token(decision, identity.private_key, typ=DECISION_TYP), credential=credential,
            credential_sd=credential_sd, decision_id=decision_id, credential_id=credential_id,
            credential_digest=token_digest(credential) if credential else None,
            credential_sd_digest=token_digest(credential_sd) if credential_sd else None,
        )

    def check_interview_credential(self, token: str, subject: str) -> dict[str, Any]:
        """The agents' key set, if an interview credential verifies against it, was signed by the agent
        it names, by this desk, for this subject; otherwise a refusal (nothing is stored)."""

        info = self.info()
        agents = {k.kid: k for k in self.enrolled("agent")}
        keys = key_set([k.public_key for k in agents.values()])
        check = verify_token(token, keys, self._now) if agents else None
        claims = (check.claims or {}) if check else {}
        signer = agents.get((check.header or {}).get("kid")) if check and check.valid else None
        problem = None
        if check is None or not check.valid:
            problem = reason_message(check.reason) if check else _("no agent is enrolled on this desk")
        elif (claims.get("iss"), claims.get("sub"), claims.get("method")) != (desk_issuer(info.id), subject, "interview"):
            problem = _("it was not issued by this desk to you for an interview")
        elif signer is None or (claims.get("assurance") or {}).get("agent") != signer.handle:
            problem = _("it names another agent than the key that signed it")
        if problem:
            raise PolicyRefusal(_("The interview credential the desk holds for you does not verify: {problem}. "
                                  "It was not stored.").format(problem=problem), code="credential_unverified",
                                hint=_("Ask the desk: the decision may have to be made again by an enrolled agent."))
        return keys

    def decisions(self, subject: str | None = None) -> list:
        return self.rows.decisions(subject)

    # -------------------------------------------------- the kiosk

    def kiosk(self) -> EnrolledKey | None:
        """This installation's enrolment as a kiosk: its device key is an enrolled kiosk key of the desk
        in this database (None: not a kiosk, or no desk here)."""
        if self.rows.info() is None:
            return None
        self.ctx.secrets.require_secure()
        key = load_signing_key(self.ctx.settings, DEVICE_KEY, create=False, secrets_store=self.ctx.secrets)
        if key is None:
            return None
        kid = thumbprint(key.public_key())
        return next((k for k in self.enrolled("kiosk") if k.kid == kid), None)

    def admit(self, identity: AgentIdentity, subject: str) -> tuple[str, datetime]:
        """An enrolled agent, having checked who the person is, admits ``subject`` at the kiosk: the kiosk
        issues a selfie credential for that subject only, once, within ADMISSION_MINUTES. Returns (id, until)."""
        from selfverify.store.models import KioskAdmission

        subject = check_handle(subject, _("person's handle"))
        self.check_decider(identity, subject)  # enrolled, and never oneself
        now = self._now
        until = now + timedelta(minutes=ADMISSION_MINUTES)
        admission_id = uuid.uuid4().hex
        claims = {"iss": desk_issuer(identity.desk_id), "sub": subject, "agent": identity.handle, "jti": admission_id,
                  "iat": int(now.timestamp()), "exp": int(until.timestamp())}
        row = KioskAdmission(id=admission_id, subject=subject, agent=identity.handle, created_at=now, expires_at=until,
                             token=sign_token(claims, identity.private_key, typ=ADMISSION_TYP))
        if self.rows.replace_admission(row) is not None:
            raise PolicyRefusal(_("Only an enrolled agent's database role may admit people at the kiosk: nothing was changed."),
                                code="not_enrolled")
        self._audit("kiosk_admission", {"subject": subject, "agent": identity.handle, "admission": admission_id})
        return admission_id, until

    def take_admission(self, subject: str) -> dict[str, Any]:
        """Consume the admission of ``subject`` (signed by an enrolled agent of this desk, for this subject,
        not expired); returns its claims. Refuses when there is none: a kiosk never issues for a name
        the person chose themselves."""
        info = self.info()
        agents = {k.kid: k for k in self.enrolled("agent")}
        for row in self.rows.admissions(subject):
            check = verify_token(row.token, key_set([k.public_key for k in agents.values()]), self._now,
                                 typ=ADMISSION_TYP) if agents else None
            claims = (check.claims or {}) if check is not None and check.valid else {}
            signer = agents.get(str((check.header or {}).get("kid"))) if claims else None
            if (signer is not None and claims.get("sub") == subject and claims.get("agent") == signer.handle
                    and claims.get("iss") == desk_issuer(info.id) and claims.get("jti") == row.id
                    and self.rows.consume_admission(row.id)):
                return claims
        raise PolicyRefusal(
            _("This kiosk issues credentials only to people a member of staff admitted: {subject} has no "
              "admission (or it expired or was used).").format(subject=repr(subject)), code="kiosk_not_admitted",
            hint=_("Ask the staff at the desk to check your identity and admit you (selfverify desk admit NAME)."),
        )

    def verify_decision(self, row) -> Any:  # noqa: ANN001
        """The decision's signature checked against the desk's key set (a TokenCheck)."""
        return verify_token(row.token, self.jwks(), self._now, typ=DECISION_TYP)


def _record_times(now: datetime) -> dict[str, int]:
    return {"iat": int(now.timestamp()), "exp": int((now + timedelta(days=366 * RECORD_YEARS)).timestamp())}


def _parse_request(request: str | dict) -> dict[str, Any]:
    if isinstance(request, dict):
        return request
    try:
        data = json.loads(request)
    except (ValueError, TypeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("jwk"), dict):
        raise InputError(_("That is not an enrolment request (JSON with kind, handle and jwk, as 'selfverify desk "
                           "agent-key' or 'desk kiosk-key' prints)."), code="bad_request")
    return data


__all__ = ["DeskService", "AgentIdentity", "EnrolledKey", "booked_slots", "connection_role"]
