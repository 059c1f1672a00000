"""Words for the accessible mode: Markdown as plain lines, results and dates as sentences."""

from __future__ import annotations

import re
from datetime import datetime

from selfverify.core.liveness import STEP_WORDS  # noqa: F401 - re-exported for the plain mode

# (why, what to do next) for each reason a selfie run gives for not verifying
NOT_VERIFIED = {
    "no_match": ("your face did not match the reference photo",
                 "Use a clearer, more recent reference photo and face the camera in good light, or choose the interview."),
    "not_live": ("the liveness steps were not completed",
                 "Follow each step while looking at the camera. A photo held up to the camera cannot pass."),
    "no_face": ("no face was seen clearly enough",
                "Sit in front of the camera, face a light, and keep your whole face in view."),
    "timed_out": ("the check took too long",
                  "Try again, or choose the interview if the camera keeps struggling."),
    "camera_lost": ("the camera stopped during the check",
                    "Reconnect the camera and try again, or choose the interview."),
    "cancelled": ("you stopped the check", "Try again when you are ready."),
}

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_EMPHASIS = re.compile(r"(\*\*|__|`)")


def markdown_lines(text: str) -> list[str]:
    """Markdown as lines a screen reader reads without symbols: headings and bullets lose their
    marks, a wrapped bullet becomes one line, blank lines separate sections."""
    lines: list[str] = []
    joinable = False  # the previous line is a paragraph or bullet a continuation belongs to
    for raw in text.splitlines():
        stripped = _EMPHASIS.sub("", raw).strip()
        if not stripped:
            if lines and lines[-1]:
                lines.append("")
            joinable = False
            continue
        heading, bullet = _HEADING.match(raw), _BULLET.match(raw)
        if heading:
            if lines and lines[-1]:
                lines.append("")
            lines.append(_EMPHASIS.sub("", heading.group(1)))
            joinable = False
        elif bullet:
            lines.append(_EMPHASIS.sub("", bullet.group(1)).strip())
            joinable = True
        elif joinable:
            lines[-1] += " " + stripped
        else:
            lines.append(stripped)
            joinable = True
    while lines and not lines[-1]:
        lines.pop()
    return lines


def spell_code(display_code: str) -> str:
    """``K7QX-M4PD`` -> ``K 7 Q X, M 4 P D``: a screen reader reads it character by character."""
    return ", ".join(" ".join(part) for part in display_code.split("-"))


def local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "unknown"


def outcome_lines(outcome) -> tuple[bool, str, list[str]]:  # noqa: ANN001
    """(verified with a credential, the Result sentence, the lines that follow it) for a SelfieOutcome."""
    decision = outcome.decision
    credential = getattr(outcome, "credential", None)
    if decision.verified and credential is not None:
        return True, (f"verified. Your credential {credential.id} is stored in your keyring, "
                      f"valid until {local_time(credential.expires_at)}."), []
    if decision.verified and decision.liveness != "passed":
        return False, "your face matches the reference photo, but the liveness check was off (a replay), so no credential was issued.", [
            "A replay of a recording can never earn a credential."]
    if decision.verified:
        why = getattr(outcome, "credential_error", None) or "it could not be stored"
        return False, f"your face matches, but no credential was issued: {why}", ["Try again, or choose the interview."]
    why, what = NOT_VERIFIED.get(decision.reason or "", (f"the check ended ({decision.reason})", "Try again, or choose the interview."))
    if decision.distance is not None and decision.reason == "no_match":
        why += f" (distance {decision.distance:.2f}, at most {decision.tolerance:.2f} needed)"
    lines = [what]
    attempts = getattr(outcome, "attempts", None)
    if attempts is not None and attempts.message:
        lines.append(attempts.message)
    return False, f"not verified: {why}.", lines
