"""Crash-safety helpers for work that spans the database, the keyring and the vault files.

``fault_point(name)`` kills the process with SIGKILL when ``SELFVERIFY_FAULT`` names that step
(kill -9 tests run a child process with it). ``interprocess_lock`` keeps a start-up reconcile in
one process from rolling back an issue or a deletion another process is still carrying out.
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
        raise StorageError(f"Cannot open the lock file {path}: {exc.strerror}.") from None
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
