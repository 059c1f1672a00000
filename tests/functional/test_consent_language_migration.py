"""Schema 2: a consent record says in which language the notice was read. A database of schema 1
(no such column) is upgraded in place on SQLite and PostgreSQL: its records read as English,
the version moves to 2, and new consents record their language."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import inspect, text

from selfverify.store.models import SCHEMA_VERSION
from tests.postgres_db import database_url, make_ctx  # noqa: F401


def _back_to_schema_1(ctx) -> None:  # noqa: ANN001
    """The database as schema 1 wrote it: no notice_language, version 1, one consent given then."""
    with ctx.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE consent_record DROP COLUMN notice_language"))
        conn.execute(text("UPDATE schema_info SET value = '1' WHERE key = 'version'"))
        conn.execute(text("INSERT INTO consent_record (subject, notice_version, choice, at) VALUES ('alice', 'v1', 'accepted', :at)"),
                     {"at": datetime(2026, 1, 2, tzinfo=timezone.utc)})
        if ctx.db.is_sqlite:
            conn.exec_driver_sql("PRAGMA user_version=1")
    ctx.db.dispose()


def test_a_schema_1_database_gains_the_consent_language(make_ctx):  # noqa: F811
    from selfverify import i18n
    from selfverify.services.consent import ConsentService

    assert SCHEMA_VERSION >= 2
    old = make_ctx("alice")
    old.db.init()
    _back_to_schema_1(old)
    assert "notice_language" not in {c["name"] for c in inspect(old.db.engine).get_columns("consent_record")}

    ctx = make_ctx("alice")
    status = ConsentService(ctx).status()  # opening the database upgrades it
    assert status.accepted and status.language == "en"
    assert ctx.db.schema_version() == SCHEMA_VERSION
    i18n.set_language("es")
    try:
        status = ConsentService(ctx).accept()
    finally:
        i18n.set_language("en")
    assert status.accepted and status.language == "es" and status.version == "v1"
    again = make_ctx("alice")  # a second opening finds nothing left to do
    assert again.db.schema_version() == SCHEMA_VERSION and ConsentService(again).status().language == "es"
