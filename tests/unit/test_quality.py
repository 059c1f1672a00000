"""Quality guidance: measurements on synthetic frames and the order of the advice."""

from __future__ import annotations

import pytest

from selfverify.core.quality import MESSAGES, FrameQuality, guidance_for, measure

GOOD = FrameQuality(face_count=1, face_fraction=0.3, brightness=120, surround_brightness=110, sharpness=200, yaw=2)


def face_frame(brightness=120, background=110, texture=60, size=(640, 480)):
    """A gray frame with a textured square 'face' in the middle."""
    import numpy as np

    rng = np.random.default_rng(1)
    frame = np.full((size[1], size[0]), background, dtype=np.float32)
    frame[140:340, 220:420] = brightness + rng.normal(0, texture, (200, 200))
    return np.clip(frame, 0, 255).astype(np.uint8), (140, 420, 340, 220)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"face_count": 0}, "no_face"),
        ({"face_count": 2}, "too_many_faces"),
        ({"face_fraction": 0.05}, "move_closer"),
        ({"face_fraction": 0.9}, "move_back"),
        ({"offset_x": 0.4}, "centre"),
        ({"offset_y": 0.3}, "centre"),
        ({"outside": 0.4}, "centre"),
        ({"brightness": 30, "surround_brightness": 35}, "too_dark"),
        ({"brightness": 30, "surround_brightness": 200}, "backlit"),
        ({"brightness": 240}, "too_bright"),
        ({"sharpness": 5}, "blurry"),
        ({"yaw": 25}, "look_straight"),
        ({}, "ok"),
    ],
)
def test_each_problem_gets_its_code_and_sentence(plain_settings, change, code):
    from dataclasses import replace

    guidance = guidance_for(replace(GOOD, **change), plain_settings)
    assert guidance.code == code and guidance.message == (MESSAGES.get(code) or guidance.message)
    assert guidance.ok is (code == "ok")


def test_the_most_basic_problem_wins(plain_settings):
    everything_wrong = FrameQuality(face_count=2, face_fraction=0.01, brightness=5, sharpness=0, yaw=40)
    assert guidance_for(everything_wrong, plain_settings).code == "too_many_faces"


def test_centring_says_which_way_in_the_persons_own_terms(plain_settings):
    from dataclasses import replace

    # the face on the image's right: the person stands too far to their own left
    assert guidance_for(replace(GOOD, offset_x=0.4), plain_settings).message.endswith("to your right")
    assert guidance_for(replace(GOOD, offset_x=-0.4), plain_settings).message.endswith("to your left")
    assert guidance_for(replace(GOOD, offset_y=0.4), plain_settings).message.endswith("up")
    # a face a little above the centre is how head-and-shoulders pictures look
    assert guidance_for(replace(GOOD, offset_y=-0.3), plain_settings).ok


def test_frontal_advice_is_not_given_while_a_turn_is_asked_for(plain_settings):
    from dataclasses import replace

    assert guidance_for(replace(GOOD, yaw=30), plain_settings, ask_frontal=False).ok


def test_thresholds_come_from_settings(plain_settings):
    from dataclasses import replace

    assert guidance_for(replace(GOOD, face_fraction=0.2), plain_settings.replace(min_face_fraction=0.25)).code == "move_closer"
    assert guidance_for(replace(GOOD, brightness=90), plain_settings.replace(min_brightness=100)).code == "too_dark"
    assert guidance_for(replace(GOOD, sharpness=100), plain_settings.replace(min_sharpness=150)).code == "blurry"


def test_measure_reads_size_position_light_and_sharpness():
    import cv2

    gray, box = face_frame()
    quality = measure(gray, box, 1)
    assert quality.face_fraction == pytest.approx(200 / 640)
    assert quality.offset_x == pytest.approx(0.0) and quality.offset_y == pytest.approx(-0.0, abs=0.01)
    assert quality.brightness == pytest.approx(120, abs=5) and quality.surround_brightness < quality.brightness
    blurred = measure(cv2.GaussianBlur(gray, (0, 0), 6), box, 1)
    assert blurred.sharpness < quality.sharpness / 10
    dark, _ = face_frame(brightness=25, background=230, texture=5)
    assert measure(dark, box, 1).brightness < 40 and measure(dark, box, 1).surround_brightness > 150


def test_measure_handles_a_face_partly_outside_the_frame():
    gray, _ = face_frame()
    quality = measure(gray, (-100, 200, 100, 0), 1)  # the top half is above the picture
    assert quality.outside == pytest.approx(0.5)
    assert measure(gray, None, 0) == FrameQuality(face_count=0)


def test_good_only_with_the_face_inside_the_drawn_oval(plain_settings):
    """Issue 17: the face box sat outside the oval while the screen said "Good: hold still". The
    oval the front ends draw (FaceGuide) is the region the check accepts."""
    from dataclasses import replace

    from selfverify.core.quality import FaceGuide

    guide = FaceGuide.for_settings(plain_settings)
    # inside the old centring rectangle (offsets within the tolerance), but the box pokes out of the oval
    corner = replace(GOOD, face_fraction=0.2, face_height_fraction=0.3, offset_x=0.24, offset_y=-0.39)
    assert not guide.holds(0.74, 0.11, 0.1, 0.15)
    assert guidance_for(corner, plain_settings).code == "centre"
    assert guidance_for(corner, plain_settings).message.endswith("down")  # toward the oval's middle
    # the same face in the oval's middle is good; one too big for the oval is told to move back
    middle = replace(corner, offset_x=0.0, offset_y=guide.cy - 0.5)
    assert guidance_for(middle, plain_settings).code == "ok"
    assert guidance_for(replace(middle, face_fraction=0.6, face_height_fraction=0.95), plain_settings).code == "move_back"
    # the oval is inside the picture: all of it can be seen
    assert guide.cy - guide.ry >= 0 and guide.cy + guide.ry <= 1 and guide.cx - guide.rx >= 0
