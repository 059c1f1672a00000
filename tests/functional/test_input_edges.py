"""Issue 20's "this is a bug (exit 70) and hangs, for input", one reproduction each (in process).

Each was exit 70 or a hang; each is now a one-line error with its exit code, and changes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.inprocess_cli import run_main


@pytest.fixture(autouse=True)
def desk(home, keyring_service, monkeypatch, tmp_path):
    """Bob is the desk's enrolled agent (issue 19: only an enrolled agent's commands run)."""
    from tests.desk_support import enrol_by_cli

    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"])


@pytest.fixture
def booked(home):
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    assert run_main("--user", "bob", "agent", "slots", "add", start.isoformat()).returncode == 0
    proc = run_main("--user", "alice", "interview", "book", "1", "--contact", "alice@example.org", "--json")
    assert proc.returncode == 0, proc
    return json.loads(proc.stdout)["code"]


def _one_line_error(proc, code: int, words: str) -> None:  # noqa: ANN001
    assert proc.returncode == code, proc
    assert words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 4 and len(proc.stderr) < 600, proc.stderr


def _rows(home, table: str) -> list:
    conn = sqlite3.connect(home / "data" / "selfverify.db")
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_slot_id_beyond_64_bits_is_an_input_error(booked, home):
    _one_line_error(run_main("--user", "carol", "interview", "book", "9223372036854775808", "--contact", "c@example.org"),
                    2, "is not in the range")
    before = _rows(home, "appointment")
    _one_line_error(run_main("--user", "alice", "interview", "reschedule", booked, "99999999999999999999999"),
                    2, "is not in the range")
    assert _rows(home, "appointment") == before


def test_the_service_refuses_huge_ids_too(booked, home):
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.errors import InputError
    from selfverify.services.interview import InterviewService

    svc = InterviewService(AppContext(settings=load_settings({"user": "carol"})))
    for bad in (2**63, -1, 0, 10**30):
        with pytest.raises(InputError, match="slot number"):
            svc.book(bad, "carol@example.org")


@pytest.mark.parametrize("when", ["9999-12-31 23:59", "0001-01-01 00:00", "2200-01-01 00:00"])
def test_far_dates_are_refused(home, when):
    _one_line_error(run_main("--user", "bob", "agent", "slots", "add", when), 2, "outside the years")
    _one_line_error(run_main("--user", "bob", "agent", "today", "--date", when.split()[0]), 2, "outside the years")


@pytest.mark.parametrize("name, value", [
    ("INTERVIEW_GRACE_HOURS", "1e300"), ("INTERVIEW_GRACE_HOURS", "inf"), ("RETENTION_DAYS", "99999999"),
    ("VERIFY_TIMEOUT", "1e300"), ("SEED", "9" * 30), ("FAILURE_WAIT_SECONDS", "nan"),
])
def test_numeric_settings_are_bounded(home, monkeypatch, name, value):
    monkeypatch.setenv(f"SELFVERIFY_{name}", value)
    _one_line_error(run_main("--user", "bob", "agent", "today"), 2, name.lower())


def test_a_config_nested_2000_deep_is_refused(home, tmp_path):
    config = tmp_path / "deep.toml"
    config.write_text("x = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n")
    _one_line_error(run_main("--config", str(config), "status"), 2, "too deeply")
    sections = tmp_path / "sections.toml"
    sections.write_text("".join(f"[{'.'.join(['t'] * i)}]\n" for i in range(1, 20)))
    _one_line_error(run_main("--config", str(sections), "status"), 2, "nests tables")


def test_an_unknown_users_home_is_refused(home):
    _one_line_error(run_main("--home", "~nosuchuser-x/y", "status"), 2, "no such user")
    assert not os.path.exists("~nosuchuser-x")


@pytest.mark.parametrize("command", [("match", "{fifo}", "{fifo}"), ("match", "/dev/zero", "/dev/zero"),
                                     ("agent", "slots", "load", "{fifo}"), ("agent", "slots", "load", "/dev/zero"),
                                     ("credential", "verify", "{fifo}"), ("--config", "{fifo}", "status")])
def test_fifos_and_devices_are_refused_before_they_are_opened(home, tmp_path, command):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    proc = run_main(*(a.replace("{fifo}", str(fifo)) for a in command))  # blocked for ever before
    assert time.monotonic() - started < 5
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc


def test_a_long_reference_path_is_shortened_in_the_message(home, tmp_path):
    long_path = "/" + "d" * 4000 + "/photo.jpg"
    proc = run_main("match", long_path, long_path)
    assert proc.returncode == 2 and len(proc.stderr) < 400, proc.stderr


@pytest.mark.parametrize("argv, code", [
    (("--user", "al\udcffice", "status"), 2),
    (("interview", "book", "1", "--contact", "\udcffa@example.org"), 2),
    (("photos", "delete", "\udcff", "--yes"), 5),
    (("sessions", "list", "--subject", "\udcff"), 2),
])
def test_undecodable_bytes_are_an_input_error(booked, argv, code):
    proc = run_main(*argv)
    assert proc.returncode == code and "Traceback" not in proc.stderr and "Internal error" not in proc.stderr, proc


def test_an_unparsable_stored_date_is_a_storage_error(booked, home):
    conn = sqlite3.connect(home / "data" / "selfverify.db")
    conn.execute("UPDATE appointment SET booked_at = 'not a date'")
    conn.commit()
    conn.close()
    _one_line_error(run_main("--user", "alice", "interview", "show"), 4, "date that cannot be read")


def test_a_100000_character_database_url_returns_at_once(home):
    started = time.monotonic()
    _one_line_error(run_main("--database-url", "sqlite:///" + "a" * 100_000, "status"), 2, "at most 4096")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("handle", ["eve\nforged line", "eve\u202eevil", "eve\x1b[2J"])
def test_handles_that_would_forge_lines_in_listings_are_refused(booked, home, handle):
    before = _rows(home, "appointment")
    _one_line_error(run_main("--user", handle, "interview", "book", "1", "--contact", "eve@example.org"), 2, "handle")
    _one_line_error(run_main("--user", "bob", "agent", "today", "--agent", handle), 2, "handle")
    assert _rows(home, "appointment") == before
    listing = run_main("--user", "bob", "agent", "today").stdout + run_main("sessions", "list").stdout
    assert "forged line" not in listing and "\u202e" not in listing


@pytest.mark.parametrize("contact", ["x", "a\x1b[31m@example.org", "call me"])
def test_contact_lines_without_an_address_or_number_are_refused(booked, home, contact):
    _one_line_error(run_main("--user", "carol", "interview", "book", "1", "--contact", contact), 2, "contact line")
