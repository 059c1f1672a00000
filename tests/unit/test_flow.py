"""The selfie run as a state machine: timelines, determinism, deadlines in frame time, cancel,
a lost camera, and liveness passing or failing for the right reason on real video."""

from __future__ import annotations

import threading

import pytest

from selfverify.core.clock import FakeClock
from selfverify.core.camera import CameraDeviceSource, open_source
from selfverify.core.flow import SelfieRun
from selfverify.core.liveness import draw_challenge
from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame, jittered_still_video
from tests.unit.test_camera import FakeWebcam

TURN_RIGHT_SEED = 5  # one-step challenge: turn_right
BLINK_FIRST_SEED = 2  # challenges that start with a blink


def blank_reference():
    import numpy as np

    from selfverify.core.faces import Reference

    return Reference(name="blank", image_size=(1, 1), face_box=(0, 1, 1, 0), encoding=np.zeros(128))


def kinds(events):
    return [e.kind for e in events]


@pytest.fixture(scope="module")
def stage_reference(tmp_path_factory):
    from selfverify.core.faces import load_reference
    from tests.conftest import FACES

    if not (FACES / "stage_clip.mp4").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    return load_reference(extract_frame(FACES / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path_factory.mktemp("s") / "s.png"))


@pytest.fixture(scope="module")
def still_replay(tmp_path_factory):
    from tests.conftest import FACES

    if not (FACES / "obama.jpg").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    return jittered_still_video(FACES / "obama.jpg", tmp_path_factory.mktemp("v") / "still.mp4", seconds=3.0, seed=5)


def test_no_face_ends_at_the_overall_deadline_in_frame_time(plain_settings, tmp_path):
    from PIL import Image

    Image.new("RGB", (320, 240), (120, 120, 120)).save(tmp_path / "wall.png")
    settings = plain_settings.replace(verify_timeout=1.0, liveness=True, seed=1)
    clock = FakeClock()  # never advances: the deadline must come from the frames' timestamps
    result = SelfieRun(settings, blank_reference(), open_source(str(tmp_path / "wall.png")), clock=clock).run()
    decision = result.decision
    assert (decision.verified, decision.reason, decision.liveness, decision.distance) == (False, "no_face", "failed", None)
    assert result.frames_analysed == 16 and result.best_frame is None  # frames at 0, 1/15, ... 1.0 s
    assert kinds(result.events) == ["run_started", "challenge_issued", "guidance", "decision"]
    assert result.events[2].code == "no_face" and result.steps == draw_challenge(1, settings.challenge_steps)


def test_a_camera_lost_mid_run_becomes_an_event_and_the_device_is_released(plain_settings, monkeypatch):
    from selfverify.core import camera

    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 0.2)
    webcam = FakeWebcam(good=4)
    source = CameraDeviceSource(0, capture_factory=lambda target: webcam)
    result = SelfieRun(plain_settings.replace(seed=1), blank_reference(), source).run()
    assert kinds(result.events)[-2:] == ["camera_lost", "decision"]
    assert result.decision.reason == "camera_lost" and "unplugged" in result.events[-2].message
    source._reader._thread.join(2.0)
    assert webcam.released


def test_liveness_off_is_refused_on_a_camera_device_before_any_frame_is_analysed(plain_settings):
    """Liveness off is for replaying recordings; at a live camera it would accept a photo."""
    from selfverify.errors import InputError

    webcam = FakeWebcam(good=100)
    source = CameraDeviceSource(0, capture_factory=lambda target: webcam)
    seen = []
    run = SelfieRun(plain_settings.replace(liveness=False), blank_reference(), source, on_event=seen.append)
    with pytest.raises(InputError) as info:
        run.run()
    error = info.value
    assert (error.exit_code, error.code) == (2, "liveness_off_with_camera")
    assert "only be turned off to replay a recording" in error.user_message and "/dev/video0" in error.user_message
    assert kinds(seen) == ["error"] and webcam.reads == 1  # only the frame read when the device opened
    assert webcam.released and source.read() is None


def test_cancel_ends_the_run_promptly_and_releases_the_source(plain_settings, tmp_path):
    from PIL import Image

    Image.new("RGB", (320, 240), (120, 120, 120)).save(tmp_path / "wall.png")
    cancel = threading.Event()
    previews = []

    def on_event(event):
        if event.kind == "preview":
            previews.append(event)
            if len(previews) == 5:
                cancel.set()

    source = open_source(str(tmp_path / "wall.png"))
    settings = plain_settings.replace(verify_timeout=0, challenge_timeout=0)
    result = SelfieRun(settings, blank_reference(), source, on_event=on_event, cancel=cancel).run()
    assert result.decision.reason == "cancelled" and result.frames_analysed == 5
    assert source.read() is None  # released
    assert "preview" not in kinds(result.events)  # previews go to the front end, never into the timeline


def test_a_replay_gives_the_same_timeline_every_time(plain_settings, still_replay, faces_dir):
    from selfverify.core.faces import load_reference

    reference = load_reference(faces_dir / "obama2.jpg")
    settings = plain_settings.replace(seed=3, challenge_timeout=1.0)
    timelines = []
    for _ in range(2):
        result = SelfieRun(settings, reference, open_source(str(still_replay))).run()
        timelines.append([{k: v for k, v in e.to_timeline().items() if k != "t"} for e in result.events])
    assert timelines[0] == timelines[1]
    guidance = [e for e in timelines[0] if e["kind"] == "guidance"]
    assert all(a != b for a, b in zip(guidance, guidance[1:]))  # emitted only on change


def test_a_photo_replay_fails_liveness_because_nothing_moved(plain_settings, still_replay, faces_dir):
    """The face is found, matches (same person) and the step starts; it then times out."""
    from selfverify.core.faces import load_reference

    settings = plain_settings.replace(seed=BLINK_FIRST_SEED, challenge_timeout=2.0)
    assert draw_challenge(BLINK_FIRST_SEED, settings.challenge_steps)[0] == "blink"
    previews = []
    result = SelfieRun(settings, load_reference(faces_dir / "obama2.jpg"), open_source(str(still_replay)),
                       on_event=lambda e: e.kind == "preview" and previews.append(e.face_box)).run()
    steps = [(e.step, e.status) for e in result.events if e.kind == "challenge_step"]
    assert steps == [("blink", "started"), ("blink", "timed_out")]
    progress = [e for e in result.events if e.kind == "match_progress"]
    assert progress[-1].good_frames == settings.decision_frames
    decision = result.decision
    assert (decision.reason, decision.liveness, decision.can_issue_credential) == ("not_live", "failed", False)
    assert decision.distance < settings.tolerance  # it *is* the same person: only liveness failed
    assert sum(box is not None for box in previews) > 0.9 * len(previews)


def test_replay_of_person_s_matches_with_liveness_skipped(plain_settings, stage_reference, faces_dir):
    settings = plain_settings.replace(liveness=False)
    result = SelfieRun(settings, stage_reference, open_source(str(faces_dir / "stage_clip.mp4"))).run()
    decision = result.decision
    assert decision.verified and decision.liveness == "skipped" and not decision.can_issue_credential
    assert decision.frames_used == settings.decision_frames and decision.distance <= settings.tolerance
    assert result.best_frame is not None and result.best_frame.shape == (360, 640, 3)


def test_a_replayed_clip_answering_its_chosen_challenge_passes_but_never_earns(plain_settings, stage_reference, faces_dir):
    """Person S turns to his right in the clip, and seed 5 asks exactly that: the file answers the
    challenge (liveness passes, the face matches), but a file is a recording and the seed was chosen,
    so the decision can never earn a credential (it once could: issue 10)."""
    assert draw_challenge(TURN_RIGHT_SEED, 1) == ("turn_right",)
    settings = plain_settings.replace(seed=TURN_RIGHT_SEED, challenge_steps=1, challenge_timeout=5.0)
    result = SelfieRun(settings, stage_reference, open_source(str(faces_dir / "stage_clip.mp4"))).run()
    steps = [(e.step, e.status) for e in result.events if e.kind == "challenge_step"]
    assert steps == [("turn_right", "started"), ("turn_right", "passed")]
    decision = result.decision
    assert decision.verified and decision.liveness == "passed" and not decision.live_source
    assert not decision.can_issue_credential and result.events[0].live_source is False


def test_a_real_head_turn_at_a_camera_device_earns(plain_settings, stage_reference, faces_dir):
    """The same frames from a camera device, under a challenge the run drew itself: this may earn."""
    from tests.live_camera import live_camera

    settings = plain_settings.replace(challenge_timeout=5.0)
    with live_camera(faces_dir / "stage_clip.mp4") as device:
        result = SelfieRun(settings, stage_reference, open_source("0")).run()
    assert device.opened and result.seed is not None
    checked = [e for e in result.events if e.kind == "camera_check"]
    assert [(e.verdict, e.driver) for e in checked] == [("physical", "uvcvideo")]
    decision = result.decision
    assert decision.verified and decision.liveness == "passed" and decision.live_source and decision.can_issue_credential


@pytest.mark.parametrize("why", ["virtual", "chosen_seed", "replay"])
def test_the_same_turn_never_earns_from_a_virtual_camera_a_chosen_seed_or_a_replay(plain_settings, stage_reference, faces_dir, why):
    from tests.live_camera import LOOPBACK, UVC_WEBCAM, live_camera

    settings = plain_settings.replace(challenge_timeout=5.0, seed=TURN_RIGHT_SEED if why != "virtual" else None)
    with live_camera(faces_dir / "stage_clip.mp4", identity=LOOPBACK if why == "virtual" else UVC_WEBCAM):
        result = SelfieRun(settings, stage_reference, open_source("/dev/video0"), replay=why == "replay").run()
    decision = result.decision
    assert decision.verified and decision.liveness == "passed"  # the face did everything asked
    assert not decision.live_source and not decision.can_issue_credential and decision.replay == (why == "replay")
    if why == "virtual":
        check = next(e for e in result.events if e.kind == "camera_check")
        assert check.verdict == "virtual" and "v4l2 loopback" in check.reason


@pytest.fixture(scope="module")
def obama_reference():
    from selfverify.core.faces import load_reference
    from tests.conftest import FACES

    if not (FACES / "obama.jpg").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    return load_reference(FACES / "obama.jpg")


@pytest.mark.parametrize(
    ("photo", "seed", "guidance"),
    [
        ("obama2.jpg", BLINK_FIRST_SEED, "look_straight"),  # blink first: the turned face is asked to look straight
        ("obama4.jpg", 5, "ok"),  # a turn first: the turned face looks good, but is never frontal
    ],
)
def test_a_turned_photo_held_up_is_not_live_not_no_face(plain_settings, obama_reference, faces_dir, photo, seed, guidance):
    """The photo's face is never frontal enough to be matched, so the challenge never starts; a
    face was there all along, so the run is a failed liveness check (a counted try), not "no face"."""
    settings = plain_settings.replace(seed=seed, verify_timeout=1.0)
    result = SelfieRun(settings, obama_reference, open_source(str(faces_dir / photo))).run()
    assert [e.code for e in result.events if e.kind == "guidance"] == [guidance]
    assert not [e for e in result.events if e.kind in ("challenge_step", "match_progress")]
    decision = result.decision
    assert (decision.reason, decision.liveness, decision.frames_used, decision.distance) == ("not_live", "failed", 0, None)


def test_a_recording_of_a_turned_face_without_liveness_is_still_no_face(plain_settings, obama_reference, faces_dir, tmp_path):
    """Without a challenge nothing is \"not live\": a face never frontal enough to match is no usable face."""
    import cv2

    frames = tmp_path / "frames"
    frames.mkdir()
    for index in range(6):
        cv2.imwrite(str(frames / f"f{index}.png"), cv2.imread(str(faces_dir / "obama2.jpg")))
    result = SelfieRun(plain_settings.replace(liveness=False), obama_reference, open_source(str(frames))).run()
    assert (result.decision.reason, result.decision.liveness, result.frames_analysed) == ("no_face", "skipped", 6)


def test_every_face_that_passed_a_step_must_match_on_its_own(plain_settings, stage_reference, faces_dir):
    """Rule (a) on real faces: person S's frames match the reference, person O's face passed the other
    step. Pooled, the best distances are S's and pass; only the per-face rule refuses the run. (End to
    end this needs real footage of a second person answering a step, which ../shared/faces lacks: a
    photo-swap "turn" no longer passes the 3D turn check, see tests/functional/test_live_rules.py.)"""
    import cv2

    from selfverify.core.camera import open_source
    from selfverify.core.faces import detect_faces, encode_face
    from selfverify.core.flow import _TrackEvidence
    from selfverify.core.liveness import ChallengeSequence

    def distances(frames):
        out = []
        for bgr in frames:
            box = detect_faces(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), 1)[0]
            out.append(stage_reference.distance(encode_face(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), box)))
        return out

    capture = cv2.VideoCapture(str(faces_dir / "stage_clip.mp4"))
    s_frames = []
    for index in (100, 110, 150):
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        s_frames.append(capture.read()[1])
    capture.release()
    o_frames = [cv2.imread(str(faces_dir / name)) for name in ("obama.jpg", "obama2.jpg", "obama4.jpg")]
    run = SelfieRun(plain_settings, stage_reference, open_source(str(faces_dir / "obama.jpg")))
    run._tracks = {1: _TrackEvidence(distances=distances(s_frames)), 2: _TrackEvidence(distances=distances(o_frames))}
    run._challenge = ChallengeSequence(("turn_right", "turn_left"), step_timeout=0, turn_degrees=15, blink_drop=0.25)
    run._challenge.passed_tracks = [1, 2]
    assert max(run._tracks[1].distances) <= run.tolerance < min(run._tracks[2].distances)
    decision = run._decide_match([1, 2])
    assert decision.reason == "no_match" and not decision.verified
    assert decision.distance <= decision.tolerance  # the pooled best frames alone would have passed
