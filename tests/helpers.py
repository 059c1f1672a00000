"""Test helpers: run the real CLI in a subprocess (the way users and scripts do)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "selfverify", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


def blocker_dir(tmp_path: Path, *modules: str) -> Path:
    """A sitecustomize that makes ``modules`` unimportable, to simulate a missing package."""
    d = tmp_path / "blocker"
    d.mkdir(exist_ok=True)
    names = ", ".join(repr(m) for m in modules)
    (d / "sitecustomize.py").write_text(
        "import importlib.abc, sys\n"
        f"_BLOCKED = {{{names}}}\n"
        "class _Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in _BLOCKED:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    return d


def device_node(folder: Path, name: str) -> str:
    """A character device to aim a write at: as root, a private node in ``folder`` with the numbers of
    /dev/<name> (so a broken rule replaces that node, never the system's /dev/null or /dev/full);
    otherwise /dev/<name> itself, which a non-root process cannot replace."""
    system = Path("/dev") / name
    if os.geteuid() != 0:
        return str(system)
    import stat

    node = folder / f"dev-{name}"
    if not node.exists():
        os.mknod(node, 0o666 | stat.S_IFCHR, os.stat(system).st_rdev)
    return str(node)


def restore_database_dump(settings, dump: Path) -> Path:  # noqa: ANN001
    """An SQLite dump (tests/data/schema*.sql, made by an older version's code) restored where
    ``settings`` keep their database; returns its path (mode 0600, as selfverify makes it)."""
    import sqlite3

    path = settings.paths.data_dir / "selfverify.db"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(path)
    conn.executescript(dump.read_text())
    conn.close()
    path.chmod(0o600)
    return path


def source_at(commit: str, tmp_path: Path) -> Path:
    """The package's ``src`` folder at ``commit``, unpacked from git under ``tmp_path``: put it on
    PYTHONPATH to make a database with that version (migration tests)."""
    root = Path(__file__).resolve().parents[1]
    target = tmp_path / f"src-{commit}"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(root), "archive", commit, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"
