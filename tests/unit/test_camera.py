"""Frame sources: spec parsing, deterministic replay, the newest-frame reader, errors, release."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from selfverify.core import camera
from selfverify.core.camera import (
    CameraDeviceSource,
    CameraLostError,
    ImageSequenceSource,
    StillImageSource,
    VideoFileSource,
    list_cameras,
    open_source,
)
from selfverify.errors import CameraError, ImageError


def solid(value: int, size=(64, 48)):
    import numpy as np

    return np.full((size[1], size[0], 3), value, dtype=np.uint8)


def write_video(path: Path, count: int, fps: float = 10.0, size=(64, 48)) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(count):
        writer.write(solid(10 + 20 * i, size))  # each frame's brightness tells its index
    writer.release()
    return path


def frame_index(frame) -> int:
    return round((float(frame.mean()) - 10) / 20)


def write_images(folder: Path, names: list[str]) -> Path:
    import cv2

    folder.mkdir()
    for i, name in enumerate(names):
        cv2.imwrite(str(folder / name), solid(10 + 20 * i))
    return folder


def test_video_file_replays_every_frame_in_order_with_frame_timestamps(tmp_path):
    video = write_video(tmp_path / "clip.avi", 6, fps=10.0)
    with open_source(str(video)) as source:
        assert isinstance(source, VideoFileSource) and source.is_replay
        seen, stamps = [], []
        while (frame := source.read()) is not None:
            seen.append(frame_index(frame))
            stamps.append(source.timestamp)
        assert "clip.avi" in source.describe() and "64x48" in source.describe()
    assert seen == [0, 1, 2, 3, 4, 5]
    assert stamps == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert source.read() is None  # released


def test_folder_is_read_in_natural_name_order_and_glob_selects_images(tmp_path):
    folder = write_images(tmp_path / "frames", ["f1.png", "f2.png", "f10.png"])
    (folder / "notes.txt").write_text("not a frame")
    with open_source(str(folder)) as source:
        assert isinstance(source, ImageSequenceSource)
        order = [frame_index(source.read()) for _ in range(3)]
        assert source.read() is None
    assert order == [0, 1, 2]  # f1, f2, f10 (not f1, f10, f2)
    with open_source(str(folder / "f1*.png")) as source:
        assert [frame_index(source.read()), frame_index(source.read()), source.read()] == [0, 2, None]


def test_still_image_repeats_forever_as_copies(tmp_path):
    import cv2

    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), solid(128, (2000, 1000)))
    with open_source(str(path)) as source:
        assert isinstance(source, StillImageSource)
        first = source.read()
        first[:] = 0  # a consumer drawing on its frame must not change the next one
        frames = [source.read() for _ in range(30)]
        assert all(f is not None and f.mean() > 120 for f in frames)
        assert first.shape[1] == camera.MAX_STILL_WIDTH and source.timestamp == pytest.approx(30 / camera.STILL_FPS)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.mp4", "not found"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "No images found"),
        (lambda p: (p / "x.bin").write_bytes(b"\x00" * 100) and p / "x.bin", "neither an image nor a video"),
        (lambda p: (p / "e.mp4").write_bytes(b"") or p / "e.mp4", "is empty"),
        (lambda p: p / "nothing-*.png", "No images found in pattern"),
    ],
)
def test_bad_specs_give_one_clear_camera_error(tmp_path, make, message):
    with pytest.raises(CameraError) as info:
        open_source(str(make(tmp_path)))
    assert message in info.value.user_message and "\n" not in info.value.user_message


def test_missing_device_is_a_clear_error_and_listing_never_blocks():
    started = time.monotonic()
    cameras = list_cameras()
    assert time.monotonic() - started < 1.0
    if "/dev/video7" in cameras:
        pytest.skip("this machine has a /dev/video7")
    with pytest.raises(CameraError) as info:
        open_source("/dev/video7")
    assert "There is no camera /dev/video7" in info.value.user_message
    assert info.value.exit_code == 2


def test_unreadable_image_in_a_folder_names_the_file(tmp_path):
    folder = write_images(tmp_path / "frames", ["a.png"])
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with open_source(str(folder)) as source:
        source.read()
        with pytest.raises(ImageError) as info:
            source.read()
    assert "b.png" in info.value.user_message


class FakeWebcam:
    """Stands in for a physical webcam (the only thing tests may mock): sends ``good`` frames, then fails."""

    def __init__(self, good: int, opened: bool = True):
        self.good, self.opened, self.reads, self.released = good, opened, 0, False

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        self.reads += 1
        if self.reads <= self.good:
            return True, solid(10 + 20 * (self.reads - 1))
        return False, None

    def get(self, prop):
        return 30.0

    def release(self):
        self.released = True


@pytest.mark.parametrize("realtime", [False, True])
def test_camera_lost_mid_run_is_a_typed_error_and_the_device_is_released(monkeypatch, realtime):
    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 0.2)
    webcam = FakeWebcam(good=3)
    source = CameraDeviceSource(0, realtime=realtime, capture_factory=lambda target: webcam)
    frames = []
    with pytest.raises(CameraLostError) as info:
        with source:
            while True:
                frames.append(source.read())
    assert 1 <= len(frames) <= 3 and "unplugged" in info.value.user_message
    deadline = time.monotonic() + 2.0
    while not webcam.released and time.monotonic() < deadline:
        time.sleep(0.01)  # the reader thread releases the device as it exits
    assert webcam.released


@pytest.mark.parametrize(("webcam", "message"), [(FakeWebcam(0, opened=False), "cannot be opened"), (FakeWebcam(0), "sends no picture")])
def test_device_that_cannot_be_used_is_refused_and_released(webcam, message):
    with pytest.raises(CameraError) as info:
        CameraDeviceSource(2, capture_factory=lambda target: webcam)
    assert message in info.value.user_message and webcam.released


def test_realtime_reader_hands_out_only_the_newest_frame(tmp_path):
    folder = write_images(tmp_path / "frames", [f"{i:02d}.png" for i in range(12)])
    paths = sorted(folder.iterdir())
    with ImageSequenceSource(paths, "test", realtime=True, fps=100.0) as source:
        first = frame_index(source.read())
        time.sleep(0.06)  # the reader moves on about 6 frames meanwhile
        second = frame_index(source.read())
    assert second - first >= 2  # stale frames in between were dropped, not queued


def test_cancel_makes_a_waiting_realtime_read_return(monkeypatch):
    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 5.0)

    class StalledWebcam(FakeWebcam):
        def read(self):
            self.reads += 1
            if self.reads == 1:
                return True, solid(10)
            time.sleep(0.02)
            return False, None

    source = CameraDeviceSource(0, capture_factory=lambda target: StalledWebcam(1))
    source.cancel = threading.Event()
    assert source.read() is not None
    threading.Timer(0.1, source.cancel.set).start()
    started = time.monotonic()
    assert source.read() is None
    assert time.monotonic() - started < 1.0
    source.release()
