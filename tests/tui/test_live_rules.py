"""The credential rules through the Textual app, driven with Pilot on the tests' injected camera
device over real frames: (c) a live pass ends with a credential in the real keyring; (b) a second
face entering during the step stops it; (a) an impostor who did a step fails the run."""

from __future__ import annotations

import pytest

from tests.conftest import keyring_items
from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame
from tests.live_camera import live_camera, scenario
from tests.tui.conftest import settle

pytestmark = [pytest.mark.faces, pytest.mark.keyring]

# scenario -> (reason, failed tries, credential stored)
CASES = {"live": (None, 0, True), "second_face": ("camera_lost", 1, False), "impostor_step": ("camera_lost", 1, False)}


@pytest.mark.parametrize("name", list(CASES))
async def test_rules_in_the_app(name, make_app, app_ctx, faces_dir, tmp_path, monkeypatch):
    from selfverify.core import camera
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.consent import ConsentService

    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 0.3)
    reference = extract_frame(faces_dir / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path / "reference-S.png")
    ConsentService(app_ctx).accept()
    app = make_app(app_ctx, reference=str(reference), camera="0", startup=False)
    with live_camera(faces_dir / "stage_clip.mp4", **scenario(name, faces_dir)) as device:
        async with app.run_test(size=(120, 40)) as pilot:
            from selfverify.tui.screens.selfie import SelfieScreen

            app.push_screen(SelfieScreen())
            for _ in range(1200):
                await pilot.pause(0.1)
                if type(app.screen).__name__ == "ResultScreen":
                    break
            await settle(pilot)
            assert type(app.screen).__name__ == "ResultScreen"
            outcome = app.screen.outcome
            title = str(app.screen.query_one("#result-title").render())
    assert device.opened
    reason, failures, credential = CASES[name]
    assert outcome.decision.reason == reason, outcome.decision
    assert AttemptPolicy(app_ctx).status().total_failures == failures
    stored = [k for k in keyring_items(app_ctx.settings.keyring_service) if ":credential:" in k or k.startswith("credential:")]
    assert bool(stored) == credential and (outcome.credential is not None) == credential
    if credential:
        assert outcome.credential.id in title or "verified" in title.lower()
    if name == "impostor_step":
        assert outcome.decision.liveness == "failed"  # O's photo-swap "turn" is no head turn (rule (a): test_flow)


async def test_leaving_after_a_step_started_is_a_counted_try(make_app, app_ctx, faces_dir):
    """Issue 10: escaping from a failing step used to cost nothing, so it could be retried forever."""
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    photo = str(faces_dir / "obama.jpg")  # held up: it matches, the first step starts, and nothing more happens
    app = make_app(app_ctx, reference=str(faces_dir / "obama2.jpg"), camera=photo, startup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        from selfverify.tui.screens.selfie import SelfieScreen

        screen = SelfieScreen()
        app.push_screen(screen)
        for _ in range(600):
            await pilot.pause(0.1)
            if any(getattr(e, "kind", "") == "challenge_step" for e in screen.events_seen):
                break
        assert any(getattr(e, "kind", "") == "challenge_step" for e in screen.events_seen)
        await pilot.press("escape")
        await settle(pilot)
        for _ in range(100):
            if AttemptPolicy(app_ctx).status().total_failures:
                break
            await pilot.pause(0.1)
    assert AttemptPolicy(app_ctx).status().total_failures == 1
