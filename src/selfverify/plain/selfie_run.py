"""A selfie run in the accessible mode: the run works in its own thread, its events become one
labelled line each (said once; camera guidance only when the steadier finds it worth saying), and
typed lines can stop it, or ask for the current step again, meanwhile."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from selfverify.core.events import ChallengeIssued, ChallengeStep, Event, GuidanceChanged, MatchProgress, PreviewFrame
from selfverify.plain.terminal import Dialogue, InputClosed, LineWriter
from selfverify.wording.events import WAITING_FOR_CAMERA, event_line
from selfverify.wording.guidance import GuidanceSteadier, speech_seconds

RUN_HELP = (
    "The selfie check is running. Follow the Step lines. Enter or status says the current step and what the "
    "camera sees. Type back to stop, interview to stop and book an interview instead, or quit to leave."
)
STOP_WORDS = {"back": "back", "stop": "back", "cancel": "back", "quit": "quit", "exit": "quit", "interview": "interview"}
STATUS_WORDS = frozenset({"", "status", "where", "where am i", "repeat"})
_JOIN_SECONDS = 15.0  # how long a stopped run may take to release the camera
GUIDANCE_LABEL = "Camera"


class RunNarrator:
    """Says a run's events for listening: each line once, camera guidance through the steadier (held,
    not repeated, never against the step, never faster than speech), and on request the current step
    and the latest guidance."""

    def __init__(self, out: LineWriter, steadier: GuidanceSteadier | None = None, clock=time.monotonic):  # noqa: ANN001
        self.out = out
        self.steadier = steadier or GuidanceSteadier()
        self.clock = clock
        self._t0 = clock()
        self.said: set[tuple[str, str]] = set()
        self.pending: tuple[float, tuple[str, str]] | None = None  # a line said only if the run goes on
        self.progress: MatchProgress | None = None
        self.speaking_until = 0.0  # when what was said so far has been spoken at 175 words a minute
        self.steps_left = 0  # liveness steps not yet passed: "Good: hold still" would only delay the next one
        self.codes: dict[str, str] = {}  # guidance sentence -> its code

    def now(self) -> float:
        return self.clock() - self._t0

    def _say(self, label: str, text: str) -> None:
        self.out.labelled(label, text)
        now = self.now()
        self.speaking_until = max(self.speaking_until, now) + speech_seconds(f"{label}: {text}")

    def show(self, event: Event) -> bool:
        now = self.now()
        if isinstance(event, GuidanceChanged):
            self.codes[event.message] = event.code
            self.steadier.guidance(now, event.code, event.message)
            return self.tick()
        if isinstance(event, ChallengeIssued):
            self.steps_left = len(event.steps)
        if isinstance(event, MatchProgress):
            self.progress = event
            self.steadier.comparing(now, event.good_frames, event.needed)
        line = event_line(event)
        if isinstance(event, ChallengeStep):
            started = event.status == "started" and line is not None
            self.steadier.step(now, event.step if started else None, f"{line[0]}: {line[1]}" if started else None)
            self.pending = None
            if event.status == "passed":
                self.steps_left = event.total - event.index
            if event.status == "passed" and event.index == event.total and line is not None:
                # the last step done: the result usually follows at once and says it; if the run goes on, say it
                self.pending = (now + self.steadier.hold_s, line)
                return self.tick()
        if line is None or line in self.said:
            return self.tick()
        self.said.add(line)
        self._say(*line)
        if not isinstance(event, ChallengeStep):  # a step line is already counted by the steadier
            self.steadier.spoken(now, f"{line[0]}: {line[1]}")
        return True

    def tick(self) -> bool:
        """Say a pending line or the guidance the steadier finds due now; call it regularly."""
        now = self.now()
        if self.pending is not None and now >= self.pending[0]:
            if now < self.speaking_until:  # not over speech: it waits (and the result usually makes it moot)
                self.pending = (self.speaking_until + self.steadier.hold_s, self.pending[1])
                return False
            line, self.pending = self.pending[1], None
            self._say(*line)
            self.steadier.spoken(now, f"{line[0]}: {line[1]}")
            return True
        sentence = self.steadier.due(now)
        if sentence is None or (self.steps_left and self.codes.get(sentence) == "ok"):
            return False
        self._say(GUIDANCE_LABEL, sentence)
        self.steadier.spoken(now, GUIDANCE_LABEL)  # the label is heard too
        return True

    def repeat(self) -> None:
        """Enter or status: the current step and the latest guidance."""
        lines = self.steadier.status(self.now())
        if self.progress is not None and self.progress.good_frames and self.steadier.step_key is None:
            self.out.status(f"comparing, {self.progress.good_frames} of {self.progress.needed} good pictures.")
        elif not lines:
            self.out.status(WAITING_FOR_CAMERA)
            return
        for line in lines:
            if line == self.steadier.step_sentence:
                label, text = line.split(": ", 1)
                self.out.labelled(label, text)
            else:
                self.out.labelled(GUIDANCE_LABEL, line)


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
                narrator.show(item)  # then still listen: a flickering run must not starve the keyboard
            else:
                narrator.tick()
            if not listening or result.stopped_by:
                continue
            try:
                typed = dialogue.poll()
            except InputClosed:
                listening = False  # input ended: let the run finish; the next question ends the session
                continue
            if typed is None:
                continue
            word = " ".join(typed.strip().lower().split())
            if word in STOP_WORDS:
                result.stopped_by = STOP_WORDS[word]
                cancel.set()
                dialogue.out.status("stopping the selfie check.")
            elif word in ("help", "?"):
                dialogue.out.line(RUN_HELP)
            elif word.rstrip("?") in STATUS_WORDS:
                if word.startswith("where"):
                    dialogue.out.line("You are in the selfie check, with the camera on.")
                narrator.repeat()
            else:
                dialogue.out.line("While the check runs: Enter repeats the step, back stops, help explains.")
    except BaseException:
        cancel.set()
        thread.join(_JOIN_SECONDS)
        raise
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    result.outcome = box.get("outcome")
    return result
