"""Layout snapshots of every screen at 80x24 and 120x40, including error states.

Update after an intended change: uv run pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.privacy_support import fail_keyring  # noqa: F401
from tests.tui.conftest import press_settled, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def app_settings(home):
    """Snapshots run without a Secret Service unless they ask for ``keyring_service`` themselves."""
    from selfverify.config import load_settings
    from tests.conftest import purge_keyring_service

    service = f"selfverify-test-{uuid.uuid4().hex[:12]}"
    yield load_settings({"keyring_service": service, "user": "alice", "timezone": "UTC"})
    purge_keyring_service(service)


@pytest.fixture
def stable_dir(tmp_path, monkeypatch) -> Path:
    """Paths shown on screen must not change between runs: this test's own folder, named relatively."""
    monkeypatch.chdir(tmp_path)
    return Path(".")


@pytest.fixture
def blank_photo(stable_dir) -> Path:
    import cv2
    import numpy as np

    path = stable_dir / "wall.png"
    cv2.imwrite(str(path), np.full((480, 640, 3), 170, np.uint8))
    return path


@pytest.mark.parametrize("size", SIZES)
def test_welcome(snap_compare, make_app, size):
    assert snap_compare(make_app(startup=False), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_consent_and_choice(snap_compare, make_app, size):
    async def run_before(pilot):
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make_app(startup=False), terminal_size=size, run_before=run_before)


def reference_with_no_face(make_app, app_ctx, blank_photo):  # noqa: ANN001, ANN201
    """(app, run_before) of the reference screen on a photo without a face (also in Spanish)."""
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()

    async def run_before(pilot):
        from selfverify.tui.screens.reference import ReferenceScreen

        pilot.app.journey.reference_path = str(blank_photo)
        await pilot.app.push_screen(ReferenceScreen())
        await settle(pilot)
        # the path field's cursor blinks: without this the picture depends on when it is taken
        pilot.app.screen.query_one("#reference-path").cursor_blink = False
        await pilot.pause()

    return make_app(startup=False), run_before


@pytest.mark.parametrize("size", SIZES)
def test_reference_with_no_face(snap_compare, make_app, app_ctx, blank_photo, size):
    app, run_before = reference_with_no_face(make_app, app_ctx, blank_photo)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def selfie_without_camera(make_app, app_ctx, clip_reference):  # noqa: ANN001, ANN201
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()

    async def run_before(pilot):
        from selfverify.tui.screens.selfie import SelfieScreen

        await pilot.app.push_screen(SelfieScreen())
        await settle(pilot, 0.2)

    return make_app(reference=str(clip_reference), camera="/dev/video9", startup=False), run_before


@pytest.mark.parametrize("size", SIZES)
def test_selfie_without_camera(snap_compare, make_app, app_ctx, keyring_service, clip_reference, size):
    app, run_before = selfie_without_camera(make_app, app_ctx, clip_reference)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_selfie_locked_out(snap_compare, make_app, app_ctx, clip_reference, size):
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    policy = AttemptPolicy(app_ctx)
    for _ in range(app_ctx.settings.max_total_failures):
        policy.record_failure()
        app_ctx.clock.advance(60)

    async def run_before(pilot):
        from selfverify.tui.screens.selfie import SelfieScreen

        await pilot.app.push_screen(SelfieScreen())
        await settle(pilot, 0.2)

    app = make_app(reference=str(clip_reference), camera="/dev/video9", startup=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def _outcome(verified: bool, reason: str | None, credential=None, attempts=None, distance=0.41):  # noqa: ANN001
    from selfverify.core.events import Decision
    from selfverify.services.selfie import SelfieOutcome

    decision = Decision(verified=verified, reason=reason, distance=distance, tolerance=0.6, frames_used=3,
                        liveness="passed" if verified else ("failed" if reason == "not_live" else "passed"))
    return SelfieOutcome(decision, "session-1", credential, attempts, best_frame_available=True)


def result(make_app, app_ctx, verified: bool):  # noqa: ANN001, ANN201
    """(app, run_before) of the result screen: verified with a credential, or no match with tries left."""
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.credentials import IssuedCredential

    if verified:
        now = app_ctx.clock.now()
        cred = IssuedCredential("cred-0001", "alice", "selfie", now, now.replace(year=now.year + 1), "sv1.x.y")
        outcome = _outcome(True, None, cred)
    else:
        outcome = _outcome(False, "no_match", attempts=AttemptPolicy(app_ctx).record_failure(), distance=0.74)

    async def run_before(pilot):
        from selfverify.tui.screens.result import ResultScreen

        await pilot.app.push_screen(ResultScreen(outcome))
        await settle(pilot)

    return make_app(startup=False), run_before


@pytest.mark.parametrize("size", SIZES)
def test_result_verified(snap_compare, make_app, app_ctx, size):
    app, run_before = result(make_app, app_ctx, verified=True)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_result_no_match(snap_compare, make_app, app_ctx, size):
    app, run_before = result(make_app, app_ctx, verified=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_interview_slots(snap_compare, make_app, app_ctx, size):
    from selfverify.services.interview import InterviewService

    desk = InterviewService(app_ctx, agent="desk")
    for hour in (9, 10, 14):
        desk.add_slot(datetime(2026, 1, 2, hour, 0, tzinfo=timezone.utc))

    async def run_before(pilot):
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(make_app(startup=False), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_my_data_empty(snap_compare, make_app, keyring_service, size):
    async def run_before(pilot):
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app(startup=False), terminal_size=size, run_before=run_before)


def test_delete_all_confirmation_dialog(snap_compare, make_app, app_ctx, keyring_service, faces_dir, monkeypatch):
    import uuid

    from selfverify.services.consent import ConsentService
    from selfverify.services.vault import PhotoVault

    ConsentService(app_ctx).accept()
    with monkeypatch.context() as m:
        m.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x5EF1E))  # a stable photo id on screen
        PhotoVault(app_ctx).retain("reference", (faces_dir / "obama_small.jpg").read_bytes())

    async def run_before(pilot):
        await pilot.press("f2")
        await settle(pilot)
        await pilot.click("#delete-all-photos")
        await pilot.pause()

    assert snap_compare(make_app(startup=False), terminal_size=(120, 40), run_before=run_before)


def test_no_color(snap_compare, make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make_app(startup=False), terminal_size=(80, 24), run_before=run_before)


def test_high_contrast_theme(snap_compare, make_app, app_ctx):
    ctx = app_ctx
    ctx.settings = ctx.settings.replace(theme="selfverify-high-contrast")

    async def run_before(pilot):
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make_app(ctx, startup=False), terminal_size=(80, 24), run_before=run_before)


def test_interview_without_a_keyring(snap_compare, keyless_ctx, make_keyless_app, keyring_service):
    """An approved interview whose credential cannot be stored: bookings, slots and the fix all shown."""
    from tests.tui.test_conditions import _approved_interview

    _approved_interview(keyless_ctx)

    async def run_before(pilot):
        await press_settled(pilot, "s", "2")

    from tests.tui.test_conditions import no_keyring

    with no_keyring():
        assert snap_compare(make_keyless_app(startup=False), terminal_size=(80, 24), run_before=run_before)


def test_consent_with_a_read_only_data_folder(snap_compare, make_keyless_app, readonly_data, tmp_path):
    """The notice says why it is missing; the tick is refused (the folder's path is shown as ~)."""

    async def run_before(pilot):
        await press_settled(pilot, "s", "a")
        notice = pilot.app.screen.query_one("#notice")
        shown = str(tmp_path).replace("_", "\\_")  # as written in the notice's Markdown
        assert shown in notice.source  # the real message names the real folder ...
        await notice.update(notice.source.replace(shown, "~"))  # ... shown stable for the snapshot
        pilot.app.set_status(pilot.app.history.last.replace(str(tmp_path), "~"))
        await settle(pilot)

    assert snap_compare(make_keyless_app(startup=False), terminal_size=(80, 24), run_before=run_before)
