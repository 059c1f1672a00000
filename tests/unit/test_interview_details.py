"""Slot details, accommodations and the e-mail notice rules, on a real database and a real local SMTP
server: desk defaults and per-slot overrides, a notice claimed once by two senders, STARTTLS never
falling back to plain text, and the SMTP password never written to the database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from selfverify.context import AppContext
from selfverify.core.clock import FakeClock
from selfverify.errors import ConfigError, InputError
from selfverify.services.interview import Accommodations, InterviewService, SlotDetails
from tests.mail_support import Mailbox, mailbox  # noqa: F401 (fixture)
from tests.postgres_db import database_url, make_ctx  # noqa: F401 (fixtures)

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def _ctx(settings, **changes) -> AppContext:  # noqa: ANN001
    return AppContext(settings=settings.replace(**changes), clock=FakeClock(NOW))


def _smtp(box: Mailbox, **more) -> dict:
    return {"smtp_host": box.host, "smtp_port": box.port, "smtp_security": "none", "smtp_sender": "desk@example.org", **more}


def test_desk_defaults_apply_and_a_slot_overrides_them(plain_settings):
    desk = InterviewService(_ctx(plain_settings, user="desk", interview_channel="in_person", interview_address="1 Main St",
                                 interview_documents="passport, driving_licence", interview_instructions="Ring twice."))
    plain = desk.add_slot(NOW + timedelta(hours=2))
    assert plain.details.channel == "in_person" and plain.details.address == "1 Main St"
    assert plain.details.documents == ("passport", "driving_licence") and plain.details.instructions == "Ring twice."
    video = desk.add_slot(NOW + timedelta(hours=3), details={"channel": "video", "link": "https://v.example.org/1",
                                                              "documents": ["id_card"]})
    assert (video.details.channel, video.details.link, video.details.documents) == ("video", "https://v.example.org/1", ("id_card",))
    assert video.details.instructions == "Ring twice."  # what the slot does not override stays the desk's
    # a person reading the slot with other settings still sees what the desk set
    person = InterviewService(_ctx(plain_settings, user="alice"))
    assert [s.details for s in person.available_slots()] == [plain.details, video.details]


@pytest.mark.parametrize("overrides, fragment", [
    ({"channel": "video"}, "needs a join link"),
    ({"channel": "video", "link": "javascript:alert(1)"}, "needs a join link"),
    ({"channel": "phone", "caller": "person", "phone": "call us"}, "needs the number to call"),
    ({"channel": "in_person", "address": "   "}, "needs an address"),
    ({"channel": "carrier pigeon"}, "video, phone or in_person"),
    ({"documents": ["selfie"]}, "unknown document 'selfie'"),
    ({"documents": []}, None),  # empty keeps the desk's list
    ({"instructions": "x" * 1001}, "instructions"),
    ({"address": "Desk\u202e 3", "channel": "in_person"}, "address"),
    ({"colour": "red"}, "Unknown slot detail 'colour'"),
])
def test_details_a_person_could_not_act_on_are_refused(plain_settings, overrides, fragment):
    desk = InterviewService(_ctx(plain_settings, user="desk"))
    if fragment is None:
        assert desk.add_slot(NOW + timedelta(hours=1), details=overrides).details.documents
        return
    with pytest.raises(InputError) as caught:
        desk.add_slot(NOW + timedelta(hours=1), details=overrides)
    assert fragment in caught.value.user_message


def test_bad_desk_settings_are_one_line_config_errors():
    from selfverify.config import load_settings

    with pytest.raises(ConfigError, match="interview_channel must be video, phone or in_person"):
        load_settings({"interview_channel": "fax"})
    with pytest.raises(ConfigError, match="smtp_security must be starttls, ssl or none"):
        load_settings({"smtp_security": "tls1.0"})
    with pytest.raises(ConfigError, match="in the clear to mail.example.org"):
        load_settings({"smtp_host": "mail.example.org", "smtp_security": "none"})
    assert load_settings({"smtp_host": "127.0.0.1", "smtp_security": "none"}).smtp_security == "none"


def test_accommodations_are_checked_and_stored_with_the_booking(plain_settings):
    desk = InterviewService(_ctx(plain_settings, user="desk"))
    slot = desk.add_slot(NOW + timedelta(hours=1))
    with pytest.raises(InputError):
        Accommodations.build(interpreter="French\x1b[2J")
    with pytest.raises(InputError):
        Accommodations.build(note="n" * 301)
    needs = Accommodations.build(" Lingala ", captions=True, note="Step-free access please")
    booked = InterviewService(_ctx(plain_settings, user="alice")).book(slot.id, "+33 6 12 34 56 78", needs)
    assert desk.find(booked.code).accommodations == needs
    assert json.loads(json.dumps(booked.as_dict(desk.zone)))["accommodations"]["interpreter"] == "Lingala"
    assert "is not an e-mail address" in booked.notice


def test_two_senders_never_send_the_same_notice(plain_settings, mailbox):
    from selfverify.store import interviews

    desk = InterviewService(_ctx(plain_settings, user="desk"))
    slot = desk.add_slot(NOW + timedelta(hours=1))
    person = InterviewService(_ctx(plain_settings, user="alice"))  # no SMTP here: the notice waits
    booked = person.book(slot.id, "alice@example.org")
    assert "No mail server is configured here" in booked.notice
    sender = InterviewService(_ctx(plain_settings, user="desk", **_smtp(mailbox)))
    with sender.ctx.db.session() as s:
        [(notice, _row, _slot)] = interviews.owed_notices(s, NOW)
        assert interviews.claim_notice(s, notice.id, notice.attempts, NOW)
        assert not interviews.claim_notice(s, notice.id, notice.attempts, NOW)  # the second sender loses
        s.rollback()
    first, second = sender.deliver_notices(), sender.deliver_notices()
    assert len(first.sent) == 1 and second.sent == [] and len(mailbox.messages) == 1
    assert sender.notice_states(booked.id) == [("confirmation", "sent")]


def test_starttls_never_falls_back_to_plain_text(plain_settings, mailbox):
    """The local server offers no STARTTLS: with smtp_security=starttls nothing is sent in the clear;
    the notice is recorded as failed and kept."""
    desk = InterviewService(_ctx(plain_settings, user="desk"))
    slot = desk.add_slot(NOW + timedelta(hours=1))
    person = InterviewService(_ctx(plain_settings, user="alice", **_smtp(mailbox, smtp_security="starttls")))
    booked = person.book(slot.id, "alice@example.org")
    assert "could not be sent now" in booked.notice and "STARTTLS" in booked.notice
    assert mailbox.messages == [] and person.notice_states(booked.id) == [("confirmation", "failed")]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_password_comes_from_the_environment_and_never_reaches_the_database(plain_settings, monkeypatch):
    """A server that requires a login: the password from SELFVERIFY_SMTP_PASSWORD is used, a wrong one
    is a recorded failure, and the database file never holds it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.mail_support import _free_port, _Handler

    box = Mailbox("127.0.0.1", _free_port())
    secret = "s3cret-pass-7f1c"

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        return AuthResult(success=auth_data.login == b"desk" and auth_data.password == secret.encode())

    controller = Controller(_Handler(box), hostname=box.host, port=box.port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        desk = InterviewService(_ctx(plain_settings, user="desk"))
        slots = [desk.add_slot(NOW + timedelta(hours=h)) for h in (1, 2)]
        login = _smtp(box, smtp_username="desk")
        monkeypatch.setenv("SELFVERIFY_SMTP_PASSWORD", "wrong")
        refused = InterviewService(_ctx(plain_settings, user="alice", **login)).book(slots[0].id, "alice@example.org")
        assert "could not be sent now" in refused.notice and box.messages == []
        monkeypatch.setenv("SELFVERIFY_SMTP_PASSWORD", secret)
        sent = InterviewService(_ctx(plain_settings, user="alice", **login)).deliver_notices()
        assert len(sent.sent) == 1 and len(box.messages) == 1
    finally:
        controller.stop()
    desk.ctx.db.checkpoint()
    for path in desk.ctx.settings.paths.data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes() and b"wrong" not in path.read_bytes(), path


def test_on_a_shared_desk_each_reminder_goes_once_and_the_migration_reruns(make_ctx, mailbox):
    """SQLite and PostgreSQL: two desks' timers (separate engines) racing over the same reminders
    send each once; the schema-3 migration adds nothing twice."""
    from threading import Barrier, Thread

    from sqlalchemy import inspect

    from selfverify.store.migrations import _migrate_interview_details

    clock = FakeClock(NOW)
    desk = InterviewService(make_ctx("desk", clock=clock))
    slots = [desk.add_slot(NOW + timedelta(hours=1, minutes=20 * i)) for i in range(3)]
    for i, slot in enumerate(slots):
        InterviewService(make_ctx(f"person{i}", clock=clock)).book(slot.id, f"person{i}@example.org")
    senders = [InterviewService(make_ctx("desk", clock=clock, **_smtp(mailbox))) for _ in range(2)]
    start = Barrier(2)
    done = []

    def run(sender) -> None:  # noqa: ANN001
        start.wait()
        done.append(sender.send_reminders())

    threads = [Thread(target=run, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sent = sorted(item for d in done for item in d.sent)
    assert len(sent) == 3 and all(item.startswith("reminder ") for item in sent)  # each reminder once
    # (the confirmations went out at booking: the mailbox fixture configured every context's SMTP)
    assert len(mailbox.messages) == 6 and sum(m["Subject"].lstrip().startswith("Reminder") for m in mailbox.messages) == 3
    with desk.ctx.db.engine.begin() as conn:
        _migrate_interview_details(conn)
        assert "details" in {c["name"] for c in inspect(conn).get_columns("interview_slot")}
