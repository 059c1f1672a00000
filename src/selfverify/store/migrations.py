"""Schema upgrades: ``MIGRATIONS[v]`` upgrades a database from version v-1 to v (``store/db.py``
runs them in order inside one transaction; a version whose only change is a new table has no step,
``create_all`` adds it). Each step is idempotent, so a half-upgraded database finishes cleanly."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import inspect

from selfverify.store import models


def _add_consent_language(conn) -> None:  # noqa: ANN001
    """Schema 2: a consent record says which language the notice was read in (earlier ones: English)."""
    if "notice_language" not in {c["name"] for c in inspect(conn).get_columns("consent_record")}:
        conn.exec_driver_sql("ALTER TABLE consent_record ADD COLUMN notice_language VARCHAR NOT NULL DEFAULT 'en'")




def _migrate_interview_timing(conn) -> None:  # noqa: ANN001
    """Schema 4 (issue 21, i21-timing): appointment.started_at and .late_minutes, and the status
    'no_show'. New tables (interview_queue, agent_duty, desk_setting) come from create_all.
    Idempotent and independent of other steps, so it runs in whatever order the steps are merged."""
    import re

    from sqlalchemy import inspect

    columns = {c["name"] for c in inspect(conn).get_columns("appointment")}
    if "started_at" not in columns:
        conn.exec_driver_sql(f"ALTER TABLE appointment ADD COLUMN started_at {'DATETIME' if conn.dialect.name == 'sqlite' else 'TIMESTAMP'}")
    if "late_minutes" not in columns:
        conn.exec_driver_sql("ALTER TABLE appointment ADD COLUMN late_minutes INTEGER NOT NULL DEFAULT 0")
    if conn.dialect.name != "sqlite":
        conn.exec_driver_sql("ALTER TABLE appointment DROP CONSTRAINT IF EXISTS ck_appointment_status")
        conn.exec_driver_sql(f"ALTER TABLE appointment ADD CONSTRAINT ck_appointment_status CHECK ({models.APPOINTMENT_STATUS_CHECK})")
        return
    table_sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'appointment'").scalar()
    if "'no_show'" in table_sql:
        return
    # SQLite cannot alter a CHECK constraint: rebuild the table from its own definition, widened
    widened = re.sub(r"(CONSTRAINT ck_appointment_status CHECK \()status IN \([^)]*\)",
                     lambda m: m.group(1) + models.APPOINTMENT_STATUS_CHECK, table_sql, count=1)
    indexes = [r[0] for r in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'appointment' AND sql IS NOT NULL")]
    conn.exec_driver_sql(widened.replace("appointment", "appointment_v4", 1))
    conn.exec_driver_sql("INSERT INTO appointment_v4 SELECT * FROM appointment")
    conn.exec_driver_sql("DROP TABLE appointment")
    conn.exec_driver_sql("ALTER TABLE appointment_v4 RENAME TO appointment")
    for statement in indexes:
        conn.exec_driver_sql(statement)


def _add_missing_columns(conn, table: str, columns: dict[str, str]) -> None:  # noqa: ANN001
    """ALTER TABLE ... ADD COLUMN for each column ``table`` lacks: safe to run twice, in any order."""
    present = {c["name"] for c in inspect(conn).get_columns(table)}
    for name, sql_type in columns.items():
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")


def _migrate_interview_details(conn) -> None:  # noqa: ANN001
    """Schema 3: a slot's details (channel, link, documents...), a booking's accommodations. The
    interview_notice table is new, so create_all (run before the migrations) has made it already."""
    _add_missing_columns(conn, "interview_slot", {"details": "TEXT"})
    _add_missing_columns(conn, "appointment", {"accommodations": "TEXT"})


def _add_attempt_reservations(conn) -> None:  # noqa: ANN001
    """Schema 5 (sec-pg): a try is reserved before a selfie run starts (attempt_counter.in_flight and
    .reserved_at), so parallel runs cannot each take the last try."""
    stamp = "DATETIME" if conn.dialect.name == "sqlite" else "TIMESTAMP"
    _add_missing_columns(conn, "attempt_counter", {"in_flight": "INTEGER NOT NULL DEFAULT 0", "reserved_at": stamp})


def _bind_credentials(conn) -> None:  # noqa: ANN001
    """Schema 6 (sec-cred): decision_record binds its interview credential (decision id, credential id,
    digests of both forms, filled from the tokens it holds) and may clear the bearer tokens at pickup
    (the append-only trigger is replaced); credential_record names the key that signed each credential
    (NULL for rows issued before: filled when the token is next read). Idempotent, in any order."""
    import base64
    import json

    from selfverify.codec import token_digest

    _add_missing_columns(conn, "credential_record", {"signer_kid": "VARCHAR", "signer_kind": "VARCHAR"})
    _add_missing_columns(conn, "decision_record", {"decision_id": "VARCHAR", "credential_id": "VARCHAR",
                                                   "credential_digest": "VARCHAR", "credential_sd_digest": "VARCHAR"})
    for column in ("decision_id", "credential_id"):
        conn.exec_driver_sql(f"CREATE UNIQUE INDEX IF NOT EXISTS uq_decision_record_{column} ON decision_record ({column})")
    sqlite = conn.dialect.name == "sqlite"
    # the old trigger allows no such update: drop it, fill the columns, install the new one
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS decision_record_no_update" if sqlite else
                         "DROP TRIGGER IF EXISTS decision_record_no_change ON decision_record")

    def jti(token: str | None) -> str | None:
        try:
            payload = (token or "").split("~", 1)[0].split(".")[1]
            value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("jti")
        except (IndexError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    rows = conn.exec_driver_sql("SELECT id, token, credential, credential_sd FROM decision_record "
                                "WHERE decision_id IS NULL").fetchall()
    for row_id, token, credential, credential_sd in rows:
        conn.exec_driver_sql(
            "UPDATE decision_record SET decision_id = %(d)s, credential_id = %(c)s, credential_digest = %(cd)s, "
            "credential_sd_digest = %(sd)s WHERE id = %(id)s" if not sqlite else
            "UPDATE decision_record SET decision_id = :d, credential_id = :c, credential_digest = :cd, "
            "credential_sd_digest = :sd WHERE id = :id",
            {"d": jti(token), "c": jti(credential), "id": row_id,
             "cd": token_digest(credential) if credential else None,
             "sd": token_digest(credential_sd) if credential_sd else None},
        )
    for statement, dialect in models.append_only_statements("decision_record", models.DECISION_CHANGES):
        if dialect == conn.dialect.name and "_no_delete" not in statement:
            conn.exec_driver_sql(statement)


def _add_booking_language(conn) -> None:  # noqa: ANN001
    """Schema 7 (issue 15): a booking and a queue entry remember the person's language; earlier rows
    read as English. Idempotent and independent of steps 5 and 6 (other branches), so the lead may
    renumber it."""
    for table in ("appointment", "interview_queue"):
        _add_missing_columns(conn, table, {"language": "VARCHAR NOT NULL DEFAULT 'en'"})


# version reached -> function(connection) that upgrades from the version before it
MIGRATIONS: dict[int, Callable] = {2: _add_consent_language, 3: _migrate_interview_details, 4: _migrate_interview_timing,
                                   5: _add_attempt_reservations, 6: _bind_credentials, 7: _add_booking_language}
