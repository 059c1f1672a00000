"""The accessible mode end to end on a pseudo-terminal: booking an interview, the remembered mode,
and leaving with Ctrl+D or Ctrl+C at a question."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.clock_shift import time_travel  # noqa: F401 - fixture
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
        ("Choose 1 to 5:", "2"),
        ("Choose 1 to 6:", "1"),
        ("Which time would you like?", None),
        ("Choose 1 to 2:", ""),  # Enter at a list without a default reads it again
        ("Choose 1 to 2:", "2"),
        ("Type a phone number or an e-mail address:", "+33 1 23 45 67 89"),
        ("or anything else? Type yes or no:", ""),  # no interpreter, captions, phone call or note
        ("Choose 1 to 5:", "5"),  # the booked menu: move, cancel, calendar, status, main menu
        ("Choose 1 to 5:", "4"),
    ])
    assert finish(child) == 0
    booking = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(booking)
    [appointment] = InterviewService(AppContext(settings=plain_settings.replace(timezone="Europe/Paris"))).my_appointments()
    assert appointment.status == "booked" and appointment.slot.id == second.id
    from selfverify.wording.speech import clock, day, phonetic, when

    zone = agent.zone
    said_when = when(second.starts_at, zone)
    # the page says its day, length and zone once; each line only its time
    assert f"Which time would you like? {day(first.starts_at, zone)}, 20 minutes each, Paris time (" in booking
    assert booking.count(f"1. {clock(first.starts_at, zone)}\n2. {clock(second.starts_at, zone)}\nChoose 1 to 2: ") == 2
    code = appointment.display_code
    said = labelled_lines(booking)
    assert len(set(said)) == len(said), "a state change was said twice"
    assert said[-1].startswith(f"Result: booked for {said_when}, Paris time (")
    assert f"Confirmation code {code}: {phonetic(code)}." in booking

    # the next start needs no flag: the mode was remembered in config.toml (a colour terminal this time)
    child, log = spawn_plain({**ENV, "TERM": "xterm-256color"})
    converse(child, [("Choose 1 to 5:", "interview"), ("Choose 1 to 5:", "quit")])
    assert finish(child) == 0
    status = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(status)
    assert "remembered" not in status
    lines = status.split("\n")
    booked_at = next(i for i, line in enumerate(lines) if line.startswith("Status: interview booked for "))
    assert lines[booked_at].startswith(f"Status: interview booked for {said_when}, Paris time (")
    assert lines[booked_at + 1].startswith("If nobody has joined by ")  # the grace deadline (issue 21)
    assert lines[booked_at + 2] == f"Confirmation code {code}: {phonetic(code)}."  # last, on its own line


def test_ctrl_d_at_a_question_ends_cleanly():
    child, log = spawn_plain(ENV, "--accessible")
    child.expect_exact("Choose 1 to 5:")
    child.sendeof()
    assert finish(child) == 0
    text = log.getvalue()
    assert_plain_transcript(text)
    assert text.replace("\r\n", "\n").rstrip().endswith("Input ended: goodbye.")


def test_ctrl_c_at_a_question_exits_130_without_a_traceback():
    child, log = spawn_plain(ENV, "--accessible", "--color")
    converse(child, [("Choose 1 to 5:", "2")])
    child.expect_exact("Choose 1 to 6:")
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
    converse(child, [("Choose 1 to 5:", "2"), ("Choose 1 to 6:", "quit")])
    assert finish(child) == 0
    assert_plain_transcript(log.getvalue())


def test_started_without_a_terminal_it_is_plain_and_not_remembered(plain_settings):
    from tests.helpers import assert_no_traceback, run_cli

    proc = run_cli(input="2\n6\n4\n", env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    assert_plain_transcript(proc.stdout)
    lines = proc.stdout.splitlines()
    assert lines[2] == "Input or output is not a terminal, so selfverify uses its plain mode."
    assert "Choose 1 to 5: 2\n" in proc.stdout  # answers are shown, as a terminal would have echoed them
    assert lines[-1] == "Goodbye."
    assert not plain_settings.paths.config_file.exists()


# ---------------------------------------------------------------- issue 21: queue, running late, no-show, history


@pytest.fixture
def on_desk(plain_settings, keyring_service):
    """An enrolled agent (agent-ann) on the database the child uses, and a helper for other people."""
    from selfverify.context import AppContext
    from selfverify.services.interview import InterviewService
    from tests.desk_support import enrol_services

    def ctx(user: str) -> AppContext:
        return AppContext(settings=plain_settings.replace(user=user, keyring_service=keyring_service, timezone="Europe/Paris"))

    [agent] = enrol_services(ctx("desk-admin"), ctx("agent-ann"))
    return agent, lambda user: InterviewService(ctx(user))


def test_the_queue_place_is_one_line_that_moves_when_the_agent_takes_the_person_before(on_desk):
    agent, person = on_desk
    agent.set_on_duty(True)
    person("bob").join_queue("bob@example.org")
    child, log = spawn_plain(ENV, "--accessible")
    converse(child, [
        ("Choose 1 to 5:", "2"),  # interview
        ("Choose 1 to 6:", "2"),  # wait for the next free agent
        ("Type a phone number or an e-mail address:", "+33 1 23 45 67 89"),
        ("You are number 2 in the queue (1 ahead of you); estimated wait about 40 min", None),
        ("Choose 1 to 3:", None),
    ])
    assert agent.take_next().subject == "bob"
    converse(child, [
        ("", "1"),  # check my place again
        ("Status: You are number 1 in the queue (you are next)", None),
        ("Choose 1 to 3:", None),
    ])
    taken = agent.take_next()
    converse(child, [("", "1"), (f"has taken you: your interview starts now. Confirmation code {taken.display_code}", None),
                     ("Choose 1 to 5:", "5"), ("Choose 1 to 5:", "quit")])
    assert finish(child) == 0
    assert_plain_transcript(log.getvalue().replace("\r\n", "\n"))


def test_running_late_then_no_show_are_said_and_the_history_lists_it(on_desk, time_travel):  # noqa: F811
    agent, person = on_desk
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(hours=2)
    slot = agent.add_slot(start)
    booked = person("alice").book(slot.id, "alice@example.org")
    agent.running_late(booked.code, 10)
    child, log = spawn_plain(ENV, "--accessible")
    converse(child, [("Choose 1 to 5:", "2"),
                     ("Status: the agent is running 10 minutes late: the interview now starts at", None),
                     ("If nobody has joined by", None), ("Choose 1 to 5:", "5"), ("Choose 1 to 5:", "quit")])
    assert finish(child) == 0
    time_travel.to(booked.starts_at + timedelta(minutes=15))  # this process and the next child
    agent.no_show(booked.code)
    child, log = spawn_plain(ENV, "--accessible")
    converse(child, [
        ("Choose 1 to 5:", "2"),
        (f"Status: Interview {booked.display_code} (", None),
        ("was recorded as a no-show: nobody joined. Book a new interview", None),
        ("Choose 1 to 6:", "3"),  # past interviews
        (f"Interview {booked.display_code} (", None),
        ("Choose 1 to 6:", "6"), ("Choose 1 to 5:", "quit"),
    ])
    assert finish(child) == 0
    assert_plain_transcript(log.getvalue().replace("\r\n", "\n"))


def test_in_spanish_chosen_in_the_menu_book_hear_the_code_reschedule_and_cancel(slots, plain_settings):
    """Issue 15: the interview in Spanish, chosen by the main menu's Language entry: labels, dates, the
    zone's city and the code's digits in Spanish; the reschedule asks the needs once (Enter keeps them)."""
    import re

    from selfverify.context import AppContext
    from selfverify.services.interview import Accommodations, InterviewService
    from selfverify.wording.speech import phonetic
    from tests.speech_flows import choose, said, speaking

    agent, (first, second) = slots
    child, log = spawn_plain({**ENV, "TERM": "dumb"}, "--accessible")
    converse(child, [("Choose 1 to 5:", "5"), ("Choose 1 to 3 (Enter: 1):", "Español")])
    with speaking("es"):
        converse(child, [
            ("Estado: Idioma: Español.", None),
            ("1. Comprobación con selfi", None),  # the menu is read again, in Spanish
            (choose(5), "ayuda"),  # the Spanish word for help works
            ("En cualquier pregunta puede escribir ayuda", None),
            (choose(5), "2"),
            (choose(6), "1"),
            ("¿Qué hora prefiere?", None),
            (choose(2), "1"),
            ("Escriba un teléfono o un correo electrónico:", "+33 1 23 45 67 89"),
            ("¿Necesita intérprete, subtítulos, una llamada de teléfono en vez de vídeo o alguna otra cosa? Escriba sí o no:", "sí"),
            ("¿Necesita intérprete? Escriba el idioma", "inglés"),
            ("¿Necesita subtítulos en la videollamada? Escriba sí o no:", ""),
            ("¿Prefiere una llamada de teléfono a una videollamada? Escriba sí o no:", ""),
            ("¿Algo más que deba saber el agente?", ""),
            ("Código de confirmación ", None),
            (choose(5), "1"),  # move it
            ("¿A qué hora quiere cambiar la entrevista?", None),
            (choose(1), "1"),
            (said("Choose 1 to {count} (Enter: {number}):", count=2, number=1), ""),  # Enter keeps the needs
            ("Resultado: entrevista cambiada al ", None),
            (choose(5), "cancelar"),
            ("Escriba sí o no:", "sí"),
            ("Resultado: entrevista cancelada; su hora vuelve a estar libre.", None),
            (choose(6), "6"),
            (choose(5), "salir"),
        ])
        assert finish(child) == 0
        text = log.getvalue().replace("\r\n", "\n")
        assert_plain_transcript(text)
        [mine] = InterviewService(AppContext(settings=plain_settings)).my_appointments()
        assert mine.status == "cancelled" and mine.slot.id == second.id
        assert mine.accommodations == Accommodations(interpreter="inglés")
        spanish = text.split("Estado: Idioma: Español.")[1]
        assert not labelled_lines(spanish), "an English label after Spanish was chosen"
        assert re.search(r"^Estado: ", spanish, re.M) and re.search(r"^Resultado: ", spanish, re.M)
        assert "Resultado: reservada para el " in spanish and ", hora de París (CET)." in spanish
        day = r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d{1,2} de [a-z]+ a las? \d\d:\d\d"
        assert re.search(r"Resultado: reservada para el " + day, spanish), spanish
        assert re.search(r"Resultado: entrevista cambiada al " + day, spanish), spanish
        assert f"Código de confirmación {mine.display_code}: {phonetic(mine.display_code)}." in spanish
        assert "Usted pidió: " in spanish
        assert "Choose 1 to" not in spanish and "Type yes or no" not in spanish
