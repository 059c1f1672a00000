"""The accessible mode end to end on a pseudo-terminal: booking an interview, the remembered mode,
and leaving with Ctrl+D or Ctrl+C at a question."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.plain_support import assert_plain_transcript, converse, finish, labelled_lines, spawn_plain

# a keyring service name of its own, though nothing here needs the keyring
ENV = {"SELFVERIFY_USER": "alice", "SELFVERIFY_TIMEZONE": "Europe/Paris",
       "SELFVERIFY_KEYRING_SERVICE": f"selfverify-test-{uuid.uuid4().hex[:12]}"}


@pytest.fixture
def slots(plain_settings):
    """Two free slots published by an agent, in the same SELFVERIFY_HOME the child uses."""
    from selfverify.context import AppContext
    from selfverify.services.interview import InterviewService

    agent = InterviewService(AppContext(settings=plain_settings.replace(user="agent-ann", timezone="Europe/Paris")))
    agent.ctx.db.init()
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=3)
    return agent, [agent.add_slot(start), agent.add_slot(start + timedelta(hours=1))]


def test_book_an_interview_then_the_remembered_mode_shows_it(slots, plain_settings):
    from selfverify.context import AppContext
    from selfverify.services.interview import InterviewService

    agent, (first, second) = slots
    env = {**ENV, "TERM": "dumb"}
    child, log = spawn_plain(env, "--accessible")
    converse(child, [
        ("Choose 1 to 4:", "2"),
        ("Choose 1 to 3:", "1"),
        ("Which time would you like?", None),
        ("Choose 1 to 2:", ""),  # Enter at a list without a default reads it again
        ("Choose 1 to 2:", "2"),
        ("Type a phone number or an e-mail address:", "+33 1 23 45 67 89"),
        ("Type the language, or press Enter for no:", ""),
        ("Type yes or no:", ""),
        ("Type yes or no:", ""),
        ("press Enter for nothing:", ""),
        ("Choose 1 to 5:", "5"),  # the booked menu: move, cancel, calendar, status, main menu
        ("Choose 1 to 4:", "4"),
    ])
    assert finish(child) == 0
    booking = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(booking)
    [appointment] = InterviewService(AppContext(settings=plain_settings.replace(timezone="Europe/Paris"))).my_appointments()
    assert appointment.status == "booked" and appointment.slot.id == second.id
    when = agent.when(second.starts_at)
    assert "Times are shown in your time zone, Europe/Paris." in booking
    assert booking.count(f"1. {agent.when(first.starts_at)}, 20 minutes\n2. {when}, 20 minutes\nChoose 1 to 2: ") == 2
    code = appointment.display_code
    said = labelled_lines(booking)
    assert len(set(said)) == len(said), "a state change was said twice"
    assert said[-1] == (
        f"Result: booked for {when}. Your confirmation code is {code} (spelled {' '.join(code[:4])}, {' '.join(code[5:])}).")

    # the next start needs no flag: the mode was remembered in config.toml (a colour terminal this time)
    child, log = spawn_plain({**ENV, "TERM": "xterm-256color"})
    converse(child, [("Choose 1 to 4:", "interview"), ("Choose 1 to 5:", "quit")])
    assert finish(child) == 0
    status = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(status)
    assert "remembered" not in status
    assert f"Status: interview booked for {when}, confirmation code {code}" in status


def test_ctrl_d_at_a_question_ends_cleanly():
    child, log = spawn_plain(ENV, "--accessible")
    child.expect_exact("Choose 1 to 4:")
    child.sendeof()
    assert finish(child) == 0
    text = log.getvalue()
    assert_plain_transcript(text)
    assert text.replace("\r\n", "\n").rstrip().endswith("Input ended: goodbye.")


def test_ctrl_c_at_a_question_exits_130_without_a_traceback():
    child, log = spawn_plain(ENV, "--accessible", "--color")
    converse(child, [("Choose 1 to 4:", "2")])
    child.expect_exact("Choose 1 to 3:")
    child.sendintr()
    assert finish(child) == 130
    text = log.getvalue().replace("\r\n", "\n")
    assert "Traceback" not in text
    assert text.rstrip().endswith("Interrupted: nothing more was done.")
    # --color colours the labels, and only the labels
    assert "\x1b[1mStatus:\x1b[0m you have no interview booked." in text
    assert "\x1b" not in text.replace("\x1b[1mStatus:\x1b[0m", "")


def test_no_color_wins_over_the_colour_option():
    child, log = spawn_plain({**ENV, "NO_COLOR": "1"}, "--accessible", "--color")
    converse(child, [("Choose 1 to 4:", "2"), ("Choose 1 to 3:", "quit")])
    assert finish(child) == 0
    assert_plain_transcript(log.getvalue())


def test_started_without_a_terminal_it_is_plain_and_not_remembered(plain_settings):
    from tests.helpers import assert_no_traceback, run_cli

    proc = run_cli(input="2\n3\n4\n", env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    assert_plain_transcript(proc.stdout)
    lines = proc.stdout.splitlines()
    assert lines[2] == "Input or output is not a terminal, so selfverify uses its plain mode."
    assert "Choose 1 to 4: 2\n" in proc.stdout  # answers are shown, as a terminal would have echoed them
    assert lines[-1] == "Goodbye."
    assert not plain_settings.paths.config_file.exists()
