"""``data delete-all`` leaves nothing that ties the handle to what happened, except the receipts.

Issue 20 found the appointment with its contact line and the agent's note (in ``interview show``,
``sessions list`` and bundles), audit rows with the handle, distances, seed and source file
name, and photo rows with the photo's exact byte size, all still there after "delete everything".
This runs the whole story on SQLite and PostgreSQL, then searches every table for the traces.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import text

from selfverify.core.clock import FakeClock
from selfverify.services.audit import AuditLog, SessionRecorder
from selfverify.services.erasure import delete_all_user_data
from selfverify.services.interview import InterviewService
from tests.postgres_db import database_url, make_ctx  # noqa: F401 - fixtures

HANDLE = "zoe-unique-handle"
CONTACT = "zoe.private@example.org"
NOTE = "agent note: scar on left hand"


def _all_text(ctx) -> str:
    """Every row of every table, as text (what a person reading the database would see)."""
    from sqlmodel import SQLModel

    out = []
    with ctx.db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                out.append(f"{table.name}: {tuple(row)}")
    return "\n".join(out)


@pytest.fixture
def story(make_ctx):  # noqa: F811
    clock = FakeClock()
    person = make_ctx(HANDLE, clock=clock)
    from tests.desk_support import enrol_services

    agent_ctx = make_ctx("desk-agent", clock=clock)
    [agent] = enrol_services(make_ctx("desk-admin", clock=clock), agent_ctx)  # only an enrolled agent decides
    slots = [agent.add_slot(clock.now() + timedelta(hours=2 + 2 * i)) for i in range(2)]
    mine = InterviewService(person, rng=random.Random(2))
    first = mine.book(slots[0].id, CONTACT)
    clock.advance(2 * 3600)  # an agent decides once the interview has started
    agent.decline(first.code, NOTE, ["passport"])
    from selfverify.services.interview import Accommodations

    # still booked when the person erases (3 sessions in all), with a request for the agent and notice records
    mine.book(slots[1].id, "+33 6 98 76 54 32", Accommodations.build("Sami", note="needs-trace-77"))
    selfie = SessionRecorder(person, "selfie", seed=424242)
    selfie.note("run_started", source="video file zoe_holiday_clip.mp4", distance=0.4242)
    selfie.finish("rejected", "no_match")
    AuditLog(person).record("retain", {"photo_id": "p1", "size": 987654})
    from selfverify.services.attempts import AttemptPolicy

    AttemptPolicy(person).record_failure()
    return person, agent_ctx, clock


def test_delete_all_leaves_only_receipts_tied_to_the_handle(story):
    person, agent_ctx, _clock = story
    before = _all_text(person)
    for trace in (CONTACT, NOTE, "424242", "zoe_holiday_clip", "0.4242", "987654", "needs-trace-77"):
        assert trace in before, trace  # the story really wrote them
    report = delete_all_user_data(person)
    assert report.appointments_deleted == 2 and report.sessions_deleted == 3 and report.audit_events_redacted >= 6
    after = _all_text(person)
    for trace in (CONTACT, "+33 6 98 76 54 32", NOTE, "424242", "zoe_holiday_clip", "0.4242", "987654", "needs-trace-77"):
        assert trace not in after, trace
    assert "interview_notice:" not in after  # the notice records about the erased bookings went with them
    handle_rows = [line for line in after.splitlines() if HANDLE in line]
    # receipts, deleted photos' rows that say no more than their receipts (no photo in this story), and
    # the attempt counter (counts and times: kept, so an erasure gives no fresh set of selfie tries)
    assert handle_rows and all(line.startswith(("deletion_receipt:", "retained_photo:", "attempt_counter:"))
                               for line in handle_rows)
    assert [line for line in handle_rows if line.startswith("attempt_counter:")]
    # the agent's own records (the slots they published) stay; the freed slot can be booked again
    assert InterviewService(agent_ctx).appointments_for_day(_clock.now().date()) == []
    # the person's events are still in the log, in order, as kind and time only
    with person.db.engine.connect() as conn:
        redacted = conn.execute(text("SELECT kind, data FROM audit_event WHERE subject = '' ORDER BY id")).all()
    assert "interview_decision" in [k for k, _ in redacted] and "delete_all" in [k for k, _ in redacted]
    assert all(json.loads(d) == {"redacted": True} for k, d in redacted if k != "delete_all")


def test_the_audit_log_still_refuses_every_other_change(story):
    person, _agent, _clock = story
    delete_all_user_data(person)
    attempts = [
        "UPDATE audit_event SET kind = 'forged' WHERE subject = ''",  # a redacted event cannot change again
        "UPDATE audit_event SET data = '{\"redacted\":true}' WHERE subject = 'desk-agent'",  # only with the subject
        "UPDATE audit_event SET subject = '', data = '{\"redacted\":true}', kind = 'x' WHERE subject = 'desk-agent'",
        "UPDATE audit_event SET subject = 'someone' WHERE subject = ''",  # never un-redacted
        "UPDATE audit_event SET subject = '', data = '{\"redacted\":true}', at = at WHERE subject = 'desk-agent' "
        "AND kind = 'nope'",
        "DELETE FROM audit_event WHERE subject = ''",
    ]
    with person.db.engine.connect() as conn:
        before = conn.execute(text("SELECT id, at, subject, session_id, kind, data FROM audit_event ORDER BY id")).all()
    for statement in attempts:
        with person.db.engine.begin() as conn:
            try:
                changed = conn.exec_driver_sql(statement).rowcount
            except Exception as exc:  # noqa: BLE001 - both backends' refusals
                assert "append-only" in str(exc), statement
                continue
            assert changed == 0, statement
    with person.db.engine.connect() as conn:
        after = conn.execute(text("SELECT id, at, subject, session_id, kind, data FROM audit_event ORDER BY id")).all()
    assert after == before


def test_delete_all_twice_is_harmless(story):
    person, _agent, _clock = story
    delete_all_user_data(person)
    again = delete_all_user_data(person)
    assert (again.appointments_deleted, again.sessions_deleted, again.audit_events_redacted) == (0, 0, 0)
