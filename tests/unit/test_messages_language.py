"""What core, store and services say, in the person's language (issue 15): representative errors of
each floor come out in Spanish under Spanish and in English otherwise, their codes stay English
(data), and the interview e-mails and .ics follow the language the booking chose, whatever the
language of the process that sends them (an English agent console sends a Spanish person's mail
in Spanish), through a real SMTP server."""

from __future__ import annotations

import ast
import sqlite3
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from selfverify import i18n
from selfverify.context import AppContext
from selfverify.core.clock import FakeClock
from selfverify.errors import SelfverifyError
from tests.conftest import ROOT
from tests.mail_support import Mailbox, mailbox  # noqa: F401 (fixture)

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def said(language: str, action) -> SelfverifyError:  # noqa: ANN001
    """The error ``action`` raises with ``language`` as the process's language."""
    i18n.set_language(language)
    try:
        with pytest.raises(SelfverifyError) as info:
            action()
    finally:
        i18n.set_language("en")
    return info.value


def both(action) -> tuple[SelfverifyError, SelfverifyError]:  # noqa: ANN001
    return said("en", action), said("es", action)


# -- core ------------------------------------------------------------------------------------
def test_a_missing_reference_photo_is_said_in_each_language(tmp_path):
    from selfverify.core.images import decode_image_file

    english, spanish = both(lambda: decode_image_file(tmp_path / "me.jpg", "reference_photo"))
    where = str(tmp_path / "me.jpg")
    assert english.user_message == f"The reference photo {where} does not exist."
    assert spanish.user_message == f"La foto de referencia {where} no existe."
    assert english.code == spanish.code == "bad_image"


def test_a_camera_source_that_is_not_there_is_said_in_each_language(tmp_path):
    from selfverify.core.camera import open_source

    english, spanish = both(lambda: open_source(str(tmp_path / "nothing-here")))
    assert english.user_message.startswith("Camera source ") and "not found: no such device, file or folder" in english.user_message
    assert spanish.user_message.startswith("No se encuentra la fuente de cámara ") and "nothing-here" in spanish.user_message
    assert english.code == spanish.code == "camera"


def test_guidance_and_liveness_steps_are_made_in_the_current_language():
    from selfverify.core.liveness import ChallengeSequence
    from selfverify.core.quality import FrameQuality, guidance_for
    from tests.unit.test_liveness import samples

    def run():
        guidance = guidance_for(FrameQuality(face_count=0), None)
        sequence = ChallengeSequence(("open_mouth",), step_timeout=10.0, turn_degrees=15.0, blink_drop=0.25)
        [started] = [e for s in samples([0.0] * 6) for e in sequence.observe(s.t, s)]
        return guidance, started

    english_guidance, english_step = run()
    i18n.set_language("es")
    spanish_guidance, spanish_step = run()
    assert (english_guidance.code, english_guidance.message) == ("no_face", "No face found: look at the camera")
    assert (spanish_guidance.code, spanish_guidance.message) == ("no_face", "No se ve ninguna cara: mire a la cámara")
    assert english_step.instruction == "Step 1 of 1: open your mouth wide, then close it"
    assert spanish_step.instruction == "Paso 1 de 1: abra bien la boca y luego ciérrela"
    assert english_step.step == spanish_step.step == "open_mouth"  # the step itself is data


# -- store -----------------------------------------------------------------------------------
def test_a_database_written_by_a_newer_version_is_said_in_each_language(plain_settings):
    from selfverify.store.db import Database
    from selfverify.store.models import SCHEMA_VERSION

    db = Database(plain_settings).init()
    db.dispose()
    with sqlite3.connect(db.path) as conn:  # as a later selfverify leaves it
        conn.execute("UPDATE schema_info SET value = ? WHERE key = 'version'", (str(SCHEMA_VERSION + 1),))
    english, spanish = both(lambda: Database(plain_settings).init())
    assert english.user_message.startswith("The database was written by a newer selfverify") and english.hint == "Upgrade selfverify."
    assert spanish.user_message.startswith("La base de datos la escribió un selfverify más reciente")
    assert spanish.hint == "Actualice selfverify."
    assert english.code == spanish.code == "schema_newer"


def test_a_locked_database_is_said_in_each_language(plain_settings):
    from selfverify.store.db import Database
    from selfverify.store.models import AuditEvent

    db = Database(plain_settings).init()
    blocker = sqlite3.connect(db.path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")

    def write():
        with Database(plain_settings).session() as s:
            s.connection().exec_driver_sql("PRAGMA busy_timeout=100")
            s.add(AuditEvent(at=NOW, subject="a", kind="t"))
            s.commit()

    try:
        english, spanish = both(write)
    finally:
        blocker.rollback()
        blocker.close()
        db.dispose()
    assert english.user_message == "The database is busy (locked by another selfverify process): nothing was changed."
    assert spanish.user_message == ("La base de datos está ocupada (la tiene bloqueada otro proceso de selfverify): "
                                    "no se ha cambiado nada.")
    assert english.code == spanish.code == "database_locked"


def test_an_empty_database_file_is_refused_in_each_language(plain_settings):
    from selfverify.store.db import Database

    path = Database(plain_settings).path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    english, spanish = both(lambda: Database(plain_settings).init())
    assert "is empty (0 bytes): selfverify will not write over it" in english.user_message
    assert "está vacía (0 bytes): selfverify no escribirá encima" in spanish.user_message
    assert english.code == spanish.code == "database_empty" and path.read_bytes() == b""


# -- services --------------------------------------------------------------------------------
def test_typed_text_and_codes_are_refused_in_each_language():
    from selfverify.services.interview.codes import normalise_code
    from selfverify.textcheck import check_contact, check_id

    english, spanish = both(lambda: check_contact("call me maybe", 200))
    assert english.user_message == "The contact line call me maybe holds no e-mail address or phone number."
    assert spanish.user_message.startswith("El contacto call me maybe no contiene ninguna dirección de correo")
    english, spanish = both(lambda: check_id("seven", "slot number"))
    assert english.user_message == "The slot number must be a whole number, not seven."
    assert spanish.user_message == "El número de franja debe ser un número entero, no seven."
    english, spanish = both(lambda: normalise_code("K7Q"))
    assert "is not a confirmation code: it should be 8 letters and digits" in english.user_message
    assert "no es un código de confirmación: debe tener 8 letras y cifras" in spanish.user_message
    assert english.code == spanish.code == "bad_code"


def test_service_refusals_are_said_in_each_language(plain_settings):
    from selfverify.services.interview import InterviewService
    from selfverify.services.support import resolve_session

    ctx = AppContext(settings=plain_settings, clock=FakeClock(NOW))
    english, spanish = both(lambda: resolve_session(ctx, "not-hex!"))
    assert "is not a session id" in english.user_message and "no es un identificador de sesión" in spanish.user_message
    person = InterviewService(ctx)
    english, spanish = both(lambda: person.book(4242, "alice@example.org"))
    assert english.user_message == "There is no slot 4242." and spanish.user_message == "No hay ninguna franja 4242."
    assert spanish.hint == "Ejecute 'selfverify interview slots' para ver las franjas libres."
    assert english.code == spanish.code == "slot_not_found"


def test_appointment_rows_translate_labels_statuses_and_documents(plain_settings):
    from selfverify.services.interview import InterviewService

    desk = InterviewService(AppContext(settings=plain_settings.replace(user="desk"), clock=FakeClock(NOW)))
    slot = desk.add_slot(NOW + timedelta(hours=2))
    booked = InterviewService(AppContext(settings=plain_settings, clock=FakeClock(NOW))).book(slot.id, "+33 6 12 34 56 78")
    english = dict(desk.describe(desk.find(booked.code)))
    i18n.set_language("es")
    spanish = dict(desk.describe(desk.find(booked.code)))
    assert english["Status"] == "booked" and spanish["Estado"] == "reservada"
    assert english["Code"] == spanish["Código"] == booked.display_code
    rows = dict(booked.slot.details.rows(slot.duration_minutes))  # made in Spanish now
    assert rows["Duración"] == f"{slot.duration_minutes} minutos" and rows["Traiga"].startswith("Uno de estos: Pasaporte")


# -- e-mails and calendar files follow the booking's language ---------------------------------
def _booked(plain_settings, mailbox: Mailbox, language: str | None):  # noqa: ANN001
    from selfverify.services.interview import InterviewService

    smtp = {"smtp_host": mailbox.host, "smtp_port": mailbox.port, "smtp_security": "none", "smtp_sender": "desk@example.org"}
    desk = InterviewService(AppContext(settings=plain_settings.replace(user="desk", **smtp), clock=FakeClock(NOW)))
    slot = desk.add_slot(NOW + timedelta(hours=3), details={"channel": "video", "link": "https://v.example.org/room"})
    booked = InterviewService(AppContext(settings=plain_settings, clock=FakeClock(NOW))).book(slot.id, "alice@example.org")
    return desk, replace(desk.find(booked.code), language=language)


def _sent(desk, kind: str, view) -> object:  # noqa: ANN001
    desk._send(desk._message(kind, view))
    return desk


@pytest.mark.parametrize("process, booking", [("en", "es"), ("es", "es")])
def test_an_email_is_written_in_the_language_the_booking_chose(plain_settings, mailbox, process, booking):
    desk, view = _booked(plain_settings, mailbox, booking)
    mailbox.messages.clear()
    i18n.set_language(process)
    _sent(desk, "confirmation", view)
    [message] = mailbox.messages
    body = message.get_body(("plain",)).get_content()
    assert message["Subject"].startswith("Entrevista reservada: ") and view.display_code in message["Subject"]
    assert "Su entrevista de identidad está reservada para el " in body
    assert "Videollamada: únase en https://v.example.org/room a la hora de inicio." in body
    assert "Este mensaje no contiene ninguna foto ni documento." in body and "Confirmation code" not in body
    [ics] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    from icalendar import Calendar

    raw = ics.get_content()
    [event] = Calendar.from_ical(raw if isinstance(raw, bytes) else raw.encode("utf-8")).walk("VEVENT")
    assert str(event["summary"]) == f"Entrevista de identidad (código {view.display_code})"
    assert str(event["description"]).startswith(f"Código de confirmación: {view.display_code} (el agente se lo pedirá).")
    # the sender's own language is untouched by the mail it wrote
    assert i18n._("Move closer") == ("Move closer" if process == "en" else "Acérquese")


@pytest.mark.parametrize("booking", ["en", None, "fr"])
def test_an_email_falls_back_to_the_senders_language_only_when_the_booking_has_none_available(plain_settings, mailbox,
                                                                                              booking):
    desk, view = _booked(plain_settings, mailbox, booking)
    mailbox.messages.clear()
    i18n.set_language("es")
    decided = replace(view, status="declined", decision_reason="The passport had expired")
    _sent(desk, "decision", decided)
    [message] = mailbox.messages
    body = message.get_body(("plain",)).get_content()
    if booking == "en":  # an English booking gets English mail from a Spanish console
        assert message["Subject"] == f"Interview {view.display_code} declined"
        assert "Your identity interview was declined: The passport had expired." in body
    else:  # no language recorded, or one without a catalog: the sender's language
        assert message["Subject"] == f"Entrevista {view.display_code} rechazada"
        assert "Su entrevista de identidad ha sido rechazada: The passport had expired." in body


def test_a_calendar_file_is_written_in_the_language_the_booking_chose(plain_settings, mailbox):
    from icalendar import Calendar

    from selfverify.services.interview.calendar import ics_bytes

    desk, view = _booked(plain_settings, mailbox, "es")
    [spanish] = Calendar.from_ical(ics_bytes(view, "db")).walk("VEVENT")  # the process is English
    [english] = Calendar.from_ical(ics_bytes(replace(view, language="en"), "db")).walk("VEVENT")
    assert str(spanish["summary"]) == f"Entrevista de identidad (código {view.display_code})"
    assert str(english["summary"]) == f"Identity interview (code {view.display_code})"
    assert "Videollamada" in str(spanish["description"]) and "Video call" in str(english["description"])


def test_the_booking_language_column_reaches_the_view_when_it_exists(plain_settings, mailbox):
    """``AppointmentView.language`` is read from the appointment row (the column i15-cli adds)."""
    from types import SimpleNamespace

    from selfverify.store.models import Appointment, InterviewSlot

    desk, view = _booked(plain_settings, mailbox, None)
    with desk.ctx.db.session() as s:
        row = s.get(Appointment, view.id)
        slot = s.get(InterviewSlot, row.slot_id)
        fields = {name: getattr(row, name) for name in Appointment.model_fields}
        rebuilt = desk._appointment_view(SimpleNamespace(**{**fields, "language": "es"}), slot)
    assert rebuilt.language == "es" and desk._appointment_view(row, slot).language == getattr(row, "language", None)


def test_in_language_holds_only_in_its_own_thread():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def spanish_mail():
        with i18n.in_language("es"):
            seen["mail"] = i18n._("Move closer")
            inside.set()
            release.wait(5)
        seen["after"] = i18n._("Move closer")

    worker = threading.Thread(target=spanish_mail)
    worker.start()
    assert inside.wait(5)
    seen["screen"] = i18n._("Move closer")  # the console keeps its language while the mail is written
    release.set()
    worker.join(5)
    assert seen == {"mail": "Acérquese", "screen": "Move closer", "after": "Move closer"}


# -- a rule of the code ------------------------------------------------------------------------
def test_no_function_hides_the_translation_function_behind_a_local_underscore():
    """``for _ in ...`` or ``x, _ = ...`` in a function that also calls ``_()`` makes ``_`` local to
    all of it: the message then crashes (TypeError) instead of being shown."""
    problems = []
    for path in sorted((ROOT / "src" / "selfverify").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            nodes = list(ast.walk(function))
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in nodes)
            stores = [n.lineno for n in nodes if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)]
            if calls and stores:
                problems.append(f"{path.relative_to(ROOT)}:{stores[0]} ({function.name})")
    assert not problems, "a local '_' hides gettext: " + ", ".join(problems)
