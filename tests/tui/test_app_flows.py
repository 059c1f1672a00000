"""The Textual app driven as a user would, with Pilot: real database, real keyring, real video."""

from __future__ import annotations

from datetime import datetime, timezone

from selfverify.store.signing_keys import DEVICE_KEY, keyring_entry
from tests.conftest import keyring_items
from tests.tui.conftest import settle


async def test_welcome_then_consent_gate(make_app):
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert type(app.screen).__name__ == "WelcomeScreen"
        await pilot.press("s")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConsentScreen"
        selfie = app.screen.query_one("#choose-selfie")
        assert selfie.disabled  # no selfie without consent
        await pilot.press("1")
        assert type(app.screen).__name__ == "ConsentScreen"
        assert "tick the box" in app.history.last.lower()
        await pilot.press("a")
        assert not selfie.disabled
        await pilot.press("1")
        await settle(pilot)
        assert type(app.screen).__name__ == "ReferenceScreen"
    from selfverify.services.consent import ConsentService

    assert ConsentService(app.ctx).status().accepted


async def test_both_paths_have_equal_weight(make_app):
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await settle(pilot)
        selfie = app.screen.query_one("#choice-selfie")
        interview = app.screen.query_one("#choice-interview")
        assert selfie.region.width == interview.region.width or abs(selfie.region.width - interview.region.width) <= 1
        assert selfie.region.height == interview.region.height
        assert selfie.region.y == interview.region.y


async def test_reference_without_a_face_says_so(make_app, tmp_path):
    import numpy as np
    import cv2

    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 180, np.uint8))
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_start()
        await settle(pilot)
        await pilot.press("a", "1")
        await settle(pilot)
        field = app.screen.query_one("#reference-path")
        field.value = str(blank)
        await pilot.press("enter")
        await settle(pilot)
        text = str(app.screen.query_one("#reference-result").render())
        assert text.startswith("Problem:") and "face" in text.lower()
        assert app.screen.query_one("#next").disabled


async def test_full_selfie_flow_with_recorded_video(make_app, app_ctx, clip, clip_reference, monkeypatch):
    """Consent -> reference (frame of S) -> selfie on stage_clip.mp4 (liveness off) -> result. The run
    uses the Reference the reference screen checked: one decode and one encoding (two before)."""
    from tests.functional.test_reference_once import ReferenceWork

    work = ReferenceWork(monkeypatch, clip_reference)
    ctx = app_ctx
    ctx.settings = ctx.settings.replace(liveness=False)
    app = make_app(ctx, reference=str(clip_reference), camera=str(clip), startup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_start()
        await settle(pilot)
        await pilot.press("a", "1")
        await settle(pilot, 0.5)
        assert type(app.screen).__name__ == "ReferenceScreen"
        assert not app.screen.query_one("#next").disabled, str(app.screen.query_one("#reference-result").render())
        await pilot.press("ctrl+n")
        for _ in range(600):  # the run replays the clip; wait for the result screen
            await pilot.pause(0.1)
            if type(app.screen).__name__ == "ResultScreen":
                break
        await settle(pilot)  # the screen is current before its widgets are mounted
        screen = app.screen
        assert type(screen).__name__ == "ResultScreen"
        outcome = screen.outcome
        assert outcome.decision.verified and outcome.decision.liveness == "skipped"
        assert outcome.credential is None  # a replay never earns a credential
        assert "liveness was skipped" in str(screen.query_one("#result-title").render())
        assert outcome.reference_path == str(clip_reference)  # what an opted-in retention keeps
    assert app.ctx.settings.liveness is False and work.counts == (1, 1)
    assert keyring_items(ctx.settings.keyring_service).keys() <= {keyring_entry(ctx.settings, DEVICE_KEY)}


async def test_selfie_screen_without_camera_says_what_to_do(make_app, app_ctx, clip_reference):
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    app = make_app(reference=str(clip_reference), camera="/dev/video9", startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        from selfverify.tui.screens.selfie import SelfieScreen

        app.push_screen(SelfieScreen())
        await settle(pilot, 0.3)
        guidance = str(app.screen.query_one("#guidance").render())
        assert guidance.startswith("Problem:")
        assert "camera" in guidance.lower()


async def test_leaving_the_selfie_screen_releases_the_camera(make_app, app_ctx, clip, clip_reference):
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    app_ctx.settings = app_ctx.settings.replace(liveness=False)
    app = make_app(app_ctx, reference=str(clip_reference), camera=str(clip), startup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        import asyncio

        from selfverify.tui.screens.selfie import SelfieScreen

        # as after the reference screen: the encoder's child has loaded its models
        await asyncio.to_thread(app.face_encoder.start, wait=True)
        screen = SelfieScreen()
        app.push_screen(screen)
        await pilot.pause(1.0)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.cancel.is_set()
        assert type(app.screen).__name__ == "WelcomeScreen"
    from selfverify.services.audit import list_sessions

    sessions = list_sessions(app_ctx, limit=5)
    assert sessions and sessions[0].outcome in ("cancelled", "verified", "rejected")


async def open_interview_screen(pilot) -> None:  # noqa: ANN001
    await pilot.press("s")
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "InterviewScreen"


async def test_interview_booking_flow(make_app, app_ctx):
    from selfverify.services.interview import InterviewService

    agent = InterviewService(app_ctx, agent="desk")
    agent.add_slot(datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc))
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_interview_screen(pilot)
        app.screen.query_one("#contact").value = "alice@example.org"
        await pilot.press("ctrl+b")
        await settle(pilot)
        booking = str(app.screen.query_one("#booking").render())
        assert booking.startswith("Booked:") and "Confirmation code" in booking
    mine = InterviewService(app_ctx).my_appointments()
    assert len(mine) == 1 and mine[0].status == "booked" and mine[0].display_code in booking


async def test_interview_screen_picks_up_the_credential_the_agent_signed(make_app, app_ctx):
    from selfverify.context import AppContext
    from selfverify.services.credentials import CredentialService
    from selfverify.services.interview import InterviewService
    from tests.desk_support import enrol_services

    def staff(user: str) -> AppContext:
        return AppContext(settings=app_ctx.settings.replace(user=user), clock=app_ctx.clock)

    [agent] = enrol_services(staff("desk-admin"), staff("agent-ann"))
    slot = agent.add_slot(datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc))
    agent.approve(InterviewService(app_ctx).book(slot.id, "alice@example.org").code, ["passport"])
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_interview_screen(pilot)
    current = CredentialService(app_ctx).current()
    assert current is not None and current.method == "interview" and current.issuer.startswith("selfverify:desk:")


async def test_photo_deletion_from_my_data(make_app, app_ctx, faces_dir):
    from selfverify.services.vault import PhotoVault, photo_key_name
    from selfverify.services.consent import ConsentService
    from selfverify.store.models import RetainedPhoto

    ConsentService(app_ctx).accept()
    photo = PhotoVault(app_ctx).retain("reference", (faces_dir / "obama_small.jpg").read_bytes())
    key = photo_key_name(app_ctx.user, photo.id)
    assert key in keyring_items(app_ctx.settings.keyring_service)
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        table = app.screen.query_one("#photos-table")
        assert table.row_count == 1
        await pilot.press("x")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert table.row_count == 0
        assert app.screen.query_one("#receipts-table").row_count == 1
        assert "Deleted 1 photo" in app.history.last
    assert key not in keyring_items(app_ctx.settings.keyring_service)
    with app_ctx.db.session() as s:
        assert s.get(RetainedPhoto, photo.id).status == "deleted"
    assert not PhotoVault(app_ctx).path_for(photo.id).exists()


async def test_cancelled_confirmation_deletes_nothing(make_app, app_ctx, faces_dir):
    from selfverify.services.consent import ConsentService
    from selfverify.services.vault import PhotoVault

    ConsentService(app_ctx).accept()
    PhotoVault(app_ctx).retain("reference", (faces_dir / "obama_small.jpg").read_bytes())
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#photos-table").row_count == 1
        assert app.history.last == "Nothing was changed."


async def test_credential_revoke_from_my_data(make_app, app_ctx):
    from selfverify.services.credentials import CredentialService, credential_key
    from tests.privacy_support import live_decision

    cred = CredentialService(app_ctx).issue("selfie", live_decision())
    assert credential_key(app_ctx.settings, app_ctx.user) in keyring_items(app_ctx.settings.keyring_service)
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        assert cred.id in str(app.screen.query_one("#credential-info").render())
        await pilot.click("#credential-revoke")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert "revoked" in app.history.entries[-2][1] or "revoked" in app.history.last
        assert "No credential" in str(app.screen.query_one("#credential-info").render())
    assert credential_key(app_ctx.settings, app_ctx.user) not in keyring_items(app_ctx.settings.keyring_service)
    assert CredentialService(app_ctx).verify_token(cred.token).reason == "revoked"


async def test_consent_withdrawal_from_my_data(make_app, app_ctx, faces_dir):
    from selfverify.services.consent import ConsentService
    from selfverify.services.vault import PhotoVault

    ConsentService(app_ctx).accept()
    PhotoVault(app_ctx).retain("selfie", (faces_dir / "obama_small.jpg").read_bytes())
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        await pilot.click("#consent-withdraw")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert "Not given" in str(app.screen.query_one("#consent-info").render())
    assert not ConsentService(app_ctx).status().accepted
    assert PhotoVault(app_ctx).list() == []
    assert [r.reason for r in PhotoVault(app_ctx).receipts()] == ["consent_withdrawn"]
