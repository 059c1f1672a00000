"""Benchmark of the face pipeline on ../shared/faces/stage_clip.mp4.

Prints: ms per call and per frame for detection, landmarks and encoding inside the real analysis
loop; the loop's frames/s over the whole clip; the time from the first good frame to a decision;
peak RSS; and the same clip through a baseline that follows face_recognition's "faster webcam"
example (1/4 downscale, detect + encode every other frame), with the ratio.

    uv run python bench/pipeline.py [--clip PATH] [--reference-frame N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared" / "faces" / "stage_clip.mp4"
NEVER_PASSING_SEED = 2  # its challenge starts with a blink, which this clip never shows: the run sees every frame


@dataclass
class StageTimer:
    """Wraps one dlib model call to count calls and seconds, split by the image size it was given."""

    call: object
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    whole_frame_shape: tuple[int, int] | None = None

    def __call__(self, image, *args):
        started = time.perf_counter()
        result = self.call(image, *args)
        kind = "whole" if image.shape[:2] == self.whole_frame_shape else "window"
        self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - started
        self.calls[kind] = self.calls.get(kind, 0) + 1
        return result

    def total(self) -> tuple[int, float]:
        return sum(self.calls.values()), sum(self.seconds.values())


class TimedEncoder:
    def __init__(self, encoder):
        self.encoder, self.calls, self.seconds = encoder, 0, 0.0

    def compute_face_descriptor(self, *args):
        started = time.perf_counter()
        result = self.encoder.compute_face_descriptor(*args)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        return result


def read_frames(clip: Path) -> list:
    import cv2

    capture = cv2.VideoCapture(str(clip))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def instrument(frame_shape: tuple[int, int]):
    from selfverify.core import faces

    models = faces.face_models()
    timers = {
        "detection": StageTimer(models.detector, whole_frame_shape=frame_shape),
        "landmarks": StageTimer(models.landmarks_68, whole_frame_shape=frame_shape),
        "alignment": StageTimer(models.landmarks_5, whole_frame_shape=frame_shape),
    }
    encoder = TimedEncoder(models.encoder)
    faces._models = faces.FaceModels(timers["detection"], timers["landmarks"], timers["alignment"], encoder)
    return timers, encoder, models


def run_selfie(settings, reference, clip: Path):
    from selfverify.core.camera import open_source
    from selfverify.core.flow import SelfieRun

    started = time.perf_counter()
    result = SelfieRun(settings, reference, open_source(str(clip))).run()
    return result, time.perf_counter() - started


def baseline(frames: list, reference, tolerance: float, scale: float) -> dict:
    """face_recognition's examples/facerec_from_webcam_faster.py, minus the drawing."""
    import cv2
    import numpy as np

    from selfverify.core.engine import load_face_recognition

    face_recognition = load_face_recognition()
    process_this_frame = True
    with_face = labelled = 0
    started = time.perf_counter()
    for frame in frames:
        if process_this_frame:
            small_frame = cv2.resize(frame, (0, 0), fx=scale, fy=scale)
            rgb_small_frame = np.ascontiguousarray(small_frame[:, :, ::-1])
            face_locations = face_recognition.face_locations(rgb_small_frame)
            face_encodings = face_recognition.face_encodings(rgb_small_frame, face_locations)
            with_face += bool(face_locations)
            for face_encoding in face_encodings:
                if face_recognition.compare_faces([reference.encoding], face_encoding, tolerance)[0]:
                    labelled += 1
                    break
        process_this_frame = not process_this_frame
    seconds = time.perf_counter() - started
    if not with_face:
        decision = "no face found"
    else:
        decision = "match" if labelled * 2 > with_face else "no_match"
    return {"fps": len(frames) / seconds, "with_face": with_face, "labelled": labelled, "decision": decision}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--reference-frame", type=int, default=180, help="frame of person S used as the reference photo")
    args = parser.parse_args(argv)
    if not args.clip.is_file():
        print(f"Clip not found: {args.clip} (the shared face fixtures are needed).", file=sys.stderr)
        return 2

    import cv2

    from selfverify.config import load_settings
    from selfverify.core import engine
    from selfverify.core.faces import load_reference

    load_started = time.perf_counter()
    engine.load_face_recognition()
    load_seconds = time.perf_counter() - load_started
    frames = read_frames(args.clip)
    with tempfile.TemporaryDirectory() as tmp:
        reference_path = Path(tmp) / "reference.png"
        cv2.imwrite(str(reference_path), frames[args.reference_frame])
        reference = load_reference(reference_path)
    settings = load_settings({}, environ={}, config_file=os.devnull)
    height, width = frames[0].shape[:2]
    analysis_width = min(width, settings.analysis_width)
    timers, encoder, original = instrument((round(height * analysis_width / width), analysis_width))

    whole_clip = settings.replace(liveness=True, seed=NEVER_PASSING_SEED, challenge_timeout=0, verify_timeout=0)
    loop_result, loop_seconds = run_selfie(whole_clip, reference, args.clip)
    frames_seen = loop_result.frames_analysed
    stages = {name: timer.total() for name, timer in timers.items()}
    encodings = (encoder.calls, encoder.seconds)

    decision_run, _ = run_selfie(settings.replace(liveness=False), reference, args.clip)
    first_good = next(e.t for e in decision_run.events if e.kind == "guidance" and e.code == "ok")
    decision = decision_run.decision
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from selfverify.core import faces

    faces._models = original
    base_quarter = baseline(frames, reference, settings.tolerance, 0.25)
    base_half = baseline(frames, reference, settings.tolerance, 0.5)
    loop_fps = frames_seen / loop_seconds

    def per_call(name: str, kind: str) -> str:
        timer = timers[name]
        calls = timer.calls.get(kind, 0)
        return f"{1000 * timer.seconds.get(kind, 0.0) / calls:6.1f} ms x {calls:3d} calls" if calls else "   -"

    print(f"clip: {args.clip.name}, {len(frames)} frames {width}x{height}; reference: frame {args.reference_frame}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; face_recognition import {load_seconds:.1f} s")
    print("\nper stage, inside the analysis loop (whole clip, liveness on so every frame is analysed):")
    print(f"  detection, whole frame   {per_call('detection', 'whole')}")
    print(f"  detection, face window   {per_call('detection', 'window')}")
    print(f"  landmarks (68 points)    {per_call('landmarks', 'whole')}")
    enc_calls, enc_seconds = encodings
    align_calls, align_seconds = stages["alignment"]
    if enc_calls:
        print(f"  encoding (align+descr.)  {1000 * (enc_seconds + align_seconds) / enc_calls:6.1f} ms x {enc_calls:3d} calls")
    for name in ("detection", "landmarks"):
        print(f"  {name:<24} {1000 * stages[name][1] / frames_seen:6.1f} ms per frame on average")
    print(f"  encoding                 {1000 * (enc_seconds + align_seconds) / frames_seen:6.1f} ms per frame on average")
    print(f"\nanalysis loop: {frames_seen} frames in {loop_seconds:.2f} s = {loop_fps:.1f} frames/s")
    print(f"decision (liveness off): {'match' if decision.verified else decision.reason}, distance {decision.distance}, "
          f"{decision.frames_used} frames, {decision.t - first_good:.2f} s after the first good frame")
    print(f"peak RSS: {peak_rss_mb:.0f} MB")
    print("\nbaseline, face_recognition 'faster webcam' example (detect + encode every other frame):")
    for label, base in (("1/4 downscale", base_quarter), ("1/2 downscale", base_half)):
        print(f"  {label}: {base['fps']:6.1f} frames/s, faces in {base['with_face']} processed frames, "
              f"{base['labelled']} labelled as the reference -> {base['decision']}; our loop is {loop_fps / base['fps']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
