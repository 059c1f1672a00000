"""An active liveness challenge: a seeded random sequence of blink / turn-left / turn-right steps,
judged from 68-point landmarks.

- Blink: the eye aspect ratio (EAR, Soukupova and Cech 2016) stays below ``1 - blink_drop`` times
  the face's own open-eye baseline for ``MIN_CLOSED_SAMPLES`` frames, then recovers, all within
  ``MAX_CLOSED_S``.
- Turn: the head's yaw, relative to the face's own neutral yaw (measured when the face settles),
  goes beyond ``turn_degrees`` in the requested direction for ``TURN_HOLD_SAMPLES`` samples.

Yaw comes from where the nose tip sits between the outer eye corners, along the eye line. A flat
photo that is shifted, zoomed, rotated in its plane or tilted away keeps that ratio, so moving a
printed photo does not fake a turn, and a photo cannot blink. This defeats photo replay; it is
not certified presentation-attack detection (ISO/IEC 30107-3), and a replayed video of the person
doing the right moves can beat it.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import deque
from dataclasses import dataclass

from selfverify.core.events import ChallengeStep

# signed into credentials as assurance.liveness_version: bump it when what counts as a pass changes
CHALLENGE_VERSION = 1

STEPS = ("blink", "turn_left", "turn_right")
INSTRUCTIONS = {
    "blink": "blink your eyes",
    "turn_left": "turn your head to your left",
    "turn_right": "turn your head to your right",
}
# short names of the steps, for front ends that summarise a challenge ("blink, then turn your head left")
STEP_WORDS = {"blink": "blink", "turn_left": "turn your head left", "turn_right": "turn your head right"}
NOSE_DEPTH_RATIO = 0.4  # nose-tip protrusion / outer-eye-corner distance of a typical adult face
MAX_CLOSED_S = 1.0  # a longer closure is not a blink
MIN_CLOSED_SAMPLES = 2  # landmark noise on one frame is not a blink (a blink lasts 100-400 ms)
BASELINE_SAMPLES = 15  # open-eye EAR history the blink baseline is the median of
MIN_BASELINE_SAMPLES = 4
TURN_HOLD_SAMPLES = 2  # a single-frame landmark glitch must not count as a turn
SETTLE_SAMPLES = 5  # samples of a new face before its neutral yaw is known and a step can start


def new_seed() -> int:
    return secrets.randbelow(2**31)


def draw_challenge(seed: int, count: int) -> tuple[str, ...]:
    """``count`` steps from STEPS, never the same twice in a row; the same seed gives the same steps."""
    if count < 1:
        raise ValueError("a challenge needs at least one step")
    rng = random.Random(seed)
    steps = [rng.choice(STEPS)]
    while len(steps) < count:
        steps.append(rng.choice([s for s in STEPS if s != steps[-1]]))
    return tuple(steps)


def _eye_ratio(eye) -> float:
    import numpy as np

    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = np.linalg.norm(eye[0] - eye[3])
    return float(vertical / (2.0 * horizontal)) if horizontal > 0 else 0.0


def eyes_aspect_ratio(landmarks) -> float:
    """Mean EAR of both eyes from 68-point landmarks (about 0.25-0.45 open, near 0.1 closed)."""
    return (_eye_ratio(landmarks[36:42]) + _eye_ratio(landmarks[42:48])) / 2.0


def head_yaw(landmarks) -> float:
    """Approximate yaw in degrees from 68-point landmarks; positive when the person has turned to
    their own left (the nose moves towards the image's right in an unmirrored camera picture)."""
    import numpy as np

    left_corner, right_corner, nose = landmarks[36], landmarks[45], landmarks[30]
    axis = right_corner - left_corner
    span = float(np.linalg.norm(axis))
    if span <= 0:
        return 0.0
    offset = float(np.dot(nose - (left_corner + right_corner) / 2.0, axis / span)) / span
    return math.degrees(math.atan(offset / NOSE_DEPTH_RATIO))


@dataclass(frozen=True)
class LivenessSample:
    """What the challenge sees of one frame: which face, its EAR and its yaw. No landmarks."""

    t: float
    track_id: int
    ear: float
    yaw: float

    @classmethod
    def from_landmarks(cls, t: float, track_id: int, landmarks) -> "LivenessSample":
        return cls(t, track_id, eyes_aspect_ratio(landmarks), head_yaw(landmarks))


class BlinkDetector:
    def __init__(self, drop: float = 0.25, baseline: list[float] | None = None):
        self.drop = drop
        self._open: deque[float] = deque(baseline or [], maxlen=BASELINE_SAMPLES)
        self._closed_since: float | None = None
        self._closed_samples = 0

    @property
    def baseline(self) -> float | None:
        if len(self._open) < MIN_BASELINE_SAMPLES:
            return None
        ordered = sorted(self._open)
        return ordered[len(ordered) // 2]

    def update(self, t: float, ear: float) -> bool:
        """Feed one sample; True when it completes a blink."""
        base = self.baseline
        if base is None:
            self._open.append(ear)
            return False
        if ear <= base * (1.0 - self.drop):
            if self._closed_since is None:
                self._closed_since = t
            self._closed_samples += 1
            return False
        if self._closed_since is None:
            self._open.append(ear)
            return False
        closed_for, samples = t - self._closed_since, self._closed_samples
        if ear < base * (1.0 - self.drop / 2.0):
            return False  # half-way: neither closed nor open again yet
        self._closed_since, self._closed_samples = None, 0
        self._open.append(ear)
        return samples >= MIN_CLOSED_SAMPLES and closed_for <= MAX_CLOSED_S


class TurnDetector:
    def __init__(self, direction: str, neutral_yaw: float, degrees: float = 15.0):
        if direction not in ("left", "right"):
            raise ValueError(f"unknown turn direction {direction!r}")
        self.sign = 1.0 if direction == "left" else -1.0
        self.neutral_yaw = neutral_yaw
        self.degrees = degrees
        self._held = 0

    def update(self, t: float, yaw: float) -> bool:
        """Feed one sample; True once the head has been turned far enough for long enough."""
        if self.sign * (yaw - self.neutral_yaw) >= self.degrees:
            self._held += 1
        else:
            self._held = 0
        return self._held >= TURN_HOLD_SAMPLES


class ChallengeSequence:
    """The steps in order, each with its own deadline (``step_timeout`` 0 = none).

    A step only progresses on samples of one face: when the tracked face changes, the step's
    detector starts again on the new face (and its neutral yaw is measured again). Each passed step
    records the track it passed on, so the flow can require every such face to match the reference.
    """

    def __init__(self, steps: tuple[str, ...], *, step_timeout: float, turn_degrees: float, blink_drop: float):
        self.steps = steps
        self.step_timeout = step_timeout
        self.turn_degrees = turn_degrees
        self.blink_drop = blink_drop
        self.index = 0  # 0-based index of the current step
        self.status = "waiting"  # waiting (for a settled face) | running | passed | failed
        self.passed_tracks: list[int] = []
        self._deadline: float | None = None
        self._track: int | None = None
        self._settling: list[LivenessSample] = []
        self._neutral_yaw: float | None = None
        self._detector: BlinkDetector | TurnDetector | None = None

    @property
    def done(self) -> bool:
        return self.status in ("passed", "failed")

    @property
    def current_step(self) -> str | None:
        return self.steps[self.index] if self.index < len(self.steps) else None

    def _step_event(self, status: str) -> ChallengeStep:
        step = self.steps[self.index]
        total = len(self.steps)
        return ChallengeStep(
            index=self.index + 1,
            total=total,
            step=step,
            instruction=f"Step {self.index + 1} of {total}: {INSTRUCTIONS[step]}",
            status=status,
            deadline_s=self.step_timeout or None,
        )

    def _settle(self, sample: LivenessSample) -> bool:
        """Collect a new face's first samples; True once its neutral yaw is known."""
        if sample.track_id != self._track:
            self._track = sample.track_id
            self._settling = []
            self._neutral_yaw = None
            self._detector = None
        if self._neutral_yaw is not None:
            return True
        self._settling.append(sample)
        if len(self._settling) < SETTLE_SAMPLES:
            return False
        yaws = sorted(s.yaw for s in self._settling)
        self._neutral_yaw = yaws[len(yaws) // 2]
        return True

    def _new_detector(self) -> BlinkDetector | TurnDetector:
        step = self.steps[self.index]
        if step == "blink":
            return BlinkDetector(self.blink_drop, baseline=[s.ear for s in self._settling])
        assert self._neutral_yaw is not None
        return TurnDetector(step.removeprefix("turn_"), self._neutral_yaw, self.turn_degrees)

    def observe(self, t: float, sample: LivenessSample | None) -> list[ChallengeStep]:
        """Advance with one frame (``sample`` None: no single, confirmed, identified face in it)."""
        if self.done:
            return []
        events: list[ChallengeStep] = []
        if self.status == "running" and self._deadline is not None and t > self._deadline:
            self.status = "failed"
            return [self._step_event("timed_out")]
        if sample is None or not self._settle(sample):
            return events
        if self.status == "waiting":
            self.status = "running"
            self._deadline = t + self.step_timeout if self.step_timeout else None
            events.append(self._step_event("started"))
        if self._detector is None:
            self._detector = self._new_detector()
        value = sample.ear if isinstance(self._detector, BlinkDetector) else sample.yaw
        if not self._detector.update(t, value):
            return events
        events.append(self._step_event("passed"))
        self.passed_tracks.append(sample.track_id)
        self._detector = None
        self.index += 1
        if self.index == len(self.steps):
            self.status = "passed"
            return events
        self._deadline = t + self.step_timeout if self.step_timeout else None
        events.append(self._step_event("started"))
        return events
