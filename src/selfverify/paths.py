"""Every path selfverify uses, in one place. ``SELFVERIFY_HOME`` moves all of them together."""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from selfverify.i18n import _

APP_NAME = "selfverify"
DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> "Paths":
        """``home`` (flag) > ``SELFVERIFY_HOME`` > platformdirs defaults."""
        home = home or os.environ.get("SELFVERIFY_HOME") or None
        if home:
            root = Path(expand_home(home)).absolute()
            return cls(config_dir=root / "config", data_dir=root / "data")
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "selfverify.db"

    @property
    def vault_dir(self) -> Path:
        return self.data_dir / "vault"

    @property
    def bundles_dir(self) -> Path:
        return self.data_dir / "support-bundles"


MAX_PATH_BYTES = 4096


def expand_home(path: str | os.PathLike[str]) -> str:
    """``path`` with ``~``/``~user`` expanded; a ConfigError for an unknown user, a NUL or an overlong path."""
    from selfverify.errors import ConfigError

    raw = os.fspath(path)
    expanded = os.path.expanduser(raw)
    if expanded.startswith("~"):
        user = expanded[1:].split(os.sep, 1)[0]
        raise ConfigError(_("Cannot expand ~{user}: there is no such user on this computer.").format(user=user[:40]),
                          hint=_("Give the folder as a full path."))
    if "\0" in expanded or len(os.fsencode(expanded)) > MAX_PATH_BYTES:
        raise ConfigError(_("The folder path is not usable (a NUL character, or over {limit} bytes).").format(limit=MAX_PATH_BYTES))
    return expanded


def assets_dir() -> Path:
    """Shipped non-code files (notice texts, themes): in the wheel at ``selfverify/assets``
    (hatch force-include), in a source checkout at the project's top-level ``assets/``."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "assets"
    if installed.is_dir():
        return installed
    return package_dir.parent.parent / "assets"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents we create) with mode 0700, and tighten it if it exists."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(d, DIR_MODE)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def ensure_private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing (never world-readable, even briefly)."""
    path = Path(path)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def write_synced(path: Path, data: bytes, flags: int = os.O_EXCL) -> None:
    """Create ``path`` (mode 0600) with ``data``, flushed to the disk before returning."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | flags, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` atomically to ``path`` with mode 0600 (temp file in the same dir, fsync, rename)."""
    path = Path(path)
    # a random name, created exclusively and never through a symlink: a link planted in a shared folder
    # under a guessable name cannot redirect the write
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(8)}")
    try:
        write_synced(tmp, data, os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
