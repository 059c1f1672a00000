"""Driving the Textual app with Pilot: a real database, the real keyring, a fixed clock."""

from __future__ import annotations

import pytest

from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.core.clock import FakeClock


@pytest.fixture
def app_settings(home, keyring_service):
    return load_settings({"keyring_service": keyring_service, "user": "alice", "timezone": "UTC"})


@pytest.fixture
def app_ctx(app_settings):
    return AppContext(settings=app_settings, clock=FakeClock(), front_end="tui")


@pytest.fixture
def make_app(app_ctx):
    from selfverify.tui.app import SelfverifyApp

    def factory(ctx=None, **kwargs):
        return SelfverifyApp(ctx or app_ctx, **kwargs)

    return factory


@pytest.fixture
def keyless_ctx(home):
    """A context for screens that need no keyring: runs without a Secret Service (never skips)."""
    import uuid

    settings = load_settings({"keyring_service": f"selfverify-test-{uuid.uuid4().hex[:12]}", "user": "alice", "timezone": "UTC"})
    return AppContext(settings=settings, clock=FakeClock(), front_end="tui")


@pytest.fixture
def make_keyless_app(keyless_ctx):
    from selfverify.tui.app import SelfverifyApp

    def factory(**kwargs):
        return SelfverifyApp(keyless_ctx, **kwargs)

    return factory


@pytest.fixture
def readonly_data(keyless_ctx):
    """The data folder on a read-only bind mount (root ignores file modes), unmounted afterwards."""
    from tests.unit.test_storage import _mounted

    data_dir = keyless_ctx.settings.paths.data_dir
    with _mounted(data_dir, "--bind", "-o", "ro", str(data_dir)):
        yield data_dir


async def settle(pilot, seconds: float = 0.0) -> None:
    """Let the app's own workers finish and their results reach the screen (a DirectoryTree's
    loader worker never finishes, so widgets' internal workers are not waited for)."""
    from textual.widgets import DirectoryTree

    def ours():
        return [w for w in pilot.app.workers if not isinstance(w.node, DirectoryTree) and w.group != "selfie-preview"]

    async def finished():
        from textual.worker import WorkerFailed

        for worker in ours():
            try:
                await worker.wait()
            except WorkerFailed:
                pass  # a worker that raised is reported on screen (AppScreen.worker_failed): tests read it there

    await finished()
    await pilot.pause(seconds)
    await finished()
    await pilot.pause()


async def press_settled(pilot, *keys: str) -> None:
    """Press each key in turn and let the screen it opens finish loading."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
