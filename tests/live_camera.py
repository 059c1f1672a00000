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
    """``python -m tests.live_camera VIDEO START:STOP STEPS -- selfverify args``: the CLI with the device injected."""
    video, span, steps, separator, *args = argv
    assert separator == "--"
    start, stop = (int(x) for x in span.split(":"))
    from selfverify.cli import main as cli_main

    with live_camera(Path(video), (start, stop), steps=tuple(steps.split(","))):
        try:
            cli_main(args)
        except SystemExit as exit_:
            return int(exit_.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
