"""What each outcome of a selfie check means, in one set of sentences for every front end.

``meaning(outcome)`` classifies a run's outcome (verified with a credential, verified but no
credential stored, a recording, a replay, or not verified and why) and gives its heading, its
detail and what to do next. The TUI's result screen, the plain mode and ``selfverify verify``
only lay these sentences out; none writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

# why a run did not verify, and what to do next
NOT_VERIFIED = {
    "no_match": ("your face did not match the reference photo",
                 "Use a clearer, more recent reference photo and face the camera in good light, or choose the interview."),
    "not_live": ("the liveness challenge was not completed",
                 "Follow each step while looking at the camera. A photo held up to the camera cannot pass."),
    "no_face": ("no face was seen clearly enough",
                "Sit in front of the camera, face a light, and keep your whole face in view."),
    "timed_out": ("the check took too long",
                  "Try again, or choose the interview if the camera keeps struggling."),
    "camera_lost": ("the camera stopped during the check",
                    "Reconnect the camera and try again, or choose the interview."),
    "cancelled": ("you stopped the check", "Try again when you are ready."),
}
OTHER_REASON_NEXT = "Try again, or choose the interview."
VERIFIED = "Verified."
NO_CREDENTIAL = "Verified, but no credential could be stored."
NO_CREDENTIAL_RETRY = "You can try again once the keyring works."
RECORDING = "Your face matches, but this was a recording, not a live camera."
REPLAY = "Your face matches the reference photo, but liveness was skipped (a replay), so no credential was issued."
REPLAY_NEVER_EARNS = "A replay can never earn a credential."
SUPPORT_REPLAY = "A replay counts no try and never earns a credential."
LOCKED = "Too many failed tries: the selfie check is locked."


@dataclass(frozen=True)
class Meaning:
    kind: str  # verified | no_credential | recording | replay | support_replay | a NOT_VERIFIED reason | other
    matched: bool  # the face matched the reference photo
    credential: bool  # a credential was issued: the journey is over
    title: str  # one sentence: the result
    detail: str = ""  # why, or where the credential is
    next: str = ""  # what to do now
    fix: str = ""  # how to fix what stopped the credential, when known

    @property
    def sentences(self) -> list[str]:
        return [s for s in (self.title, self.detail, f"Fix: {self.fix} Then try again." if self.fix else self.next) if s]


def effective_reason(decision: Any) -> str | None:
    """The reason a person should hear: a run that failed liveness or time but whose face was measured
    and did not match is a mismatch (liveness is not the fix)."""
    reason = decision.reason
    distance, tolerance = decision.distance, decision.tolerance
    if reason in ("not_live", "timed_out") and distance is not None and tolerance and distance > tolerance:
        return "no_match"
    return reason


def why_not(decision: Any) -> tuple[str, str]:
    """(why, what next) for a run that did not verify; the distance is said for a mismatch."""
    reason = effective_reason(decision)
    why, what = NOT_VERIFIED.get(reason or "", (f"the check ended ({reason})", OTHER_REASON_NEXT))
    if reason == "no_match" and decision.distance is not None:
        why += f" (distance {decision.distance:.2f}, at most {decision.tolerance:.2f} needed)"
    return why, what


def credential_stored(expires: str, credential_id: str | None = None) -> str:
    named = f"Your credential {credential_id}" if credential_id else "Your credential"
    return f"{named} is stored in your keyring, valid until {expires}."


def meaning(outcome: Any, when: Callable[[Any], str] = str, credential_id: Callable[[str], str | None] = lambda i: i) -> Meaning:
    """What a SelfieOutcome (or a bare run result with ``decision``) means. ``when`` formats the expiry,
    ``credential_id`` how (or whether: None) the front end names the credential."""
    decision = outcome.decision
    credential = getattr(outcome, "credential", None)
    error = getattr(outcome, "credential_error", None)
    if getattr(decision, "replay", False):
        ok = decision.verified
        return Meaning("support_replay", ok, "Replay: the face matches." if ok else "Replay: not verified.", "", SUPPORT_REPLAY)
    if decision.verified and credential is not None:
        return Meaning("verified", True, True, VERIFIED, credential_stored(when(credential.expires_at), credential_id(credential.id)))
    if decision.verified and decision.liveness != "passed":
        return Meaning("replay", True, False, REPLAY, REPLAY_NEVER_EARNS)
    if decision.verified and not decision.live_source:
        return Meaning("recording", True, False, RECORDING, f"No credential was issued: {error}" if error else "No credential was issued.")
    if decision.verified:
        return Meaning("no_credential", True, False, NO_CREDENTIAL, error or "The keyring could not be used.",
                       NO_CREDENTIAL_RETRY, getattr(outcome, "credential_hint", None) or "")
    why, what = why_not(decision)
    return Meaning(effective_reason(decision) or "other", False, False, f"Not verified: {why}.", "", what)
