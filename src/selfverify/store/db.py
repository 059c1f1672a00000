"""SQLModel engine factory. No engine exists at import time; ``Database`` makes one on first use.

SQLite (default): a private file in the data dir, WAL, ``synchronous=FULL``, ``secure_delete=ON``
(freed pages are zeroed, so deleted rows do not linger), files 0600. Any SQLAlchemy URL works
via ``--database-url`` / ``SELFVERIFY_DATABASE_URL`` (PostgreSQL for a shared support desk).

Schema: ``create_all`` on first run, then the version in ``schema_info`` is brought up to
``SCHEMA_VERSION`` by the functions in ``MIGRATIONS`` (one per version step, run in order).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine, select

from selfverify.config import Settings, mask_url
from selfverify.errors import DatabaseError, StorageError
from selfverify.paths import FILE_MODE, ensure_private_dir, ensure_private_file
from selfverify.store import models
from selfverify.store.models import SCHEMA_VERSION, SchemaInfo

# version reached -> function(connection) that upgrades from the version before it
MIGRATIONS: dict[int, Callable] = {}
INIT_ATTEMPTS = 10


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# SQLite reports a full disk as a plain "disk I/O error" when it cannot create its -wal/-shm files;
# below this much free space that is what happened
_NEARLY_FULL_BYTES = 1 << 20


def _is_disk_full(exc: BaseException) -> bool:
    text_ = str(exc).lower()
    return "disk is full" in text_ or "no space left" in text_ or getattr(exc, "errno", None) == errno.ENOSPC


def _folder_is_full(folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def translate_db_error(exc: BaseException, where: str, folder: Path | None = None) -> StorageError:
    """A user-facing error for a database failure (locked, full, unreachable); ``folder`` holds a SQLite file."""
    msg = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    if _is_disk_full(exc) or ("disk i/o error" in msg.lower() and _folder_is_full(folder)):
        return StorageError(
            "The disk is full: nothing was saved.", code="disk_full", hint="Free some space and try again."
        )
    if "database is locked" in msg or "database table is locked" in msg:
        return DatabaseError(
            "The database is busy (locked by another selfverify process): nothing was changed.",
            code="database_locked",
            hint="Close the other selfverify window or wait a moment, then try again.",
        )
    if "readonly" in msg or "read-only" in msg:
        return DatabaseError(f"The database at {where} is read-only: nothing was changed.", code="database_readonly")
    return DatabaseError(f"The database at {where} could not be used: {msg}.", code="database")


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.path: Path | None = None
        if settings.database_url:
            self.url = normalise_url(settings.database_url)
        else:
            self.path = settings.paths.database_file
            self.url = f"sqlite:///{self.path}"
        self._engine: Engine | None = None
        self._initialised = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def display_url(self) -> str:
        return str(self.path) if self.path else mask_url(self.url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    @property
    def _folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    def _make_engine(self) -> Engine:
        if self.path is not None:
            try:
                ensure_private_dir(self.path.parent)
                ensure_private_file(self.path)
            except OSError as exc:
                raise self._unusable_file(exc) from None
            engine = create_engine(self.url, connect_args={"timeout": 5.0, "check_same_thread": False})
            path = self.path

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA secure_delete=ON")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.close()
                tighten_sqlite_files(path)

            return engine
        try:
            return create_engine(self.url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(f"The database URL {mask_url(self.url)} cannot be used: {exc}.") from None

    def _unusable_file(self, exc: OSError) -> StorageError:
        """Why the SQLite file cannot be opened for writing: a full disk, a read-only place, or no database yet."""
        if _is_disk_full(exc):
            return translate_db_error(exc, str(self.path), self._folder)
        folder = self.path.parent
        read_only = exc.errno == errno.EROFS or (folder.is_dir() and not os.access(folder, os.W_OK))
        hint = "Make it writable, or keep selfverify's data elsewhere with --home or SELFVERIFY_HOME."
        if read_only:
            return DatabaseError(f"The data folder {folder} cannot be written ({exc.strerror}): the database there "
                                 "cannot be used and nothing was changed.", code="database_readonly", hint=hint)
        if self.path.exists():
            return DatabaseError(f"The database at {self.path} cannot be written ({exc.strerror}): nothing was changed.",
                                 code="database_readonly", hint=hint)
        return DatabaseError(f"Cannot create the database at {self.path}: {exc.strerror}.")

    def init(self) -> "Database":
        """Create the schema on first use and migrate an older one. Safe to call repeatedly,
        and from several processes at once."""
        if self._initialised:
            return self
        for attempt in range(INIT_ATTEMPTS):
            try:
                self._init_schema()
                break
            except (OperationalError, DBAPIError) as exc:
                # SQLite answers "locked" at once, without waiting, when a transaction that read
                # the schema must write and another process wrote first: retrying is the remedy
                if "locked" not in str(exc) or attempt == INIT_ATTEMPTS - 1:
                    raise translate_db_error(exc, self.display_url, self._folder) from None
                time.sleep(0.05 * (attempt + 1))
        if self.path is not None:
            tighten_sqlite_files(self.path)
        self._initialised = True
        return self

    def _init_schema(self) -> None:
        self._create_tables()
        with Session(self.engine) as session:
            row = session.get(SchemaInfo, "version")
            if row is None:
                session.add(SchemaInfo(key="version", value=str(SCHEMA_VERSION)))
                try:
                    session.commit()
                except IntegrityError:  # another process recorded it first
                    session.rollback()
                return
            current = int(row.value)
            if current > SCHEMA_VERSION:
                raise DatabaseError(
                    f"The database was written by a newer selfverify (schema {current}, this one knows {SCHEMA_VERSION}).",
                    code="schema_newer",
                    hint="Upgrade selfverify.",
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](session.connection())
                row.value = str(version)
                session.add(row)
                session.commit()

    def _create_tables(self) -> None:
        """create_all, tolerating another process creating the same tables at the same moment."""
        for attempt in range(5):
            try:
                SQLModel.metadata.create_all(self.engine)
                return
            except (OperationalError, ProgrammingError, IntegrityError) as exc:
                if "already exists" not in str(exc) and "duplicate" not in str(exc).lower() or attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose database failures become user-facing ``StorageError``s."""
        self.init()
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except (OperationalError, DBAPIError) as exc:
            raise translate_db_error(exc, self.display_url, self._folder) from None
        except OSError as exc:
            if _is_disk_full(exc):
                raise translate_db_error(exc, self.display_url, self._folder) from None
            raise

    def checkpoint(self) -> None:
        """Fold the WAL back into the database and truncate it (after deletions)."""
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except (OperationalError, DBAPIError) as exc:
            raise translate_db_error(exc, self.display_url, self._folder) from None

    def schema_version(self) -> int:
        with self.session() as s:
            row = s.exec(select(SchemaInfo).where(SchemaInfo.key == "version")).first()
            return int(row.value) if row else 0

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._initialised = False

    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            raise translate_db_error(exc, self.display_url, self._folder) from None


def tighten_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(f"{path}{suffix}")
        try:
            if p.exists() and (p.stat().st_mode & 0o777) != FILE_MODE:
                os.chmod(p, FILE_MODE)
        except OSError:
            pass


__all__ = ["Database", "translate_db_error", "normalise_url", "models"]
