"""The sentence for each event of a selfie run, for a front end that says events one line at a time.

``event_line(event)`` gives (label, text) or None. Guidance is not here: it goes through the
steadier (wording.guidance), which decides when a guidance sentence is worth saying. The words
are short because they are heard while the camera runs: a line must be said before the next one
is due.
"""

from __future__ import annotations

from selfverify.core.events import (
    CameraLost,
    ChallengeStep,
    Event,
    RunError,
    RunStarted,
)
from selfverify.core.liveness import INSTRUCTIONS, STEP_WORDS

CAMERA_ON = "camera on."
LIVENESS_OFF = "camera on, without the liveness steps (a replay: no credential can be issued)."
STEP_DONE = "done."
STEP_TIME_UP = "time is up."
WAITING_FOR_CAMERA = "waiting for the camera."


def step_label(index: int, total: int) -> str:
    return f"Step {index} of {total}"


def step_text(event: ChallengeStep) -> str:
    """What to do in a started step: the instruction without its "Step i of n:" prefix."""
    prefix = step_label(event.index, event.total) + ":"
    if event.instruction.startswith(prefix):
        text = event.instruction[len(prefix):].strip()
    else:
        text = event.instruction or INSTRUCTIONS.get(event.step, STEP_WORDS.get(event.step, event.step.replace("_", " ")))
    if event.deadline_s:
        from selfverify.wording.speech import duration

        text += f", within {duration(event.deadline_s)}"
    return text


def steps_summary(steps: tuple[str, ...] | list[str]) -> str:
    """``blink, then turn your head left``."""
    return ", then ".join(STEP_WORDS.get(step, step.replace("_", " ")) for step in steps)


def event_line(event: Event) -> tuple[str, str] | None:
    """(label, text) for an event a listener needs; None for the rest: guidance (the steadier's), the
    comparing progress (said on request), the decision (the outcome's), previews."""
    if isinstance(event, RunStarted):  # a normal start is heard in the first step or guidance, not announced
        from selfverify.core.flow import start_notice

        notice = start_notice(event)
        if event.liveness and not notice:
            return None
        return "Status", (CAMERA_ON if event.liveness else LIVENESS_OFF) + (f" {notice}" if notice else "")
    if isinstance(event, ChallengeStep):
        label = step_label(event.index, event.total)
        if event.status == "started":
            return label, step_text(event)
        return label, STEP_DONE if event.status == "passed" else STEP_TIME_UP
    if isinstance(event, (CameraLost, RunError)):
        return "Problem", event.message
    return None
