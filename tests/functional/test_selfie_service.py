"""SelfieService end to end on the real clip: consent before the camera, attempt counting, the
session timeline, no credential without liveness, and opt-in retention made in memory."""

from __future__ import annotations

import pytest

from selfverify.context import AppContext
from selfverify.core.events import PreviewFrame
from selfverify.errors import ConsentRequired, LockedOut
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.audit import list_sessions, timeline
from selfverify.services.selfie import SelfieService
from selfverify.services.vault import PhotoVault
from selfverify.store.models import CredentialRecord
from tests.conftest import keyring_items
from tests.privacy_support import accept_consent, find_bytes, row_counts

pytestmark = [pytest.mark.faces, pytest.mark.keyring]


@pytest.fixture
def clip(faces_dir):
    return faces_dir / "stage_clip.mp4"


@pytest.fixture
def clip_reference(clip, tmp_path):
    """A frame of person S from the clip, as a reference photo outside the data dir."""
    import cv2

    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, frame = capture.read()
    capture.release()
    assert ok
    path = tmp_path / "reference.jpg"
    cv2.imwrite(str(path), frame)
    return path


def test_camera_stays_closed_without_consent_or_when_locked(ctx, tmp_path):
    missing_camera = str(tmp_path / "no-such-video.mp4")  # opening it would raise CameraError
    with pytest.raises(ConsentRequired):
        SelfieService(ctx).run(tmp_path / "missing.jpg", missing_camera)
    assert SelfieService(ctx).preflight().reason == "consent_required"

    accept_consent(ctx)
    locked = AppContext(settings=ctx.settings.replace(max_total_failures=1))
    AttemptPolicy(locked).record_failure()
    assert SelfieService(locked).preflight().reason == "locked_out"
    with pytest.raises(LockedOut):
        SelfieService(locked).run(tmp_path / "missing.jpg", missing_camera)
    assert list_sessions(ctx) == []

    # a live run that ends before any try (here: no camera) gives its reserved try back
    from selfverify.errors import SelfverifyError

    with pytest.raises(SelfverifyError):
        SelfieService(ctx).run(tmp_path / "missing.jpg", missing_camera)
    status = AttemptPolicy(ctx).status()
    assert (status.in_flight, status.total_failures) == (0, 1)  # the one failure recorded above, no more


def test_replay_without_liveness_is_recorded_but_counts_and_issues_nothing(ctx, settings, clip, clip_reference):
    accept_consent(ctx)
    seen = []
    outcome = SelfieService(ctx).run(clip_reference, str(clip), on_event=seen.append, liveness=False)

    assert outcome.decision.verified and outcome.decision.liveness == "skipped"
    assert outcome.credential is None and outcome.credential_error is None
    assert row_counts(ctx, CredentialRecord) == {"credential_record": 0}
    assert keyring_items(settings.keyring_service) == {}
    assert AttemptPolicy(ctx).status().total_failures == 0 and outcome.attempts.total_failures == 0

    kinds = [step["kind"] for step in timeline(ctx, outcome.session_id)]
    assert kinds[:3] == ["session_started", "preflight", "run_started"]
    assert kinds[-2:] == ["decision", "session_finished"]
    assert "match_progress" in kinds and "preview" not in kinds
    assert any(isinstance(ev, PreviewFrame) for ev in seen)  # the front end got frames; the log did not
    [session] = list_sessions(ctx)
    assert (session.outcome, session.seed is not None) == ("verified", True)

    # opt-in retention after the result: the reference file and the best frame, encrypted
    assert outcome.best_frame_available
    kept = SelfieService(ctx).retain(outcome, keep_reference=True, keep_selfie=True)
    assert sorted(p.kind for p in kept) == ["reference", "selfie"]
    assert outcome.best_frame is None  # the frame left memory once kept
    vault = PhotoVault(ctx)
    by_kind = {p.kind: p for p in kept}
    reference_bytes = clip_reference.read_bytes()
    assert vault.open(by_kind["reference"].id) == reference_bytes
    assert vault.open(by_kind["selfie"].id)[:3] == b"\xff\xd8\xff"  # a JPEG made in memory
    assert find_bytes(reference_bytes[2000:2064], ctx.paths.data_dir) == []


def test_a_live_run_that_fails_counts_one_failure_and_issues_nothing(ctx, settings, clip, faces_dir):
    accept_consent(ctx)
    held = []  # the run holds its reserved try while it runs (a parallel run cannot take it too)
    outcome = SelfieService(ctx).run(faces_dir / "obama.jpg", str(clip), liveness=True,
                                     on_event=lambda ev: held.append(AttemptPolicy(ctx).status().in_flight) if not held else None)
    assert held == [1] and AttemptPolicy(ctx).status().in_flight == 0
    assert not outcome.decision.verified and outcome.decision.reason in {"no_match", "not_live", "timed_out"}
    assert outcome.credential is None
    assert outcome.attempts.total_failures == 1 and outcome.attempts.tries_left_before_wait == 4
    assert AttemptPolicy(ctx).status().consecutive_failures == 1
    assert keyring_items(settings.keyring_service) == {}
    [session] = list_sessions(ctx)
    assert session.outcome == "rejected"


def test_liveness_off_is_refused_at_a_camera_device_for_every_front_end(ctx, faces_dir, monkeypatch):
    """The rule lives in the core run, so the app and the accessible mode (both via SelfieService) get it too."""
    from selfverify.errors import InputError
    from tests.functional.test_verify_cli import fake_webcam_sources

    webcams = fake_webcam_sources(monkeypatch)
    accept_consent(ctx)
    with pytest.raises(InputError) as info:
        SelfieService(ctx).run(faces_dir / "obama.jpg", "/dev/video0", liveness=False, realtime=True)
    assert info.value.exit_code == 2 and "replay a recording" in info.value.user_message
    assert webcams == []  # refused before the camera was opened, so no session started either
    assert list_sessions(ctx) == []
    assert AttemptPolicy(ctx).status().total_failures == 0
