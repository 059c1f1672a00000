"""An active liveness challenge: a seeded random sequence of steps (blink, turn left, turn right,
open the mouth), each judged on the tracked face with evidence a printed or on-screen photo cannot
give: 3D parallax for turns, eyelid and lip motion that is not foreshortening for the others.

Paper is developable: bent round a vertical axis (a cylinder, convex or concave) or folded along a
vertical line, its depth depends on x only, so points printed on one vertical line stay on one
straight line whatever way the sheet is turned; folded along a horizontal line, its depth depends
on y only. A head's nose tip sticks out in front of both the face's midline (27-33-51-57-8) and
the face's contour at the tip's own height, so on a turn it moves ahead of both.

- Turn: relative to the face's neutral pose (the median of its first ``SETTLE_SAMPLES``), for
  ``TURN_HOLD_SAMPLES`` samples in a row, all of: the 2D yaw (the nose tip between the outer eye
  corners) past ``turn_degrees``; the landmark nose tip ahead of the midline line fitted through
  27-33-51-57-8 (``TURN_MIDLINE_PARALLAX`` face heights) and of the contour's middle at its height
  (``TURN_CONTOUR_PARALLAX``); and the same parallax measured on the picture itself
  (``TextureParallax``: the texture at 27, 30 and 51 tracked by optical flow, its growth within
  ``TEXTURE_WINDOW_S`` of a sample facing the camera at least ``TURN_TEXTURE_PARALLAX``). Why three: dlib's 68-point model has learnt what turned
  heads look like, and on a print bent round a cylinder of 6-13 cm and swung 45 degrees it puts the
  nose tip off the midline and ahead of the contour as on a real head (measured with
  tests/attack_sim.py: up to 4 times the threshold); the tracked texture cannot be talked into that,
  because on the print the tip and its midline move together. The landmark cues still catch what
  the tracked midline cannot: a sheet folded horizontally with a ridge at the nose (depth a
  function of y: the contour at the tip's height moves with the tip). A rigid 3D fit (solvePnP
  against a generic head, or affine factorisation) was not chosen: it reads its depth from the same
  landmarks, so it inherits the model's prior, and a bent sheet is itself rigid.
  Measured on person S's real turns in the stage clip: per degree of 2D yaw the tip moves about
  0.0023 face heights ahead of the midline, 0.012 ahead of the contour, and the tracked tip
  0.05-0.09 within a 20-30 degree turn; the thresholds sit under what 15 degrees give (midline
  and texture about half of it, contour about 70 %: a horizontally folded print reached 0.10 there).
- Blink: the eyelid opening over the height from the eye corners to the nose base (a tilt shrinks
  both alike) dips below ``1 - blink_drop`` of its open level for ``MIN_CLOSED_SAMPLES``, at its
  deepest to ``BLINK_SHUT`` of it (landmark noise on a small, still face dips by a quarter), and
  comes back within ``MAX_CLOSED_S``, while the pitch (that height over the eye span) stays within
  ``BLINK_PITCH_STEADY`` and the brows do not come down towards the lids (``BLINK_BROW_SHRINK``):
  a print tilted back or folded at the eyes foreshortens brows and lids together, closing eyelids
  move away from the brows.
- Open mouth: the inner-lip gap grows by ``MOUTH_OPEN`` nose lengths and by ``MOUTH_LIPS_OPEN``
  of the lips' own thickness (bending or stretching a picture scales gap and lips together), with a
  steady pitch. Person S's singing in the clip passes it.

With 2 steps from 4 kinds, never the same twice in a row, there are 12 challenges: one recorded
answer fits about 1 in 12. This is not certified presentation-attack detection (ISO/IEC
30107-3): a replayed video of the person doing the right moves, a 3D mask or an injected deepfake
can beat it.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import deque
from dataclasses import dataclass, replace

from selfverify.core.events import ChallengeStep
from selfverify.core.face_cues import (  # noqa: F401  (the cues are imported from here too)
    MIDLINE,
    NOSE_DEPTH_RATIO,
    TEXTURE_BACK_PX,
    TEXTURE_MAX_STEP,
    TextureParallax,
    eyes_aspect_ratio,
    face_ratios,
    head_yaw,
)
from selfverify.i18n import N_, _

# signed into credentials as assurance.liveness_version: bump it when what counts as a pass changes
CHALLENGE_VERSION = 2  # 2: 3D parallax for turns, eyelid-only blinks, open-mouth step

STEPS = ("blink", "turn_left", "turn_right", "open_mouth")
# English, marked: translated where shown (``instruction(step)``, ``step_words(step)``)
INSTRUCTIONS = {
    "blink": N_("blink your eyes"),
    "turn_left": N_("turn your head to your left"),
    "turn_right": N_("turn your head to your right"),
    "open_mouth": N_("open your mouth wide, then close it"),
}
# short names of the steps, for front ends that summarise a challenge ("blink, then turn your head left")
STEP_WORDS = {
    "blink": N_("blink"),
    "turn_left": N_("turn your head left"),
    "turn_right": N_("turn your head right"),
    "open_mouth": N_("open your mouth"),
}


def instruction(step: str) -> str:
    """What to do in ``step``, in the current language (``blink your eyes``)."""
    return _(INSTRUCTIONS[step]) if step in INSTRUCTIONS else step_words(step)


def step_words(step: str) -> str:
    """A step's short name in the current language (``turn your head left``)."""
    return _(STEP_WORDS[step]) if step in STEP_WORDS else step.replace("_", " ")


def step_label(number: int, total: int) -> str:
    """``Step 2 of 3``, in the current language (the prefix of a started step's instruction)."""
    return _("Step {number} of {total}").format(number=number, total=total)
TURN_MIDLINE_PARALLAX = 0.02  # the nose tip's move ahead of the midline a turn needs, in face heights
TURN_CONTOUR_PARALLAX = 0.13  # ... and ahead of the face's contour at its own height
TURN_TEXTURE_PARALLAX = 0.025  # ... and, tracked on the picture, ahead of its bridge-lip line (TextureParallax)
TEXTURE_WINDOW_S = 1.0  # the tracked parallax must grow within this long after the face looked at the camera
BLINK_SHUT = 0.5  # a blink all but shuts the eyes: its deepest sample is at most half the open level
BLINK_PITCH_STEADY = 0.12  # eye-to-nose-base height / eye span may change this much while the eyes close
BLINK_BROW_SHRINK = 0.1  # the brows-to-upper-lids height may shrink this much while the eyes close (it grows in a blink)
MOUTH_OPEN = 0.15  # inner-lip gap growth an open mouth needs, in nose lengths (27-33)
MOUTH_LIPS_OPEN = 0.5  # ... and in the lips' own thickness (51-62 + 66-57)
MOUTH_HOLD_SAMPLES = 3  # an open mouth is held; mouth landmarks of a small, blurred face wobble for a frame or two
MOUTH_PITCH_STEADY = 0.15
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


@dataclass(frozen=True)
class LivenessSample:
    """What the challenge sees of one frame: which face and a few ratios of its landmarks (no
    landmarks). ``col``/``row``: the nose tip's offset from the face's midline (27-33-51-57-8) and
    from the middle of the face's contour (0-8, 16-8) at the tip's own height, across the face, in
    face heights (27-8); ``eye_open``: eyelid
    opening over the eye-corner-to-nose-base height; ``pitch``: that height over the eye span;
    ``brow``: the brows' height above the upper eyelids over the same height; ``mouth``: inner-lip gap over nose length (27-33);
    ``lips``: the gap over the lips' own thickness."""

    t: float
    track_id: int
    ear: float
    yaw: float
    col: float = 0.0
    row: float = 0.0
    eye_open: float = 0.0
    pitch: float = 0.0
    brow: float = 0.0
    mouth: float = 0.0
    lips: float = 0.0
    texture: float = math.nan

    @classmethod
    def from_landmarks(cls, t: float, track_id: int, landmarks, texture: float = math.nan) -> "LivenessSample":
        """``texture``: the nose tip's parallax measured by TextureParallax (NaN: not measured)."""
        return cls(t, track_id, eyes_aspect_ratio(landmarks), head_yaw(landmarks), texture=texture, **face_ratios(landmarks))


def neutral_of(samples: list[LivenessSample]) -> LivenessSample:
    """The per-cue median of a face's settling samples: its own neutral pose and expression."""
    fields = ("ear", "yaw", "col", "row", "eye_open", "pitch", "brow", "mouth", "lips", "texture")
    last = samples[-1]
    return replace(last, **{name: _median([getattr(s, name) for s in samples]) for name in fields})


def _median(values: list[float]) -> float:
    ordered = sorted(v for v in values if not math.isnan(v))
    return ordered[len(ordered) // 2] if ordered else math.nan


def _off(value: float, reference: float, tolerance: float) -> bool:
    """True when ``value`` differs from ``reference`` by more than ``tolerance`` of it."""
    return abs(value - reference) > tolerance * abs(reference)


class BlinkDetector:
    """Eyelid opening (``eye_open``, against a vertical reference a tilt shrinks as much) dips
    below ``1 - drop`` of its open level and recovers, while the head's pitch stays steady and the
    brows do not come down towards the lids: a tilted or folded print foreshortens those with the
    eyes; closing eyelids move away from the brows."""

    def __init__(self, drop: float = 0.25, baseline: list[LivenessSample] | None = None):
        self.drop = drop
        self._open: deque[LivenessSample] = deque(baseline or [], maxlen=BASELINE_SAMPLES)
        self._closed_since: float | None = None
        self._closed_samples = 0
        self._steady = True
        self._deepest = math.inf

    @property
    def baseline(self) -> LivenessSample | None:
        if len(self._open) < MIN_BASELINE_SAMPLES:
            return None
        return neutral_of(list(self._open))

    def update(self, sample: LivenessSample) -> bool:
        """Feed one sample; True when it completes a blink."""
        base = self.baseline
        if base is None:
            self._open.append(sample)
            return False
        level, t = sample.eye_open, sample.t
        if level <= base.eye_open * (1.0 - self.drop):
            if self._closed_since is None:
                self._closed_since, self._steady, self._deepest = t, True, level
            self._closed_samples += 1
            self._deepest = min(self._deepest, level)
            self._steady = self._steady and not (
                _off(sample.pitch, base.pitch, BLINK_PITCH_STEADY) or sample.brow < base.brow * (1.0 - BLINK_BROW_SHRINK)
            )
            return False
        if self._closed_since is None:
            self._open.append(sample)
            return False
        closed_for, samples = t - self._closed_since, self._closed_samples
        if level < base.eye_open * (1.0 - self.drop / 2.0):
            return False  # half-way: neither closed nor open again yet
        self._closed_since, self._closed_samples = None, 0
        self._open.append(sample)
        shut = self._deepest <= base.eye_open * min(1.0 - self.drop, BLINK_SHUT)
        return samples >= MIN_CLOSED_SAMPLES and closed_for <= MAX_CLOSED_S and shut and self._steady


class TurnDetector:
    """The 2D yaw goes ``degrees`` past the neutral pose in the asked direction AND the nose tip
    moves ahead of both the face's midline and its contour at the same height (3D parallax), for
    ``TURN_HOLD_SAMPLES`` samples."""

    def __init__(self, direction: str, neutral: LivenessSample, degrees: float = 15.0):
        if direction not in ("left", "right"):
            raise ValueError(f"unknown turn direction {direction!r}")
        self.sign = 1.0 if direction == "left" else -1.0
        self.neutral = neutral
        self.degrees = degrees
        self._held = 0
        self._frontal: deque[tuple[float, float]] = deque()  # (t, tracked parallax) facing the camera

    def turned(self, sample: LivenessSample) -> bool:
        n, sign = self.neutral, self.sign
        # the reference is taken facing the camera (never turned the other way: a sheet swung both
        # ways would add its small parallax one way to that the other way) within the last
        # TEXTURE_WINDOW_S (a turn takes well under a second; tracking drifts over longer)
        if not math.isnan(sample.texture) and abs(sample.yaw - n.yaw) <= self.degrees / 2:
            self._frontal.append((sample.t, sign * sample.texture))
        while self._frontal and self._frontal[0][0] < sample.t - TEXTURE_WINDOW_S:
            self._frontal.popleft()
        least = min((value for _, value in self._frontal), default=math.inf)
        return (
            sign * (sample.yaw - n.yaw) >= self.degrees
            and sign * (sample.col - n.col) >= TURN_MIDLINE_PARALLAX
            and sign * (sample.row - n.row) >= TURN_CONTOUR_PARALLAX
            # grown during the step (the tracking drifts over long runs): False when not measured
            and sign * sample.texture - least >= TURN_TEXTURE_PARALLAX
        )

    def update(self, sample: LivenessSample) -> bool:
        """Feed one sample; True once the head has been turned far enough for long enough."""
        self._held = self._held + 1 if self.turned(sample) else 0
        return self._held >= TURN_HOLD_SAMPLES


class MouthDetector:
    """The inner lips part by ``MOUTH_OPEN`` nose lengths more than at rest, and the gap grows
    against the lips' own thickness (a non-rigid change: bending or tilting a print scales the gap
    and the lips together), while the head's pitch stays steady, for ``MOUTH_HOLD_SAMPLES`` samples."""

    def __init__(self, neutral: LivenessSample):
        self.neutral = neutral
        self._held = 0

    def opened(self, sample: LivenessSample) -> bool:
        n = self.neutral
        return (
            sample.mouth - n.mouth >= MOUTH_OPEN
            and sample.lips - n.lips >= MOUTH_LIPS_OPEN
            and not _off(sample.pitch, n.pitch, MOUTH_PITCH_STEADY)
        )

    def update(self, sample: LivenessSample) -> bool:
        self._held = self._held + 1 if self.opened(sample) else 0
        return self._held >= MOUTH_HOLD_SAMPLES


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
        self._neutral: LivenessSample | None = None
        self._detector: BlinkDetector | TurnDetector | MouthDetector | None = None

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
            instruction=f"{step_label(self.index + 1, total)}: {instruction(step)}",
            status=status,
            deadline_s=self.step_timeout or None,
        )

    def _settle(self, sample: LivenessSample) -> bool:
        """Collect a new face's first samples; True once its neutral yaw is known."""
        if sample.track_id != self._track:
            self._track = sample.track_id
            self._settling = []
            self._neutral = None
            self._detector = None
        if self._neutral is not None:
            return True
        self._settling.append(sample)
        if len(self._settling) < SETTLE_SAMPLES:
            return False
        self._neutral = neutral_of(self._settling)
        return True

    def _new_detector(self) -> BlinkDetector | TurnDetector | MouthDetector:
        step = self.steps[self.index]
        if step == "blink":
            return BlinkDetector(self.blink_drop, baseline=list(self._settling))
        assert self._neutral is not None
        if step == "open_mouth":
            return MouthDetector(self._neutral)
        return TurnDetector(step.removeprefix("turn_"), self._neutral, self.turn_degrees)

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
        if not self._detector.update(sample):
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
