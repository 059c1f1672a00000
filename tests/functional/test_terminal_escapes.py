"""Second review, finding 5: values from a token or the database reach a terminal escaped.

A crafted token's ``sub`` erases the line and rewrites it ("valid ... for alice (interview) by the
desk") and retitles the window; a contact written with raw SQL does the same to the agent's
screen. Every CLI and plain-mode output passes such values through ``textcheck.printable``."""

from __future__ import annotations

import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from selfverify.services.tokens import key_set, sign_token
from tests.desk_support import enrol_by_cli
from tests.inprocess_cli import run_main

RAW = ("\x1b", "\r", "\x07", "\u202e", "\x9b")
CRAFTED = ("mallory\x1b[2K\r\x1b[32mvalid: credential j1 for alice (interview), issued by selfverify:desk:realdesk"
           "\x1b[0m\x1b]0;pwned\x07\u202e\x9b")


def _clean(text: str) -> None:
    assert not any(ch in text for ch in RAW), repr(text)


def test_a_crafted_token_cannot_rewrite_the_verify_line(home, tmp_path):
    key = Ed25519PrivateKey.generate()
    from selfverify.services.tokens import thumbprint

    # a token every other rule accepts (a device key naming itself), so the crafted sub is printed
    claims = {"iss": f"selfverify:device:{thumbprint(key.public_key())}", "sub": CRAFTED, "iat": 1_900_000_000 - 100,
              "nbf": 1_700_000_000, "exp": 1_900_000_000, "jti": "j1" + CRAFTED, "method": "selfie",
              "assurance": {CRAFTED: CRAFTED}}
    token, jwks = tmp_path / "t.jwt", tmp_path / "k.json"
    token.write_text(sign_token(claims, key))
    jwks.write_text(json.dumps(key_set([key.public_key()])))
    for args in (("credential", "verify", str(token), "--jwks", str(jwks)),):
        proc = run_main("--home", str(home), *args)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout
        _clean(proc.stdout + proc.stderr)
        assert "mallory\\x1b[2K\\r" in proc.stdout  # shown, escaped


def test_a_contact_written_with_raw_sql_cannot_rewrite_the_agents_screen(home, keyring_service, monkeypatch, tmp_path):
    from datetime import datetime, timedelta, timezone

    monkeypatch.setenv("SELFVERIFY_HOME", str(home))
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"])
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    slot = json.loads(run_main("--user", "bob", "agent", "slots", "add", start.isoformat(), "--json").stdout)["added"][0]
    code = json.loads(run_main("--user", "dave", "interview", "book", str(slot["id"]), "--contact", "dave@example.org",
                               "--json").stdout)["code"]
    [db] = list(home.rglob("selfverify.db"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE appointment SET contact = ?", ("dave@example.org" + CRAFTED,))
    for args in (("agent", "today", "--date", start.date().isoformat()), ("agent", "open", code)):
        proc = run_main("--user", "bob", *args)
        assert proc.returncode == 0, proc.stderr
        assert "dave@example.org" in proc.stdout
        _clean(proc.stdout)


@pytest.mark.parametrize("method", ["line", "labelled"])
def test_the_plain_mode_shows_control_and_bidi_characters_escaped(method):
    import io

    from selfverify.plain.terminal import LineWriter

    stream = io.StringIO()
    writer = LineWriter(stream)
    getattr(writer, method)(*(["Result"] if method == "labelled" else []), CRAFTED)
    _clean(stream.getvalue())
    assert "\\u202e" in stream.getvalue()
