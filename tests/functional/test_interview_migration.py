"""A version-1 database (made by main's code before slot details existed) opens with today's code:
the migration adds the new columns, keeps the slot and the booking, and can run twice."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect

from selfverify.context import AppContext
from selfverify.core.clock import FakeClock
from selfverify.services.interview import InterviewService
from selfverify.store.migrations import _migrate_interview_details
from selfverify.store.models import SCHEMA_VERSION
from tests.helpers import restore_database_dump

DUMP = Path(__file__).parent.parent / "data" / "schema1_interview.sql"


def _restore(settings) -> Path:  # noqa: ANN001
    return restore_database_dump(settings, DUMP)


def test_a_version_1_database_gains_slot_details_and_keeps_its_booking(plain_settings):
    _restore(plain_settings)
    ctx = AppContext(plain_settings, clock=FakeClock(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    assert ctx.db.schema_version() == SCHEMA_VERSION
    columns = {t: {c["name"] for c in inspect(ctx.db.engine).get_columns(t)} for t in ("interview_slot", "appointment")}
    assert "details" in columns["interview_slot"] and "accommodations" in columns["appointment"]
    assert "interview_notice" in inspect(ctx.db.engine).get_table_names()

    service = InterviewService(ctx)
    [mine] = service.my_appointments()
    assert mine.display_code == "K7QX-M4PD" and mine.status == "booked" and mine.accommodations.empty
    rows = dict(mine.slot.detail_rows)
    assert rows["How"].startswith("The desk has not said how this interview happens")
    assert "Passport" in rows["Bring"]  # the documents every desk accepted before details existed
    assert service.calendar_file("K7QX-M4PD").startswith(b"BEGIN:VCALENDAR")

    with ctx.db.engine.begin() as conn:  # a second run (another branch's migration landed first) changes nothing
        _migrate_interview_details(conn)
    assert service.my_appointments()[0].code == mine.code
