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
  by the same key (``iss`` ``selfverify:desk:<desk id>``, ``kid`` naming the agent's key).
- The person's app fetches that credential, verifies it against the desk's key set (``desk jwks``:
  every enrolled agent and kiosk key) and stores it in the person's keyring. Nothing a person holds
  can make one.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from selfverify.errors import DatabaseError, InputError, PolicyRefusal
from selfverify.services.audit import AuditLog
from selfverify.services.credentials import DISCLOSABLE, CredentialService
from selfverify.services.desk_roles import booked_slots, connection_role, desk_roles_sql  # noqa: F401  (re-exported)
from selfverify.services.tokens import (
    REASON_MESSAGES, key_set, load_key_set, public_jwk, sign_sd_token, sign_token, thumbprint, verify_token,
)
from selfverify.store.signing_keys import load_signing_key

DESK_KEY = "desk-key"
DEVICE_KEY = "device-key"
DECISION_TYP = "selfverify-decision+jwt"
ENROLMENT_TYP = "selfverify-enrolment+jwt"
KINDS = ("agent", "kiosk")
_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}")

# enrolments and decisions are records, not credentials: they stay verifiable this long
RECORD_YEARS = 10
ENROL_HINT = (
    "An agent runs 'selfverify desk agent-key --out request.json' on their own account and gives the "
    "file to the desk admin, who runs 'selfverify desk enrol-agent request.json'."
)


def agent_key_name(handle: str) -> str:
    return f"agent-key:{handle}"


def desk_issuer(desk_id: str) -> str:
    return f"selfverify:desk:{desk_id}"


def check_handle(handle: str, what: str = "handle") -> str:
    text = str(handle or "").strip()
    if not _HANDLE.fullmatch(text):
        raise InputError(
            f"{text!r} cannot be a {what}: use 1 to 63 letters, digits, '.', '_', '-' or '@', starting with a letter or digit.",
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

    @property
    def _now(self) -> datetime:
        return self.ctx.clock.now()

    # -------------------------------------------------- the desk itself

    def info(self):
        from sqlmodel import select

        from selfverify.store.models import DeskInfo

        with self.ctx.db.session() as s:
            row = s.exec(select(DeskInfo)).first()
        if row is None:
            raise PolicyRefusal(
                "This database has no desk yet, so nobody can decide an interview.", code="no_desk",
                hint="The desk admin runs 'selfverify desk init' first (with --database-url for a shared desk).",
            )
        return row

    def _admin_public_key(self, info):  # noqa: ANN001

        return load_key_set({"keys": [json.loads(info.admin_jwk)]})[0]

    def init(self) -> tuple[Any, bool]:
        """Create the desk (returns (info, created)); on PostgreSQL (re)install the roles and policies."""
        from sqlalchemy.exc import IntegrityError
        from sqlmodel import select

        from selfverify.store.models import DeskInfo

        db = self.ctx.db
        if not db.is_sqlite:
            if connection_role(db) is not None:
                raise PolicyRefusal(
                    "A desk is created by the owner of its tables, not from a person's, agent's or admin's role.",
                    code="not_owner", hint="Run 'selfverify desk init' with the owner's --database-url.",
                )
            self._install_roles()
        with db.session() as s:
            existing = s.exec(select(DeskInfo)).first()
        if existing is not None:
            return existing, False
        self.ctx.secrets.require_secure()
        admin_key = load_signing_key(self.ctx.settings, DESK_KEY, create=True, secrets_store=self.ctx.secrets)
        row = DeskInfo(id=uuid.uuid4().hex[:16], admin=self.ctx.user, admin_jwk=json.dumps(public_jwk(admin_key.public_key())),
                       created_at=self._now)
        with db.session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raise PolicyRefusal("Another process created the desk at the same moment.", code="desk_exists") from None
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
            raise DatabaseError(f"The desk roles could not be installed: {first}.", code="desk_roles",
                                hint="Connect as the owner of the tables (a role allowed to CREATE ROLE).") from None
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
            raise InputError(f"Unknown kind {kind!r}: agent or kiosk.", code="bad_kind")
        handle = check_handle(self.ctx.user if kind == "agent" else (name or ""), "kiosk name" if kind == "kiosk" else "handle")
        self.ctx.secrets.require_secure()
        key_name = agent_key_name(handle) if kind == "agent" else DEVICE_KEY
        key = load_signing_key(self.ctx.settings, key_name, create=True, secrets_store=self.ctx.secrets)
        return {"kind": kind, "handle": handle, "jwk": public_jwk(key.public_key())}

    def _admin_key(self, info):  # noqa: ANN001

        self.ctx.secrets.require_secure()
        key = load_signing_key(self.ctx.settings, DESK_KEY, create=False, secrets_store=self.ctx.secrets)
        if key is None or thumbprint(key.public_key()) != json.loads(info.admin_jwk).get("kid"):
            raise PolicyRefusal(
                "Only the desk admin enrols agents and kiosks: this keyring does not hold the desk's admin key.",
                code="not_admin", hint=f"Give the request to the desk admin ({info.admin}).",
            )
        return key

    def enrol(self, request: str | dict, kind: str) -> EnrolledKey:
        from sqlalchemy.exc import IntegrityError, ProgrammingError

        from selfverify.store.models import DeskKey

        data = _parse_request(request)
        if data.get("kind") != kind:
            raise InputError(f"That is a {data.get('kind')!r} request, not an {kind} enrolment request.", code="bad_request")
        handle = check_handle(data.get("handle"), "kiosk name" if kind == "kiosk" else "handle")
        public_key = load_key_set({"keys": [data.get("jwk")]})[0]
        kid = thumbprint(public_key)
        info = self.info()
        admin_key = self._admin_key(info)

        jwk = public_jwk(public_key)
        now = self._now
        claims = {"iss": desk_issuer(info.id), "kind": kind, "handle": handle, "key": kid, **_record_times(now)}
        row = DeskKey(kid=kid, kind=kind, handle=handle, jwk=json.dumps(jwk), enrolled_by=self.ctx.user, enrolled_at=now,
                      enrolment=sign_token(claims, admin_key, typ=ENROLMENT_TYP))
        with self.ctx.db.session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raise PolicyRefusal(f"That key or the {kind} {handle!r} is already enrolled: nothing was changed.",
                                    code="already_enrolled") from None
            except ProgrammingError:  # PostgreSQL: this role may not write desk_key
                s.rollback()
                raise PolicyRefusal("Only the desk admin's database role may enrol keys: nothing was changed.",
                                    code="not_admin") from None
        self._audit("desk_key_enrolled", {"kind": kind, "handle": handle, "kid": kid})
        return EnrolledKey(kid, kind, handle, public_key, now, self.ctx.user)

    def enrolled(self, kind: str | None = None) -> list[EnrolledKey]:
        """The keys the desk vouches for: rows whose enrolment the admin's desk-key signed."""
        from sqlmodel import select

        from selfverify.store.models import DeskKey

        info = self.info()
        admin = self._admin_public_key(info)
        with self.ctx.db.session() as s:
            query = select(DeskKey).order_by(DeskKey.enrolled_at, DeskKey.kid)
            rows = s.exec(query if kind is None else query.where(DeskKey.kind == kind)).all()
        keys = []
        for row in rows:
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
        each tagged with what it was enrolled as, and the desk's id (``services/signer_rules.py``)."""
        from selfverify.services.signer_rules import DESK_MEMBER, HANDLE_MEMBER, KIND_MEMBER

        keys: dict[str, dict] = {}
        for k in self.enrolled():
            jwk = public_jwk(k.public_key)
            keys.setdefault(jwk["kid"], {**jwk, KIND_MEMBER: k.kind, HANDLE_MEMBER: k.handle})
        return {DESK_MEMBER: self.info().id, "keys": list(keys.values())}

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
            raise PolicyRefusal("No agent is enrolled on this desk, so no interview can be decided.",
                                code="not_enrolled", hint=ENROL_HINT)
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
            who = f"the agent {candidates[0]!r}" if len(candidates) == 1 else "any enrolled agent"
            raise PolicyRefusal(f"This account does not hold the enrolled key of {who}: only an enrolled agent decides.",
                                code="not_enrolled", hint=ENROL_HINT)
        if len(held) > 1:  # one keyring with several agents' keys (a single-account demo desk): --user picks
            held = [h for h in held if h.handle == self.ctx.settings.user] or held
        if len(held) > 1:
            raise InputError(
                f"This keyring holds the keys of several enrolled agents ({', '.join(h.handle for h in held)}): "
                "choose one with --agent.", code="several_agents",
            )
        return held[0]

    def check_decider(self, identity: AgentIdentity | None, subject: str) -> AgentIdentity:
        """Refuse a decision by anyone but an enrolled agent, and an agent deciding its own booking."""
        if identity is None:
            raise PolicyRefusal("Only an enrolled agent holding its key decides interviews: nothing was changed.",
                                code="not_enrolled", hint=ENROL_HINT)
        if identity.kid not in {k.kid for k in self.enrolled("agent")}:
            raise PolicyRefusal(f"The key of {identity.handle!r} is no longer enrolled on this desk: nothing was changed.",
                                code="not_enrolled", hint=ENROL_HINT)
        if identity.handle == subject:
            raise PolicyRefusal(
                f"{identity.handle} booked this interview: an agent cannot decide their own. Nothing was changed.",
                code="self_approval", hint="Another enrolled agent must decide it.",
            )
        return identity

    def decision_record(self, identity: AgentIdentity, appointment, outcome: str, seen: list[str],  # noqa: ANN001
                        reason: str | None, now: datetime):
        """The signed, append-only record of a decision (and, on approval, the interview credential)."""
        from selfverify.store.models import DecisionRecord

        issuer = desk_issuer(identity.desk_id)
        at = int(now.timestamp())
        decision = {
            "iss": issuer, "sub": appointment.subject, "jti": uuid.uuid4().hex, **_record_times(now),
            "appointment": appointment.display_code, "decision": outcome, "agent": identity.handle,
            "documents_seen": seen, "reason": reason,
        }
        credential = credential_sd = None
        if outcome == "approved":
            expires = now + timedelta(days=self.ctx.settings.credential_days)
            claims = {
                "iss": issuer, "sub": appointment.subject, "jti": uuid.uuid4().hex, "iat": at, "nbf": at,
                "exp": int(expires.timestamp()), "method": "interview",
                "assurance": {"agent": identity.handle, "documents_seen": seen},
            }
            credential = sign_token(claims, identity.private_key)
            credential_sd = sign_sd_token(claims, DISCLOSABLE, identity.private_key)
        return DecisionRecord(
            appointment_id=appointment.id, subject=appointment.subject, outcome=outcome, agent=identity.handle,
            kid=identity.kid, documents_seen=json.dumps(seen), decided_at=now,
            token=sign_token(decision, identity.private_key, typ=DECISION_TYP), credential=credential,
            credential_sd=credential_sd,
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
            problem = REASON_MESSAGES.get(check.reason, check.reason) if check else "no agent is enrolled on this desk"
        elif (claims.get("iss"), claims.get("sub"), claims.get("method")) != (desk_issuer(info.id), subject, "interview"):
            problem = "it was not issued by this desk to you for an interview"
        elif signer is None or (claims.get("assurance") or {}).get("agent") != signer.handle:
            problem = "it names another agent than the key that signed it"
        if problem:
            raise PolicyRefusal(f"The interview credential the desk holds for you does not verify: {problem}. "
                                "It was not stored.", code="credential_unverified",
                                hint="Ask the desk: the decision may have to be made again by an enrolled agent.")
        return keys

    def decisions(self, subject: str | None = None) -> list:
        from sqlmodel import select

        from selfverify.store.models import DecisionRecord

        from sqlalchemy.orm import defer

        # not the credentials: bearer tokens awaiting pickup, which desk staff may not read (desk_roles.sql)
        query = (select(DecisionRecord).options(defer(DecisionRecord.credential), defer(DecisionRecord.credential_sd))
                 .order_by(DecisionRecord.id))
        if subject is not None:
            query = query.where(DecisionRecord.subject == subject)
        with self.ctx.db.session() as s:
            return list(s.exec(query).all())

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
        raise InputError("That is not an enrolment request (JSON with kind, handle and jwk, as 'selfverify desk "
                         "agent-key' or 'desk kiosk-key' prints).", code="bad_request")
    return data


__all__ = ["DeskService", "AgentIdentity", "EnrolledKey", "booked_slots", "connection_role", "pick_up_credentials"]


# ---------------------------------------------------------------- the person's app picks up


def pick_up_credentials(service) -> list:  # noqa: ANN001 - an InterviewService of the person
    """Fetch each approved interview credential of this person from the desk, verify it against the
    desk's agents' keys and store it in this person's keyring; returns the stored ones."""
    from sqlmodel import select

    from selfverify.store.models import Appointment, DecisionRecord

    ctx = service.ctx
    with ctx.db.session() as s:
        waiting = s.exec(
            select(DecisionRecord, Appointment)
            .join(Appointment, Appointment.id == DecisionRecord.appointment_id)
            .where(DecisionRecord.subject == ctx.user, DecisionRecord.outcome == "approved",
                   Appointment.credential_id.is_(None))
            .order_by(DecisionRecord.id)
        ).all()
    if not waiting:
        return []
    desk = DeskService(ctx)
    stored = []
    for record, appointment in waiting:
        keys = desk.check_interview_credential(record.credential or "", ctx.user)
        try:
            credential = CredentialService(ctx).store_issued(record.credential, keys, sd_token=record.credential_sd,
                                                             appointment_id=appointment.id)
        except PolicyRefusal as exc:
            if exc.code != "already_issued":
                raise
            service._link_existing_credential(appointment)  # another process of this person picked it up first
            continue
        service._link_credential(appointment, credential.id)
        stored.append(credential)
    return stored

