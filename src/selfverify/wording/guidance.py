"""Steady guidance: which camera guidance sentence a person should hear, and when.

The run emits a guidance change whenever one frame differs from the last, which can be many
times a second ("Look straight at the camera" / "Good: hold still" flickering). Said aloud, that
outruns speech and drowns the liveness steps. The steadier is fed what the run says (guidance
changes, steps, comparing progress) with the time, and answers what to say:

- a guidance sentence only once it has held for ``hold_s`` (about a second; a screen may use less);
- never the same sentence again within ``repeat_gap_s``;
- nothing that contradicts the current step ("hold still" while a turn is asked for) and no size
  or centring advice while good frames are being compared;
- never faster than speech: after a sentence, the next guidance waits until the first could have
  been spoken at ``words_per_minute`` (None: no such wait, for a screen);
- the current step and the latest guidance on request (Enter or ``status``).

Pure: no clock, no threads, no I/O; the caller passes ``now`` in seconds (any monotonic origin).
Keys are the run's codes (``ok``, ``move_closer``, ...) and step names (``blink``, ``turn_left``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_HOLD_S = 1.0
DEFAULT_REPEAT_GAP_S = 5.0
DEFAULT_COMPARING_QUIET_S = 3.0
SPEECH_WPM = 175.0

# guidance that tells a person to keep their head still or facing front
_STILLNESS = frozenset({"ok", "blurry", "look_straight"})
# guidance a step makes wrong: the step itself is the instruction while it runs
CONTRADICTS_STEP = {
    "turn_left": _STILLNESS,
    "turn_right": _STILLNESS,
    "open_mouth": frozenset({"ok", "blurry"}),
    "blink": frozenset({"ok"}),
}
# advice about size or position, wrong while the face is good enough to be compared
_FRAMING = frozenset({"move_closer", "move_back", "centre"})


def words_in(sentence: str) -> int:
    return len(sentence.split())


def speech_seconds(sentence: str, words_per_minute: float = SPEECH_WPM) -> float:
    """How long ``sentence`` takes to say at ``words_per_minute``."""
    return words_in(sentence) * 60.0 / words_per_minute


@dataclass
class _Candidate:
    key: str
    sentence: str
    since: float


@dataclass
class GuidanceSteadier:
    hold_s: float = DEFAULT_HOLD_S
    repeat_gap_s: float = DEFAULT_REPEAT_GAP_S
    words_per_minute: float | None = SPEECH_WPM
    comparing_quiet_s: float = DEFAULT_COMPARING_QUIET_S
    step_key: str | None = None
    step_sentence: str | None = None
    _latest: _Candidate | None = None  # what the camera sees now, said or not
    _said_key: str | None = None  # the last guidance said
    _said_at: dict[str, float] = field(default_factory=dict)  # sentence -> when it was last said
    _busy_until: float = float("-inf")  # speech of what was said last runs until then
    _compared_at: float = float("-inf")  # the last time the good-frame count rose

    def guidance(self, now: float, key: str, sentence: str) -> None:
        """The run's guidance changed to ``key``/``sentence``; it is said by ``due`` once it has held."""
        if self._latest is None or self._latest.key != key or self._latest.sentence != sentence:
            self._latest = _Candidate(key, sentence, now)

    def step(self, now: float, key: str | None, sentence: str | None = None) -> str | None:
        """A step was announced (``key`` None: no step runs now). Returns the sentence to say at once.

        Guidance seen before the step must hold again after it, so nothing older than the step
        follows it straight away."""
        self.step_key, self.step_sentence = key, sentence
        if self._latest is not None:
            self._latest.since = max(self._latest.since, now)
        if sentence:
            self.spoken(now, sentence)
        return sentence

    def comparing(self, now: float, good_frames: int, needed: int = 0) -> None:
        """Good frames are being compared (the count rose): framing advice is quiet for a while."""
        if good_frames > 0:
            self._compared_at = now

    def spoken(self, now: float, sentence: str) -> None:
        """Something else was said at ``now`` (a step, a status line): guidance waits for it to end."""
        if self.words_per_minute:
            self._busy_until = max(self._busy_until, now) + speech_seconds(sentence, self.words_per_minute)

    def contradicts(self, key: str, now: float) -> bool:
        if key in CONTRADICTS_STEP.get(self.step_key or "", ()):
            return True
        return key in _FRAMING and now - self._compared_at < self.comparing_quiet_s

    def due(self, now: float) -> str | None:
        """The guidance sentence to say now, or None. Call it on every event and regularly between."""
        latest = self._latest
        if latest is None or now - latest.since < self.hold_s or now < self._busy_until:
            return None
        if latest.key == self._said_key and self._said_at.get(latest.sentence, float("-inf")) >= latest.since:
            return None  # already said since it began to hold
        if self.contradicts(latest.key, now):
            return None
        last = self._said_at.get(latest.sentence)
        if last is not None and now - last < self.repeat_gap_s:
            return None
        self._said_key = latest.key
        self._said_at[latest.sentence] = now
        self.spoken(now, latest.sentence)
        return latest.sentence

    def latest_guidance(self, now: float | None = None) -> str | None:
        """What the camera sees now, unless the current step makes it wrong."""
        latest = self._latest
        if latest is None or self.contradicts(latest.key, latest.since if now is None else now):
            return None
        return latest.sentence

    def status(self, now: float | None = None) -> list[str]:
        """The current step and the latest guidance, for Enter or ``status``; empty before either."""
        return [s for s in (self.step_sentence, self.latest_guidance(now)) if s]
