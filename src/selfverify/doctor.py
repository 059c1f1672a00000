"""``selfverify doctor``: one line per check (OK / WARN / FAIL) with the fix. Also used in support bundles."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import stat
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from selfverify.i18n import N_, _, ngettext

OK, WARN, FAIL = "OK", "WARN", "FAIL"
# each check's name (a code in --json) and status, as the report says them
NAMES = {"python": N_("python"), "packages": N_("packages"), "face models": N_("face models"), "cameras": N_("cameras"),
         "keyring": N_("keyring"), "database": N_("database"), "data dir": N_("data dir"), "terminal": N_("terminal")}
STATUS_WORDS = {OK: N_("OK"), WARN: N_("WARN"), FAIL: N_("FAIL")}
SYNC = "uv sync"  # i18n: ignore (a command)
FACE_MODELS, DATA_DIR = "face models", "data dir"  # i18n: ignore (codes in --json: NAMES says them)

REQUIRED_PACKAGES = (
    "textual",
    "opencv-python-headless",
    "face_recognition",
    "face_recognition_models",
    "dlib-bin",
    "numpy",
    "pillow",
    "keyring",
    "sqlmodel",
    "cryptography",
    "click",
    "platformdirs",
)


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""
    seconds: float | None = None


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):
        return Check("python", FAIL, f"Python {version}", _("Use Python 3.11 or newer."))  # i18n: ignore (a name, a version)
    return Check("python", OK, f"Python {version} ({sys.executable})")  # i18n: ignore (a name, a version, a path)


def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def check_packages() -> Check:
    missing, found = [], []
    for name in REQUIRED_PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    try:
        setuptools_version = importlib.metadata.version("setuptools")
        if int(setuptools_version.split(".")[0]) >= 82:
            missing.append(_("setuptools<82 (found {version})").format(version=setuptools_version))
    except importlib.metadata.PackageNotFoundError:
        missing.append("setuptools<82")
    if "setuptools<82" not in " ".join(missing) and not _importable("pkg_resources"):
        # face_recognition_models imports it; without it face_recognition would quit() silently
        missing.append(_("pkg_resources (setuptools<82 installed, but its pkg_resources cannot be imported)"))
    if missing:
        return Check("packages", FAIL, _("missing: {packages}").format(packages=", ".join(missing)), _run(SYNC))
    return Check("packages", OK, ngettext("{count} required package installed", "{count} required packages installed",
                                          len(found)).format(count=len(found)))


def _run(command: str) -> str:
    return _("Run: {command}").format(command=command)


def check_face_models() -> Check:
    from selfverify.core import engine
    from selfverify.errors import FaceModelsMissing

    started = time.perf_counter()
    try:
        engine.load_face_recognition()
    except FaceModelsMissing as exc:
        return Check(FACE_MODELS, FAIL, exc.user_message, exc.hint or _run(SYNC))
    seconds = engine.load_seconds if engine.load_seconds is not None else time.perf_counter() - started
    return Check(FACE_MODELS, OK, _("loaded in {seconds} s").format(seconds=f"{seconds:.1f}"), seconds=round(seconds, 2))


def check_cameras() -> Check:
    try:
        from selfverify.core.camera import list_cameras

        cameras = list_cameras()
    except Exception as exc:  # a probing failure is itself worth reporting, not a crash
        return Check("cameras", WARN, _("could not probe cameras ({error})").format(error=type(exc).__name__),
                     _("Use --camera FILE or the interview path."))
    if not cameras:
        return Check(
            "cameras",
            WARN,
            _("no camera found"),
            _("Connect a webcam, use --camera with a video file or image folder, or choose the interview path."),
        )
    return Check("cameras", OK, _("found: {cameras}").format(cameras=", ".join(cameras)))


def check_keyring() -> Check:
    from selfverify.store.secrets import backend_status

    status = backend_status(probe=True)
    if not status.usable:
        return Check("keyring", FAIL, f"{status.name}: {status.reason}", status.fix)
    return Check("keyring", OK, status.name)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_database(ctx) -> Check:  # noqa: ANN001
    from selfverify.errors import SelfverifyError

    db = ctx.db
    try:
        db.init()
        version = db.schema_version()
    except SelfverifyError as exc:
        return Check("database", FAIL, exc.user_message, exc.hint or "")
    from selfverify.services.vault import PhotoVault

    try:
        damage = db.integrity_problems()
    except SelfverifyError as exc:
        damage = [exc.user_message]
    except Exception as exc:  # noqa: BLE001 - a damaged file fails in many ways; doctor says so, never crashes
        damage = [f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"]
    if damage:
        return Check("database", FAIL, _("{database} is damaged: {problems}").format(database=db.display_url, problems="; ".join(damage)),
                     _("Restore it from a backup; selfverify does not repair it by itself."))
    foreign = PhotoVault(ctx).foreign_reason()
    if foreign is not None:
        return Check("database", FAIL, foreign[0].upper() + foreign[1:],
                     _("Use the database that owns this vault (--database-url), or another --home for this database."))
    if db.path is None:
        return Check("database", OK, _("{database} (schema {version})").format(database=db.display_url, version=version))
    problems = []
    for p in (db.path, Path(f"{db.path}-wal"), Path(f"{db.path}-shm")):
        if p.exists() and _mode(p) & 0o077:
            problems.append(_("{name} is {mode}").format(name=p.name, mode=oct(_mode(p))))
    if _mode(db.path.parent) & 0o077:
        problems.append(_("{name} is {mode}").format(name=db.path.parent, mode=oct(_mode(db.path.parent))))
    if problems:
        return Check("database", WARN, f"{db.path}: " + "; ".join(problems),
                     _("{command} and {other}").format(command=f"chmod 600 {db.path}*", other=f"chmod 700 {db.path.parent}"))  # i18n: ignore (commands)
    return Check("database", OK, _("{database} (0600, schema {version})").format(database=db.path, version=version))


def check_data_dir(ctx) -> Check:  # noqa: ANN001
    from selfverify.paths import ensure_private_dir

    data_dir = ctx.paths.data_dir
    try:
        ensure_private_dir(data_dir)
        probe = data_dir / f".doctor-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return Check(DATA_DIR, FAIL, _("{path} is not writable ({reason})").format(path=data_dir, reason=exc.strerror),
                     _("Fix its permissions or set SELFVERIFY_HOME."))
    free = shutil.disk_usage(data_dir).free
    if free < 50 * 1024 * 1024:
        return Check(DATA_DIR, WARN, _("{path}: only {megabytes} MB free").format(path=data_dir, megabytes=free // (1024 * 1024)),
                     _("Free some disk space."))
    return Check(DATA_DIR, OK, _("{path} (0700, {gigabytes} GB free)").format(path=data_dir, gigabytes=free // (1024 ** 3)))


def check_terminal() -> Check:
    size = shutil.get_terminal_size(fallback=(0, 0))
    tty = sys.stdout.isatty()
    colour = _("no colour (NO_COLOR)") if os.environ.get("NO_COLOR") else (
        _("truecolor") if os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit") else
        _("256 colours") if "256" in os.environ.get("TERM", "") else _("basic colours")
    )
    detail = f"{size.columns}x{size.lines}, {colour}, TERM={os.environ.get('TERM', '') or _('unset')}"
    if not tty:
        return Check("terminal", WARN, _("not a terminal ({detail})").format(detail=detail),
                     _("The app needs a terminal; 'selfverify --accessible' works anywhere."))
    if os.environ.get("TERM") == "dumb":
        return Check("terminal", WARN, detail, _("TERM=dumb: selfverify starts the accessible mode."))
    if size.columns < 80 or size.lines < 24:
        return Check("terminal", WARN, detail, _("Make the terminal at least 80x24 for the app."))
    return Check("terminal", OK, detail)


def run_checks(ctx, *, face_models: bool = True) -> list[Check]:  # noqa: ANN001
    checks: list[Callable[[], Check]] = [
        check_python,
        check_packages,
        *([check_face_models] if face_models else []),
        check_cameras,
        check_keyring,
        lambda: check_database(ctx),
        lambda: check_data_dir(ctx),
        check_terminal,
    ]
    results = []
    for fn in checks:
        try:
            results.append(fn())
        except Exception as exc:  # a doctor must report, never crash
            name = getattr(fn, "__name__", "check").removeprefix("check_").replace("_", " ")
            results.append(Check(name, FAIL, _("the check itself failed: {error}").format(error=f"{type(exc).__name__}: {exc}")))
    return results


def report_dict(checks: list[Check]) -> dict:
    from selfverify import __version__

    return {
        "version": __version__,
        "ok": all(c.status != FAIL for c in checks),
        "checks": [asdict(c) for c in checks],
    }


def format_report(checks: list[Check]) -> str:
    names = {c.name: _(NAMES[c.name]) if c.name in NAMES else c.name for c in checks}
    statuses = {status: _(word) for status, word in STATUS_WORDS.items()}
    width = max(len(name) for name in names.values())
    status_width = max(len(word) for word in statuses.values())
    lines = []
    for c in checks:
        lines.append(f"{statuses.get(c.status, c.status):<{status_width}}  {names[c.name]:<{width}}  {c.detail}")
        if c.fix and c.status != OK:
            lines.append(f"{'':<{status_width}}  {'':<{width}}  " + _("fix: {fix}").format(fix=c.fix))
    fails = sum(c.status == FAIL for c in checks)
    warns = sum(c.status == WARN for c in checks)
    lines.append(_("{checks} checks: {failed} failed, {warnings} warnings.").format(checks=len(checks), failed=fails, warnings=warns))
    return "\n".join(lines)
