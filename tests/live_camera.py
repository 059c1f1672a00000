"""The tests' camera device: a fake webcam sending real frames (the stage clip, optionally composed
with real photos), installed in-process with ``inject_test_camera``, and the VIDIOC_QUERYCAP bytes a
real or a virtual driver would answer. ``python -m tests.live_camera ARGS`` runs the CLI with it
(for pexpect), which is the only way a subprocess reaches it: no flag, env or config does."""

from __future__ import annotations

import contextlib
import struct
import sys
from pathlib import Path
from typing import Callable

from selfverify.core.camera import (
    V4L2_CAP_DEVICE_CAPS,
    V4L2_CAP_VIDEO_CAPTURE,
    V4L2_CAP_VIDEO_OUTPUT,
    InjectedTestCamera,
    inject_test_camera,
)

TURN_FRAMES = (85, 211)  # person S turns his head to his right in these frames of the stage clip
CAP_STREAMING = 0x04000000


def querycap(driver: str, card: str, bus_info: str, caps: int) -> bytes:
    """struct v4l2_capability as the kernel fills it: three NUL-padded strings, then version, capabilities, device_caps."""
    return struct.pack("<16s32s32sIII12x", driver.encode(), card.encode(), bus_info.encode(), 0x060800,
                       caps | V4L2_CAP_DEVICE_CAPS, caps)


UVC_WEBCAM = querycap("uvcvideo", "Integrated Camera: Integrated C", "usb-0000:00:14.0-5", V4L2_CAP_VIDEO_CAPTURE | CAP_STREAMING)
LOOPBACK = querycap("v4l2 loopback", "Dummy video device (0x0000)", "platform:v4l2loopback-000",
                    V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT | CAP_STREAMING)


class ClipWebcam:
    """Stands in for a physical webcam (the only thing tests may fake): reads real frames of
    ``video`` in ``frames`` [start, stop), each passed through ``compose`` (index, frame) if given,
    then fails to read, as an unplugged webcam does through OpenCV."""

    def __init__(self, video: Path, frames: tuple[int, int], compose: Callable | None = None):
        import cv2

        self._capture = cv2.VideoCapture(str(video))
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, frames[0])
        self.index, self.stop, self.compose = frames[0], frames[1], compose
        self.released = False

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self._capture.isOpened()

    def read(self):
        if self.index >= self.stop or self.released:
            return False, None
        ok, frame = self._capture.read()
        if not ok:
            return False, None
        if self.compose is not None:
            frame = self.compose(self.index, frame)
        self.index += 1
        return True, frame

    def get(self, prop):
        return self._capture.get(prop)

    def release(self):
        self.released = True
        self._capture.release()


@contextlib.contextmanager
def live_camera(video: Path, frames: tuple[int, int] = TURN_FRAMES, *, steps=("turn_right",), compose=None,
                identity: bytes | None = UVC_WEBCAM):
    """``--camera 0`` (or any /dev/video path) opens a ClipWebcam for as long as this is active."""
    device = InjectedTestCamera(lambda _target: ClipWebcam(video, frames, compose),
                                querycap=identity, steps=tuple(steps))
    inject_test_camera(device)
    try:
        yield device
    finally:
        inject_test_camera(None)


def main(argv: list[str]) -> int:
    """``python -m tests.live_camera SCENARIO -- selfverify args``: the CLI with the device injected."""
    name, separator, *args = argv
    assert separator == "--"
    from selfverify.cli import main as cli_main
    from tests.conftest import FACES

    with live_camera(FACES / "stage_clip.mp4", **scenario(name, FACES)):
        try:
            cli_main(args)
        except SystemExit as exit_:
            return int(exit_.code or 0)
    return 0




def photo_frame(photo: Path, *, mirror: bool = False, size: tuple[int, int] = (640, 360), face_height: int = 360):
    """A real photo as a camera frame: scaled to ``face_height`` pixels high, centred on grey."""
    import cv2
    import numpy as np

    image = cv2.imread(str(photo))
    if mirror:
        image = cv2.flip(image, 1)
    scale = face_height / image.shape[0]
    image = cv2.resize(image, (max(1, round(image.shape[1] * scale)), face_height), interpolation=cv2.INTER_AREA)
    width, height = size
    canvas = np.full((height, width, 3), 90, np.uint8)
    shown = image[:, : min(width, image.shape[1])]
    left, top = (width - shown.shape[1]) // 2, (height - face_height) // 2
    canvas[top: top + face_height, left: left + shown.shape[1]] = shown
    return canvas


def then_photos(after: int, photos: list):
    """A ``compose`` that keeps the clip's frames before index ``after``, then shows ``photos`` (one frame each)."""

    def compose(index: int, frame):
        return frame if index < after else photos[min(index - after, len(photos) - 1)].copy()

    return compose


def impostor_turns_left(faces: Path, frontal: int = 40, turned: int = 20) -> list:
    """Person O faces the camera, then turns to his left (obama.jpg, then obama2.jpg mirrored: yaw +20 degrees)."""
    return [photo_frame(faces / "obama.jpg")] * frontal + [photo_frame(faces / "obama2.jpg", mirror=True)] * turned


def second_face_from(first: int, photo: Path, face_px: int = 110):
    """A ``compose`` that puts a second real face (cut from ``photo``, its face ``face_px`` wide, about
    as big as person S's) at the frame's right edge from index ``first`` on."""
    import cv2

    from selfverify.core.faces import detect_faces

    image = cv2.imread(str(photo))
    top, right, bottom, left = detect_faces(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 0)[0]
    scale = face_px / (right - left)
    margin = (right - left) // 2
    cut = image[max(0, top - margin): bottom + margin, max(0, left - margin): right + margin]
    face = cv2.resize(cut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    def compose(index: int, frame):
        if index >= first:
            frame = frame.copy()
            height, width = min(face.shape[0], frame.shape[0]), min(face.shape[1], frame.shape[1])
            frame[:height, frame.shape[1] - width:] = face[:height, :width]
        return frame

    return compose


SECOND_FACE_AT = 95  # person S's turn-right step starts at frame 94 and passes at 103 when alone
IMPOSTOR_FROM = 125  # S has turned right by then, and has not yet turned left


def at_camera_speed(fps: float = 29.97):
    """A ``compose`` that hands each frame over no sooner than a webcam would: frame i at i/fps seconds
    after the first (a slower reader still gets every frame, as the deterministic test camera does)."""
    import time

    start: dict[str, float] = {}

    def compose(index: int, frame):
        first = start.setdefault("t", time.monotonic())
        start.setdefault("index", index)
        wait = first + (index - start["index"]) / fps - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return frame

    return compose


def scenario(name: str, faces: Path) -> dict:
    """The live_camera arguments of each case the rules are tested on, all with person S as the reference:
    live: S turns right (one step) and matches (live_at_camera_speed: at 29.97 frames a second); second_face: person O's face enters during that step;
    impostor_step: S turns right, then O (not S) does the second step, turning left."""
    if name == "live":
        return {"frames": TURN_FRAMES, "steps": ("turn_right",)}
    if name == "live_at_camera_speed":  # the same, at 29.97 frames a second (speech measurements)
        return {"frames": TURN_FRAMES, "steps": ("turn_right",), "compose": at_camera_speed()}
    if name == "second_face":
        return {"frames": TURN_FRAMES, "steps": ("turn_right",), "compose": second_face_from(SECOND_FACE_AT, faces / "obama.jpg")}
    if name == "impostor_step":
        photos = impostor_turns_left(faces)
        return {"frames": (TURN_FRAMES[0], IMPOSTOR_FROM + len(photos)), "steps": ("turn_right", "turn_left"),
                "compose": then_photos(IMPOSTOR_FROM, photos)}
    raise ValueError(name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
