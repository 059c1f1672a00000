"""Telling a virtual camera from a real one, on the bytes a Linux driver answers to VIDIOC_QUERYCAP
(built here: there is no /dev/video on this machine) and on its sysfs name."""

from __future__ import annotations

import pytest

from selfverify.core.camera import V4L2_CAP_VIDEO_CAPTURE, V4L2_CAP_VIDEO_M2M, classify_camera, inspect_device
from tests.live_camera import CAP_STREAMING, LOOPBACK, UVC_WEBCAM, querycap


def test_a_usb_webcam_is_physical():
    identity = classify_camera(UVC_WEBCAM, "Integrated Camera: Integrated C\n")
    assert (identity.verdict, identity.driver, identity.bus_info) == ("physical", "uvcvideo", "usb-0000:00:14.0-5")
    assert identity.as_dict()["capabilities"] == f"0x{V4L2_CAP_VIDEO_CAPTURE | CAP_STREAMING:08x}"


@pytest.mark.parametrize(("cap", "sysfs", "why"), [
    (LOOPBACK, "Dummy video device (0x0000)", "v4l2 loopback"),
    # v4l2loopback with exclusive_caps=1 and a chosen label: only capture, but the driver still says it
    (querycap("v4l2 loopback", "Logitech C920", "platform:v4l2loopback-000", V4L2_CAP_VIDEO_CAPTURE), "Logitech C920", "v4l2 loopback"),
    # a renamed driver with the loopback's bus
    (querycap("uvcvideo", "HD Webcam", "platform:v4l2loopback-003", V4L2_CAP_VIDEO_CAPTURE), "HD Webcam", "uvcvideo"),
    (querycap("vivid", "vivid", "platform:vivid-000", V4L2_CAP_VIDEO_CAPTURE), "vivid", "vivid"),
    (querycap("uvcvideo", "OBS Virtual Camera", "usb-x", V4L2_CAP_VIDEO_CAPTURE), "OBS Virtual Camera", "OBS Virtual Camera"),
    (querycap("uvcvideo", "HD Webcam", "usb-x", V4L2_CAP_VIDEO_CAPTURE), "OBS Virtual Camera", "OBS Virtual Camera"),
    (querycap("mystery", "Cam", "platform:x", V4L2_CAP_VIDEO_M2M), "Cam", "takes and gives"),
    (querycap("mystery", "Cam", "platform:x", CAP_STREAMING), "Cam", "does not capture"),
])
def test_virtual_cameras_are_told_by_driver_bus_name_or_capabilities(cap, sysfs, why):
    identity = classify_camera(cap, sysfs)
    assert identity.verdict == "virtual" and why in identity.reason


def test_what_cannot_be_told_is_unknown_never_physical():
    assert classify_camera(None, None).verdict == "unknown"
    assert classify_camera(UVC_WEBCAM[:60], "Integrated Camera").verdict == "unknown"  # a truncated answer
    assert classify_camera(None, "v4l2loopback device").verdict == "virtual"  # the name alone can still tell
    assert inspect_device("/dev/video-none").verdict == "unknown"  # no such node: nothing to ask


def test_a_video_file_under_dev_is_not_a_camera(tmp_path):
    """``/dev/...`` specs open as devices, and /dev/shm is writable by anyone: a file there is a recording."""
    import uuid
    from pathlib import Path

    import cv2
    import numpy as np

    from selfverify.core.camera import open_source

    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm on this system")
    path = shm / f"selfverify-test-{uuid.uuid4().hex[:8]}.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (64, 48))
    for shade in range(5):
        writer.write(np.full((48, 64, 3), 40 * shade, np.uint8))
    writer.release()
    try:
        with open_source(str(path)) as source:
            assert source.kind == "camera" and source.read() is not None  # OpenCV does open it as a "device"
            assert not source.is_live_camera and source.identity.verdict == "virtual"
            assert "a file" in source.identity.reason
    finally:
        path.unlink()
