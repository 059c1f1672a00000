"""The main screens in Spanish at 80x24 (the English ones: test_snapshots.py). Every word must be
whole on screen (wrapped, never cut): test_language.py checks that in words, these in pictures.

Update after an intended change: uv run pytest tests/tui/test_snapshots_es.py --snapshot-update
"""

from __future__ import annotations

import pytest

from selfverify import i18n
from tests.tui.conftest import press_settled, settle
from tests.tui.test_snapshots import (  # noqa: F401 (fixtures)
    app_settings,
    blank_photo,
    reference_with_no_face,
    result,
    selfie_without_camera,
    stable_dir,
)

SIZE = (80, 24)


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_welcome_in_spanish(snap_compare, make_keyless_app, spanish):
    assert snap_compare(make_keyless_app(startup=False), terminal_size=SIZE)


def test_consent_and_choice_in_spanish(snap_compare, make_keyless_app, spanish):
    async def run_before(pilot):
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make_keyless_app(startup=False), terminal_size=SIZE, run_before=run_before)


def test_reference_with_no_face_in_spanish(snap_compare, make_app, app_ctx, blank_photo, spanish):  # noqa: F811
    app, run_before = reference_with_no_face(make_app, app_ctx, blank_photo)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_reference_with_a_face_in_spanish(snap_compare, make_app, app_ctx, clip_reference, stable_dir, spanish):  # noqa: F811
    """The found face's sentence, the thumbnail and Next (the path shown relative: stable)."""
    import shutil

    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    shutil.copy(clip_reference, stable_dir / "referencia.png")

    async def run_before(pilot):
        from selfverify.tui.screens.reference import ReferenceScreen

        pilot.app.journey.reference_path = "referencia.png"
        await pilot.app.push_screen(ReferenceScreen())
        await settle(pilot)
        pilot.app.screen.query_one("#reference-path").cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(startup=False), terminal_size=SIZE, run_before=run_before)


def test_selfie_without_camera_in_spanish(snap_compare, make_app, app_ctx, keyring_service, clip_reference, spanish):
    app, run_before = selfie_without_camera(make_app, app_ctx, clip_reference)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_selfie_with_a_recorded_clip_in_spanish(snap_compare, make_app, app_ctx, keyring_service, clip, clip_reference, spanish):
    """A real run on the recorded clip until its challenge starts and frames are shown; then, for a
    picture that does not depend on timing, the run is stopped and the screen is given one fixed
    frame (the clip's frame 120, through the screen's own renderer) and fixed events."""
    import dataclasses

    import cv2

    from selfverify.core.events import ChallengeStep, GuidanceChanged, MatchProgress
    from selfverify.core.liveness import INSTRUCTIONS
    from selfverify.core.quality import MESSAGES
    from selfverify.services.consent import ConsentService
    from selfverify.tui.messages import EngineEvent
    from selfverify.wording.guidance import GuidanceSteadier

    ConsentService(app_ctx).accept()
    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = capture.read()
    capture.release()
    assert ok

    async def run_before(pilot):
        from selfverify.tui.screens.selfie import SelfieScreen
        from selfverify.tui.widgets.camera_view import BLOCKS, PreviewRenderer

        screen = SelfieScreen()
        await pilot.app.push_screen(screen)
        for _ in range(600):  # the real run: frames on screen and the challenge's first step
            await pilot.pause(0.05)
            if screen.camera.frames_shown and any(isinstance(e, ChallengeStep) for e in screen.events_seen):
                break
        assert screen.camera.frames_shown and any(isinstance(e, ChallengeStep) for e in screen.events_seen)
        assert "Paso 3 de 4" in str(screen.query_one("#steps").render())
        screen.stop_run()
        await settle(pilot)
        assert not screen.running  # stopped, still on this screen (nothing to show for a cancelled run)
        renderer = PreviewRenderer(levels=32, colour=True, mode=BLOCKS, live=True, guide=screen.guide)
        width, height = screen.camera.preview_size
        screen.camera.show_picture(renderer.render(frame, width, height, None))
        screen.running, screen.steadier = True, GuidanceSteadier(hold_s=0, words_per_minute=None)
        step = next(e for e in screen.events_seen if isinstance(e, ChallengeStep) and e.status == "started")
        # the challenge is drawn at random: shown as a blink step, in core's own words, with no countdown
        blink = dataclasses.replace(step, step="blink", deadline_s=None,
                                    instruction=step.instruction.replace(i18n._(INSTRUCTIONS[step.step]), i18n._(INSTRUCTIONS["blink"])))
        for event in (blink, GuidanceChanged(code="move_closer", message=i18n._(str(MESSAGES["move_closer"]))),
                      MatchProgress(good_frames=0, needed=3)):
            screen.on_engine_event(EngineEvent(event))
        screen.running = False
        await pilot.pause()

    app = make_app(reference=str(clip_reference), camera=str(clip), startup=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("verified", [True, False], ids=["verified", "no_match"])
def test_result_in_spanish(snap_compare, make_app, app_ctx, spanish, verified):
    app, run_before = result(make_app, app_ctx, verified)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_my_data_in_spanish(snap_compare, make_app, app_ctx, keyring_service, faces_dir, monkeypatch, spanish):
    """Consent given, one retained photo (a stable id), no credential: the table fits 80 columns."""
    import uuid

    from selfverify.services.consent import ConsentService
    from selfverify.services.vault import PhotoVault

    ConsentService(app_ctx).accept()
    with monkeypatch.context() as m:
        m.setattr(uuid, "uuid4", lambda: uuid.UUID("5ef1e5ef-1e5e-4f1e-85ef-1e5ef1e5ef1e"))
        PhotoVault(app_ctx).retain("reference", (faces_dir / "obama_small.jpg").read_bytes())

    async def run_before(pilot):
        await press_settled(pilot, "f2")

    assert snap_compare(make_app(startup=False), terminal_size=SIZE, run_before=run_before)


def test_status_log_in_spanish(snap_compare, make_keyless_app, spanish):
    async def run_before(pilot):
        await press_settled(pilot, "s")
        await pilot.press("1")  # the selfie check without the tick: a status message to log
        pilot.app.history.entries[:] = [(pilot.app.history.entries[0][0].replace(hour=9, minute=30, second=0), text)
                                        for _when, text in pilot.app.history.entries]
        await press_settled(pilot, "f3")

    assert snap_compare(make_keyless_app(startup=False), terminal_size=SIZE, run_before=run_before)
