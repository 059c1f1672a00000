"""The selfie check as a state machine over a frame source, emitting typed events.

Per frame: analyse (track the face, landmarks) -> quality guidance -> encode the face when the
frame is good and more evidence is needed -> liveness step progress -> decide.

Only a camera device (not a virtual one) under a challenge the run drew from its own seed can earn
a credential (``Decision.live_source``); a chosen seed is a support replay (``replay=True``).

Replays are deterministic: a file source gives every frame in order, and every deadline is
measured in frame time (the video's timestamps), so a replay's events differ only in ``t``.
Live sources measure deadlines with the injected clock.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from selfverify.core.camera import CameraDeviceSource, CameraLostError, FrameSource
from selfverify.core.clock import SystemClock
from selfverify.core.events import (
    CameraChecked,
    CameraLost,
    ChallengeIssued,
    Decision,
    Event,
    GuidanceChanged,
    MatchProgress,
    PreviewFrame,
    RunError,
    RunStarted,
)
from selfverify.core.faces import FaceEncoder, FrameAnalyser, FrameAnalysis, Reference
from selfverify.core.liveness import (
    SETTLE_SAMPLES,
    ChallengeSequence,
    LivenessSample,
    TextureParallax,
    draw_challenge,
    new_seed,
)
from selfverify.core.quality import Guidance, guidance_for, measure
from selfverify.errors import InputError, SelfverifyError
from selfverify.i18n import N_, _

# said by every front end when a run starts that can never earn a credential
RECORDING_NOTICE = N_("This is a recording or a virtual camera, not a live camera: it can never earn a credential.")
REPLAY_NOTICE = N_("Support replay: nothing is counted, stored or issued.")
MIN_ENCODE_GAP_S = 0.06  # about every other frame at 30 fps: neighbouring frames add little evidence
# guidance codes of a single tracked face whose picture is good, whichever way it looks
_GOOD_FACE_GUIDANCE = frozenset({"ok", "look_straight"})


@dataclass
class _TrackEvidence:
    """Distances of one tracked face's good frames to the reference (floats, not biometrics)."""

    distances: list[float] = field(default_factory=list)
    last_encoded_at: float | None = None
    best_distance: float | None = None
    best_frame: Any = None  # memory only


@dataclass
class RunResult:
    decision: Decision
    events: list[Event]
    best_frame: Any = field(default=None, repr=False)  # BGR, memory only: for opt-in retention
    seed: int | None = None
    steps: tuple[str, ...] = ()
    frames_analysed: int = 0
    challenge_started: bool = False


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def refuse_liveness_off_with_camera(label: str) -> None:
    """Liveness off exists to replay recordings; in front of a live camera it would let anyone through."""
    raise InputError(
        _("Liveness can only be turned off to replay a recording, not with the live camera {label}: "
          "a check at a camera must show that a live person is there.").format(label=label),
        code="liveness_off_with_camera",
        hint=_("Turn liveness back on, or use a video file, an image folder or a photo as the camera."),
    )


def start_notice(event: RunStarted) -> str | None:
    """What a user must know from the first line of a run that cannot earn a credential."""
    if event.replay:
        return _(REPLAY_NOTICE)
    if event.liveness and not event.live_source:
        return _(RECORDING_NOTICE)
    return None


class SelfieRun:
    """One selfie check. ``run()`` blocks until a decision and releases the source on every path."""

    def __init__(
        self,
        settings: Any,
        reference: Reference,
        source: FrameSource,
        *,
        clock: Any = None,
        on_event: Callable[[Event], None] | None = None,
        cancel: threading.Event | None = None,
        liveness: bool | None = None,
        encoder: FaceEncoder | None = None,
        replay: bool = False,
    ):
        """``encoder``: computes encodings outside this process (``core.encoder.EncoderProcess``),
        so a front end's own threads are not held up; None encodes here. ``replay``: a support
        replay of ``settings.seed``'s challenge; its decision is marked and can never earn."""
        self.settings = settings
        self.reference = reference
        self.source = source
        self.clock = clock or SystemClock()
        self.on_event = on_event
        self.cancel = cancel or threading.Event()
        self.liveness = settings.liveness if liveness is None else liveness
        self.replay = replay
        seed_chosen = settings.seed is not None
        self.seed = settings.seed if seed_chosen else new_seed()
        forced = getattr(source, "challenge_steps", None)  # only a test-only injected device sets it
        self.steps = (tuple(forced) if forced else draw_challenge(self.seed, settings.challenge_steps)) if self.liveness else ()
        # a chosen seed means a challenge someone could prepare a recording for
        self.live_source = bool(self.liveness and not replay and not seed_chosen and getattr(source, "is_live_camera", False))
        self._challenge_started = False
        self.needed = settings.decision_frames
        self.tolerance = settings.tolerance
        self.encoder = encoder
        self._analyser: Any = None  # FrameAnalyser, made when the run starts
        self._events: list[Event] = []
        self._t0 = 0.0
        self._guidance: Guidance | None = None
        self._tracks: dict[int, _TrackEvidence] = {}
        self._good_face_frames = 0  # frames with one tracked face of good quality, frontal or not
        self._face_encoded = False
        self._frames = 0
        self._progress_shown = -1
        self._challenge: ChallengeSequence | None = None
        self._decided_tracks: list[int] = []
        self._texture = TextureParallax()  # the nose tip's parallax on the picture, for turn steps

    @property
    def challenge_started(self) -> bool:
        """The challenge was shown: the run is a try, however it ends."""
        return self._challenge_started

    # events -------------------------------------------------------------------------------
    def _emit(self, event_type: type[Event], **fields: Any) -> Event:
        return self._publish(event_type(**fields))

    def _publish(self, event: Event) -> Event:
        event = replace(event, t=round(self.clock.monotonic() - self._t0, 3))
        if event.in_timeline:
            self._events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    # the run ------------------------------------------------------------------------------
    def run(self) -> RunResult:
        self.source.cancel = self.cancel
        self._t0 = self.clock.monotonic()
        try:
            self._require_recording_without_liveness()
            decision = self._run()
        except SelfverifyError as exc:
            self._emit(RunError, code=exc.code, message=exc.user_message)
            raise
        finally:
            self.source.release()
        return RunResult(
            decision=decision,
            events=list(self._events),
            best_frame=self._best_frame(decision),
            seed=self.seed,
            steps=self.steps,
            frames_analysed=self._frames,
            challenge_started=self._challenge_started,
        )

    def _require_recording_without_liveness(self) -> None:
        if not self.liveness and isinstance(self.source, CameraDeviceSource):
            refuse_liveness_off_with_camera(self.source.label)

    def _run(self) -> Decision:
        analyser = self._analyser = FrameAnalyser(self.settings.analysis_width, encoder=self.encoder)
        self._emit(RunStarted, source=self.source.describe(), liveness=self.liveness, seed=self.seed, tolerance=self.tolerance,
                   live_source=self.live_source, replay=self.replay, challenge_steps=len(self.steps),
                   challenge_timeout=self.settings.challenge_timeout, verify_timeout=self.settings.verify_timeout,
                   decision_frames=self.needed)
        identity = getattr(self.source, "identity", None)
        if identity is not None:
            self._emit(CameraChecked, **identity.as_dict())
        if self.liveness:
            self._challenge = ChallengeSequence(
                self.steps,
                step_timeout=self.settings.challenge_timeout,
                turn_degrees=self.settings.turn_degrees,
                blink_drop=self.settings.blink_drop,
            )
            # shown: from here the run is a try however it ends, else stopping the feed re-draws for free
            self._challenge_started = True
            self._emit(ChallengeIssued, steps=self.steps, seed=self.seed)
        timeout = self.settings.verify_timeout
        while True:
            if self.cancel.is_set():
                return self._decide("cancelled")
            try:
                frame = self.source.read()
            except CameraLostError as exc:
                self._emit(CameraLost, message=exc.user_message)
                return self._decide("camera_lost")
            if frame is None:
                if self.cancel.is_set():
                    return self._decide("cancelled")
                return self._at_end_of_source()
            now = self.source.timestamp if self.source.is_replay else self.clock.monotonic() - self._t0
            self._frames += 1
            decision = self._step(frame, analyser.analyse(frame), now)
            if decision is not None:
                return decision
            if timeout and now >= timeout:
                return self._decide(self._unfinished_reason())

    def _step(self, frame: Any, analysis: FrameAnalysis, now: float) -> Decision | None:
        self._emit(PreviewFrame, frame=frame, face_box=analysis.frame_box)
        face = analysis.face
        quality = measure(analysis.gray, face.box if face else None, analysis.face_count, face.landmarks if face else None)
        turning = self._challenge is not None and (self._challenge.current_step or "").startswith("turn_")
        guidance = guidance_for(quality, self.settings, ask_frontal=not turning)
        if guidance != self._guidance:
            self._guidance = guidance
            self._emit(GuidanceChanged, code=guidance.code, message=guidance.message)
        if face is not None and face.confirmed and guidance.code in _GOOD_FACE_GUIDANCE:
            self._good_face_frames += 1
        if face is not None and face.confirmed and guidance.ok and quality.frontal:
            self._collect(frame, analysis, now)
        if self._challenge is not None:
            # steps count only on a single, detected face whose identity has been measured
            tracked = face is not None and face.confirmed
            texture = self._texture.update(face.track_id, analysis.gray, face.landmarks) if tracked else math.nan
            anchored = tracked and analysis.face_count == 1 and self._encoded(face.track_id)
            sample = LivenessSample.from_landmarks(now, face.track_id, face.landmarks, texture) if anchored else None
            for event in self._challenge.observe(now, sample):
                self._publish(event)
            if self._challenge.status == "failed":
                return self._decide("not_live")
            if self._challenge.status != "passed":
                return None
        return self._decide_if_ready()

    def _collect(self, frame: Any, analysis: FrameAnalysis, now: float) -> None:
        """Encode this good frame if its face still needs evidence."""
        assert analysis.face is not None
        evidence = self._tracks.setdefault(analysis.face.track_id, _TrackEvidence())
        if len(evidence.distances) >= self.needed:
            return
        if evidence.last_encoded_at is not None and now - evidence.last_encoded_at < MIN_ENCODE_GAP_S:
            return
        distance = self.reference.distance(self._analyser.encode(frame, analysis))
        self._face_encoded = True
        evidence.distances.append(distance)
        evidence.last_encoded_at = now
        if evidence.best_distance is None or distance < evidence.best_distance:
            evidence.best_distance = distance
            evidence.best_frame = frame.copy()
        good = len(self._decision_distances(analysis.face.track_id))
        if good != self._progress_shown:
            self._progress_shown = good
            self._emit(MatchProgress, good_frames=good, needed=self.needed)

    def _encoded(self, track: int) -> bool:
        evidence = self._tracks.get(track)
        return evidence is not None and bool(evidence.distances)

    def _eligible_tracks(self, current: int | None = None) -> list[int]:
        """The faces whose frames count: with liveness, those that passed steps; else the current one."""
        if self._challenge is not None and self._challenge.passed_tracks:
            return sorted(set(self._challenge.passed_tracks))
        if current is not None:
            return [current]
        return [max(self._tracks, key=lambda k: len(self._tracks[k].distances))] if self._tracks else []

    def _decision_distances(self, current: int | None = None) -> list[float]:
        return [d for track in self._eligible_tracks(current) for d in self._tracks.get(track, _TrackEvidence()).distances]

    def _decide_if_ready(self) -> Decision | None:
        ready = [t for t in self._tracks if len(self._tracks[t].distances) >= self.needed]
        if self._challenge is not None:
            if len(self._decision_distances()) < self.needed:
                return None
            return self._decide_match(self._eligible_tracks())
        if not ready:
            return None
        return self._decide_match([ready[0]])

    def _decide_match(self, tracks: list[int]) -> Decision:
        """Verified when the median of the best ``needed`` distances is within tolerance, and so is
        every contributing face's own median (no impostor can hide behind a genuine face)."""
        distances = sorted(d for t in tracks for d in self._tracks[t].distances)
        used = distances[: self.needed]
        overall = median(used)
        every_face = all(median(self._tracks[t].distances) <= self.tolerance for t in tracks)
        verified = overall <= self.tolerance and every_face
        self._decided_tracks = tracks
        return self._decide(None if verified else "no_match", distance=overall, frames_used=len(used))

    def _at_end_of_source(self) -> Decision:
        if self._challenge is None or self._challenge.status == "passed":
            tracks = [t for t in self._eligible_tracks() if self._encoded(t)]
            if tracks:
                return self._decide_match(tracks)
        return self._decide(self._unfinished_reason())

    def _unfinished_reason(self) -> str:
        """Why a run ended (time up, source over) without a match decision. A face that was there
        but never did the challenge (a photo held up, turned or not) is not live: a failed try."""
        if self._challenge is not None and self._challenge.status != "passed":
            # as many frames as a challenge step needs to start: not a stray detection
            return "not_live" if self._good_face_frames >= SETTLE_SAMPLES else "no_face"
        return "timed_out" if self._face_encoded else "no_face"

    def _decide(self, reason: str | None, *, distance: float | None = None, frames_used: int = 0) -> Decision:
        if distance is None and reason is not None and self._decision_distances():  # the match verdict, whatever ended the run
            used = sorted(self._decision_distances())[: self.needed]
            distance, frames_used = median(used), len(used)
        if not self.liveness:
            liveness = "skipped"
        else:
            liveness = "passed" if self._challenge is not None and self._challenge.status == "passed" else "failed"
        return self._emit(  # type: ignore[return-value]
            Decision,
            verified=reason is None,
            reason=reason,
            distance=None if distance is None else round(distance, 3),
            tolerance=self.tolerance,
            frames_used=frames_used,
            liveness=liveness,
            live_source=self.live_source,
            replay=self.replay,
            challenge_started=self._challenge_started,
        )

    def _best_frame(self, decision: Decision) -> Any:
        tracks = self._decided_tracks or self._eligible_tracks()
        best = [self._tracks[t] for t in tracks if t in self._tracks and self._tracks[t].best_frame is not None]
        if not best:
            return None
        return min(best, key=lambda e: e.best_distance).best_frame
