"""``selfverify agent revoke``: the desk takes back an interview credential it issued by mistake
(attack review finding 10, the desk's side), end to end through the CLI on the real keyring,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.functional.test_desk import _verify, accounts  # noqa: F401 - fixture
from tests.postgres_db import database_url  # noqa: F401 - fixture

pytestmark = pytest.mark.keyring


def test_an_agent_revokes_an_interview_credential_the_desk_issued(accounts, tmp_path):  # noqa: F811
    accounts.ok("admin", "desk", "init")
    accounts.enrol("ann")
    code = accounts.book("dave")
    accounts.at_start(code)
    accounts.ok("ann", "agent", "approve", code, "--seen", "passport")
    credential = json.loads(accounts.ok("dave", "status", "--json").stdout)["credential"]
    token = accounts.ok("dave", "credential", "export").stdout.strip()
    jwks = tmp_path / "desk.jwks.json"
    jwks.write_text(accounts.ok("dave", "desk", "jwks").stdout)
    assert _verify(accounts, "eve", token, str(jwks), tmp_path).returncode == 0

    # not the person, not an account the desk never enrolled; a reason is required; only desk-issued ids
    refused = accounts.run("eve", "agent", "revoke", credential["id"], "--reason", "spite")
    assert refused.returncode == 5, refused.stderr
    missing = accounts.run("ann", "agent", "revoke", credential["id"])
    assert missing.returncode == 2 and "--reason" in missing.stderr
    unknown = accounts.run("ann", "agent", "revoke", "not-a-desk-credential", "--reason", "typo")
    assert unknown.returncode == 5 and "No credential the desk issued" in unknown.stderr
    assert _verify(accounts, "eve", token, str(jwks), tmp_path).returncode == 0

    done = accounts.ok("ann", "agent", "revoke", credential["id"], "--reason", "approved the wrong booking", "--json")
    assert json.loads(done.stdout)["subject"] == "dave" and not json.loads(done.stdout)["already_revoked"]
    revoked = _verify(accounts, "eve", token, str(jwks), tmp_path)
    assert revoked.returncode == 1 and json.loads(revoked.stdout)["reason"] == "revoked"
    again = accounts.ok("ann", "agent", "revoke", credential["id"], "--reason", "twice")
    assert "already revoked" in again.stdout
