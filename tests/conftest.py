"""Shared fixtures: a private SELFVERIFY_HOME per test, real keyring access, real face fixtures."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACES = Path(os.environ.get("SELFVERIFY_FACES_DIR", ROOT.parent / "shared" / "faces"))


def pytest_configure(config):
    """Byte-compile the project's own modules once per run (in the controller, before any worker).

    On machines with PYTHONDONTWRITEBYTECODE=1 (CI's) nothing writes a .pyc: every subprocess the
    suite starts (the CLI, pexpect sessions, crash children) recompiled all of src/selfverify and the
    tests' helpers from source. ``uv sync --compile-bytecode`` covers site-packages only, not the
    editable project. Python still checks each .pyc against its source, so a stale one is never used."""
    if hasattr(config, "workerinput"):
        return
    import compileall

    for folder in (ROOT / "src", ROOT / "tests"):
        compileall.compile_dir(folder, quiet=2, workers=1)


@pytest.fixture(autouse=True)
def _default_interrupt_signal():
    """Each test starts with Ctrl+C as a fresh process has it (SIGINT raising KeyboardInterrupt, not
    blocked), and leaves it so: children (pexpect, Popen) inherit an ignored or blocked SIGINT, so a
    test that left it changed made a later test's Ctrl+C do nothing, depending on the order tests ran
    in (which pytest-xdist's workers change)."""
    import signal
    import warnings

    def restore() -> str:
        changed = ""
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            changed = f"SIGINT handler {signal.getsignal(signal.SIGINT)!r}"
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if signal.SIGINT in signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}):
            changed += " SIGINT blocked"
        return changed

    restore()
    yield
    if changed := restore():
        warnings.warn(f"this test left {changed.strip()} (restored)", stacklevel=1)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Every test gets its own home; no developer config or data leaks in."""
    home = tmp_path / "home"
    monkeypatch.setenv("SELFVERIFY_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("SELFVERIFY_") and name not in ("SELFVERIFY_HOME", "SELFVERIFY_FACES_DIR", "SELFVERIFY_TEST_POSTGRES_URL", "SELFVERIFY_IN_SECRET_SERVICE"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ACCESSIBLE", raising=False)
    # the suite's sentences are English: a developer's own language settings must not change them
    for name in ("LANGUAGE", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LC_ALL", "LANG"):
        if os.environ.get(name, "C").split(".")[0] not in ("C", "POSIX") and not os.environ[name].startswith("en"):
            monkeypatch.setenv(name, "C.UTF-8")
    from selfverify.i18n import set_language

    set_language("en")
    yield
    set_language("en")  # a test that switched the language leaves English behind


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


FACES_MISSING = "real face fixtures not found"


def faces_present() -> bool:
    return (FACES / "obama.jpg").is_file() and (FACES / "stage_clip.mp4").is_file()


def _ci_missing_faces_line() -> str:
    return (f"CI must have the real face fixtures: {FACES_MISSING} at {FACES} "
            "(provide ../shared/faces or set SELFVERIFY_FACES_DIR); tests on real faces fail rather than skip under CI")


@pytest.fixture
def faces_dir() -> Path:
    if not faces_present():
        if os.environ.get("CI"):
            pytest.fail(_ci_missing_faces_line(), pytrace=False)
        pytest.skip(f"{FACES_MISSING} at {FACES} (set SELFVERIFY_FACES_DIR or provide ../shared/faces)")
    return FACES


def pytest_runtest_setup(item):
    """Under CI a test marked ``faces`` fails at once when the fixtures are missing."""
    if os.environ.get("CI") and item.get_closest_marker("faces") and not faces_present():
        pytest.fail(_ci_missing_faces_line(), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, any skip for missing face fixtures (module fixtures skip too) is a failure."""
    report = (yield).get_result()
    if report.skipped and os.environ.get("CI") and FACES_MISSING in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = _ci_missing_faces_line()


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CI") and not faces_present():
        terminalreporter.write_line(_ci_missing_faces_line(), red=True, bold=True)


@pytest.fixture
def keyring_service() -> str:
    """A unique keyring service name for this test; every item under it is removed afterwards."""
    from selfverify.store.secrets import backend_status

    status = backend_status(probe=True)
    if not status.usable:
        msg = f"no usable Secret Service ({status.reason}); run tests via 'bash .ci/with-secret-service uv run pytest'"
        if os.environ.get("CI"):
            pytest.fail("CI must provide a real keyring: " + msg)
        pytest.skip(msg)
    name = f"selfverify-test-{uuid.uuid4().hex[:12]}"
    yield name
    purge_keyring_service(name)


def purge_keyring_service(service: str) -> None:
    try:
        import secretstorage

        conn = secretstorage.dbus_init()
        coll = secretstorage.get_default_collection(conn)
        for item in coll.search_items({"service": service}):
            item.delete()
    except Exception:
        pass


def keyring_items(service: str) -> dict[str, str]:
    """Every (username -> secret) stored under ``service`` in the real Secret Service."""
    import secretstorage

    conn = secretstorage.dbus_init()
    coll = secretstorage.get_default_collection(conn)
    return {item.get_attributes().get("username", ""): item.get_secret().decode() for item in coll.search_items({"service": service})}


@pytest.fixture
def settings(home, keyring_service):
    from selfverify.config import load_settings

    return load_settings({"keyring_service": keyring_service, "user": "alice"})


@pytest.fixture
def plain_settings(home):
    """Settings without the keyring (for tests that must not need a Secret Service)."""
    from selfverify.config import load_settings

    return load_settings({"user": "alice", "keyring_service": f"selfverify-test-{uuid.uuid4().hex[:12]}"})


@pytest.fixture
def ctx(settings):
    from selfverify.context import AppContext

    return AppContext(settings=settings)


@pytest.fixture
def fake_clock():
    from selfverify.core.clock import FakeClock

    return FakeClock()


@pytest.fixture
def clip(faces_dir) -> Path:
    return faces_dir / "stage_clip.mp4"


@pytest.fixture
def clip_reference(clip, tmp_path) -> Path:
    """A reference photo of person S: frame 120 of the stage clip, written to tmp_path (never committed)."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = cap.read()
    cap.release()
    assert ok, "could not decode frame 120 of the stage clip"
    path = tmp_path / "reference_s.png"
    cv2.imwrite(str(path), frame)
    return path


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch):
    """Text cursors do not blink in tests: a snapshot never depends on the blink phase under load."""
    from textual.widgets import Input, TextArea

    for cls in (Input, TextArea):
        original = cls._on_mount

        def on_mount(self, event, _original=original):  # noqa: ANN001
            result = _original(self, event)
            self.cursor_blink = False
            return result

        monkeypatch.setattr(cls, "_on_mount", on_mount)
