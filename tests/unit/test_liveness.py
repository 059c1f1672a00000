"""Liveness: seeded challenges, EAR and yaw geometry, blink and turn detectors on synthetic
trajectories and on real landmark sequences (the stage clip; a jittered still photo)."""

from __future__ import annotations

import math

import pytest

from selfverify.core.liveness import (
    STEPS,
    BlinkDetector,
    ChallengeSequence,
    LivenessSample,
    TurnDetector,
    draw_challenge,
    eyes_aspect_ratio,
    head_yaw,
)
from tests.face_media import analysed_samples, jittered_still_video

FPS = 30.0


# -- seeded challenges -------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_steps():
    assert draw_challenge(42, 3) == draw_challenge(42, 3)
    assert len({draw_challenge(seed, 3) for seed in range(40)}) > 6
    for seed in range(200):
        steps = draw_challenge(seed, 3)
        assert len(steps) == 3 and set(steps) <= set(STEPS)
        assert all(a != b for a, b in zip(steps, steps[1:]))  # never the same step twice in a row
    assert {draw_challenge(seed, 1)[0] for seed in range(50)} == set(STEPS)


# -- geometry ----------------------------------------------------------------------------------
def synthetic_landmarks(eye_open=0.3, nose_shift=0.0):
    """68 points with realistic eye corners and a nose tip; other points do not matter here."""
    import numpy as np

    points = np.zeros((68, 2), dtype=np.float32)
    for start, cx in ((36, 80.0), (42, 120.0)):  # eyes 20 px wide; outer corners 60 px apart
        half_w, half_h = 10.0, 10.0 * eye_open
        points[start : start + 6] = [
            (cx - half_w, 100), (cx - 4, 100 - half_h), (cx + 4, 100 - half_h),
            (cx + half_w, 100), (cx + 4, 100 + half_h), (cx - 4, 100 + half_h),
        ]
    points[30] = (100 + nose_shift, 130)
    return points


def transformed(points, scale=1.0, angle_deg=0.0, shift=(0, 0), squash_x=1.0):
    import numpy as np

    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=np.float32)
    out = (points * [squash_x, 1.0]) @ rot.T * scale + shift
    return out.astype(np.float32)


def test_eye_aspect_ratio_follows_eye_opening():
    assert eyes_aspect_ratio(synthetic_landmarks(0.3)) == pytest.approx(0.3, abs=1e-6)
    assert eyes_aspect_ratio(synthetic_landmarks(0.05)) < eyes_aspect_ratio(synthetic_landmarks(0.3)) / 4


def test_yaw_sign_and_size():
    assert head_yaw(synthetic_landmarks()) == pytest.approx(0.0, abs=1e-6)
    # the nose towards the image's right: the person turned to their own left
    left = head_yaw(synthetic_landmarks(nose_shift=10))
    assert left > 0 and head_yaw(synthetic_landmarks(nose_shift=-10)) == pytest.approx(-left)
    assert 15 < left < 25  # 10 px of a 60 px eye span is about a 20 degree turn


def test_moving_a_flat_photo_does_not_change_yaw_or_eye_ratio():
    """Shift, zoom, in-plane rotation and tilting a photo away (horizontal squash) keep both
    measures: this is why a photo waved at the camera cannot fake a turn or a blink."""
    base = synthetic_landmarks(nose_shift=3)
    for moved in (
        transformed(base, scale=1.7, shift=(40, -25)),
        transformed(base, angle_deg=12),
        transformed(base, squash_x=0.6),  # the photo turned away from the camera
    ):
        assert head_yaw(moved) == pytest.approx(head_yaw(base), abs=0.01)
    assert eyes_aspect_ratio(transformed(base, scale=0.5, angle_deg=-8)) == pytest.approx(eyes_aspect_ratio(base), abs=1e-3)


# -- blink on synthetic trajectories -----------------------------------------------------------
def feed_blink(values, drop=0.25):
    detector = BlinkDetector(drop)
    return [i for i, ear in enumerate(values) if detector.update(i / FPS, ear)]


def test_a_dip_then_recovery_is_one_blink():
    open_eyes = [0.30, 0.31, 0.29, 0.30, 0.30, 0.31, 0.30]
    assert feed_blink(open_eyes + [0.20, 0.12, 0.10, 0.18, 0.29, 0.30]) == [11]


def test_the_baseline_is_the_persons_own():
    narrow = [0.20, 0.21, 0.19, 0.20, 0.20, 0.21]
    assert feed_blink(narrow + [0.13, 0.12, 0.20]) == [8]  # 0.13 would be 'open' for wide eyes
    assert feed_blink([0.4] * 6 + [0.33, 0.32, 0.40]) == []  # a 20% dip is not enough


@pytest.mark.parametrize(
    "tail",
    [
        [0.10, 0.10, 0.10, 0.10],  # eyes close and stay closed: no recovery
        [0.12, 0.30, 0.30],  # a single-frame dip: landmark noise, not a blink
        [0.10] * 40 + [0.30],  # closed for over a second: not a blink
    ],
)
def test_what_is_not_a_blink(tail):
    assert feed_blink([0.30] * 6 + tail) == []


def test_noise_never_blinks():
    import numpy as np

    rng = np.random.default_rng(3)
    assert feed_blink(list(0.30 * (1 + rng.uniform(-0.1, 0.1, 600)))) == []


# -- turns on synthetic trajectories -----------------------------------------------------------
def feed_turn(direction, yaws, neutral=0.0, degrees=15.0):
    detector = TurnDetector(direction, neutral, degrees)
    return [i for i, yaw in enumerate(yaws) if detector.update(i / FPS, yaw)]


def test_turns_need_the_right_direction_far_enough_for_two_frames():
    sweep = [0, 5, 10, 16, 20, 22, 15, 5]
    assert feed_turn("left", sweep)[:1] == [4]
    assert feed_turn("right", sweep) == []
    assert feed_turn("right", [-y for y in sweep])[:1] == [4]
    assert feed_turn("left", [0, 30, 0, 30, 0]) == []  # single-frame spikes
    assert feed_turn("left", [0, 10, 14, 14, 10]) == []  # not far enough


def test_turns_are_relative_to_the_faces_neutral_pose():
    looking_aside = [12, 13, 20, 22, 25]
    assert feed_turn("left", looking_aside, neutral=12.0) == []
    assert feed_turn("left", [12, 20, 28, 29], neutral=12.0) == [3]


# -- the sequence ------------------------------------------------------------------------------
def samples(values, *, kind="yaw", track=1, start=0.0, ear=0.3, yaw=0.0):
    out = []
    for i, v in enumerate(values):
        t = start + i / FPS
        out.append(LivenessSample(t, track, v if kind == "ear" else ear, v if kind == "yaw" else yaw))
    return out


def run_sequence(sequence, stream):
    return [event for sample in stream for event in sequence.observe(sample.t, sample)]


def test_steps_start_once_the_face_settles_and_pass_in_order():
    sequence = ChallengeSequence(("turn_left", "blink"), step_timeout=5.0, turn_degrees=15.0, blink_drop=0.25)
    stream = samples([0, 0, 1, 0, -1]) + samples([5, 12, 18, 20, 8, 0], start=0.2)
    stream += samples([0.3, 0.3, 0.31, 0.12, 0.1, 0.3, 0.3], kind="ear", start=0.5)
    events = run_sequence(sequence, stream)
    assert [(e.step, e.status) for e in events] == [
        ("turn_left", "started"), ("turn_left", "passed"), ("blink", "started"), ("blink", "passed"),
    ]
    assert events[0].instruction == "Step 1 of 2: turn your head to your left" and events[0].deadline_s == 5.0
    assert sequence.status == "passed" and sequence.passed_tracks == [1, 1]


def test_a_step_times_out_on_its_own_deadline_even_without_a_face():
    sequence = ChallengeSequence(("blink",), step_timeout=2.0, turn_degrees=15.0, blink_drop=0.25)
    run_sequence(sequence, samples([0.3] * 6, kind="ear"))
    assert sequence.status == "running"
    assert sequence.observe(2.1, None) == []  # 2.1 s after start at t = 0.133 s: not yet
    timed_out = sequence.observe(2.2, None)
    assert [(e.status, e.step) for e in timed_out] == [("timed_out", "blink")] and sequence.status == "failed"


def test_no_deadline_when_the_timeout_is_zero():
    sequence = ChallengeSequence(("blink",), step_timeout=0, turn_degrees=15.0, blink_drop=0.25)
    events = run_sequence(sequence, samples([0.3] * 6, kind="ear"))
    assert events[0].deadline_s is None and sequence.observe(10_000.0, None) == [] and not sequence.done


def test_a_different_face_restarts_the_step_with_its_own_neutral_pose():
    sequence = ChallengeSequence(("turn_left",), step_timeout=0, turn_degrees=15.0, blink_drop=0.25)
    run_sequence(sequence, samples([0] * 6, track=1))
    # half a turn on face 1, then face 2 (already turned aside) appears: its turned pose is its neutral
    run_sequence(sequence, samples([10, 12], track=1, start=0.3) + samples([20] * 6, track=2, start=0.4))
    assert sequence.status == "running"
    events = run_sequence(sequence, samples([30, 36, 37], track=2, start=0.7))
    assert [e.status for e in events] == ["passed"] and sequence.passed_tracks == [2]


# -- real landmark sequences -------------------------------------------------------------------
@pytest.fixture(scope="module")
def stage_samples():
    from tests.conftest import FACES

    if not (FACES / "stage_clip.mp4").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    return analysed_samples(FACES / "stage_clip.mp4")


@pytest.fixture(scope="module")
def jittered_samples(tmp_path_factory):
    from tests.conftest import FACES

    if not (FACES / "obama.jpg").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    video = jittered_still_video(FACES / "obama.jpg", tmp_path_factory.mktemp("replay") / "still.mp4", seconds=5.0, seed=11)
    return analysed_samples(video)


def person_s(stage_samples, first, last):
    return [s for i, s in stage_samples if first <= i <= last]


def test_real_head_turns_in_the_stage_clip_are_detected(stage_samples, plain_settings):
    """Person S looks at the camera around frames 145-150, turns to his right around 111-140 and
    201-210 and to his left around 155-162 (checked by eye on the frames)."""
    neutral = sorted(s.yaw for s in person_s(stage_samples, 145, 150))[3]
    degrees = plain_settings.turn_degrees
    for direction, first, last in (("right", 111, 140), ("left", 151, 165), ("right", 195, 210)):
        detector = TurnDetector(direction, neutral, degrees)
        assert any(detector.update(s.t, s.yaw) for s in person_s(stage_samples, first, last)), (direction, first)
    for direction, first, last in (("left", 111, 140), ("right", 151, 165)):
        detector = TurnDetector(direction, neutral, degrees)
        assert not any(detector.update(s.t, s.yaw) for s in person_s(stage_samples, first, last)), (direction, first)


def test_a_jittered_still_photo_never_blinks_or_turns(jittered_samples, plain_settings):
    """Fails for the right reason: the measures stay far from the thresholds, not just below them."""
    assert len(jittered_samples) > 140  # the face was tracked in (nearly) every frame
    ears = [s.ear for _, s in jittered_samples]
    yaws = [s.yaw for _, s in jittered_samples]
    neutral = sorted(yaws)[len(yaws) // 2]
    assert max(abs(y - neutral) for y in yaws) < plain_settings.turn_degrees / 2
    blink = BlinkDetector(plain_settings.blink_drop)
    assert not any(blink.update(s.t, s.ear) for _, s in jittered_samples)
    median_ear = sorted(ears)[len(ears) // 2]
    deepest_two_frame_dip = 1 - min(max(a, b) for a, b in zip(ears, ears[1:])) / median_ear
    assert deepest_two_frame_dip < plain_settings.blink_drop * 0.75
    for direction in ("left", "right"):
        detector = TurnDetector(direction, neutral, plain_settings.turn_degrees)
        assert not any(detector.update(s.t, s.yaw) for _, s in jittered_samples)
