"""Only enrolled staff decide, and every decision is signed: tried the way a person who wants a
credential without an interview would, on the real keyring (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.errors import PolicyRefusal
from selfverify.services.interview import InterviewService
from tests.inprocess_cli import run_main
from tests.postgres_db import database_url  # noqa: F401 - fixture


class Accounts:
    """Command lines for people and staff sharing one database, each with a keyring of their own
    (a keyring service per account, like separate OS accounts)."""

    def __init__(self, database_url: str | None, keyring_service: str, tmp_path):  # noqa: ANN001
        self.database_url, self.service, self.tmp_path = database_url, keyring_service, tmp_path

    def args(self, user: str) -> list[str]:
        db = ["--database-url", self.database_url] if self.database_url else []
        return [*db, "--keyring-service", f"{self.service}-{user}", "--user", user]

    def run(self, user: str, *args: str):  # noqa: ANN201
        proc = run_main(*self.args(user), *args)
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        return proc

    def ok(self, user: str, *args: str):  # noqa: ANN201
        proc = self.run(user, *args)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def request(self, user: str) -> str:
        path = self.tmp_path / f"{user}.json"
        self.ok(user, "desk", "agent-key", "--out", str(path))
        return str(path)

    def enrol(self, *users: str) -> None:
        for user in users:
            self.ok("admin", "desk", "enrol-agent", self.request(user))

    def context(self, user: str) -> AppContext:
        flags = {"user": user, "keyring_service": f"{self.service}-{user}", "database_url": self.database_url}
        return AppContext(settings=load_settings({k: v for k, v in flags.items() if v is not None}))

    def book(self, user: str) -> str:
        """A slot tomorrow (published through the service: no agent command needed) booked by ``user``."""
        # on the hour: two calls a minute apart never make overlapping 20-minute slots
        start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        slots = InterviewService(self.context("staff"), agent="staff")
        taken = {s.starts_at for s in slots.list_slots()}
        while start in taken:
            start += timedelta(minutes=30)
        slot = slots.add_slot(start)
        booked = self.ok(user, "interview", "book", str(slot.id), "--contact", f"{user}@example.org", "--json")
        return json.loads(booked.stdout)["code"]

    def at_start(self, code: str) -> None:
        """Travel to the interview's start: an agent decides only once it has started (issue 17)."""
        from tests.clock_shift import TimeTravel

        if self.travel is None:
            self.travel = TimeTravel(self.monkeypatch)
        self.travel.to(InterviewService(self.context("staff")).find(code).starts_at)

    def status_of(self, code: str) -> str:
        return InterviewService(self.context("staff")).find(code).status


@pytest.fixture
def accounts(database_url, keyring_service, tmp_path, monkeypatch):  # noqa: F811 - the imported fixture
    from tests.conftest import purge_keyring_service

    made = Accounts(database_url, keyring_service, tmp_path)
    made.monkeypatch, made.travel = monkeypatch, None
    yield made
    for user in ("admin", "ann", "bob", "dave", "eve", "kiosk", "staff"):
        purge_keyring_service(f"{keyring_service}-{user}")


def test_a_decision_needs_a_desk_and_an_enrolled_agent_holding_its_key(accounts):
    code = accounts.book("dave")
    approve = ("agent", "approve", code, "--seen", "passport")

    no_desk = accounts.run("bob", *approve)
    assert no_desk.returncode == 5 and "no desk yet" in no_desk.stderr and "desk init" in no_desk.stderr

    accounts.ok("admin", "desk", "init")
    nobody = accounts.run("bob", *approve)
    assert nobody.returncode == 5 and "No agent is enrolled" in nobody.stderr
    assert "selfverify desk agent-key" in nobody.stderr and "enrol-agent" in nobody.stderr  # how to enrol

    accounts.request("bob")  # bob made a key, but nobody enrolled it
    accounts.enrol("ann")
    unenrolled = accounts.run("bob", *approve)
    assert unenrolled.returncode == 5 and "only an enrolled agent decides" in unenrolled.stderr
    named = accounts.run("bob", "agent", "--agent", "ann", "approve", code, "--seen", "passport")
    assert named.returncode == 5 and "does not hold the enrolled key of the agent 'ann'" in named.stderr
    for command in (("agent",), ("agent", "today"), ("agent", "open", code), ("agent", "slots", "list")):
        assert accounts.run("bob", *command).returncode == 5  # every agent command, not only decisions

    # below the CLI (the console, any front end): the service itself refuses a decision without a key
    with pytest.raises(PolicyRefusal) as err:
        InterviewService(accounts.context("bob"), agent="bob").approve(code, ["passport"])
    assert err.value.code == "not_enrolled"
    # nor with a key bob made himself, handed to the service as if it were an agent's
    from selfverify.services.desk import AgentIdentity, DeskService
    from selfverify.services.tokens import thumbprint
    from selfverify.store.signing_keys import load_signing_key

    bob = accounts.context("bob")
    own_key = load_signing_key(bob.settings, "agent-key:bob", create=False, secrets_store=bob.secrets)
    service = InterviewService(bob, agent="bob")
    service.identity = AgentIdentity("bob", thumbprint(own_key), own_key, DeskService(bob).info().id)
    with pytest.raises(PolicyRefusal) as err:
        service.approve(code, ["passport"])
    assert err.value.code == "not_enrolled"
    # nor by making a key under an enrolled agent's handle in one's own keyring
    accounts.ok("bob", "--user", "ann", "desk", "agent-key")
    posing = accounts.run("bob", "--user", "ann", "agent", "approve", code, "--seen", "passport")
    assert posing.returncode == 5 and "does not hold the enrolled key" in posing.stderr
    assert accounts.status_of(code) == "booked"
    accounts.at_start(code)
    approved = accounts.ok("ann", *approve)
    assert f"Approved {code} (dave) as ann." in approved.stdout


def test_a_person_cannot_enrol_themselves(accounts):
    accounts.ok("admin", "desk", "init")
    request = accounts.request("eve")
    refused = accounts.run("eve", "desk", "enrol-agent", request)
    assert refused.returncode == 5 and "Only the desk admin enrols" in refused.stderr
    assert accounts.run("eve", "desk", "init").stdout.startswith("Already set up: desk")  # no second desk, no admin key

    # a row written straight into the database, without the admin's signature, is not trusted
    from selfverify.services.desk import DeskService
    from selfverify.services.tokens import public_jwk, sign_token, thumbprint
    from selfverify.store.models import DeskKey
    from selfverify.store.signing_keys import load_signing_key

    eve = accounts.context("eve")
    key = load_signing_key(eve.settings, "agent-key:eve", create=False, secrets_store=eve.secrets)
    info = DeskService(eve).info()
    forged = sign_token({"iss": f"selfverify:desk:{info.id}", "kind": "agent", "handle": "eve", "key": thumbprint(key),
                         "iat": 0, "exp": 2**32}, key, typ="selfverify-enrolment+jwt")
    owner = accounts.context("admin")
    with owner.db.session() as s:  # the database owner's connection: on PostgreSQL a person's role cannot
        s.add(DeskKey(kid=thumbprint(key), kind="agent", handle="eve", jwk=json.dumps(public_jwk(key.public_key())),
                      enrolment=forged, enrolled_by="eve", enrolled_at=datetime.now(timezone.utc)))
        s.commit()
    assert DeskService(eve).enrolled() == [] and DeskService(eve).jwks()["keys"] == []
    code = accounts.book("dave")
    sneaked = accounts.run("eve", "agent", "approve", code, "--seen", "passport")
    assert sneaked.returncode == 5 and "No agent is enrolled" in sneaked.stderr
    assert accounts.status_of(code) == "booked"


def test_an_agent_cannot_decide_their_own_interview(accounts):
    accounts.ok("admin", "desk", "init")
    accounts.enrol("bob", "ann")
    code = accounts.book("bob")  # bob, an agent, books an interview for himself
    for verb in (("approve", code, "--seen", "passport"), ("decline", code, "--reason", "x")):
        own = accounts.run("bob", "agent", *verb)
        assert own.returncode == 5 and "an agent cannot decide their own" in own.stderr, own.stderr
    assert accounts.status_of(code) == "booked"
    accounts.at_start(code)
    assert accounts.ok("ann", "agent", "approve", code, "--seen", "passport").returncode == 0


def test_two_enrolled_agents_each_decide_and_sign(accounts):
    from selfverify.services.desk import DECISION_TYP
    from selfverify.services.tokens import verify_token

    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann", "bob")
    first, second = accounts.book("dave"), accounts.book("eve")
    accounts.at_start(first)
    accounts.ok("ann", "agent", "approve", first, "--seen", "passport", "--seen", "id_card")
    accounts.at_start(second)
    accounts.ok("bob", "agent", "decline", second, "--reason", "The photo page was damaged", "--seen", "passport")

    keys = {k["handle"]: k["kid"] for k in json.loads(accounts.ok("admin", "desk", "keys", "--json").stdout)["keys"]}
    assert set(keys) == {"ann", "bob"} and keys["ann"] != keys["bob"]
    jwks = json.loads(accounts.ok("dave", "desk", "jwks").stdout)
    assert {k["kid"] for k in jwks["keys"]} == set(keys.values()) and all("d" not in k for k in jwks["keys"])

    decisions = json.loads(accounts.ok("admin", "desk", "decisions", "--json").stdout)["decisions"]
    assert [(d["agent"], d["outcome"], d["signature"]) for d in decisions] == [
        ("ann", "approved", "valid"), ("bob", "declined", "valid")]
    assert [d["kid"] for d in decisions] == [keys["ann"], keys["bob"]]

    from selfverify.services.desk import DeskService

    rows = DeskService(accounts.context("admin")).decisions()
    now = datetime.now(timezone.utc)
    for row, (agent, seen) in zip(rows, [("ann", ["passport", "id_card"]), ("bob", ["passport"])]):
        check = verify_token(row.token, jwks, now, typ=DECISION_TYP)
        assert check.valid and check.header["kid"] == keys[agent]
        assert (check.claims["agent"], check.claims["documents_seen"]) == (agent, seen)
        assert check.claims["decision"] == row.outcome and check.claims["iss"].startswith("selfverify:desk:")
    # ann's decision does not verify as bob's: each is signed by the deciding agent's own key
    bob_only = {"keys": [k for k in jwks["keys"] if k["kid"] == keys["bob"]]}
    assert verify_token(rows[0].token, bob_only, now, typ=DECISION_TYP).reason == "unknown_key"
    # and the record is append-only, in the database itself
    from sqlalchemy import text

    with accounts.context("admin").db.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("UPDATE decision_record SET outcome = 'approved'"))


def _verify(accounts, user: str, token: str, jwks: str, tmp_path):  # noqa: ANN001, ANN202
    path = tmp_path / f"token-{uuid.uuid4().hex[:6]}"
    path.write_text(token)
    return accounts.run(user, "credential", "verify", str(path), "--jwks", jwks, "--json")


def test_the_interview_credential_is_the_agents_and_verifies_only_against_the_desks_keys(accounts, tmp_path):
    from selfverify.core.clock import SystemClock  # travelled to the interview's start (accounts.at_start)
    from selfverify.services.tokens import sign_token, verify_token
    from selfverify.store.signing_keys import load_signing_key

    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    code = accounts.book("dave")
    accounts.at_start(code)
    accounts.ok("ann", "agent", "approve", code, "--seen", "passport", "--seen", "id_card")
    status = json.loads(accounts.ok("dave", "status", "--json").stdout)
    assert len(status["picked_up"]) == 1 and status["credential"]["method"] == "interview"

    token = accounts.ok("dave", "credential", "export").stdout.strip()
    jwks_text = accounts.ok("dave", "desk", "jwks").stdout
    jwks = tmp_path / "desk.jwks.json"
    jwks.write_text(jwks_text)
    good = _verify(accounts, "eve", token, str(jwks), tmp_path)  # a relying party: anyone with the key set
    assert good.returncode == 0, good.stdout + good.stderr
    check = verify_token(token, json.loads(jwks_text), SystemClock().now())
    ann_kid = json.loads(accounts.ok("admin", "desk", "keys", "--json").stdout)["keys"][0]["kid"]
    desk_id = json.loads(accounts.ok("admin", "desk", "init", "--json").stdout)["desk_id"]
    assert check.valid and check.header["kid"] == ann_kid
    assert check.claims["iss"] == f"selfverify:desk:{desk_id}" and check.claims["sub"] == "dave"
    assert check.claims["assurance"]["agent"] == "ann" and check.claims["assurance"]["documents_seen"] == ["passport", "id_card"]

    # the same claims signed by a key the person holds (this machine's device key): refused by the desk's key set
    dave = accounts.context("dave")
    device_key = load_signing_key(dave.settings, "device-key", create=True, secrets_store=dave.secrets)
    forged = _verify(accounts, "eve", sign_token(check.claims, device_key), str(jwks), tmp_path)
    assert forged.returncode == 1 and json.loads(forged.stdout)["reason"] == "unknown_key"


@pytest.mark.parametrize("signer, issuer, named", [
    ("eve", "desk", "ann"),  # a key the person holds
    ("bob", "desk", "ann"),  # an enrolled agent's key, naming another agent
    ("ann", "another-desk", "ann"),  # an enrolled agent's key, for another desk
])
def test_a_decision_row_forged_in_the_database_gives_no_credential(accounts, signer, issuer, named):
    """On the single-machine desk the account can write the database file: the person's app still
    stores only a credential that an enrolled agent of this desk signed under its own name."""
    from sqlmodel import select

    from selfverify.services.desk import DeskService
    from selfverify.services.tokens import sign_token
    from selfverify.store.models import Appointment, DecisionRecord
    from selfverify.store.signing_keys import load_signing_key

    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann", "bob")
    code = accounts.book("eve")
    eve, holder = accounts.context("eve"), accounts.context(signer)
    key_name = "device-key" if signer == "eve" else f"agent-key:{signer}"
    key = load_signing_key(holder.settings, key_name, create=True, secrets_store=holder.secrets)
    desk_id = DeskService(eve).info().id if issuer == "desk" else "0123456789abcdef"
    now = int(datetime.now(timezone.utc).timestamp())
    claims = {"iss": f"selfverify:desk:{desk_id}", "sub": "eve", "jti": uuid.uuid4().hex, "iat": now,
              "nbf": now, "exp": now + 86400, "method": "interview", "assurance": {"agent": named, "documents_seen": ["passport"]}}
    owner = accounts.context("admin")  # SQLite: the same file eve's account can write; PostgreSQL: the owner
    with owner.db.session() as s:
        row = s.exec(select(Appointment).where(Appointment.code == code.replace("-", ""))).one()
        row.status, row.active_slot_id, row.active_subject, row.decided_by = "approved", None, None, named
        s.add(row)
        s.add(DecisionRecord(appointment_id=row.id, subject="eve", outcome="approved", agent=named, kid="forged",
                             decided_at=datetime.now(timezone.utc), token=sign_token(claims, key, typ="selfverify-decision+jwt"),
                             credential=sign_token(claims, key)))
        s.commit()
    status = accounts.run("eve", "status")
    assert status.returncode == 5 and "does not verify" in status.stderr and "not stored" in status.stdout
    assert json.loads(accounts.run("eve", "status", "--json").stdout)["credential"] is None


def test_an_enrolled_kiosks_selfie_credentials_verify_against_the_desk(accounts, tmp_path):
    from selfverify.services.credentials import CredentialService

    accounts.ok("admin", "desk", "init")
    request = tmp_path / "kiosk.json"
    accounts.ok("kiosk", "desk", "kiosk-key", "hall-kiosk", "--out", str(request))
    refused = accounts.run("kiosk", "desk", "enrol-kiosk", str(request))
    assert refused.returncode == 5 and "Only the desk admin" in refused.stderr
    accounts.ok("admin", "desk", "enrol-kiosk", str(request))
    jwks = tmp_path / "desk.jwks.json"
    jwks.write_text(accounts.ok("dave", "desk", "jwks").stdout)

    selfie = {"liveness": "passed", "distance": 0.31, "tolerance": 0.6}
    accounts.enrol("ann")
    accounts.ok("ann", "desk", "admit", "kiosk")  # the kiosk issues only for a subject staff admitted
    at_kiosk = CredentialService(accounts.context("kiosk")).issue("selfie", selfie)
    at_home = CredentialService(accounts.context("dave")).issue("selfie", selfie)
    assert _verify(accounts, "eve", at_kiosk.token, str(jwks), tmp_path).returncode == 0
    home = _verify(accounts, "eve", at_home.token, str(jwks), tmp_path)
    assert home.returncode == 1 and json.loads(home.stdout)["reason"] == "unknown_key"


def test_a_key_signs_only_what_its_kind_may(accounts, tmp_path):
    """Second review, finding 3: agent ann minted her own interview credential, and the kiosk's
    device key (in the account the public uses) minted 'interview' credentials, both valid against
    the desk's key set. The set now says each key's kind; verification holds claims to it."""
    from selfverify.services.credentials import CredentialService
    from selfverify.services.tokens import sign_token, thumbprint
    from selfverify.store.signing_keys import DEVICE_KEY, load_signing_key

    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    request = tmp_path / "kiosk.json"
    accounts.ok("kiosk", "desk", "kiosk-key", "hall-kiosk", "--out", str(request))
    accounts.ok("admin", "desk", "enrol-kiosk", str(request))
    jwks_text = accounts.ok("dave", "desk", "jwks").stdout
    jwks = tmp_path / "desk.jwks.json"
    jwks.write_text(jwks_text)
    published = json.loads(jwks_text)
    assert {(k["selfverify_kind"], k["selfverify_handle"]) for k in published["keys"]} == {("agent", "ann"), ("kiosk", "hall-kiosk")}
    desk_iss = f"selfverify:desk:{published['selfverify_desk']}"

    def key(user: str, name: str):  # noqa: ANN202
        ctx = accounts.context(user)
        return load_signing_key(ctx.settings, name, create=False, secrets_store=ctx.secrets)

    ann, kiosk = key("ann", "agent-key:ann"), key("kiosk", DEVICE_KEY)
    now = int(datetime.now(timezone.utc).timestamp())
    base = {"iat": now, "nbf": now, "exp": now + 3600, "jti": uuid.uuid4().hex}
    interview = {**base, "iss": desk_iss, "sub": "victim", "method": "interview",
                 "assurance": {"agent": "ann", "documents_seen": ["passport"], "self_asserted": False}}
    kiosk_iss = f"selfverify:device:{thumbprint(kiosk)}"
    selfie = {**base, "iss": kiosk_iss, "sub": "victim", "method": "selfie",
              "assurance": {"liveness": True, "self_asserted": False, "admitted_by": "ann"}}
    refused = {
        "agent approves herself": ({**interview, "sub": "ann"}, ann),
        "kiosk signs an interview": ({**interview, "iss": kiosk_iss}, kiosk),
        "agent names another agent": ({**interview, "assurance": {**interview["assurance"], "agent": "bob"}}, ann),
        "agent under another desk's iss": ({**interview, "iss": "selfverify:desk:anything"}, ann),
        "agent signs a selfie": ({**selfie, "iss": desk_iss, "assurance": {"agent": "ann"}}, ann),
        "kiosk under the desk's iss": ({**selfie, "iss": desk_iss}, kiosk),
        "kiosk naming no admitting agent": ({**selfie, "assurance": {"liveness": True, "self_asserted": False}}, kiosk),
        "kiosk saying self-asserted": ({**selfie, "assurance": {**selfie["assurance"], "self_asserted": True}}, kiosk),
    }
    for what, (claims, signer) in refused.items():
        proc = _verify(accounts, "eve", sign_token(claims, signer), str(jwks), tmp_path)
        assert proc.returncode == 1 and json.loads(proc.stdout)["reason"] == "wrong_signer", what
    # what each kind may sign passes the kind rules; an interview credential must also come from a
    # decision (tests/functional/test_decision_binding.py): ann's hand-signed one has none
    assert _verify(accounts, "eve", sign_token(selfie, kiosk), str(jwks), tmp_path).returncode == 0
    unbound = _verify(accounts, "eve", sign_token(interview, ann), str(jwks), tmp_path)
    assert unbound.returncode == 1 and json.loads(unbound.stdout)["reason"] == "no_decision"

    # a person's own device key, with the key set 'credential export --jwks' writes: never an interview, never the desk's iss
    dave = CredentialService(accounts.context("dave"))
    own = dave.issuer_key_set()
    device = key("dave", DEVICE_KEY)
    for claims in ({**interview, "iss": f"selfverify:device:{thumbprint(device)}"}, {**selfie, "iss": desk_iss}):
        check = CredentialService(accounts.context("eve")).verify_token(sign_token(claims, device), key_set=own)
        assert check.reason == "wrong_signer"
