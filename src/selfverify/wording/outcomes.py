"""What each outcome of a selfie check means, in one set of sentences for every front end.

``meaning(outcome)`` classifies a run's outcome (verified with a credential, verified but no
credential stored, a recording, a replay, or not verified and why) and gives its heading, its
detail and what to do next. The TUI's result screen, the plain mode and ``selfverify verify``
only lay these sentences out; none writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from selfverify.i18n import N_, _

# why a run did not verify, and what to do next (marked: translated where said, with _())
NOT_VERIFIED = {
    "no_match": (N_("your face did not match the reference photo"),
                 N_("Use a clearer, more recent reference photo and face the camera in good light, or choose the interview.")),
    "not_live": (N_("the liveness challenge was not completed"),
                 N_("Follow each step while looking at the camera. A photo held up to the camera cannot pass.")),
    "no_face": (N_("no face was seen clearly enough"),
                N_("Sit in front of the camera, face a light, and keep your whole face in view.")),
    "timed_out": (N_("the check took too long"),
                  N_("Try again, or choose the interview if the camera keeps struggling.")),
    "camera_lost": (N_("the camera stopped during the check"),
                    N_("Reconnect the camera and try again, or choose the interview.")),
    "cancelled": (N_("you stopped the check"), N_("Try again when you are ready.")),
}
OTHER_REASON_NEXT = N_("Try again, or choose the interview.")
VERIFIED = N_("Verified.")
NO_CREDENTIAL = N_("Verified, but no credential could be stored.")
NO_CREDENTIAL_RETRY = N_("You can try again once the keyring works.")
RECORDING = N_("Your face matches, but this was a recording, not a live camera.")
REPLAY = N_("Your face matches the reference photo, but liveness was skipped (a replay), so no credential was issued.")
REPLAY_NEVER_EARNS = N_("A replay can never earn a credential.")
SUPPORT_REPLAY = N_("A replay counts no try and never earns a credential.")
LOCKED = N_("Too many failed tries: the selfie check is locked.")


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
        fix = _("Fix: {fix} Then try again.").format(fix=self.fix) if self.fix else self.next
        return [s for s in (self.title, self.detail, fix) if s]


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
    if reason in NOT_VERIFIED:
        why, what = (_(text) for text in NOT_VERIFIED[reason])
    else:
        why, what = _("the check ended ({reason})").format(reason=reason), _(OTHER_REASON_NEXT)
    if reason == "no_match" and decision.distance is not None:
        from babel.numbers import format_decimal

        from selfverify.i18n import babel_locale

        def number(value: float) -> str:  # 0.71, 0,71
            return format_decimal(value, "0.00", locale=babel_locale())

        why = _("{why} (distance {distance}, at most {tolerance} needed)").format(
            why=why, distance=number(decision.distance), tolerance=number(decision.tolerance))
    return why, what


def credential_stored(expires: str, credential_id: str | None = None) -> str:
    if credential_id:
        return _("Your credential {id} is stored in your keyring, valid until {expires}.").format(id=credential_id, expires=expires)
    return _("Your credential is stored in your keyring, valid until {expires}.").format(expires=expires)


def meaning(outcome: Any, when: Callable[[Any], str] = str, credential_id: Callable[[str], str | None] = lambda i: i) -> Meaning:
    """What a SelfieOutcome (or a bare run result with ``decision``) means. ``when`` formats the expiry,
    ``credential_id`` how (or whether: None) the front end names the credential."""
    decision = outcome.decision
    credential = getattr(outcome, "credential", None)
    error = getattr(outcome, "credential_error", None)
    if getattr(decision, "replay", False):
        ok = decision.verified
        title = _("Replay: the face matches.") if ok else _("Replay: not verified.")
        return Meaning("support_replay", ok, title, "", _(SUPPORT_REPLAY))
    if decision.verified and credential is not None:
        return Meaning("verified", True, True, _(VERIFIED), credential_stored(when(credential.expires_at), credential_id(credential.id)))
    if decision.verified and decision.liveness != "passed":
        return Meaning("replay", True, False, _(REPLAY), _(REPLAY_NEVER_EARNS))
    if decision.verified and not decision.live_source:
        detail = _("No credential was issued: {reason}").format(reason=_(error)) if error else _("No credential was issued.")
        return Meaning("recording", True, False, _(RECORDING), detail)
    if decision.verified:
        return Meaning("no_credential", True, False, _(NO_CREDENTIAL), _(error) if error else _("The keyring could not be used."),
                       _(NO_CREDENTIAL_RETRY), getattr(outcome, "credential_hint", None) or "")
    why, what = why_not(decision)
    return Meaning(effective_reason(decision) or "other", False, False, _("Not verified: {why}.").format(why=why), "", what)
