"""Typed, immutable events a verification run emits. Front ends render them; they never compute.

Every event except ``PreviewFrame`` belongs to the session timeline (``to_timeline()``), which
holds no biometric data: no image, encoding or landmark ever goes into an event's timeline form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    # seconds since the run started (monotonic); a replay differs from the original only here
    t: float = field(default=0.0, kw_only=True)
    in_timeline: ClassVar[bool] = True

    def to_timeline(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        return data


@dataclass(frozen=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    source: str = ""  # a description of the frame source (no image data)
    liveness: bool = True
    seed: int | None = None
    tolerance: float = 0.0
    live_source: bool = False  # see Decision.live_source: False means this run can never earn a credential
    replay: bool = False  # a support replay: a chosen seed on a recording, nothing counted or issued
    # the other settings a decision depends on, so a support replay can judge exactly as this run did
    challenge_steps: int = 0
    challenge_timeout: float = 0.0
    verify_timeout: float = 0.0
    decision_frames: int = 0


@dataclass(frozen=True)
class CameraChecked(Event):
    """What the platform says the camera device is (driver, card, bus; never an image)."""

    kind: ClassVar[str] = "camera_check"
    verdict: str = "unknown"  # physical | virtual | not_camera | unknown (the platform does not say)
    reason: str = ""
    driver: str = ""
    card: str = ""
    bus_info: str = ""
    capabilities: str = ""


@dataclass(frozen=True)
class GuidanceChanged(Event):
    """The guidance sentence changed (deduplicated: emitted only on change)."""

    kind: ClassVar[str] = "guidance"
    code: str = ""  # e.g. no_face, too_many_faces, move_closer, move_back, centre, too_dark, too_bright, blurry, hold_still, ok
    message: str = ""


@dataclass(frozen=True)
class ChallengeIssued(Event):
    kind: ClassVar[str] = "challenge_issued"
    steps: tuple[str, ...] = ()  # e.g. ("blink", "turn_left")
    seed: int | None = None


@dataclass(frozen=True)
class ChallengeStep(Event):
    kind: ClassVar[str] = "challenge_step"
    index: int = 0  # 1-based
    total: int = 0
    step: str = ""  # blink | turn_left | turn_right | open_mouth
    instruction: str = ""  # "Step 2 of 3: turn your head left"
    status: str = "started"  # started | passed | timed_out
    deadline_s: float | None = None  # None = no deadline


@dataclass(frozen=True)
class MatchProgress(Event):
    kind: ClassVar[str] = "match_progress"
    good_frames: int = 0
    needed: int = 0


@dataclass(frozen=True)
class CameraLost(Event):
    kind: ClassVar[str] = "camera_lost"
    message: str = ""


@dataclass(frozen=True)
class RunError(Event):
    kind: ClassVar[str] = "error"
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Decision(Event):
    kind: ClassVar[str] = "decision"
    verified: bool = False
    reason: str | None = None  # None when verified; else no_match | not_live | no_face | timed_out | camera_lost | cancelled
    distance: float | None = None  # rounded to 3 decimals
    tolerance: float = 0.0
    frames_used: int = 0
    liveness: str = "skipped"  # passed | failed | skipped
    # frames from a camera device not known to be virtual, under a challenge the run drew itself;
    # False for files, folders, stills, virtual cameras and chosen seeds
    live_source: bool = False
    replay: bool = False  # a support replay (chosen seed): reports verdicts, never counts or earns
    challenge_started: bool = False  # the challenge was shown: a try, however the run ended

    @property
    def can_issue_credential(self) -> bool:
        """Only a verified, live run at a real camera under its own challenge; never a replay."""
        return self.verified and self.liveness == "passed" and self.live_source and not self.replay


@dataclass(frozen=True, eq=False)
class PreviewFrame(Event):
    """The newest camera frame for a preview widget. Never stored, never in the timeline."""

    kind: ClassVar[str] = "preview"
    in_timeline: ClassVar[bool] = False
    frame: Any = None  # numpy BGR array
    face_box: tuple[int, int, int, int] | None = None  # top, right, bottom, left in frame pixels

    def to_timeline(self) -> dict[str, Any]:  # pragma: no cover - guarded by in_timeline
        raise TypeError("preview frames are never part of a timeline")
