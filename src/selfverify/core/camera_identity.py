"""Which camera devices this computer has, and whether one is a real camera: a device's driver
(VIDIOC_QUERYCAP) and name tell a sensor from a virtual camera (v4l2loopback, OBS and the like),
which ``FrameSource.is_live_camera`` treats as a recording. Found without opening a device on Linux.
"""

from __future__ import annotations

import glob as globbing
import os
import re
import stat
import sys
import threading
from pathlib import Path
from typing import Any, Callable

from selfverify.i18n import _


def natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_cameras() -> list[str]:
    """Camera devices on this computer, found without opening them on Linux (never blocks there)."""
    if sys.platform.startswith("linux"):
        found = []
        for node in sorted(globbing.glob("/dev/video*"), key=lambda p: natural_key(Path(p))):
            try:
                if not stat.S_ISCHR(os.stat(node).st_mode):
                    continue
            except OSError:
                continue
            index_file = Path("/sys/class/video4linux") / Path(node).name / "index"
            try:
                if index_file.read_text().strip() not in ("", "0"):
                    continue  # metadata nodes of a camera that has another capture node
            except OSError:
                pass
            found.append(node)
        return found
    return [str(i) for i in range(3) if _probe_index(i)]


def _probe_index(index: int, timeout: float = 2.0) -> bool:
    """Open device ``index`` in a thread and give up after ``timeout`` (some drivers block)."""
    result: list[bool] = []

    def probe() -> None:
        import cv2

        capture = cv2.VideoCapture(index)
        try:
            result.append(bool(capture.isOpened()))
        finally:
            capture.release()

    thread = threading.Thread(target=probe, name="selfverify-camera-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


# --- is this camera a real one? -------------------------------------------------------------------
# Linux tells a device's driver through VIDIOC_QUERYCAP (struct v4l2_capability, linux/videodev2.h):
# driver[16] card[32] bus_info[32] then u32 version, capabilities, device_caps, reserved[3].
V4L2_CAPABILITY_SIZE = 104
VIDIOC_QUERYCAP = 0x80685600  # _IOR('V', 0, struct v4l2_capability)
V4L2_CAP_VIDEO_CAPTURE = 0x00000001
V4L2_CAP_VIDEO_OUTPUT = 0x00000002
V4L2_CAP_VIDEO_M2M_MPLANE = 0x00004000
V4L2_CAP_VIDEO_M2M = 0x00008000
V4L2_CAP_DEVICE_CAPS = 0x80000000
# drivers that present something other than a sensor as a camera (loopback, test pattern, converters)
VIRTUAL_DRIVERS = frozenset({"v4l2 loopback", "v4l2loopback", "vivid", "vim2m", "vicodec", "akvcam", "vimc", "visl"})
# names virtual-camera programs give their device (the card name, or /sys/class/video4linux/*/name)
_VIRTUAL_NAME = re.compile(
    r"loopback|virtual|dummy video device|\bobs\b|snap camera|manycam|xsplit|splitcam|e2esoft|akvcam|unity video capture"
    r"|droidcam|iriun|epoccam|ndi webcam|camtwist",
    re.IGNORECASE,
)


class CameraIdentity:
    """What the platform says a camera device is. ``verdict``: physical | virtual | not_camera | unknown."""

    def __init__(self, verdict: str, reason: str, *, driver: str = "", card: str = "", bus_info: str = "",
                 capabilities: int = 0):
        self.verdict, self.reason = verdict, reason
        self.driver, self.card, self.bus_info, self.capabilities = driver, card, bus_info, capabilities

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason, "driver": self.driver, "card": self.card,
                "bus_info": self.bus_info, "capabilities": f"0x{self.capabilities:08x}"}


def _c_string(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def classify_camera(querycap: bytes | None, sysfs_name: str | None) -> CameraIdentity:
    """Pure: judge a device from its VIDIOC_QUERYCAP answer and its sysfs name (either may be None,
    when the platform or a permission does not tell). A program can still name its device after a
    real webcam's driver; what this catches is every virtual camera that says what it is."""
    import struct

    name = (sysfs_name or "").strip()
    if querycap is None or len(querycap) < V4L2_CAPABILITY_SIZE:
        if name and _VIRTUAL_NAME.search(name):
            return CameraIdentity("virtual", _("its name {name!r} is a virtual camera's").format(name=name), card=name)
        if querycap is None:
            why = _("cannot tell whether it is a real camera: the platform does not say which driver it has")
        else:
            why = _("cannot tell whether it is a real camera: its driver answer is truncated")
        return CameraIdentity("unknown", why, card=name)
    driver, card, bus = (_c_string(querycap[a:b]) for a, b in ((0, 16), (16, 48), (48, 80)))
    _version, capabilities, device_caps = struct.unpack_from("<III", querycap, 80)
    caps = device_caps if capabilities & V4L2_CAP_DEVICE_CAPS else capabilities
    identity = dict(driver=driver, card=card or name, bus_info=bus, capabilities=caps)
    if driver.lower() in VIRTUAL_DRIVERS or bus.lower().startswith(("platform:v4l2loopback", "platform:vivid")):
        return CameraIdentity("virtual", _("its driver is {driver!r}, a virtual camera").format(driver=driver), **identity)
    for label in (card, name):
        if label and _VIRTUAL_NAME.search(label):
            return CameraIdentity("virtual", _("its name {name!r} is a virtual camera's").format(name=label), **identity)
    if caps & (V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE) or (caps & V4L2_CAP_VIDEO_OUTPUT and caps & V4L2_CAP_VIDEO_CAPTURE):
        return CameraIdentity("virtual", _("it both takes and gives video (a loopback or converter, not a sensor)"), **identity)
    if not caps & V4L2_CAP_VIDEO_CAPTURE:
        return CameraIdentity("virtual", _("it does not capture video"), **identity)
    if bus:
        return CameraIdentity("physical", _("driver {driver!r} on {bus}").format(driver=driver, bus=bus), **identity)
    return CameraIdentity("physical", _("driver {driver!r} on an unknown bus").format(driver=driver), **identity)


V4L2_MAJOR = 81  # the character-device major number of every video4linux node (Documentation/admin-guide/devices.txt)
_VIDEO_NODE = re.compile(r"/dev/video\d+")


def counts_as_live(identity: CameraIdentity) -> bool:
    """Whether a run on this device may earn a credential. On Linux only a device the kernel itself
    shows to be a capture camera (``physical``); ``unknown`` counts only where the platform cannot
    tell (macOS, Windows), as documented."""
    if identity.verdict == "physical":
        return True
    return identity.verdict == "unknown" and not sys.platform.startswith("linux")


def _not_a_camera(why: str) -> CameraIdentity:
    return CameraIdentity("not_camera", _("it is not a camera: {why}").format(why=why))


def v4l2_node(path: str, *, stat_of: Callable[[str], os.stat_result] = os.stat,
              sysfs: Path = Path("/sys/class/video4linux")) -> tuple[str, str] | CameraIdentity:
    """Linux: (resolved path, node name) when ``path`` resolves to a video4linux character device
    (``/dev/videoN``, major 81, listed in /sys/class/video4linux); else the verdict saying why not.
    A pseudo-terminal, a FIFO or any other /dev node streams whatever its writer sends."""
    real = os.path.realpath(path)
    if not _VIDEO_NODE.fullmatch(real):
        return _not_a_camera(_("{path} is not a /dev/video device").format(path=path))
    try:
        st = stat_of(real)
    except OSError:
        return _not_a_camera(_("{path} cannot be looked at").format(path=real))
    if not stat.S_ISCHR(st.st_mode):  # e.g. a video file put in /dev/shm
        return _not_a_camera(_("it is a file, not a camera device"))
    if os.major(st.st_rdev) != V4L2_MAJOR:
        return _not_a_camera(_("{path} is not a video4linux device").format(path=real))
    name = Path(real).name
    if not (sysfs / name).exists():
        return _not_a_camera(_("the kernel lists no video4linux device {name}").format(name=name))
    return real, name


def inspect_device(path: str) -> CameraIdentity:
    """Ask the device node itself (Linux); elsewhere the platform gives no driver through OpenCV.
    On Linux a node must be a video4linux device whose driver answers VIDIOC_QUERYCAP."""
    if not sys.platform.startswith("linux"):
        return classify_camera(None, None)
    node = v4l2_node(path)
    if isinstance(node, CameraIdentity):
        return node
    real, name = node
    try:
        import fcntl

        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
        try:
            buffer = bytearray(V4L2_CAPABILITY_SIZE)
            fcntl.ioctl(fd, VIDIOC_QUERYCAP, buffer)
            querycap = bytes(buffer)
        finally:
            os.close(fd)
    except OSError as exc:
        return _not_a_camera(_("its driver does not answer VIDIOC_QUERYCAP ({detail})").format(detail=exc.strerror or exc))
    try:
        sysfs_name = (Path("/sys/class/video4linux") / name / "name").read_text(errors="replace")
    except OSError:
        sysfs_name = None
    return classify_camera(querycap, sysfs_name)
