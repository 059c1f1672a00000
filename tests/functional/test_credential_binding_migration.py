"""A version-4 desk database (made by main's code at 3b190ff: one approved and picked-up interview,
one declined) opens with today's code: the decision rows gain their credential's id and digests
from the tokens they hold, credential rows gain the (empty) signer columns, the append-only
trigger now allows the pickup's clearing and nothing else, and the step can run twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from selfverify.context import AppContext
from selfverify.services.credential_claims import decode_claims
from selfverify.services.tokens import token_digest
from selfverify.store.migrations import _bind_credentials
from selfverify.store.models import SCHEMA_VERSION
from tests.desk_support import pg_schema  # noqa: F401 - fixture
from tests.helpers import restore_database_dump

DUMP = Path(__file__).parent.parent / "data" / "schema4_desk.sql"


def _restore(settings) -> Path:  # noqa: ANN001
    return restore_database_dump(settings, DUMP)


def test_a_version_4_desk_gains_the_credential_binding(plain_settings):
    _restore(plain_settings)
    ctx = AppContext(plain_settings)
    assert ctx.db.schema_version() == SCHEMA_VERSION
    columns = {t: {c["name"] for c in inspect(ctx.db.engine).get_columns(t)} for t in ("decision_record", "credential_record")}
    assert {"decision_id", "credential_id", "credential_digest", "credential_sd_digest"} <= columns["decision_record"]
    assert {"signer_kid", "signer_kind"} <= columns["credential_record"]

    with ctx.db.session() as s:
        rows = s.execute(text("SELECT outcome, token, credential, credential_sd, decision_id, credential_id, "
                              "credential_digest, credential_sd_digest FROM decision_record ORDER BY id")).all()
        signers = s.execute(text("SELECT signer_kid, signer_kind FROM credential_record")).all()
    (approved, declined) = rows
    assert approved.decision_id == decode_claims(approved.token)["jti"]
    assert approved.credential_id == decode_claims(approved.credential)["jti"]
    assert approved.credential_digest == token_digest(approved.credential)
    assert approved.credential_sd_digest == token_digest(approved.credential_sd)
    assert declined.decision_id == decode_claims(declined.token)["jti"] and declined.credential_id is None
    assert signers == [(None, None)]  # issued before the record existed: not guessed

    # the desk now lists the old credential, so it still verifies against a freshly published key set
    from selfverify.services.desk import DeskService

    listed = DeskService(ctx).issued_credentials()
    assert listed == {approved.credential_id: {"decision": approved.decision_id, "kid": listed[approved.credential_id]["kid"],
                                               "digests": [approved.credential_digest, approved.credential_sd_digest]}}

    with ctx.db.engine.begin() as conn:  # a second run (another branch's step landed first) changes nothing
        _bind_credentials(conn)
    with ctx.db.session() as s:
        assert s.execute(text("SELECT decision_id FROM decision_record ORDER BY id")).scalars().all() == [
            approved.decision_id, declined.decision_id]

    # the replaced trigger: only the pickup's clearing passes
    with ctx.db.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("UPDATE decision_record SET credential_digest = 'x'"))
    with ctx.db.session() as s:
        s.execute(text("UPDATE decision_record SET credential = NULL, credential_sd = NULL WHERE credential IS NOT NULL"))
        s.commit()
        assert s.execute(text("SELECT count(*) FROM decision_record WHERE credential IS NOT NULL")).scalar() == 0
    json.dumps(listed)  # what desk jwks publishes is plain JSON


V4_REDACTION = (  # main's decision_record trigger clause before schema 6
    "OLD.subject <> '' AND NEW.subject = '' AND NEW.token = '' AND NEW.credential IS NULL "
    "AND NEW.credential_sd IS NULL AND NEW.id = OLD.id AND NEW.appointment_id = OLD.appointment_id "
    "AND NEW.outcome = OLD.outcome AND NEW.agent = OLD.agent AND NEW.kid = OLD.kid "
    "AND NEW.documents_seen = OLD.documents_seen AND NEW.decided_at = OLD.decided_at"
)


@pytest.mark.postgres
def test_the_step_upgrades_a_version_4_postgresql_desk(pg_schema):  # noqa: F811
    """The same step on PostgreSQL: a decision table in its version-4 shape (columns and trigger) is upgraded."""
    import uuid
    from datetime import datetime, timezone

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from selfverify.config import load_settings
    from selfverify.services.tokens import sign_sd_token, sign_token
    from selfverify.store.models import append_only_statements

    owner = AppContext(settings=load_settings({"user": "owner", "database_url": pg_schema.owner_url}))
    owner.db.init()
    key = Ed25519PrivateKey.generate()
    claims = {"iss": "selfverify:desk:d", "sub": "dave", "jti": uuid.uuid4().hex, "iat": 1, "nbf": 1, "exp": 2,
              "method": "interview", "assurance": {"agent": "ann"}}
    decision = sign_token({"jti": uuid.uuid4().hex, "sub": "dave"}, key, typ="selfverify-decision+jwt")
    with owner.db.engine.begin() as conn:  # back to version 4: the old columns and trigger
        conn.exec_driver_sql("DROP TRIGGER decision_record_no_change ON decision_record")
        for column in ("decision_id", "credential_id", "credential_digest", "credential_sd_digest"):
            conn.exec_driver_sql(f"ALTER TABLE decision_record DROP COLUMN {column}")
        conn.exec_driver_sql("ALTER TABLE credential_record DROP COLUMN signer_kid")
        conn.exec_driver_sql("ALTER TABLE credential_record DROP COLUMN signer_kind")
        for statement, dialect in append_only_statements("decision_record", V4_REDACTION):
            if dialect == "postgresql":
                conn.exec_driver_sql(statement)
        conn.exec_driver_sql(
            "INSERT INTO decision_record (appointment_id, subject, outcome, agent, kid, documents_seen, decided_at, token, "
            "credential, credential_sd) VALUES (1, 'dave', 'approved', 'ann', 'k', '[]', %(at)s, %(token)s, %(c)s, %(sd)s)",
            {"at": datetime.now(timezone.utc), "token": decision, "c": sign_token(claims, key),
             "sd": sign_sd_token(claims, ("sub",), key)})
        conn.exec_driver_sql("UPDATE schema_info SET value = '4' WHERE key = 'version'")

    again = AppContext(settings=load_settings({"user": "owner", "database_url": pg_schema.owner_url}))
    assert again.db.schema_version() == SCHEMA_VERSION
    [(decision_id, credential_id, digest, credential)] = pg_schema.sql(
        pg_schema.owner_url, "SELECT decision_id, credential_id, credential_digest, credential FROM decision_record")
    assert decision_id == decode_claims(decision)["jti"] and credential_id == claims["jti"]
    assert digest == token_digest(credential)
    with pytest.raises(Exception, match="append-only"):
        pg_schema.sql(pg_schema.owner_url, "UPDATE decision_record SET credential_digest = 'x'")
    pg_schema.sql(pg_schema.owner_url, "UPDATE decision_record SET credential = NULL, credential_sd = NULL")
