from __future__ import annotations

import contextlib
import os
import stat
from datetime import datetime, timezone

from sqlmodel import select

from selfverify.store.db import Database
from selfverify.store.models import SCHEMA_VERSION, AuditEvent, SchemaInfo


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_sqlite_files_are_private_even_under_umask_022(plain_settings):
    old = os.umask(0o022)
    try:
        db = Database(plain_settings)
        with db.session() as s:
            s.add(AuditEvent(at=datetime.now(timezone.utc), subject="alice", kind="test"))
            s.commit()
            # while a connection is open the WAL and shared-memory files exist: check them too
            path = db.path
            assert os.path.exists(f"{path}-wal") and os.path.exists(f"{path}-shm")
            for suffix in ("", "-wal", "-shm"):
                assert mode(f"{path}{suffix}") == 0o600, suffix
        assert mode(path.parent) == 0o700
        assert mode(path.parent.parent) == 0o700  # SELFVERIFY_HOME itself, created by us
    finally:
        os.umask(old)
        Database(plain_settings).dispose()


def test_wal_and_synchronous_full(plain_settings):
    db = Database(plain_settings).init()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    db.dispose()


def test_schema_version_recorded_and_reopen_is_idempotent(plain_settings):
    db = Database(plain_settings).init()
    assert db.schema_version() == SCHEMA_VERSION
    db.dispose()
    db2 = Database(plain_settings).init()
    with db2.session() as s:
        rows = s.exec(select(SchemaInfo)).all()
        assert sorted(r.key for r in rows) == ["audit_rules", "database_id", "version"]
    db2.dispose()


def test_datetimes_round_trip_as_aware_utc(plain_settings):
    db = Database(plain_settings)
    when = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
    with db.session() as s:
        s.add(AuditEvent(at=when, subject="alice", kind="t"))
        s.commit()
    with db.session() as s:
        got = s.exec(select(AuditEvent)).one().at
    assert got == when and got.tzinfo is not None
    db.dispose()


def test_no_engine_at_import_time():
    import selfverify.store.db as dbmod

    assert not any(isinstance(v, __import__("sqlalchemy").engine.Engine) for v in vars(dbmod).values())


def test_newer_schema_is_refused(plain_settings):
    import pytest

    from selfverify.errors import DatabaseError

    db = Database(plain_settings).init()
    with db.session() as s:
        row = s.get(SchemaInfo, "version")
        row.value = str(SCHEMA_VERSION + 1)
        s.add(row)
        s.commit()
    db.dispose()
    with pytest.raises(DatabaseError, match="newer selfverify"):
        Database(plain_settings).init()


def test_locked_database_is_a_clear_error(plain_settings):
    import sqlite3

    import pytest

    from selfverify.errors import DatabaseError

    db = Database(plain_settings).init()
    blocker = sqlite3.connect(db.path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        fast = Database(plain_settings)
        fast._engine = None
        with pytest.raises(DatabaseError) as err:
            with fast.session() as s:
                s.exec(select(AuditEvent)).all()
                s.connection().exec_driver_sql("PRAGMA busy_timeout=100")
                s.add(AuditEvent(at=datetime.now(timezone.utc), subject="a", kind="t"))
                s.commit()
        assert err.value.code == "database_locked"
        assert "busy" in err.value.user_message
    finally:
        blocker.rollback()
        blocker.close()
        db.dispose()


def _init_db(home: str) -> None:
    from selfverify.config import load_settings

    Database(load_settings({"home": home}, environ={})).init()


def test_concurrent_first_start_creates_the_schema_once(tmp_path):
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    for round_ in range(3):
        home = str(tmp_path / f"h{round_}")
        procs = [fork.Process(target=_init_db, args=(home,)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]


@contextlib.contextmanager
def _mounted(target, *mount_args: str):
    """``mount`` for the length of a test (root only: skips otherwise); always unmounted afterwards."""
    import subprocess

    import pytest

    if os.geteuid() != 0:
        pytest.skip("mounting a test file system needs root")
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *mount_args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _write_an_event(settings) -> None:
    db = Database(settings)
    try:
        with db.session() as s:
            s.add(AuditEvent(at=datetime.now(timezone.utc), subject="alice", kind="test"))
            s.commit()
    finally:
        db.dispose()


def test_a_full_disk_under_an_existing_database_says_so(home):
    import pytest

    from selfverify.config import load_settings
    from selfverify.errors import StorageError

    with _mounted(home, "-t", "tmpfs", "-o", "size=1m", "tmpfs"):
        settings = load_settings({"user": "alice"})
        _write_an_event(settings)  # the database exists, then the disk fills up
        with open(home / "filler", "wb") as filler:
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
        with pytest.raises(StorageError) as err:
            _write_an_event(settings)
        assert (err.value.code, err.value.user_message) == ("disk_full", "The disk is full: nothing was saved.")


def test_an_existing_database_that_cannot_be_written_says_so(home):
    import pytest

    from selfverify.config import load_settings
    from selfverify.errors import DatabaseError

    settings = load_settings({"user": "alice"})
    _write_an_event(settings)
    data_dir = settings.paths.data_dir
    if os.geteuid() != 0:  # root writes through file modes: it needs a read-only mount instead
        os.chmod(settings.paths.database_file, 0o400)
        context = contextlib.nullcontext()
    else:
        context = _mounted(data_dir, "--bind", "-o", "ro", str(data_dir))
    with context:
        with pytest.raises(DatabaseError) as err:
            _write_an_event(settings)
    message = err.value.user_message
    assert err.value.code == "database_readonly" and "cannot be written" in message, message
    assert "Cannot create" not in message and "nothing was changed" in message
