"""The shared desk end to end: user and agent are separate processes (separate homes on PostgreSQL,
like separate machines), the credential lands in the user's real keyring. SQLite and PostgreSQL.

The steps that must cross a process boundary (publish, book, approve, pick up, the race) run the
real CLI in a subprocess; the rest run ``main()`` in-process to keep the suite fast."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.conftest import keyring_items
from tests.desk_support import enrol_by_cli
from tests.helpers import assert_no_traceback, run_cli
from tests.inprocess_cli import run_main
from tests.postgres_db import database_url  # noqa: F401 - fixture


class Desk:
    """Command lines for a user and an agent sharing one database."""

    def __init__(self, database_url: str | None, keyring_service: str, tmp_path):  # noqa: ANN001
        shared = ["--keyring-service", keyring_service]
        if database_url:
            shared += ["--database-url", database_url]
        # on PostgreSQL the staff have a home of their own: nothing is shared with the user but the database
        self.staff_home = ["--home", str(tmp_path / "agent-home")] if database_url else []
        self.shared = shared
        self.agent_args = self.staff_args("bob")
        self.user_args = [*shared, "--user", "alice"]
        self.database_url = database_url

    def staff_args(self, handle: str) -> list[str]:
        return [*self.shared, "--user", handle, *self.staff_home]

    def agent(self, *args: str, separate: bool = False) -> subprocess.CompletedProcess:
        return (run_cli if separate else run_main)(*self.agent_args, "agent", *args)

    def user(self, *args: str, separate: bool = False) -> subprocess.CompletedProcess:
        return (run_cli if separate else run_main)(*self.user_args, *args)

    def agent_command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "selfverify", *self.agent_args, "agent", *args]


def user_token_entry() -> str:
    """The keyring entry of alice's credential in the user's home (named after that home's installation id)."""
    from selfverify.config import load_settings
    from selfverify.services.credentials import credential_key

    return credential_key(load_settings({"user": "alice"}), "alice")


def _ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    return proc


def _book_tomorrow(desk: Desk, separate: bool = False) -> tuple[str, str]:
    """The agent publishes a slot tomorrow; the user books it. Returns (code, day)."""
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    _ok(desk.agent("slots", "add", start.isoformat(), "--tz", "Europe/Paris", separate=separate))
    slots = json.loads(_ok(desk.user("interview", "slots", "--json", "--tz", "UTC")).stdout)
    assert slots["timezone"] == "UTC" and len(slots["slots"]) == 1
    assert slots["slots"][0]["local"].endswith(" UTC") and " 09:00 " in slots["slots"][0]["local"]
    booked = json.loads(_ok(desk.user("interview", "book", str(slots["slots"][0]["id"]), "--contact", "+1 555 0100", "--json", separate=separate)).stdout)
    desk.slot_start = start  # agents decide once it has started: the tests travel there (time_travel)
    return booked["code"], start.date().isoformat()


@pytest.fixture
def desk(database_url, keyring_service, tmp_path):  # noqa: F811 - the imported fixture
    """The admin creates the desk and enrols bob, agent-a and agent-b (each made its own key)."""
    desk = Desk(database_url, keyring_service, tmp_path)
    enrol_by_cli(run_main, tmp_path, desk.staff_args("admin"), *(desk.staff_args(h) for h in ("bob", "agent-a", "agent-b")))
    return desk


def test_booking_then_agent_approval_puts_the_credential_in_the_users_keyring(desk, keyring_service, time_travel):  # noqa: F811
    code, day = _book_tomorrow(desk, separate=True)
    today = json.loads(_ok(desk.agent("today", "--date", day, "--tz", "UTC", "--json")).stdout)
    assert [(a["code"], a["subject"], a["status"]) for a in today["appointments"]] == [(code, "alice", "booked")]

    opened = _ok(desk.agent("open", code.lower().replace("-", "")))
    assert f"Code:     {code}" in opened.stdout and "Contact:  +1 555 0100" in opened.stdout
    early = desk.agent("approve", code, "--seen", "passport", separate=True)  # the day before: refused (issue 17)
    assert early.returncode == 5 and "cannot be approved before then" in early.stderr, early.stderr
    time_travel.to(desk.slot_start)
    approved = _ok(desk.agent("approve", code, "--seen", "passport", "--seen", "driving_licence", separate=True))
    assert f"Approved {code} (alice) as bob." in approved.stdout
    assert user_token_entry() not in keyring_items(keyring_service)  # the agent never issues it

    status = json.loads(_ok(desk.user("status", "--json", separate=True)).stdout)
    assert len(status["picked_up"]) == 1 and status["credential"]["method"] == "interview"
    assert "token" not in json.dumps(status)
    token = keyring_items(keyring_service)[user_token_entry()]
    assert token and status["credential"]["id"]

    again = json.loads(_ok(desk.user("status", "--json")).stdout)
    assert again["picked_up"] == [] and again["credential"]["id"] == status["credential"]["id"]
    assert again["interviews"][0]["credential_id"] == status["credential"]["id"]

    twice = desk.agent("approve", code, "--seen", "passport")
    assert_no_traceback(twice)
    assert twice.returncode == 5 and "already approved by bob" in twice.stderr


def test_two_agents_approving_at_once_exactly_one_wins_and_one_credential(desk, keyring_service, time_travel):  # noqa: F811
    code, _day = _book_tomorrow(desk)
    time_travel.to(desk.slot_start)
    procs = [
        subprocess.Popen(desk.agent_command("--agent", name, "approve", code, "--seen", "id_card"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        for name in ("agent-a", "agent-b")
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(rc for rc, _out, _err in results) == [0, 5]
    loser_err = next(err for rc, _out, err in results if rc == 5)
    assert "Traceback" not in loser_err and "was already approved by agent-" in loser_err

    status = json.loads(_ok(desk.user("status", "--json")).stdout)
    assert len(status["picked_up"]) == 1
    records = json.loads(_ok(desk.user("interview", "show", "--json")).stdout)["appointments"]
    assert records[0]["decided_by"] in ("agent-a", "agent-b") and records[0]["credential_id"]
    assert list(keyring_items(keyring_service)).count(user_token_entry()) == 1


def test_declined_interview_is_shown_and_no_credential_is_issued(desk, keyring_service, time_travel):  # noqa: F811
    code, _day = _book_tomorrow(desk)
    time_travel.to(desk.slot_start)
    _ok(desk.agent("decline", code, "--reason", "The passport had expired", "--seen", "passport"))
    status = _ok(desk.user("status"))
    assert "Credential: none." in status.stdout
    assert f"Interview {code} was declined: The passport had expired" in status.stdout
    assert user_token_entry() not in keyring_items(keyring_service)


def test_without_a_keyring_the_approval_waits_and_is_picked_up_later(desk, keyring_service, time_travel):  # noqa: F811
    import keyring
    from keyring.backends import fail

    code, _day = _book_tomorrow(desk)
    time_travel.to(desk.slot_start)
    _ok(desk.agent("approve", code, "--seen", "residence_permit"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        waiting = desk.user("status")
    finally:
        keyring.set_keyring(previous)
    assert waiting.returncode == 3 and "Cannot use the keyring" in waiting.stderr
    assert f"Interview {code} was approved: the credential is stored once your keyring can be used." in waiting.stdout

    later = json.loads(_ok(desk.user("status", "--json")).stdout)
    assert len(later["picked_up"]) == 1 and user_token_entry() in keyring_items(keyring_service)
