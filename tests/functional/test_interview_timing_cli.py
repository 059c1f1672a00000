"""Issue 21 through the CLI: the booking window refused with one clear line, the queue's position
moving when the agent takes the person before, running late and no-show on the person's `status`
and `interview show`, `interview history`, and the migration from a version-1 database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.desk_support import enrol_by_cli
from tests.inprocess_cli import run_main


def _check(proc, exit_code: int, fragment: str, stream: str = "stderr") -> None:  # noqa: ANN001
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == exit_code, (proc.stdout, proc.stderr)
    assert fragment in getattr(proc, stream), (proc.stdout, proc.stderr)


@pytest.fixture
def staff(home, keyring_service, monkeypatch, tmp_path):
    """A desk (admin) with bob and dora enrolled, all in this test's keyring."""
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    monkeypatch.setenv("SELFVERIFY_TIMEZONE", "UTC")
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"], ["--user", "dora"])


def _add_slot(start: datetime) -> int:
    proc = run_main("--user", "bob", "agent", "slots", "add", start.isoformat(), "--json")
    _check(proc, 0, "", "stdout")
    return json.loads(proc.stdout)["added"][0]["id"]


def _book(user: str, slot_id: int) -> str:
    proc = run_main("--user", user, "interview", "book", str(slot_id), "--contact", f"{user}@example.org", "--json")
    _check(proc, 0, "", "stdout")
    return json.loads(proc.stdout)["code"]


def test_lead_time_and_horizon_are_refused_with_one_clear_line(staff):
    now = datetime.now(timezone.utc)
    soon = _add_slot(now + timedelta(seconds=40))
    refused = run_main("--user", "alice", "interview", "book", str(soon), "--contact", "a@example.org")
    _check(refused, 5, "starts too soon: bookings close 60 minutes before the start. Nothing was booked.")
    assert refused.stderr.count("\n") <= 2  # the line and its hint
    far = _add_slot(now + timedelta(days=100))
    refused = run_main("--user", "alice", "interview", "book", str(far), "--contact", "a@example.org")
    _check(refused, 5, "is too far ahead: you can book up to 90 days ahead")
    listed = json.loads(run_main("interview", "slots", "--json").stdout)["slots"]
    assert listed == []  # neither is offered

    # a person's own keyring holds no admin key: refused (here the staff share one keyring, the person has another)
    _check(run_main("--user", "alice", "--keyring-service", "selfverify-test-alice-own", "desk", "settings",
                    "--horizon-days", "120"), 5, "Only the desk admin")
    _check(run_main("--user", "admin", "desk", "settings", "--min-lead-minutes", "30", "--horizon-days", "120"), 0,
           "Booking horizon: 120 days ahead.", "stdout")
    assert json.loads(run_main("desk", "settings", "--json").stdout) == {"min_lead_minutes": 30, "horizon_days": 120}
    _check(run_main("--user", "admin", "desk", "settings", "--horizon-days", "0"), 2, "from 1 to 366 days")
    assert _book("alice", far)


def test_queue_position_moves_when_the_agent_takes_the_person_before(staff):
    closed = run_main("--user", "alice", "interview", "queue", "join", "--contact", "a@example.org")
    _check(closed, 5, "No agent is on duty right now, so the queue is closed")
    _check(run_main("--user", "bob", "agent", "duty", "on"), 0, "On duty: bob.", "stdout")
    _check(run_main("--user", "alice", "interview", "queue", "join", "--contact", "a@example.org"), 0,
           "You are number 1 in the queue (you are next)", "stdout")
    _check(run_main("--user", "carol", "interview", "queue", "join", "--contact", "c@example.org"), 0,
           "You are number 2 in the queue (1 ahead of you); estimated wait about 40 min with 1 agent on duty.", "stdout")
    _check(run_main("--user", "bob", "agent", "duty"), 0, "Waiting in the queue: 2.", "stdout")
    taken = run_main("--user", "bob", "agent", "next", "--json")
    _check(taken, 0, '"subject": "alice"', "stdout")
    code = json.loads(taken.stdout)["code"]
    _check(run_main("--user", "carol", "interview", "queue"), 0, "You are number 1 in the queue (you are next)", "stdout")
    _check(run_main("--user", "alice", "interview", "queue"), 0, f"An agent (bob) has taken you: your interview starts now. "
           f"Confirmation code {code}", "stdout")
    # the same decision and credential path as a booking: approved now (it has started) and picked up
    _check(run_main("--user", "bob", "agent", "approve", code, "--seen", "passport"), 0, f"Approved {code}", "stdout")
    status = json.loads(run_main("--user", "alice", "status", "--json").stdout)
    assert len(status["picked_up"]) == 1 and status["credential"]["method"] == "interview"
    _check(run_main("--user", "carol", "interview", "queue", "leave"), 0, "You left the queue.", "stdout")
    _check(run_main("--user", "bob", "agent", "next"), 0, "Nobody is waiting in the queue.", "stdout")


def test_running_late_and_no_show_reach_the_persons_status_and_show(staff, time_travel):  # noqa: F811
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    code = _book("alice", _add_slot(start))
    booked = run_main("--user", "alice", "status")
    _check(booked, 0, f"Interview: {code} booked for", "stdout")
    assert "If nobody has joined by Sat" in booked.stdout or "If nobody has joined by" in booked.stdout
    _check(run_main("--user", "bob", "agent", "late", code, "20"), 0, "now starts at", "stdout")
    late = run_main("--user", "alice", "status")
    _check(late, 0, "The agent is running 20 min late: the interview now starts at", "stdout")
    assert "09:20 UTC" in late.stdout
    _check(run_main("--user", "alice", "interview", "show"), 0, "Late:     the agent is running 20 min late", "stdout")
    early = run_main("--user", "bob", "agent", "no-show", code)
    _check(early, 5, "cannot be marked a no-show before then")
    time_travel.to(start + timedelta(minutes=35))
    _check(run_main("--user", "bob", "agent", "no-show", code), 0, f"Recorded {code} (alice) as a no-show", "stdout")
    status = run_main("--user", "alice", "status")
    _check(status, 0, f"Interview {code} (", "stdout")
    assert "was recorded as a no-show: nobody joined. Book a new interview: selfverify interview slots" in status.stdout
    _check(run_main("--user", "alice", "interview", "show"), 0, "Status:   no-show (nobody joined)", "stdout")
    history = run_main("--user", "alice", "interview", "history")
    _check(history, 0, f"{code}  no-show", "stdout")
    today = run_main("--user", "dora", "agent", "today", "--date", start.date().isoformat())
    _check(today, 0, "no-show    bob", "stdout")  # the agent column on a shared desk
    _check(run_main("--user", "bob", "agent", "slots", "remove", "1"), 0, "Removed slot 1", "stdout")


def test_status_tells_about_an_expired_or_cancelled_interview_and_invites_a_new_booking(staff, time_travel):  # noqa: F811
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    first = _book("alice", _add_slot(start))
    _check(run_main("--user", "alice", "interview", "cancel", first), 0, "Cancelled", "stdout")
    _check(run_main("--user", "alice", "status"), 0, f"Interview {first} (", "stdout")
    assert "was cancelled. Book a new one: selfverify interview slots" in run_main("--user", "alice", "status").stdout
    second = _book("alice", _add_slot(start + timedelta(hours=1)))
    time_travel.to(start + timedelta(days=2))
    expired = run_main("--user", "alice", "status").stdout
    assert f"Interview {second} (" in expired and "expired: no outcome was recorded by" in expired
    assert "Book a new interview: selfverify interview slots" in expired
    history = run_main("--user", "alice", "interview", "history", "--json")
    assert [a["status"] for a in json.loads(history.stdout)["appointments"]] == ["expired", "cancelled"]


def _main_checkout(tmp_path: Path) -> Path:
    """main's code at schema 1 (517e9cb), unpacked from git, to make a version-1 database with it."""
    from tests.helpers import source_at

    return source_at("517e9cb", tmp_path)


def test_a_version_1_database_is_migrated_and_keeps_its_bookings(tmp_path):
    home = tmp_path / "home"
    made_by_main = (
        "from datetime import datetime, timedelta, timezone\n"
        "from selfverify.config import load_settings\n"
        "from selfverify.context import AppContext\n"
        "from selfverify.services.interview import InterviewService\n"
        f"s = load_settings({{'home': {str(home)!r}, 'user': 'bob'}})\n"
        "agent = InterviewService(AppContext(settings=s))\n"
        "slot = agent.add_slot(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2))\n"
        "print(InterviewService(AppContext(settings=s.replace(user='alice'))).book(slot.id, 'a@example.org').code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(_main_checkout(tmp_path))}
    made = subprocess.run([sys.executable, "-c", made_by_main], capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip()
    db_file = next(home.rglob("selfverify.db"))
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "no_show" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'appointment'").fetchone()[0]

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.services.interview import InterviewService
    from selfverify.store.models import SCHEMA_VERSION

    ctx = AppContext(settings=load_settings({"home": str(home), "user": "alice"}))
    [mine] = InterviewService(ctx).my_appointments()  # opening it migrates
    assert (mine.code, mine.status, mine.late_minutes, mine.started_at) == (code, "booked", 0, None)
    assert ctx.db.schema_version() == SCHEMA_VERSION
    with ctx.db.session() as s:  # the widened CHECK accepts the new status; the old ones still hold
        from sqlalchemy import text

        s.execute(text("UPDATE appointment SET status = 'no_show', active_slot_id = NULL, active_subject = NULL, "
                       "decided_by = 'bob', late_minutes = 5"))
        s.commit()
        with pytest.raises(Exception, match="CHECK|check"):
            s.execute(text("UPDATE appointment SET status = 'bogus'"))
    assert InterviewService(ctx).history()[0].status == "no_show"
    ctx.db.dispose()
    with sqlite3.connect(db_file) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'appointment'")}
    assert "ix_appointment_subject_status" in indexes
