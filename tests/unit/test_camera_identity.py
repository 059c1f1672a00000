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
    assert inspect_device("/dev/video-none").verdict == "not_camera"  # no such node: not a camera


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
        from selfverify.errors import CameraError

        assert inspect_device(str(path)).verdict == "not_camera"
        with pytest.raises(CameraError):  # never handed to a backend that would parse it
            open_source(str(path))
    finally:
        path.unlink()


# --- finding 1 of the second review: on Linux only a video4linux capture node is a camera ----------

def _pty() -> tuple[int, int, str]:
    import os
    import pty

    master, slave = pty.openpty()
    return master, slave, os.ttyname(slave)


def test_a_pseudo_terminal_is_not_a_camera_and_never_opens():
    """Any user can make /dev/pts/N and stream MJPEG into it; it used to count as a live camera."""
    import os

    from selfverify.core.camera import open_source
    from selfverify.core.camera_identity import counts_as_live
    from selfverify.errors import CameraError

    master, slave, name = _pty()
    try:
        identity = inspect_device(name)
        assert identity.verdict == "not_camera" and not counts_as_live(identity)
        with pytest.raises(CameraError) as info:
            open_source(name)
        assert "is not a camera" in info.value.user_message
    finally:
        os.close(master)
        os.close(slave)


def test_a_link_named_video_that_resolves_elsewhere_is_not_a_camera(tmp_path):
    import os

    from selfverify.core.camera_identity import v4l2_node

    master, slave, name = _pty()
    try:
        link = tmp_path / "video0"
        link.symlink_to(name)
        assert v4l2_node(str(link)).verdict == "not_camera"
        assert v4l2_node("/dev/null").verdict == "not_camera"
    finally:
        os.close(master)
        os.close(slave)


def _fake_stat(mode: int, major: int):
    import os

    real = os.stat("/dev/null")
    fields = list(real)[:10]
    fields[0] = mode
    return lambda _path: os.stat_result(fields, {"st_rdev": os.makedev(major, 3)})


def test_a_video_node_needs_the_v4l2_major_a_char_device_and_a_sysfs_entry(tmp_path):
    import stat

    from selfverify.core.camera_identity import v4l2_node

    (tmp_path / "video3").mkdir()
    char81, char5 = _fake_stat(stat.S_IFCHR | 0o660, 81), _fake_stat(stat.S_IFCHR | 0o660, 5)
    assert v4l2_node("/dev/video3", stat_of=char81, sysfs=tmp_path) == ("/dev/video3", "video3")
    wrong_major = v4l2_node("/dev/video3", stat_of=char5, sysfs=tmp_path)
    assert wrong_major.verdict == "not_camera" and "not a video4linux device" in wrong_major.reason
    unlisted = v4l2_node("/dev/video3", stat_of=char81, sysfs=tmp_path / "empty")
    assert unlisted.verdict == "not_camera" and "lists no video4linux device" in unlisted.reason
    elsewhere = v4l2_node(str(tmp_path / "mine" / "video3"), stat_of=char81, sysfs=tmp_path)
    assert elsewhere.verdict == "not_camera" and "not a /dev/video device" in elsewhere.reason
    regular = v4l2_node("/dev/video3", stat_of=_fake_stat(stat.S_IFREG | 0o644, 81), sysfs=tmp_path)
    assert regular.verdict == "not_camera" and "a file" in regular.reason


def test_a_node_whose_driver_does_not_answer_querycap_is_not_a_camera(monkeypatch):
    """Even past the node checks, a device with no VIDIOC_QUERYCAP answer (a pty answers ENOTTY) is not live."""
    import os

    from selfverify.core import camera_identity
    from selfverify.core.camera_identity import counts_as_live

    master, slave, name = _pty()
    try:
        monkeypatch.setattr(camera_identity, "v4l2_node", lambda _path: (name, "video0"))
        identity = inspect_device("/dev/video0")
        assert identity.verdict == "not_camera" and "VIDIOC_QUERYCAP" in identity.reason
        assert not counts_as_live(identity)
    finally:
        os.close(master)
        os.close(slave)


def test_unknown_is_live_only_where_the_platform_cannot_tell(monkeypatch):
    from selfverify.core import camera_identity
    from selfverify.core.camera_identity import counts_as_live

    assert counts_as_live(classify_camera(UVC_WEBCAM, "Integrated Camera"))
    assert not counts_as_live(classify_camera(LOOPBACK, "Dummy video device"))
    monkeypatch.setattr(camera_identity.sys, "platform", "linux")
    assert not counts_as_live(classify_camera(None, None))
    monkeypatch.setattr(camera_identity.sys, "platform", "darwin")
    assert counts_as_live(classify_camera(None, None))


def test_a_device_opens_through_the_v4l2_backend_only(monkeypatch, tmp_path):
    """No FFmpeg: whatever a node streams is never parsed as a container."""
    import cv2

    from selfverify.core import camera as camera_module
    from selfverify.core.camera_identity import CameraIdentity

    opened = []

    class Capture:
        def __init__(self, *args):
            opened.append(args)

        def isOpened(self):  # noqa: N802 - OpenCV's name
            return False

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", Capture)
    monkeypatch.setattr(camera_module.os.path, "exists", lambda _p: True)
    monkeypatch.setattr(camera_module, "inspect_device", lambda _p: CameraIdentity("physical", "test"))
    from selfverify.errors import CameraError

    with pytest.raises(CameraError):
        camera_module.CameraDeviceSource("/dev/video4")
    assert opened == [(4, cv2.CAP_V4L2)]
