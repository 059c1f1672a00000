"""SQLModel engine factory. No engine exists at import time; ``Database`` makes one on first use.

SQLite (default): a private file in the data dir, WAL, ``synchronous=FULL``, ``secure_delete=ON``
(freed pages are zeroed, so deleted rows do not linger), files 0600. Any SQLAlchemy URL works
via ``--database-url`` / ``SELFVERIFY_DATABASE_URL`` (PostgreSQL for a shared support desk).

Schema: ``create_all`` on first run, then the version in ``schema_info`` is brought up to
``SCHEMA_VERSION`` by the functions in ``store/migrations.MIGRATIONS`` (one per version step, in order).

Identity: a database is selfverify's only if it says so. A new SQLite file is built under a
temporary name and renamed into place (so a crash never leaves an empty ``selfverify.db``), with
``PRAGMA application_id`` = ``APPLICATION_ID`` and ``user_version`` = the schema version; the
connection opens it read-write without ever creating it. Every database carries a random
``database_id`` row in ``schema_info`` (the vault is tagged with it). An empty, foreign or damaged
database is refused with the fix, never re-created over: a file of 0 bytes or with no tables,
another program's tables or application id, a missing table, a non-numeric version. A database
of the previous version (our tables, no application id yet) is adopted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Iterator

from urllib.request import pathname2url

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine, select

from selfverify.config import Settings, mask_url
from selfverify.errors import DatabaseError, SelfverifyError, StorageError
from selfverify.i18n import _, ngettext
from selfverify.paths import FILE_MODE, ensure_private_dir, ensure_private_file
from selfverify.store.crashsafe import interprocess_lock
from selfverify.store import models
from selfverify.store.migrations import MIGRATIONS
from selfverify.store.models import SCHEMA_VERSION, SchemaInfo

INIT_ATTEMPTS = 10
APPLICATION_ID = 0x53564659  # "SVFY"
# the tables of schema 1: a database lacking one of them is damaged (tables added later are created)
REQUIRED_TABLES = frozenset({
    "schema_info", "verification_session", "audit_event", "consent_record", "attempt_counter",
    "credential_record", "retained_photo", "deletion_receipt", "interview_slot", "appointment",
})


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
            _("The disk is full: nothing was saved."), code="disk_full", hint=_("Free some space and try again.")
        )
    if "database is locked" in msg or "database table is locked" in msg:
        return DatabaseError(
            _("The database is busy (locked by another selfverify process): nothing was changed."),
            code="database_locked",
            hint=_("Close the other selfverify window or wait a moment, then try again."),
        )
    if "readonly" in msg or "read-only" in msg:
        return DatabaseError(_("The database at {where} is read-only: nothing was changed.").format(where=where),
                             code="database_readonly")
    return DatabaseError(_("The database at {where} could not be used: {detail}.").format(where=where, detail=msg), code="database")


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
            path = self.path
            uri = "file:" + pathname2url(str(path)) + "?mode=rw"  # never creates the file: init() does

            def _connect():
                if path.exists():
                    self._require_writable()
                try:
                    return sqlite3.connect(uri, uri=True, timeout=5.0, check_same_thread=False)
                except sqlite3.OperationalError as exc:
                    if not path.exists():
                        raise DatabaseError(_("There is no database at {path}.").format(path=path), code="database_missing") from None
                    raise translate_db_error(exc, str(path), path.parent) from None

            engine = create_engine("sqlite://", creator=_connect)

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
        # an unreachable server must not hang the start for minutes (unless the URL sets its own limit)
        connect_args = {"connect_timeout": 10} if self.url.startswith("postgresql") and "connect_timeout" not in self.url else {}
        try:
            return create_engine(self.url, pool_pre_ping=True, connect_args=connect_args)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(_("The database URL {url} cannot be used: {detail}.").format(url=mask_url(self.url), detail=exc)) from None

    def _require_writable(self) -> None:
        # SQLite would open a write-protected file (or one in a read-only folder, where its WAL
        # cannot be made) read-only and fail later, less clearly
        if not all(os.access(p, os.W_OK) for p in (self.path, self.path.parent)):
            raise self._unusable_file(OSError(errno.EROFS, "read-only"))

    def _unusable_file(self, exc: OSError) -> StorageError:
        """Why the SQLite file cannot be opened for writing: a full disk, a read-only place, or no database yet."""
        if _is_disk_full(exc):
            return translate_db_error(exc, str(self.path), self._folder)
        folder = self.path.parent
        read_only = exc.errno == errno.EROFS or (folder.is_dir() and not os.access(folder, os.W_OK))
        hint = _("Make it writable, or keep selfverify's data elsewhere with --home or SELFVERIFY_HOME.")
        if read_only:
            return DatabaseError(_("The data folder {folder} cannot be written ({reason}): the database there cannot be "
                                   "used and nothing was changed.").format(folder=folder, reason=exc.strerror),
                                 code="database_readonly", hint=hint)
        if self.path.exists():
            return DatabaseError(_("The database at {path} cannot be written ({reason}): nothing was changed.").format(
                path=self.path, reason=exc.strerror), code="database_readonly", hint=hint)
        return DatabaseError(_("Cannot create the database at {path}: {reason}.").format(path=self.path, reason=exc.strerror))

    def init(self) -> "Database":
        """Create the schema on first use and migrate an older one. Safe to call repeatedly,
        and from several processes at once."""
        if self._initialised:
            return self
        if self.path is not None:
            self._create_sqlite_file()
        for attempt in range(INIT_ATTEMPTS):
            try:
                self._check_identity()
                self._init_schema()
                break
            except (OperationalError, DBAPIError) as exc:
                # SQLite answers "locked" at once, without waiting, when a transaction that read
                # the schema must write and another process wrote first: retrying is the remedy
                # (PostgreSQL: two first starts replacing the audit rule at once)
                retried = ("locked", "concurrently updated", "deadlock", "already exists")  # i18n: ignore (driver texts)
                if not any(w in str(exc) for w in retried) or attempt == INIT_ATTEMPTS - 1:
                    raise translate_db_error(exc, self.display_url, self._folder) from None
                time.sleep(0.05 * (attempt + 1))
        if self.path is not None:
            tighten_sqlite_files(self.path)
        self._initialised = True
        return self

    # identity

    def _create_sqlite_file(self) -> None:
        """A brand-new SQLite database, built aside and renamed into place (never an empty file)."""
        path = self.path
        try:
            ensure_private_dir(path.parent)
            if path.exists():
                return
            lock = interprocess_lock(path.parent / "locks" / "database-create.lock")
        except OSError as exc:
            raise self._unusable_file(exc) from None
        from sqlalchemy.pool import NullPool

        with lock:
            if path.exists():  # another process created it while we waited
                return
            tmp = path.with_name(f".{path.name}.new-{os.getpid()}")
            try:
                tmp.unlink(missing_ok=True)
                ensure_private_file(tmp)
                engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(str(tmp)), poolclass=NullPool)
                try:
                    SQLModel.metadata.create_all(engine)
                    with engine.begin() as conn:
                        conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
                        conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
                    with Session(engine) as session:
                        session.add(SchemaInfo(key="version", value=str(SCHEMA_VERSION)))
                        session.add(SchemaInfo(key="database_id", value=uuid.uuid4().hex))
                        session.add(SchemaInfo(key="audit_rules", value=models.AUDIT_RULES_VERSION))
                        session.commit()
                finally:
                    engine.dispose()
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)  # fails if a file appeared there: it is never replaced
                except FileExistsError:
                    pass
                _fsync_dir(path.parent)
            except (OSError, SQLAlchemyError) as exc:
                raise self._unusable_file(exc if isinstance(exc, OSError) else OSError(errno.EIO, str(exc))) from None
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def _refuse(self, message: str, code: str, **fields: object) -> DatabaseError:
        """``message``: a translated sentence about the database at ``{where}``, with ``fields``."""
        if self.path is not None:
            hint = _("If you have a backup, put it back at {path}; to start afresh, move that file away "
                     "(nothing else is touched: kept photos stay in the vault).").format(path=self.path)
        else:
            hint = _("Check --database-url / SELFVERIFY_DATABASE_URL: it must name selfverify's own database.")
        return DatabaseError(message.format(where=self.display_url, **fields), code=code, hint=hint)

    def _check_identity(self) -> None:
        """Refuse an empty, foreign or damaged database; adopt one of the previous version."""
        if self.path is not None:
            self._check_sqlite_identity()
        else:
            self._check_server_identity()

    def _check_sqlite_identity(self) -> None:
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise self._unusable_file(exc) from None
        if size == 0:
            raise self._refuse(_("The database at {where} is empty (0 bytes): selfverify will not write over it."), "database_empty")
        self._require_writable()
        # read through a read-only connection: a file that is not ours must not even get our WAL mode
        try:
            conn = sqlite3.connect("file:" + pathname2url(str(self.path)) + "?mode=ro", uri=True, timeout=5.0)
            try:
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
                user_version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if "locked" in msg:
                raise OperationalError("PRAGMA application_id", None, exc) from None
            if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
                raise self._refuse(_("The database at {where} is damaged or not a database: selfverify will not write over it."),
                                   "database_damaged") from None
            raise translate_db_error(exc, self.display_url, self._folder) from None
        if app_id not in (0, APPLICATION_ID):
            raise self._refuse(_("The database at {where} belongs to another program (application id {app_id}): selfverify "
                                 "will not write over it."), "database_foreign", app_id=f"{app_id:#x}")
        if app_id == 0 and not tables:
            raise self._refuse(_("The database at {where} is empty (no tables): selfverify will not write over it."), "database_empty")
        self._check_tables(tables)
        if user_version > SCHEMA_VERSION:
            raise self._newer(user_version)
        if app_id == 0:  # a database of the previous version: adopt it
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")

    def _check_server_identity(self) -> None:
        try:
            tables = set(inspect(self.engine).get_table_names())
        except SelfverifyError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise translate_db_error(exc, self.display_url, None) from None
        if tables:  # an empty database is a new one: it gets our tables
            self._check_tables(tables)

    def _check_tables(self, tables: set[str]) -> None:
        if "schema_info" not in tables:
            raise self._refuse(_("The database at {where} holds another program's tables: selfverify will not write over it."),
                               "database_foreign")
        missing = sorted(REQUIRED_TABLES - tables)
        if missing:
            raise self._refuse(ngettext("The database at {where} is damaged (missing table {tables}): selfverify will not "
                                        "write over it.",
                                        "The database at {where} is damaged (missing tables {tables}): selfverify will not "
                                        "write over it.", len(missing)), "database_damaged", tables=", ".join(missing))

    def _newer(self, version: int) -> DatabaseError:
        return DatabaseError(
            _("The database was written by a newer selfverify (schema {version}, this one knows {known}).").format(
                version=version, known=SCHEMA_VERSION),
            code="schema_newer",
            hint=_("Upgrade selfverify."),
        )

    @property
    def database_id(self) -> str:
        """This database's random id (the vault is tagged with it)."""
        with self.session() as s:
            row = s.get(SchemaInfo, "database_id")
        return row.value if row is not None else ""

    def _install_audit_rules(self, session: Session) -> None:
        """Bring the audit log's append-only rule to the current form (it allows the erasure redaction)."""
        row = session.get(SchemaInfo, "audit_rules")
        if row is not None and row.value == models.AUDIT_RULES_VERSION:
            return
        statements = models.AUDIT_APPEND_ONLY_SQLITE if self.is_sqlite else models.AUDIT_APPEND_ONLY_POSTGRES
        for statement in statements:
            session.connection().exec_driver_sql(statement)
        session.add(SchemaInfo(key="audit_rules", value=models.AUDIT_RULES_VERSION) if row is None else row)
        if row is not None:
            row.value = models.AUDIT_RULES_VERSION
        try:
            session.commit()
        except IntegrityError:  # another process did the same first
            session.rollback()

    def _init_schema(self) -> None:
        self._create_tables()
        with Session(self.engine) as session:
            self._install_audit_rules(session)
            if session.get(SchemaInfo, "database_id") is None:
                session.add(SchemaInfo(key="database_id", value=uuid.uuid4().hex))
                try:
                    session.commit()
                except IntegrityError:  # another process recorded it first
                    session.rollback()
            row = session.get(SchemaInfo, "version")
            if row is None:
                session.add(SchemaInfo(key="version", value=str(SCHEMA_VERSION)))
                try:
                    session.commit()
                except IntegrityError:  # another process recorded it first
                    session.rollback()
                return
            try:
                current = int(row.value)
            except (TypeError, ValueError):
                raise self._refuse(_("The database at {where} is damaged (schema version {version!r} is not a number): "
                                     "selfverify will not write over it."), "database_damaged",
                                   version=str(row.value)[:40]) from None
            if current > SCHEMA_VERSION:
                raise self._newer(current)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                if version in MIGRATIONS:  # a step with nothing to change (a new table only) has none
                    MIGRATIONS[version](session.connection())
                row.value = str(version)
                session.add(row)
                session.commit()
        if self.is_sqlite:
            with self.engine.begin() as conn:
                if conn.exec_driver_sql("PRAGMA user_version").scalar() != SCHEMA_VERSION:
                    conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")

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

    # status columns without a CHECK constraint in the schema: doctor looks for values we never write
    KNOWN_STATUSES = {
        "retained_photo": ("pending", "stored", "deleting", "deleted"),
        "interview_slot": ("open", "removed"),
        "appointment": ("booked", "cancelled", "approved", "declined", "expired"),
    }

    def integrity_problems(self) -> list[str]:
        """What ``doctor`` reports about the contents: SQLite's quick check and unknown status values."""
        problems = []
        with self.engine.connect() as conn:
            if self.is_sqlite:
                verdict = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check(5)")]
                if verdict != ["ok"]:
                    problems.append("SQLite quick_check: " + "; ".join(str(v)[:80] for v in verdict))
            for table, known in self.KNOWN_STATUSES.items():
                marks = ", ".join(f"'{s}'" for s in known)
                bad = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table} WHERE status NOT IN ({marks})").scalar()
                if bad:
                    problems.append(ngettext("{count} row of {table} with an unknown status",
                                             "{count} rows of {table} with an unknown status", bad).format(count=bad, table=table))
        return problems

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


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def tighten_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(f"{path}{suffix}")
        try:
            if p.exists() and (p.stat().st_mode & 0o777) != FILE_MODE:
                os.chmod(p, FILE_MODE)
        except OSError:
            pass


__all__ = ["Database", "translate_db_error", "normalise_url", "models"]
