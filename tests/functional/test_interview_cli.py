"""Every bad input on the interview commands gets one clear message and an exit code, no traceback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.desk_support import enrol_by_cli
from tests.inprocess_cli import run_main


def _check(proc, exit_code: int, fragment: str, stream: str = "stderr") -> None:  # noqa: ANN001
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == exit_code, (proc.stdout, proc.stderr)
    assert fragment in getattr(proc, stream), (proc.stdout, proc.stderr)


@pytest.fixture
def booked(home, keyring_service, monkeypatch, tmp_path):
    """Two slots tomorrow (09:00 and 09:20 UTC) from bob; alice holds the first one. bob and dora are
    enrolled agents (their keys in this test's keyring)."""
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"], ["--user", "dora"])
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    proc = run_main("--user", "bob", "agent", "slots", "add", start.isoformat(), "--repeat", "2", "--json")
    slot_ids = [s["id"] for s in json.loads(proc.stdout)["added"]]
    proc = run_main("--user", "alice", "interview", "book", str(slot_ids[0]), "--contact", "alice@example.org", "--json")
    return json.loads(proc.stdout)["code"], slot_ids


def test_user_commands_print_times_with_the_zone_and_the_code(booked):
    code, slot_ids = booked
    shown = run_main("--user", "alice", "interview", "show", "--tz", "Asia/Tokyo")
    _check(shown, 0, f"Code:     {code}", "stdout")
    assert "18:00 JST (Asia/Tokyo)" in shown.stdout
    free = run_main("interview", "slots", "--tz", "America/New_York")
    _check(free, 0, "Times are shown in America/New_York.", "stdout")
    assert f"slot {slot_ids[1]:>4}" in free.stdout and "04:20 EST (America/New_York)" in free.stdout
    moved = run_main("--user", "alice", "interview", "reschedule", code.lower(), str(slot_ids[1]), "--tz", "UTC")
    _check(moved, 0, f"Moved: interview {code} is now", "stdout")
    cancelled = run_main("--user", "alice", "interview", "cancel", code.replace("-", ""))
    _check(cancelled, 0, f"Cancelled: interview {code}", "stdout")


@pytest.mark.parametrize("args, exit_code, fragment", [
    (("--user", "carol", "interview", "book", "{slot0}", "--contact", "c@example.org"), 5, "is already booked"),
    (("--user", "alice", "interview", "book", "{slot1}", "--contact", "a@example.org"), 5, "You already have an interview booked"),
    (("--user", "carol", "interview", "book", "{slot1}", "--contact", " "), 2, "Give a contact line"),
    (("--user", "carol", "interview", "book", "999", "--contact", "c@example.org"), 5, "There is no slot 999"),
    (("--user", "carol", "interview", "book", "soon", "--contact", "c@example.org"), 2, "'soon' is not a valid integer"),
    (("--user", "alice", "interview", "cancel", "K7QX-M4P0"), 2, "codes never contain 0"),
    (("--user", "alice", "interview", "cancel", "K7QX-M4"), 2, "should be 8 letters and digits"),
    (("--user", "alice", "interview", "cancel", "K7QX-M4PD"), 5, "No interview of yours has the code K7QX-M4PD"),
    (("--user", "carol", "interview", "cancel", "{code}"), 5, "No interview of yours has the code"),
    (("--user", "alice", "interview", "reschedule", "{code}", "{slot0}"), 5, "is already at that slot"),
    (("agent", "open", "K7QX-M4PD"), 5, "No appointment has the code K7QX-M4PD"),
    (("agent", "approve", "{code}"), 2, "Missing option '--seen'"),
    (("agent", "approve", "{code}", "--seen", "selfie"), 2, "'selfie' is not one of 'passport'"),
    (("agent", "decline", "{code}"), 2, "Missing option '--reason'"),
    (("agent", "decline", "{code}", "--reason", "  "), 2, "Give a reason for declining"),
    (("agent", "today", "--date", "05/01/2026"), 2, "'05/01/2026' is not a date: use YYYY-MM-DD"),
    (("agent", "today", "--tz", "Mars/Olympus"), 2, "Unknown time zone 'Mars/Olympus'"),
    (("agent", "slots", "add", "2020-01-01 09:00"), 5, "has already passed: slots must be in the future"),
    (("agent", "slots", "add", "next tuesday"), 2, "'next tuesday' is not a date and time"),
    (("agent", "slots", "add", "2030-03-31 02:30", "--tz", "Europe/Paris"), 2, "does not exist in Europe/Paris"),
    (("agent", "slots", "add", "2030-01-01 09:00", "--duration", "1"), 2, "A slot lasts from 5 to 240 minutes"),
    (("agent", "slots", "remove", "{slot0}"), 5, "has an active booking: it was not removed"),
    (("agent", "slots", "load", "/nonexistent/hours.toml"), 2, "does not exist"),
    (("agent",), 2, "The agent console needs an interactive terminal"),
])
def test_bad_input_gets_a_clear_message_and_exit_code(booked, args, exit_code, fragment):
    code, slot_ids = booked
    filled = [a.format(code=code, slot0=slot_ids[0], slot1=slot_ids[1]) for a in args]
    if filled[0] == "agent":  # this keyring holds bob's and dora's keys: say whose
        filled = ["--user", "bob", *filled]
    _check(run_main(*filled), exit_code, fragment)


def test_an_expired_slot_cannot_be_booked(home):
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.core.clock import FakeClock
    from selfverify.services.interview import InterviewService

    # published an hour before it started, which is now half an hour ago
    started = datetime.now(timezone.utc) - timedelta(minutes=30)
    agent_ctx = AppContext(settings=load_settings({"user": "bob"}), clock=FakeClock(started - timedelta(hours=1)))
    slot = InterviewService(agent_ctx).add_slot(started)
    proc = run_main("--user", "alice", "interview", "book", str(slot.id), "--contact", "a@example.org")
    _check(proc, 5, "has already started: it can no longer be booked")
    assert json.loads(run_main("interview", "slots", "--json").stdout)["slots"] == []


def test_approving_twice_and_json_errors(booked, time_travel):  # noqa: F811
    code, _slot_ids = booked
    time_travel.to((datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0))
    _check(run_main("--user", "bob", "agent", "approve", code, "--seen", "passport"), 0, f"Approved {code}", "stdout")
    twice = run_main("--user", "dora", "agent", "approve", code, "--seen", "passport", "--json")
    _check(twice, 5, '"code": "already_decided"', "stdout")
    assert "already approved by bob" in json.loads(twice.stdout)["error"]["message"]
    cancel_after = run_main("--user", "alice", "interview", "cancel", code)
    _check(cancel_after, 5, "is approved: it can no longer be cancelled")
