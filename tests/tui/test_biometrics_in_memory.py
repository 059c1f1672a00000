"""The TUI keeps the checked reference's face encoding (and a run's best frame) in memory for the
session only, and drops them the moment they lose their reason to be there: consent withdrawn (in My
data, or anywhere else: the next screen shown notices), everything deleted, another photo chosen."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tui.conftest import press_settled, settle


async def check_reference(pilot, path) -> None:  # noqa: ANN001
    """Consent, then the reference screen checks ``path`` (the journey's photo)."""
    from selfverify.tui.screens.reference import ReferenceScreen

    pilot.app.journey.reference_path = str(path)
    await pilot.app.push_screen(ReferenceScreen())
    await settle(pilot)


def held(app) -> bool:  # noqa: ANN001
    """Whether the app holds a face encoding of the reference."""
    reference = app.journey.reference
    return reference is not None and np.asarray(reference.encoding).size > 0


def an_outcome_with_a_frame():
    from tests.tui.test_snapshots import _outcome

    outcome = _outcome(False, "no_match")
    outcome.best_frame = np.zeros((4, 4, 3), np.uint8)  # the run's best frame, in memory only
    return outcome


@pytest.mark.parametrize("button", ["consent-withdraw", "delete-everything"])
async def test_withdrawing_consent_or_deleting_everything_drops_the_encoding_and_the_frame(
        make_app, app_ctx, keyring_service, clip_reference, button):
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.result import ResultScreen

    ConsentService(app_ctx).accept()
    app = make_app(startup=False)
    async with app.run_test(size=(100, 34)) as pilot:
        await check_reference(pilot, clip_reference)
        assert held(app), str(app.screen.query_one("#reference-result").render())
        outcome = app.journey.outcome = an_outcome_with_a_frame()
        await app.push_screen(ResultScreen(outcome))
        await settle(pilot)
        await press_settled(pilot, "f2")
        await pilot.click(f"#{button}")
        await pilot.pause()
        await press_settled(pilot, "y")
        assert not ConsentService(app_ctx).status().accepted
        assert app.journey.reference is None and app.journey.reference_summary is None
        assert outcome.best_frame is None and not outcome.best_frame_available
        await press_settled(pilot, "escape")  # back on the result: the frame is no longer offered
        assert isinstance(app.screen, ResultScreen) and app.screen.query_one("#keep-selfie").disabled


async def test_consent_withdrawn_elsewhere_drops_the_encoding_when_a_screen_is_shown_again(
        make_app, app_ctx, keyring_service, clip_reference):
    """Withdrawn by another front end (the CLI) while the app runs: the next screen shown drops it."""
    from selfverify.services.consent import ConsentService
    from selfverify.services.erasure import withdraw_consent

    ConsentService(app_ctx).accept()
    app = make_app(startup=False)
    async with app.run_test(size=(100, 34)) as pilot:
        await check_reference(pilot, clip_reference)
        assert held(app)
        await press_settled(pilot, "f3")  # the status log on top of the reference screen
        withdraw_consent(app_ctx)
        assert held(app)  # nothing has looked yet
        await press_settled(pilot, "escape")
        await settle(pilot)
        assert app.journey.reference is None
        assert "✗" in str(app.screen.query_one("#steps").render())


async def test_choosing_another_photo_drops_the_previous_encoding_at_once(
        make_app, app_ctx, keyring_service, clip_reference, tmp_path):
    import cv2

    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    wall = tmp_path / "wall.png"
    cv2.imwrite(str(wall), np.full((480, 640, 3), 170, np.uint8))
    app = make_app(startup=False)
    async with app.run_test(size=(100, 34)) as pilot:
        await check_reference(pilot, clip_reference)
        assert held(app)
        field = app.screen.query_one("#reference-path")
        field.value = "/no/such/photo.png"  # a path that is not even a file: the old face goes too
        field.focus()
        await press_settled(pilot, "enter")
        assert app.journey.reference is None and app.screen.query_one("#next").disabled
        field.value = str(clip_reference)
        field.focus()
        await press_settled(pilot, "enter")
        assert held(app)
        field.value = str(wall)  # a photo without a face
        field.focus()
        await press_settled(pilot, "enter")
        assert app.journey.reference is None and app.screen.query_one("#next").disabled
        assert "Problem:" in str(app.screen.query_one("#reference-result").render())

