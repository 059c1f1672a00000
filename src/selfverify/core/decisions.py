"""Why a selfie run ended unverified, and which of those endings cost the user an attempt.

The values are the strings stored in ``verification_session.reason`` and in the timeline's
``decision`` events; they never change, so rows written by earlier versions read the same.
A ``StrEnum`` member equals its string, so code comparing with ``"no_match"`` keeps working.
"""

from __future__ import annotations

from enum import StrEnum


class DecisionReason(StrEnum):
    NO_MATCH = "no_match"  # a face was seen and it is not the reference's
    NOT_LIVE = "not_live"  # a face was there but never did the challenge (a photo held up)
    TIMED_OUT = "timed_out"  # time ran out after the face was encoded
    NO_FACE = "no_face"  # no usable face was seen: nothing was tried
    CAMERA_LOST = "camera_lost"
    CANCELLED = "cancelled"

    @property
    def always_a_failure(self) -> bool:
        """Counts as a failed attempt however far the run got."""
        return self in _ALWAYS_A_FAILURE

    def counts_as_failure(self, challenge_started: bool) -> bool:
        """Whether this ending costs an attempt. Once the challenge has been shown every ending
        counts (stopped, camera lost, no face), else ending a run whose challenge a recording does
        not cover would re-draw it for free."""
        return self.always_a_failure or (self in _FAILURE_ONCE_STARTED and bool(challenge_started))

    @classmethod
    def parse(cls, value: str | None) -> DecisionReason | None:
        """The reason for a stored string; None for a verified run or a reason this version does not know."""
        try:
            return cls(value) if value is not None else None
        except ValueError:
            return None


_ALWAYS_A_FAILURE = frozenset({DecisionReason.NO_MATCH, DecisionReason.NOT_LIVE, DecisionReason.TIMED_OUT})
_FAILURE_ONCE_STARTED = frozenset({DecisionReason.CANCELLED, DecisionReason.CAMERA_LOST, DecisionReason.NO_FACE})


def is_failed_try(reason: str | None, challenge_started: bool) -> bool:
    """Whether a run that ended for ``reason`` (a stored string or a member) counts as a failed attempt."""
    parsed = DecisionReason.parse(reason)
    return parsed is not None and parsed.counts_as_failure(challenge_started)
