"""A booking remembers the language the person chose (issue 15, schema 7), so staff know in which
language to call: the agent's listings show it, a person taken from the queue keeps theirs (not the
agent's), and a version-4 database (main 3b190ff) opens with today's code, its rows read as English."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect

from selfverify.context import AppContext
from selfverify.core.clock import FakeClock
from selfverify.services.interview import InterviewService
from selfverify.store.migrations import _add_booking_language
from selfverify.store.models import SCHEMA_VERSION
from tests.desk_support import enrol_by_cli
from tests.helpers import restore_database_dump
from tests.inprocess_cli import run_main

DUMP = Path(__file__).parent.parent / "data" / "schema4_interview.sql"


def _restore(settings) -> Path:  # noqa: ANN001
    return restore_database_dump(settings, DUMP)


def test_a_version_4_database_gains_the_language_and_keeps_its_rows(plain_settings):
    path = _restore(plain_settings)
    ctx = AppContext(plain_settings, clock=FakeClock(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    assert ctx.db.schema_version() == SCHEMA_VERSION
    for table in ("appointment", "interview_queue"):
        assert "language" in {c["name"] for c in inspect(ctx.db.engine).get_columns(table)}
    [mine] = InterviewService(ctx).my_appointments()
    assert mine.display_code == "K7QX-M4PD" and mine.status == "booked" and mine.language == "en"
    assert mine.as_dict(timezone.utc)["language"] == "en"
    [waiting] = InterviewService(ctx).waiting()
    assert waiting.subject == "bob" and waiting.language == "en"

    with ctx.db.engine.begin() as conn:  # a second run (the lead renumbers; another step landed first) changes nothing
        _add_booking_language(conn)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT language FROM appointment").fetchall() == [("en",)]


@pytest.fixture
def desk(home, keyring_service, monkeypatch, tmp_path):
    """bob is an enrolled agent with two slots tomorrow."""
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"])
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    proc = run_main("--user", "bob", "agent", "slots", "add", start.isoformat(), "--repeat", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    return [s["id"] for s in json.loads(proc.stdout)["added"]], start


def test_staff_see_the_language_each_person_booked_in(desk, monkeypatch):
    slot_ids, start = desk
    spanish = run_main("--lang", "es", "--user", "alice", "interview", "book", str(slot_ids[0]), "--contact", "alice@example.org")
    assert spanish.returncode == 0 and "Su código de confirmación es" in spanish.stdout, spanish.stderr
    monkeypatch.setenv("SELFVERIFY_LANG", "en")
    english = run_main("--user", "carol", "interview", "book", str(slot_ids[1]), "--contact", "carol@example.org", "--json")
    assert english.returncode == 0 and json.loads(english.stdout)["language"] == "en"

    # the agent works in English: the listing still says Spanish for alice
    today = run_main("--user", "bob", "agent", "today", "--date", start.date().isoformat(), "--tz", "UTC")
    assert today.returncode == 0, today.stderr
    rows = {who: line for line in today.stdout.splitlines() for who in ("alice", "carol") if f"({who}@example.org)" in line}
    assert rows["alice"].endswith("Español (es)") and rows["carol"].endswith("English (en)"), today.stdout
    listed = json.loads(run_main("--user", "bob", "agent", "today", "--date", start.date().isoformat(), "--json").stdout)
    assert {a["subject"]: a["language"] for a in listed["appointments"]} == {"alice": "es", "carol": "en"}
    code = next(a["code"] for a in listed["appointments"] if a["subject"] == "alice")
    opened = run_main("--user", "bob", "agent", "open", code)
    assert "Language: Español (es)" in opened.stdout, opened.stdout


def test_a_person_taken_from_the_queue_keeps_their_language_not_the_agents(desk, monkeypatch):
    assert run_main("--user", "bob", "agent", "duty", "on").returncode == 0
    joined = run_main("--lang", "es", "--user", "dave", "interview", "queue", "join", "--contact", "+34 612 34 56 78")
    assert joined.returncode == 0, joined.stderr
    monkeypatch.setenv("SELFVERIFY_LANG", "en")
    shown = run_main("--user", "bob", "agent", "duty", "show", "--json")
    assert json.loads(shown.stdout)["waiting"][0]["language"] == "es"
    assert "speaks Español (es)" in run_main("--user", "bob", "agent", "duty", "show").stdout
    taken = run_main("--user", "bob", "agent", "next", "--json")
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout)["language"] == "es"
