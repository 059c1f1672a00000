"""A database is selfverify's only if it says so; the vault is touched only by the database it belongs to.

Reproduces issue 20's "kept photos wiped" (start-up with another database, or with a 0-byte
selfverify.db, deleted every file in the vault) and "damaged databases are silently rewritten".
"""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.errors import DatabaseError
from selfverify.services.startup import on_startup
from selfverify.services.vault import TAG_FILE, PhotoVault
from selfverify.store.db import APPLICATION_ID, Database
from selfverify.store.models import SCHEMA_VERSION
from tests.inprocess_cli import run_main
from tests.postgres_db import database_url  # noqa: F401
from tests.privacy_support import accept_consent, kctx  # noqa: F401


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def kept_photo(kctx):
    accept_consent(kctx)
    info = PhotoVault(kctx).retain("reference", b"\xff\xd8 a kept photo" + os.urandom(256))
    kctx.db.dispose()
    return info


@pytest.mark.keyring
def test_starting_with_another_database_leaves_the_vault_alone(kctx, kept_photo, tmp_path, settings):
    vault_dir = kctx.paths.vault_dir
    before = _snapshot(vault_dir)
    other = AppContext(settings=settings.replace(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    report = on_startup(other)
    assert _snapshot(vault_dir) == before  # the photo of the real database is still there
    assert any("belongs to another database" in note for note in report.postponed), report.postponed
    # and a photo cannot be mixed into that vault from the other database
    accept_consent(other)
    with pytest.raises(Exception) as err:
        PhotoVault(other).retain("reference", b"another photo")
    assert getattr(err.value, "code", "") == "vault_foreign"
    assert _snapshot(vault_dir) == before
    other.db.dispose()
    # the real database still opens its photo
    assert PhotoVault(AppContext(settings=settings)).open(kept_photo.id).startswith(b"\xff\xd8 a kept photo")


@pytest.mark.keyring
def test_unknown_vault_files_are_never_removed_even_without_a_tag(kctx, kept_photo, tmp_path, settings):
    vault_dir = kctx.paths.vault_dir
    (vault_dir / TAG_FILE).unlink()  # a vault of the previous version carries no tag
    before = _snapshot(vault_dir)
    other = AppContext(settings=settings.replace(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    on_startup(other)
    assert _snapshot(vault_dir) == before
    other.db.dispose()


@pytest.mark.keyring
def test_a_zero_byte_database_is_refused_and_the_vault_kept(kctx, kept_photo):
    db_file = kctx.paths.database_file
    for suffix in ("-wal", "-shm"):
        db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    db_file.write_bytes(b"")
    before = _snapshot(kctx.paths.data_dir)
    proc = run_main("photos", "list")
    assert proc.returncode == 4, proc
    assert "is empty (0 bytes)" in proc.stderr and "will not write over it" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 2
    assert _snapshot(kctx.paths.data_dir) == before
    doctor = run_main("doctor", "--json")
    assert "is empty" in doctor.stdout


def _make_sqlite(path, *statements):
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("statements, words, code", [
    ((), "is empty", "database_empty"),  # a SQLite file with a header and no tables
    (("CREATE TABLE t(x)",), "another program's tables", "database_foreign"),
    (("PRAGMA application_id=1234", "CREATE TABLE schema_info(key, value)"), "another program", "database_foreign"),
], ids=["no-tables", "foreign-tables", "foreign-app-id"])
def test_empty_and_foreign_sqlite_databases_are_refused_untouched(home, statements, words, code):
    settings = load_settings({"user": "alice"})
    path = settings.paths.database_file
    path.parent.mkdir(parents=True)
    _make_sqlite(path, "PRAGMA user_version=0", *statements)
    if not statements:
        _make_sqlite(path, "CREATE TABLE x(y)", "DROP TABLE x")  # a real header, no tables
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as err:
        Database(settings).init()
    assert err.value.code == code and words in err.value.user_message
    assert err.value.hint and "backup" in err.value.hint
    assert path.read_bytes() == before


def test_random_bytes_are_a_damaged_database(home):
    settings = load_settings({"user": "alice"})
    path = settings.paths.database_file
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(8192))
    with pytest.raises(DatabaseError) as err:
        Database(settings).init()
    assert err.value.code == "database_damaged"


def test_random_bytes_in_database_pages_are_a_storage_error_not_a_bug(home):
    Database(load_settings({"user": "alice"})).init().dispose()
    assert run_main("interview", "book", "--contact", "alice@example.org").returncode in (0, 2, 5)
    path = load_settings({"user": "alice"}).paths.database_file
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    for page in range(1, len(data) // 4096):
        data[page * 4096 + 8: page * 4096 + 200] = os.urandom(192)
    path.write_bytes(bytes(data))
    for args in (("interview", "show"), ("sessions", "list"), ("status",), ("photos", "list"), ("doctor",)):
        proc = run_main(*args)
        assert proc.returncode in (1, 3, 4), (args, proc)  # doctor: 3 when a check fails
        assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr, (args, proc.stderr)


def test_a_dropped_table_is_reported_not_recreated(home):
    settings = load_settings({"user": "alice"})
    Database(settings).init().dispose()
    _make_sqlite(settings.paths.database_file, "DROP TABLE appointment")
    with pytest.raises(DatabaseError) as err:
        Database(settings).init()
    assert err.value.code == "database_damaged" and "missing table appointment" in err.value.user_message
    conn = sqlite3.connect(settings.paths.database_file)
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name='appointment'").fetchall()
    conn.close()


def test_a_non_numeric_schema_version_is_damage_not_a_bug(home):
    settings = load_settings({"user": "alice"})
    Database(settings).init().dispose()
    _make_sqlite(settings.paths.database_file, "UPDATE schema_info SET value='abc' WHERE key='version'")
    proc = run_main("status")
    assert proc.returncode == 4 and "is not a number" in proc.stderr, proc


def test_new_database_carries_our_identity_and_previous_version_is_adopted(home):
    settings = load_settings({"user": "alice"})
    db = Database(settings).init()
    first_id = db.database_id
    db.dispose()
    conn = sqlite3.connect(settings.paths.database_file)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # the previous version wrote neither the application id nor the database id: adopted, not refused
    conn.execute("PRAGMA application_id=0")
    conn.execute("PRAGMA user_version=0")
    conn.execute("DELETE FROM schema_info WHERE key='database_id'")
    conn.commit()
    conn.close()
    db = Database(settings).init()
    assert len(db.database_id) == 32 and db.database_id != first_id
    db.dispose()
    conn = sqlite3.connect(settings.paths.database_file)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_a_brand_new_home_initialises_silently_and_never_leaves_an_empty_file(home):
    proc = run_main("status")
    assert proc.returncode in (0, 1, 5) and "Error" not in proc.stderr, proc
    path = load_settings({"user": "alice"}).paths.database_file
    assert path.stat().st_size > 0
    assert not [p for p in path.parent.iterdir() if ".new-" in p.name]


def test_foreign_and_damaged_databases_are_refused_on_both_backends(database_url, home):
    from sqlalchemy import text

    settings = load_settings({"user": "alice", "database_url": database_url})
    db = Database(settings).init()
    assert len(db.database_id) == 32
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE deletion_receipt"))
    db.dispose()
    with pytest.raises(DatabaseError) as err:
        Database(settings).init()
    assert err.value.code == "database_damaged" and "deletion_receipt" in err.value.user_message
    db = Database(settings)
    with db.engine.begin() as conn:  # now make it another program's database
        for table in ("appointment", "interview_slot", "credential_record", "schema_info"):
            conn.execute(text(f"DROP TABLE {table} CASCADE" if not db.is_sqlite else f"DROP TABLE {table}"))
    with pytest.raises(DatabaseError) as err:
        db.init()
    assert err.value.code == "database_foreign"
    db.dispose()


def test_doctor_reports_unknown_status_values_and_sqlite_damage(home):
    settings = load_settings({"user": "alice"})
    Database(settings).init().dispose()
    assert json.loads(run_main("doctor", "--json").stdout)["checks"]
    _make_sqlite(settings.paths.database_file,
                 "INSERT INTO retained_photo (id, subject, kind, created_at, expires_at, size, content_type, status) "
                 "VALUES ('p', 'alice', 'selfie', '2026-01-01', '2026-02-01', 0, '', 'bogus')")
    report = json.loads(run_main("doctor", "--json").stdout)
    [check] = [c for c in report["checks"] if c["name"] == "database"]
    assert check["status"] == "FAIL" and "retained_photo with an unknown status" in check["detail"], check
