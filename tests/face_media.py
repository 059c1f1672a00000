"""Media the face-engine tests generate at run time from ../shared/faces (never committed):
a reference frame of person S from the stage clip, and photo-replay videos made from one still."""

from __future__ import annotations

from pathlib import Path

STAGE_REFERENCE_FRAME = 180  # person S, frontal and sharp (README: S is in frames ~85-210)


def read_frame(video: Path, index: int):
    """Frame ``index`` of ``video`` (BGR)."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
    finally:
        capture.release()
    assert ok, f"cannot read frame {index} of {video}"
    return frame


def extract_frame(video: Path, index: int, out: Path) -> Path:
    import cv2

    cv2.imwrite(str(out), read_frame(video, index))
    return out


def jittered_still_video(photo: Path, out: Path, *, seconds: float = 4.0, fps: float = 30.0, seed: int = 0,
                         size: tuple[int, int] = (640, 480)) -> Path:
    """A video of one still photo held up to a camera: every frame zoomed, shifted and slightly
    rotated at random, with sensor noise, so no two frames are identical."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    image = cv2.imread(str(photo))
    width, height = size
    fit = min(width / image.shape[1], height / image.shape[0]) * 0.9
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    try:
        for _ in range(int(seconds * fps)):
            zoom = fit * rng.uniform(0.92, 1.08)
            angle = rng.uniform(-3.0, 3.0)
            centre = (image.shape[1] / 2.0, image.shape[0] / 2.0)
            matrix = cv2.getRotationMatrix2D(centre, angle, zoom)
            matrix[0, 2] += width / 2.0 - centre[0] + rng.uniform(-15, 15)
            matrix[1, 2] += height / 2.0 - centre[1] + rng.uniform(-15, 15)
            frame = cv2.warpAffine(image, matrix, size, borderValue=(90, 90, 90))
            noisy = frame.astype(np.int16) + rng.normal(0, 3, frame.shape).astype(np.int16)
            writer.write(np.clip(noisy, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return out


def analysed_landmarks(video: Path) -> list[tuple[int, float, int, object, float]]:
    """(frame index, time, track, 68 landmarks, tracked nose parallax) for every frame of ``video``
    with a confirmed face, through the real analyser (tracking + 68-point landmarks) and the
    texture tracker, as a selfie run feeds them; memory only. Times are frame times."""
    from selfverify.core.camera import open_source
    from selfverify.core.faces import FrameAnalyser
    from selfverify.core.liveness import TextureParallax

    analyser, texture = FrameAnalyser(640), TextureParallax()
    found = []
    with open_source(str(video)) as source:
        index = 0
        while (frame := source.read()) is not None:
            analysis = analyser.analyse(frame)
            face = analysis.face
            if face is not None and face.confirmed:
                parallax = texture.update(face.track_id, analysis.gray, face.landmarks)
                found.append((index, source.timestamp, face.track_id, face.landmarks, parallax))
            index += 1
    return found


def analysed_samples(video: Path) -> list[tuple[int, object]]:
    """(frame index, LivenessSample) for every frame of ``video`` with a confirmed face."""
    from selfverify.core.liveness import LivenessSample

    return [(i, LivenessSample.from_landmarks(t, track, points, texture))
            for i, t, track, points, texture in analysed_landmarks(video)]
