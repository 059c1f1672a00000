"""Crash-safety helpers for work that spans the database, the keyring and the vault files.

``fault_point(name)`` kills the process with SIGKILL when ``SELFVERIFY_FAULT`` names that step
(kill -9 tests run a child process with it). ``interprocess_lock`` keeps a start-up reconcile in
one process from rolling back an issue or a deletion another process is still carrying out.
``LivenessLock`` marks a long task (a verification session) as alive for as long as the process
holding it lives, so start-up can tell a crashed task from one still running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Iterator

from selfverify.errors import StorageError
from selfverify.paths import FILE_MODE, ensure_private_dir

FAULT_ENV = "SELFVERIFY_FAULT"


def fault_point(name: str) -> None:
    """Die here, as kill -9 would, if the test harness asked for a fault at ``name``."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted and name in wanted.split(","):
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)


@contextlib.contextmanager
def interprocess_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` held until the block ends; the OS drops it if the process dies."""
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    except OSError as exc:
        from selfverify.i18n import _

        raise StorageError(_("Cannot open the lock file {path}: {reason}.").format(path=path, reason=exc.strerror)) from None
    try:
        _lock_fd(fd)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _lock_fd(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ~10 s; keep waiting
                continue
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)


def _try_lock_fd(fd: int) -> bool:
    """Take the lock without waiting; False if another open file holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class LivenessLock:
    """A lock file held while a task runs; the OS drops it when the process dies, however it dies."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Create and hold the lock; False (and no lock) if the file cannot be made or is held elsewhere."""
        try:
            ensure_private_dir(self.path.parent)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, FILE_MODE)
        except OSError:
            return False
        if not _try_lock_fd(fd):
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Stop holding the lock and remove its file (the task ended normally)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:
        # dropped without release(): let go of the lock (start-up then sees the task as ended)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    @staticmethod
    def state(path: Path) -> str:
        """``held`` (its task is alive), ``abandoned`` (its process died) or ``absent`` (no lock file here)."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return "absent"
        except OSError:
            return "held"  # cannot look: assume alive rather than close a live task
        try:
            return "abandoned" if _try_lock_fd(fd) else "held"
        finally:
            os.close(fd)  # also drops the lock we may just have taken
