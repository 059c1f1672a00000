"""Frame sources behind one interface: a camera device, a video file, a folder or glob of images,
or a single still image repeated (what a photo held up to a camera looks like).

``open_source(spec)`` picks the source from one camera string. Only a camera device can be
live (``FrameSource.is_live_camera``): files, folders and stills are recordings, and so is a device
whose driver says it is virtual (v4l2loopback and the like, see ``classify_camera``). File sources replay every
frame in order by default (deterministic, timestamps from the frame rate); ``realtime=True``
starts a reader thread that keeps only the newest frame, paced at the file's frame rate. Devices
are realtime by default. A camera that stops sending frames raises ``CameraLostError``.
"""

from __future__ import annotations

import glob as globbing
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from selfverify.core.camera_identity import (  # noqa: F401  (classification is imported from here too)
    V4L2_CAP_DEVICE_CAPS,
    V4L2_CAP_VIDEO_CAPTURE,
    V4L2_CAP_VIDEO_M2M,
    V4L2_CAP_VIDEO_M2M_MPLANE,
    V4L2_CAP_VIDEO_OUTPUT,
    V4L2_CAPABILITY_SIZE,
    VIDIOC_QUERYCAP,
    VIRTUAL_DRIVERS,
    CameraIdentity,
    classify_camera,
    counts_as_live,
    inspect_device,
    list_cameras,
    natural_key,
)
from selfverify.core.images import IMAGE_SUFFIXES, MAX_PIXELS, decode_image_file, looks_like_image, open_image_header
from selfverify.errors import CameraError, SelfverifyError
from selfverify.i18n import N_, _, ngettext

STILL_FPS = 15.0  # nominal frame rate of a repeated still or an image folder
DEFAULT_VIDEO_FPS = 30.0
MAX_STILL_WIDTH = 1280  # stills and folder images are brought to camera-like sizes once, not every frame
LOST_AFTER_SECONDS = 3.0
# a camera device that is missing or sends nothing: code "no_camera" (a front end may add how to name another source)
_NO_CAMERA_HINT = N_("Use a video file, an image folder or a photo as the camera, or choose the interview path.")


class CameraLostError(CameraError):
    """The source worked, then stopped delivering frames (unplugged, taken by another program)."""

    code = "camera_lost"


class FrameSource:
    """A context manager yielding BGR frames. ``read()`` returns None when there are no more."""

    kind = "source"

    def __init__(self, *, realtime: bool, fps: float):
        self.realtime = realtime
        self.fps = fps
        self.frames_read = 0
        self.timestamp = 0.0  # seconds of the last frame: frame time on replay, wall time when realtime
        self.frame_size: tuple[int, int] | None = None  # width, height of the first frame
        self.cancel: threading.Event | None = None  # set by a run so a blocked realtime read returns promptly
        self._reader: _NewestFrameReader | None = None
        self._started_at: float | None = None
        self._released = False
        self._lock = threading.Lock()

    # subclasses implement these two
    def _grab(self) -> Any:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def is_replay(self) -> bool:
        """True when frames come in file order with timestamps from the frame rate."""
        return not self.realtime

    @property
    def is_live_camera(self) -> bool:
        """True only for a camera device not known to be virtual: nothing else can earn a credential."""
        return False

    # the challenge a test-only injected device asks for (see ``inject_test_camera``); None: drawn from the seed
    challenge_steps: tuple[str, ...] | None = None

    def _pace_fps(self) -> float | None:
        return self.fps  # files and stills are paced; devices pace themselves

    def read(self):
        if self._released:
            return None
        if self.realtime:
            if self._reader is None:
                self._reader = _NewestFrameReader(self._grab, pace_fps=self._pace_fps(), on_exit=self._close, name=self.kind)
            frame = self._reader.next_frame(self.cancel)
            if frame is None:
                return None
            now = time.monotonic()
            if self._started_at is None:
                self._started_at = now
            self.timestamp = now - self._started_at
        else:
            frame = self._grab()
            if frame is None:
                return None
            self.timestamp = self.frames_read / self.fps
        self.frames_read += 1
        return frame

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        if self._reader is not None:
            self._reader.stop()  # the reader thread closes the capture itself when it exits
        else:
            self._close()

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # last resort: never keep a device open after the object is gone
        try:
            self.release()
        except Exception:
            pass


class _NewestFrameReader:
    """Reads in a thread and keeps only the newest frame, so a slow consumer never sees stale ones."""

    def __init__(self, grab: Callable[[], Any], *, pace_fps: float | None, on_exit: Callable[[], None], name: str):
        self._grab = grab
        self._pace = pace_fps
        self._on_exit = on_exit
        self._cond = threading.Condition()
        self._halt = threading.Event()
        self._frame: Any = None
        self._seq = 0
        self._taken = 0
        self._ended = False
        self._error: SelfverifyError | None = None
        self._thread = threading.Thread(target=self._run, name=f"selfverify-{name}-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            due = time.monotonic()
            while not self._halt.is_set():
                frame = self._grab()
                with self._cond:
                    if frame is None:
                        self._ended = True
                        self._cond.notify_all()
                        return
                    self._frame = frame
                    self._seq += 1
                    self._cond.notify_all()
                if self._pace:
                    due += 1.0 / self._pace
                    delay = due - time.monotonic()
                    if delay > 0:
                        self._halt.wait(delay)
                    else:
                        due = time.monotonic()  # fell behind: do not try to catch up with a burst
        except SelfverifyError as exc:
            with self._cond:
                self._error = exc
                self._cond.notify_all()
        except Exception as exc:  # a backend failure mid-run is a lost camera, not a crash
            with self._cond:
                self._error = CameraLostError(_("The camera stopped working ({detail}).").format(detail=f"{type(exc).__name__}: {exc}"))
                self._cond.notify_all()
        finally:
            self._on_exit()

    def next_frame(self, cancel: threading.Event | None):
        deadline = time.monotonic() + LOST_AFTER_SECONDS
        with self._cond:
            while True:
                if self._seq > self._taken:
                    self._taken = self._seq
                    return self._frame
                if self._error is not None:
                    raise self._error
                if self._ended or self._halt.is_set() or (cancel is not None and cancel.is_set()):
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CameraLostError(
                        _("No picture from the camera for {seconds} seconds: it may have been unplugged or taken by "
                          "another program.").format(seconds=f"{LOST_AFTER_SECONDS:.0f}")
                    )
                self._cond.wait(min(remaining, 0.05))

    def stop(self, timeout: float = 2.0) -> None:
        self._halt.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


def _check_frame(frame: Any, what: str) -> None:  # what: the sentence's subject, translated
    height, width = frame.shape[:2]
    if width * height > MAX_PIXELS:
        raise CameraError(_("{subject} has frames of {width}x{height} pixels; the limit is {limit} MP.")
                          .format(subject=what, width=width, height=height, limit=MAX_PIXELS // 1_000_000))


class _CaptureSource(FrameSource):
    """An OpenCV capture whose first frame is read at open, so "opens but sends nothing" fails early."""

    def __init__(self, capture: Any, *, realtime: bool, what: str, unopened: str, no_frames: str, hint: str | None = None,
                 code: str | None = None):
        import cv2

        self._capture = capture
        self._closed = False
        if not capture.isOpened():
            capture.release()
            raise CameraError(unopened, hint=hint, code=code)
        ok, first = capture.read()
        try:
            if not ok or first is None:
                raise CameraError(no_frames, hint=hint, code=code)
            _check_frame(first, what)
        except CameraError:
            capture.release()
            raise
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        super().__init__(realtime=realtime, fps=fps if 0 < fps < 1000 else DEFAULT_VIDEO_FPS)
        self.frame_size = (first.shape[1], first.shape[0])
        self._pending = first

    def _take_pending(self):
        frame, self._pending = self._pending, None
        return frame

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._capture.release()


class CameraDeviceSource(_CaptureSource):
    kind = "camera"

    def __init__(self, target: int | str, *, realtime: bool = True, capture_factory: Callable[[Any], Any] | None = None,
                 identity: "CameraIdentity | None" = None):
        import cv2

        linux = sys.platform.startswith("linux")
        self.label = f"/dev/video{target}" if isinstance(target, int) and linux else str(target)
        if linux and not os.path.exists(self.label) and capture_factory is None:
            found = list_cameras()
            problem = (_("There is no camera {label} (cameras found: {found}).") if found
                       else _("There is no camera {label} (no camera was found on this computer)."))
            raise CameraError(problem.format(label=self.label, found=", ".join(found)), hint=_(_NO_CAMERA_HINT), code="no_camera")
        if identity is None:
            identity = inspect_device(self.label) if capture_factory is None else classify_camera(None, None)
        self.identity = identity
        if capture_factory is None and linux:
            if identity.verdict == "not_camera":  # a pty, FIFO or file under /dev: never read as a stream
                raise CameraError(_("{label} is not a camera ({reason}).").format(label=self.label, reason=identity.reason),
                                  hint=_(_NO_CAMERA_HINT), code="no_camera")
            # the V4L2 backend only, on the node that was checked: no FFmpeg parsing whatever a node streams
            node = int(os.path.realpath(self.label).removeprefix("/dev/video"))
            capture_factory = lambda _target: cv2.VideoCapture(node, cv2.CAP_V4L2)  # noqa: E731
        super().__init__(
            (capture_factory or cv2.VideoCapture)(target),
            realtime=realtime,
            what=_("The camera {label}").format(label=self.label),
            unopened=_("The camera {label} cannot be opened: another program may be using it, "
                       "or you may lack permission (on Linux, the 'video' group).").format(label=self.label),
            no_frames=_("The camera {label} opened but sends no picture.").format(label=self.label),
            hint=_(_NO_CAMERA_HINT), code="no_camera",
        )

    def _pace_fps(self) -> float | None:
        return None

    @property
    def is_live_camera(self) -> bool:
        return counts_as_live(self.identity)

    def _grab(self):
        if self._pending is not None:
            return self._take_pending()
        failing_since = None
        while True:
            ok, frame = self._capture.read()
            if ok and frame is not None:
                return frame
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since >= LOST_AFTER_SECONDS or self._released:
                raise CameraLostError(_("The camera {label} stopped sending pictures: it may have been unplugged.")
                                      .format(label=self.label))
            time.sleep(0.02)  # a device that just hiccupped often recovers within a few frames

    def describe(self) -> str:
        width, height = self.frame_size or (0, 0)
        return _("camera {label} ({width}x{height})").format(label=self.label, width=width, height=height)


class VideoFileSource(_CaptureSource):
    kind = "video"

    def __init__(self, path: Path, *, realtime: bool = False):
        import cv2

        self.path = Path(path)
        super().__init__(
            cv2.VideoCapture(str(self.path)),
            realtime=realtime,
            what=_("The video {name}").format(name=self.path.name),
            unopened=_("{name} is neither an image nor a video that can be decoded.").format(name=self.path.name),
            no_frames=_("The video {name} has no frames (empty or damaged).").format(name=self.path.name),
        )
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def _grab(self):
        if self._pending is not None:
            return self._take_pending()
        if self._closed:
            return None
        ok, frame = self._capture.read()
        return frame if ok else None

    def describe(self) -> str:
        width, height = self.frame_size or (0, 0)
        text = (ngettext("video file {name} ({width}x{height}, {fps} fps, {count} frame)",
                         "video file {name} ({width}x{height}, {fps} fps, {count} frames)", self.frame_count)
                if self.frame_count > 0 else _("video file {name} ({width}x{height}, {fps} fps)"))
        return text.format(name=self.path.name, width=width, height=height, fps=f"{self.fps:.2f}", count=self.frame_count)


def _camera_sized_bgr(path: Path, what: str):
    import cv2

    rgb = decode_image_file(path, what)
    height, width = rgb.shape[:2]
    if width > MAX_STILL_WIDTH:
        size = (MAX_STILL_WIDTH, max(1, round(height * MAX_STILL_WIDTH / width)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


class ImageSequenceSource(FrameSource):
    """Images in name order (natural sort: frame2 before frame10), one frame each."""

    kind = "images"

    def __init__(self, paths: list[Path], label: str, *, realtime: bool = False, fps: float = STILL_FPS):
        if not paths:
            raise CameraError(_("No images found in {source} (looked for {suffixes}).").format(source=label, suffixes=", ".join(IMAGE_SUFFIXES)))
        super().__init__(realtime=realtime, fps=fps)
        self.paths = list(paths)
        self.label = label
        first = _camera_sized_bgr(self.paths[0], "camera_image")
        self.frame_size = (first.shape[1], first.shape[0])
        self._pending = first
        self._next = 1

    @classmethod
    def from_folder(cls, folder: Path, *, realtime: bool = False) -> "ImageSequenceSource":
        try:
            entries = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        except PermissionError:
            raise CameraError(_("The folder {folder} cannot be read: permission denied.").format(folder=folder)) from None
        return cls(sorted(entries, key=natural_key), _("folder {name}").format(name=f"{folder.name}/"), realtime=realtime)

    @classmethod
    def from_glob(cls, pattern: str, *, realtime: bool = False) -> "ImageSequenceSource":
        matches = [Path(p) for p in globbing.glob(os.path.expanduser(pattern)) if Path(p).is_file()]
        images = [p for p in matches if p.suffix.lower() in IMAGE_SUFFIXES]
        if matches and not images:
            raise CameraError(_("The pattern {pattern!r} matches files, but none is an image.").format(pattern=pattern))
        return cls(sorted(images, key=natural_key), _("pattern {pattern!r}").format(pattern=pattern), realtime=realtime)

    def _grab(self):
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        if self._next >= len(self.paths):
            return None
        path = self.paths[self._next]
        self._next += 1
        return _camera_sized_bgr(path, "camera_image")

    def _close(self) -> None:
        self._pending = None

    def describe(self) -> str:
        return ngettext("images from {source} ({count} image at {fps} fps)", "images from {source} ({count} images at {fps} fps)",
                        len(self.paths)).format(source=self.label, count=len(self.paths), fps=f"{self.fps:g}")


class StillImageSource(FrameSource):
    """One photo repeated for as long as it is read: a photo held up to a camera."""

    kind = "still"

    def __init__(self, path: Path, *, realtime: bool = False, fps: float = STILL_FPS):
        super().__init__(realtime=realtime, fps=fps)
        self.path = Path(path)
        self._image = _camera_sized_bgr(self.path, "camera_photo")
        self.frame_size = (self._image.shape[1], self._image.shape[0])

    def _grab(self):
        image = self._image
        return None if image is None else image.copy()  # consumers may draw on their frame

    def _close(self) -> None:
        self._image = None

    def describe(self) -> str:
        width, height = self.frame_size or (0, 0)
        return _("still photo {name} ({width}x{height}, repeated at {fps} fps)").format(name=self.path.name, width=width,
                                                                                         height=height, fps=f"{self.fps:g}")


def is_device_spec(spec: str) -> bool:
    """True when ``spec`` names a camera device (an index or /dev/...), without opening anything."""
    text = str(spec).strip()
    return text.isdigit() or text.startswith("/dev/")


def open_source(spec: str, *, realtime: bool | None = None) -> FrameSource:
    """Open the source named by ``spec``: ``0``, ``/dev/video2``, ``clip.mp4``, ``frames/``, ``'shots/*.png'``, ``photo.jpg``."""
    text = str(spec).strip()
    if not text:
        raise CameraError(_("No camera given: use 0, /dev/video0, a video file, an image folder or a photo."))
    if _injected is not None and is_device_spec(text):
        return _injected.open(text)
    if text.isdigit():
        return CameraDeviceSource(int(text), realtime=True if realtime is None else realtime)
    if text.startswith("/dev/"):
        return CameraDeviceSource(text, realtime=True if realtime is None else realtime)
    replay_realtime = False if realtime is None else realtime
    path = Path(os.path.expanduser(text))
    if path.is_dir():
        return ImageSequenceSource.from_folder(path, realtime=replay_realtime)
    if path.is_file():
        if not os.access(path, os.R_OK):
            raise CameraError(_("{name} cannot be read: permission denied.").format(name=path.name))
        if path.stat().st_size == 0:
            raise CameraError(_("{name} is empty.").format(name=path.name))
        if path.suffix.lower() in IMAGE_SUFFIXES or looks_like_image(path):
            open_image_header(path, "camera_photo").close()
            return StillImageSource(path, realtime=replay_realtime)
        return VideoFileSource(path, realtime=replay_realtime)
    if any(ch in text for ch in "*?["):
        return ImageSequenceSource.from_glob(text, realtime=replay_realtime)
    raise CameraError(_("Camera source {source!r} not found: no such device, file or folder.").format(source=text))


class InjectedTestCamera:
    """Test-only: an in-process camera device (a fake webcam over real frames), the one way tests reach
    the live path with no webcam on the machine. Installed only by Python code through
    ``inject_test_camera``; no flag, environment variable, config key or setting reaches it.
    Its frames come in order at their frame rate (deterministic), its driver answer goes through
    ``classify_camera`` like a real one, and ``steps`` fixes the challenge it is asked."""

    def __init__(self, capture_factory: Callable[[Any], Any], *, querycap: bytes | None,
                 sysfs_name: str | None = None, steps: tuple[str, ...] | None = None):
        self.capture_factory, self.querycap, self.sysfs_name, self.steps = capture_factory, querycap, sysfs_name, steps
        self.opened: list[CameraDeviceSource] = []

    def open(self, spec: str) -> CameraDeviceSource:
        target: int | str = int(spec) if spec.isdigit() else spec
        source = CameraDeviceSource(target, realtime=False, capture_factory=self.capture_factory,
                                    identity=classify_camera(self.querycap, self.sysfs_name))
        source.challenge_steps = self.steps
        self.opened.append(source)
        return source


_injected: InjectedTestCamera | None = None


def inject_test_camera(device: InjectedTestCamera | None) -> None:
    """Test-only: make device specs (``0``, ``/dev/video0``) open ``device``; None removes it."""
    global _injected
    _injected = device
