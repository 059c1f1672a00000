"""A selfie run in the accessible mode: the run works in its own thread, its events become one
labelled line each (a repeated sentence is said once), and typed lines can stop it meanwhile."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from selfverify.core.events import (
    CameraLost,
    ChallengeIssued,
    ChallengeStep,
    Event,
    GuidanceChanged,
    MatchProgress,
    PreviewFrame,
    RunError,
    RunStarted,
)
from selfverify.plain.terminal import Dialogue, InputClosed, LineWriter
from selfverify.plain.wording import STEP_WORDS

RUN_HELP = (
    "The selfie check is running. Follow the Status and Step lines. Press Enter to hear the last "
    "instruction again. Type back to stop, interview to stop and book an interview instead, or quit to leave."
)
STOP_WORDS = {"back": "back", "stop": "back", "cancel": "back", "quit": "quit", "exit": "quit", "interview": "interview"}
_JOIN_SECONDS = 15.0  # how long a stopped run may take to release the camera


def event_line(event: Event) -> tuple[str, str] | None:
    """(label, text) for an event a user should hear about; None for the rest."""
    if isinstance(event, RunStarted):
        from selfverify.core.flow import start_notice

        if event.liveness:
            notice = start_notice(event)
            return "Status", "selfie check started, with the liveness steps." + (f" {notice}" if notice else "")
        return "Status", "selfie check started without the liveness steps (a replay: no credential can be issued)."
    if isinstance(event, GuidanceChanged):
        return "Status", event.message
    if isinstance(event, ChallengeIssued):
        words = ", then ".join(STEP_WORDS.get(step, step.replace("_", " ")) for step in event.steps)
        return "Status", f"liveness check: {words}." if words else "liveness check."
    if isinstance(event, ChallengeStep):
        step = f"Step {event.index} of {event.total}"
        if event.status == "started":
            text = event.instruction.split(":", 1)[1].strip() if event.instruction.startswith(step + ":") else (
                event.instruction or STEP_WORDS.get(event.step, event.step))
            if event.deadline_s:
                text += f" (within {event.deadline_s:.0f} seconds)"
            return step, text
        return step, "done." if event.status == "passed" else "time is up."
    if isinstance(event, MatchProgress):
        return "Status", f"comparing, {event.good_frames} of {event.needed} good frames."
    if isinstance(event, (CameraLost, RunError)):
        return "Problem", event.message
    return None  # Decision is said with the outcome; PreviewFrame has no words


class RunNarrator:
    """Says each event once: a line equal to the last one of its kind (guidance, progress, ...) is dropped."""

    def __init__(self, out: LineWriter):
        self.out = out
        self.last: tuple[str, str] | None = None
        self.last_of_kind: dict[str, tuple[str, str]] = {}

    def show(self, event: Event) -> bool:
        line = event_line(event)
        if line is None or line == self.last or self.last_of_kind.get(event.kind) == line:
            return False
        self.out.labelled(*line)
        self.last = self.last_of_kind[event.kind] = line
        return True

    def repeat(self) -> None:
        if self.last is None:
            self.out.status("waiting for the camera.")
        else:
            self.out.labelled(*self.last)


@dataclass
class RunResult:
    outcome: object | None = None  # services.selfie.SelfieOutcome
    stopped_by: str | None = None  # back | quit | interview when the user stopped the run


def run_with_keyboard(dialogue: Dialogue, start, narrator: RunNarrator) -> RunResult:  # noqa: ANN001
    """Run ``start(on_event, cancel)`` in a thread, narrating its events and listening for typed lines.

    Errors of the run (SelfverifyError included) are raised here, in the caller's thread. Ctrl+C
    stops the run and waits for it to release the camera before the interrupt goes on."""
    events: queue.Queue = queue.Queue()
    cancel = threading.Event()
    finished = object()
    box: dict[str, object] = {}

    def on_event(event: Event) -> None:
        if not isinstance(event, PreviewFrame):  # no image in this mode
            events.put(event)

    def work() -> None:
        try:
            box["outcome"] = start(on_event, cancel)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            events.put(finished)

    thread = threading.Thread(target=work, name="selfverify-plain-run", daemon=True)
    thread.start()
    result = RunResult()
    listening = True
    try:
        while True:
            try:
                item = events.get(timeout=0.05)
            except queue.Empty:
                item = None
            if item is finished:
                break
            if item is not None:
                narrator.show(item)
                continue
            if not listening or result.stopped_by:
                continue
            try:
                typed = dialogue.poll()
            except InputClosed:
                listening = False  # input ended: let the run finish; the next question ends the session
                continue
            if typed is None:
                continue
            word = typed.strip().lower()
            if word in STOP_WORDS:
                result.stopped_by = STOP_WORDS[word]
                cancel.set()
                dialogue.out.status("stopping the selfie check.")
            elif word in ("help", "?"):
                dialogue.out.line(RUN_HELP)
            elif not word:
                narrator.repeat()
            else:
                dialogue.out.line("While the check runs, type back to stop, or help. Enter repeats the last instruction.")
    except BaseException:
        cancel.set()
        thread.join(_JOIN_SECONDS)
        raise
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    result.outcome = box.get("outcome")
    return result
