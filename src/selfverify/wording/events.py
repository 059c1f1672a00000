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
from selfverify.i18n import N_, _, pgettext

CAMERA_ON = N_("camera on.")
LIVENESS_OFF = N_("camera on, without the liveness steps (a replay: no credential can be issued).")
STEP_DONE = N_("done.")
STEP_TIME_UP = N_("time is up.")
WAITING_FOR_CAMERA = N_("waiting for the camera.")
# the words core says for each step (core.liveness.INSTRUCTIONS, STEP_WORDS), marked for the catalog:
# they are translated where they are said, by their English text
_STEP_WORDS = (N_("blink your eyes"), N_("turn your head to your left"), N_("turn your head to your right"),
               N_("open your mouth wide, then close it"), N_("blink"), N_("turn your head left"),
               N_("turn your head right"), N_("open your mouth"))


def label(kind: str) -> str:
    """A line's label in the current language: ``kind`` is status, result, problem or camera."""
    return {
        "status": pgettext("line label", "Status"),
        "result": pgettext("line label", "Result"),
        "problem": pgettext("line label", "Problem"),
        "camera": pgettext("line label", "Camera"),
    }[kind]


def step_label(index: int, total: int) -> str:
    return _("Step {index} of {total}").format(index=index, total=total)


def step_text(event: ChallengeStep) -> str:
    """What to do in a started step, in the current language: core's instruction without its "Step i of n:"."""
    text = event.instruction or ""
    for prefix in (f"Step {event.index} of {event.total}:", step_label(event.index, event.total) + ":"):  # i18n: ignore (core's English prefix, matched)
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    if not text:
        text = INSTRUCTIONS.get(event.step) or STEP_WORDS.get(event.step) or event.step.replace("_", " ")
    text = _(text)  # core's English sentence (marked below), said in the current language
    if event.deadline_s:
        from selfverify.wording.speech import duration

        text = _("{step}, within {time}").format(step=text, time=duration(event.deadline_s))
    return text


def steps_summary(steps: tuple[str, ...] | list[str]) -> str:
    """``blink, then turn your head left``."""
    return _(", then ").join(_(STEP_WORDS[step]) if step in STEP_WORDS else step.replace("_", " ") for step in steps)


def event_line(event: Event) -> tuple[str, str] | None:
    """(label, text) for an event a listener needs; None for the rest: guidance (the steadier's), the
    comparing progress (said on request), the decision (the outcome's), previews."""
    if isinstance(event, RunStarted):  # a normal start is heard in the first step or guidance, not announced
        from selfverify.core.flow import start_notice

        notice = start_notice(event)
        if event.liveness and not notice:
            return None
        said = CAMERA_ON if event.liveness else LIVENESS_OFF
        return label("status"), _(said) + (f" {_(notice)}" if notice else "")
    if isinstance(event, ChallengeStep):
        step = step_label(event.index, event.total)
        if event.status == "started":
            return step, step_text(event)
        ended = STEP_DONE if event.status == "passed" else STEP_TIME_UP
        return step, _(ended)
    if isinstance(event, (CameraLost, RunError)):
        return label("problem"), _(event.message)
    return None
