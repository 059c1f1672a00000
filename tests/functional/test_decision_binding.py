"""An interview credential is worth what the desk's decision behind it is worth (second review,
finding 3d and 2): tried the way an enrolled agent minting their own would, on the real keyring,
SQLite and PostgreSQL. Also: no bearer token stays in the shared database after pickup, each
credential row names the key that signed it, and a kiosk issues only for a subject staff admitted,
keeping no token in its keyring."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from selfverify.core.clock import SystemClock

from selfverify.services.credentials import CredentialService
from selfverify.services.tokens import present, sign_sd_token, sign_token, token_digest
from selfverify.store.signing_keys import DEVICE_KEY, load_signing_key
from tests.functional.test_desk import _verify, accounts  # noqa: F401 - the fixture
from tests.postgres_db import database_url  # noqa: F401 - fixture


def _key(accounts, user: str, name: str):  # noqa: ANN001, ANN202
    ctx = accounts.context(user)
    return load_signing_key(ctx.settings, name, create=False, secrets_store=ctx.secrets)


def _approved(accounts, person: str = "dave"):  # noqa: ANN001, ANN202
    """Desk, agent ann, ``person`` booked and approved; returns (desk jwks path, decision row)."""
    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    code = accounts.book(person)
    accounts.at_start(code)
    accounts.ok("ann", "agent", "approve", code, "--seen", "passport")
    from sqlmodel import select

    from selfverify.store.models import DecisionRecord

    # as the person: staff never read the credentials waiting in a decision (DeskService.decisions defers them)
    with accounts.context(person).db.session() as s:
        [row] = s.exec(select(DecisionRecord).where(DecisionRecord.subject == person)).all()
        s.expunge(row)
    return row


def _jwks(accounts, tmp_path, user: str = "eve") -> str:  # noqa: ANN001
    path = tmp_path / f"desk-{uuid.uuid4().hex[:6]}.jwks.json"
    path.write_text(accounts.ok(user, "desk", "jwks").stdout)
    return str(path)


def _elsewhere(accounts, token: str, jwks: str, tmp_path) -> dict:  # noqa: ANN001
    """A relying party on another machine: its own empty home, only the desk's published key set."""
    from tests.inprocess_cli import run_main

    path = tmp_path / f"token-{uuid.uuid4().hex[:6]}"
    path.write_text(token)
    proc = run_main("--home", str(tmp_path / "rp-home"), "--keyring-service", f"{accounts.service}-eve",
                    "credential", "verify", str(path), "--jwks", jwks, "--json")
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def _on_desk(accounts, user: str, token: str, tmp_path):  # noqa: ANN001, ANN202
    """``credential verify`` with no key set, on the desk's own database (a relying party there)."""
    path = tmp_path / f"token-{uuid.uuid4().hex[:6]}"
    path.write_text(token)
    return json.loads(accounts.run(user, "credential", "verify", str(path), "--json").stdout)


def test_an_agent_cannot_mint_an_interview_credential_outside_a_decision(accounts, tmp_path):
    """ann, an enrolled agent, signs a credential for dave with every claim right but no decision:
    the kind rules pass (her key, her name, the desk's iss), the decision rule refuses it."""
    row = _approved(accounts, "erin")  # a real decision exists for someone else
    desk_id = json.loads(accounts.ok("admin", "desk", "init", "--json").stdout)["desk_id"]
    ann = _key(accounts, "ann", "agent-key:ann")
    now = int(SystemClock().now().timestamp())  # travelled to the interview's start (accounts.at_start)
    claims = {"iss": f"selfverify:desk:{desk_id}", "sub": "dave", "jti": uuid.uuid4().hex, "iat": now, "nbf": now,
              "exp": now + 3600, "method": "interview", "decision": row.decision_id,
              "assurance": {"agent": "ann", "documents_seen": ["passport"]}}
    minted = sign_token(claims, ann)
    jwks = _jwks(accounts, tmp_path)
    at_rp = _verify(accounts, "eve", minted, jwks, tmp_path)
    assert at_rp.returncode == 1 and json.loads(at_rp.stdout)["reason"] == "no_decision"
    assert _elsewhere(accounts, minted, jwks, tmp_path)["reason"] == "no_decision"
    assert _on_desk(accounts, "eve", minted, tmp_path)["reason"] == "no_decision"
    # the SD-JWT form of the same, presented: refused the same way
    sd = present(sign_sd_token(claims, ("sub", "method", "assurance"), ann), {"method", "assurance"})
    assert json.loads(_verify(accounts, "eve", sd, jwks, tmp_path).stdout)["reason"] == "no_decision"


@pytest.mark.parametrize("change", ["sub", "agent_seen", "exp"])
def test_a_real_decisions_credential_id_on_other_claims_is_refused(accounts, tmp_path, change):
    """ann re-signs the credential of her real decision with another subject, other documents or a
    later expiry, keeping its id and decision: the digest the desk recorded does not match."""
    row = _approved(accounts)
    real = CredentialService(accounts.context("dave"))
    accounts.ok("dave", "status")  # pickup
    token = real.export()
    claims = _on_desk(accounts, "eve", token, tmp_path)["claims"]
    assert claims["decision"] == row.decision_id and claims["jti"] == row.credential_id
    forged = dict(claims)
    if change == "sub":
        forged["sub"] = "mallory"
    elif change == "agent_seen":
        forged["assurance"] = {**claims["assurance"], "documents_seen": ["passport", "id_card", "driving_licence"]}
    else:
        forged["exp"] = claims["exp"] - 60
    minted = sign_token(forged, _key(accounts, "ann", "agent-key:ann"))
    jwks = _jwks(accounts, tmp_path)
    assert _elsewhere(accounts, token, jwks, tmp_path)["valid"]
    assert _elsewhere(accounts, minted, jwks, tmp_path)["reason"] == "not_as_decided"
    # on the desk's database the person's credential row also catches a changed sub or exp
    on_desk = _on_desk(accounts, "eve", minted, tmp_path)["reason"]
    assert on_desk == "not_as_decided" if change == "agent_seen" else on_desk in ("not_as_issued", "not_as_decided")


def test_a_picked_up_credential_verifies_and_leaves_no_token_in_the_database(accounts, tmp_path):
    row = _approved(accounts)
    assert row.credential and row.credential_sd and row.credential_digest == token_digest(row.credential)
    status = json.loads(accounts.ok("dave", "status", "--json").stdout)
    assert len(status["picked_up"]) == 1
    owner = accounts.context("admin")  # the database owner's view (SQLite: the one file)
    with owner.db.session() as s:
        credential, sd, digest, sd_digest, credential_id = s.execute(text(
            "SELECT credential, credential_sd, credential_digest, credential_sd_digest, credential_id "
            "FROM decision_record")).one()
    assert credential is None and sd is None  # no bearer token at rest after pickup
    assert digest == row.credential_digest and sd_digest == row.credential_sd_digest and credential_id == row.credential_id

    dave = CredentialService(accounts.context("dave"))
    token = dave.export()
    assert token == row.credential
    jwks = _jwks(accounts, tmp_path)
    assert _verify(accounts, "eve", token, jwks, tmp_path).returncode == 0  # a relying party elsewhere
    assert _on_desk(accounts, "eve", token, tmp_path)["valid"]  # on the desk's database, no key set given
    shown = json.loads(accounts.ok("dave", "credential", "show", "--json").stdout)
    assert shown["check"]["valid"] and shown["signer"]["kind"] == "agent" and shown["signer"]["state"] == "current"
    presentation = dave.present(["method", "assurance"])  # the SD-JWT form, sub hidden: its digest is listed too
    assert _verify(accounts, "eve", presentation, jwks, tmp_path).returncode == 0
    # a second status run has nothing to pick up and changes nothing
    assert json.loads(accounts.ok("dave", "status", "--json").stdout)["picked_up"] == []


def test_the_decision_row_allows_only_clearing_its_tokens(accounts):
    """The append-only trigger allows the pickup's one change (tokens to NULL, digests kept) and no other."""
    _approved(accounts)
    owner = accounts.context("admin")
    refused = [
        "UPDATE decision_record SET credential_digest = 'x'",
        "UPDATE decision_record SET credential = NULL, credential_sd = NULL, credential_digest = NULL",
        "UPDATE decision_record SET credential = NULL, credential_sd = NULL, credential_id = 'other'",
        "UPDATE decision_record SET credential = NULL, credential_sd = NULL, subject = 'mallory'",
        "UPDATE decision_record SET credential = 'x'",
    ]
    for statement in refused:
        with owner.db.session() as s, pytest.raises(Exception, match="append-only"):
            s.execute(text(statement))
            s.commit()
    with owner.db.session() as s:
        s.execute(text("UPDATE decision_record SET credential = NULL, credential_sd = NULL"))
        s.commit()
    with owner.db.session() as s, pytest.raises(Exception, match="append-only"):  # and nothing comes back
        s.execute(text("UPDATE decision_record SET credential = 'x'"))
        s.commit()
    # a token whose digest was never recorded cannot be cleared: the digest is all that would bind it
    from selfverify.store.models import DecisionRecord

    with owner.db.session() as s:  # a row from before schema 6 (no digests): made as the owner, past the
        postgres = s.get_bind().dialect.name == "postgresql"  # desk's insert check (it names no real appointment)
        if postgres:
            s.execute(text("ALTER TABLE decision_record DISABLE TRIGGER decision_record_appointment"))
        s.add(DecisionRecord(appointment_id=999, subject="erin", outcome="approved", agent="ann", kid="k",
                             decided_at=datetime.now(timezone.utc), token="t", credential="c", credential_sd="sd"))
        if postgres:
            s.execute(text("ALTER TABLE decision_record ENABLE TRIGGER decision_record_appointment"))
        s.commit()
    with owner.db.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("UPDATE decision_record SET credential = NULL, credential_sd = NULL WHERE appointment_id = 999"))
        s.commit()


def test_each_credential_row_names_its_signing_key(accounts, tmp_path):
    """A token reusing a live credential's id and claims but signed by another key the verifier
    trusts (here the desk's enrolled kiosk key, with a kiosk's claims) is refused by the record."""
    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    request = tmp_path / "kiosk.json"
    accounts.ok("kiosk", "desk", "kiosk-key", "hall-kiosk", "--out", str(request))
    accounts.ok("admin", "desk", "enrol-kiosk", str(request))
    dave = CredentialService(accounts.context("dave"))
    issued = dave.issue("selfie", {"liveness": "passed", "distance": 0.3, "tolerance": 0.6})
    row = dave.rows.get(issued.id)
    device = _key(accounts, "dave", DEVICE_KEY)
    from selfverify.services.tokens import thumbprint

    assert (row.signer_kid, row.signer_kind) == (thumbprint(device), "device")
    assert dave.verify_token(issued.token).valid

    kiosk = _key(accounts, "kiosk", DEVICE_KEY)
    claims = json.loads(json.dumps(dave.verify_token(issued.token).claims))
    claims["iss"] = f"selfverify:device:{thumbprint(kiosk)}"
    claims["assurance"] = {**claims["assurance"], "self_asserted": False, "admitted_by": "ann"}
    resigned = sign_token(claims, kiosk)
    check = CredentialService(accounts.context("eve")).verify_token(resigned)  # on the desk's database
    assert check.reason == "not_as_issued"

    # a rotated device key is visible: the row names the old one
    ctx = accounts.context("dave")
    from selfverify.store.signing_keys import keyring_entry

    ctx.secrets.delete(keyring_entry(ctx.settings, DEVICE_KEY))
    load_signing_key(ctx.settings, DEVICE_KEY, create=True, secrets_store=ctx.secrets)
    shown = json.loads(accounts.run("dave", "credential", "show", "--json").stdout)
    assert shown["signer"] == {"kid": thumbprint(device), "kind": "device", "state": "rotated"}


def test_a_kiosk_issues_only_to_an_admitted_subject_and_keeps_no_token(accounts, tmp_path):
    """The kiosk account is shared by the public: --user is whatever the person types. A credential
    comes only for a subject an enrolled agent admitted, once; the next person finds nothing to export."""
    from selfverify.errors import PolicyRefusal

    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    request = tmp_path / "kiosk.json"
    accounts.ok("kiosk", "desk", "kiosk-key", "hall-kiosk", "--out", str(request))
    accounts.ok("admin", "desk", "enrol-kiosk", str(request))
    selfie = {"liveness": "passed", "distance": 0.3, "tolerance": 0.6}

    def at_kiosk(subject: str) -> CredentialService:
        from selfverify.config import load_settings
        from selfverify.context import AppContext

        flags = {"user": subject, "keyring_service": f"{accounts.service}-kiosk", "database_url": accounts.database_url}
        # the kiosk account's keyring and database, under the name the person typed
        return CredentialService(AppContext(settings=load_settings({k: v for k, v in flags.items() if v is not None})))

    with pytest.raises(PolicyRefusal) as err:
        at_kiosk("victim").issue("selfie", selfie)  # nobody admitted anyone: a self-chosen name gets nothing
    assert err.value.code == "kiosk_not_admitted"
    own = accounts.run("ann", "desk", "admit", "ann")
    assert own.returncode == 5 and "cannot decide their own" in own.stderr  # an agent never admits themselves
    accounts.ok("ann", "desk", "admit", "victim")
    with pytest.raises(PolicyRefusal):
        at_kiosk("mallory").issue("selfie", selfie)  # an admission names one subject
    issued = at_kiosk("victim").issue("selfie", selfie)
    assert issued.handed_out and issued.assurance["admitted_by"] == "ann" and issued.assurance["self_asserted"] is False
    with pytest.raises(PolicyRefusal):
        at_kiosk("victim").issue("selfie", selfie)  # used once

    # nothing for the next person to take from the kiosk account's keyring
    leftover = accounts.run("kiosk", "--user", "victim", "credential", "export")
    assert leftover.returncode != 0 and issued.token not in leftover.stdout
    jwks = _jwks(accounts, tmp_path)
    assert _verify(accounts, "eve", issued.token, jwks, tmp_path).returncode == 0
    assert CredentialService(accounts.context("eve")).verify_token(issued.token).valid  # on the desk's database

    # an admission written straight into the database, signed by a key the desk did not enrol, admits nobody
    from selfverify.services.desk import ADMISSION_TYP, DeskService
    from selfverify.store.models import KioskAdmission

    eve_key = load_signing_key(accounts.context("eve").settings, DEVICE_KEY, create=True,
                               secrets_store=accounts.context("eve").secrets)
    now = datetime.now(timezone.utc)
    desk_id = DeskService(accounts.context("eve")).info().id
    claims = {"iss": f"selfverify:desk:{desk_id}", "sub": "mallory", "agent": "ann", "jti": "f" * 32,
              "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 600}
    with accounts.context("admin").db.session() as s:
        s.add(KioskAdmission(id="f" * 32, subject="mallory", agent="ann", token=sign_token(claims, eve_key, typ=ADMISSION_TYP),
                             created_at=now, expires_at=now))
        s.commit()
    with pytest.raises(PolicyRefusal):
        at_kiosk("mallory").issue("selfie", selfie)


def test_erasing_everything_removes_an_unused_kiosk_admission(accounts):
    from selfverify.services.erasure import delete_all_user_data
    from selfverify.store.repositories.desk import DeskRepository

    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    accounts.ok("ann", "desk", "admit", "dave")
    repo = DeskRepository(accounts.context("admin").db)
    assert [a.subject for a in repo.admissions("dave")] == ["dave"]
    delete_all_user_data(accounts.context("dave"))
    assert repo.admissions("dave") == []
