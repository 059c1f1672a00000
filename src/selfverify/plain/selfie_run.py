"""A selfie run in the accessible mode: the run works in its own thread, its events become one
labelled line each (said once; camera guidance only when the steadier finds it worth saying), and
typed lines can stop it, or ask for the current step again, meanwhile."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from selfverify.core.events import ChallengeIssued, ChallengeStep, Event, GuidanceChanged, MatchProgress, PreviewFrame
from selfverify.i18n import N_, _
from selfverify.plain.terminal import Dialogue, InputClosed, LineWriter, plain_word, typed
from selfverify.wording.events import WAITING_FOR_CAMERA, event_line, label
from selfverify.wording.guidance import GuidanceSteadier, speech_seconds

RUN_HELP = N_(
    "The selfie check is running. Follow the Step lines. Enter or status says the current step and what the "
    "camera sees. Type back to stop, interview to stop and book an interview instead, or quit to leave."
)
STOP_WORDS = {"back": "back", "stop": "back", "cancel": "back", "quit": "quit", "exit": "quit", "interview": "interview"}
STATUS_WORDS = frozenset({"", "status", "repeat"})  # and the where words (terminal.typed)
# the same words in the current language, comma-separated (the English ones always work)
TYPED_STOP = N_("stop, cancel")
TYPED_INTERVIEW = N_("interview")
TYPED_STATUS = N_("status, repeat")
# the camera's guidance sentences (core.quality.MESSAGES), marked for the catalog: said translated
_GUIDANCE = (N_("No face found: look at the camera"), N_("Only one face, please"), N_("Move closer"),
             N_("Move back a little"), N_("Too dark: face a light"), N_("Too much light behind you: face the light"),
             N_("Too bright: move out of direct light"), N_("Hold still: the picture is blurry"),
             N_("Look straight at the camera"), N_("Good: hold still"))
_JOIN_SECONDS = 15.0  # how long a stopped run may take to release the camera


def _one_of(marked: str, word: str) -> bool:
    return word in {plain_word(w) for w in _(marked).split(",") if w.strip()}


def run_word(text: str) -> str | None:
    """What a line typed while the camera runs asks for: back, quit, interview, status, help or None."""
    word = " ".join(text.strip().lower().split())
    if word in STOP_WORDS:
        return STOP_WORDS[word]
    if typed("quit", text):
        return "quit"
    if typed("back", text) or _one_of(TYPED_STOP, plain_word(text)):
        return "back"
    if _one_of(TYPED_INTERVIEW, plain_word(text)):
        return "interview"
    if typed("help", text):
        return "help"
    if typed("where", text):
        return "where"
    if word.rstrip("?") in STATUS_WORDS or _one_of(TYPED_STATUS, plain_word(text)):
        return "status"
    return None


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
            sentence = _(event.message)  # core's English sentence, said in the current language
            self.codes[sentence] = event.code
            self.steadier.guidance(now, event.code, sentence)
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
        self._say(label("camera"), sentence)
        self.steadier.spoken(now, label("camera"))  # the label is heard too
        return True

    def repeat(self) -> None:
        """Enter or status: the current step and the latest guidance."""
        lines = self.steadier.status(self.now())
        if self.progress is not None and self.progress.good_frames and self.steadier.step_key is None:
            self.out.status(_("comparing, {good} of {needed} good pictures.").format(
                good=self.progress.good_frames, needed=self.progress.needed))
        elif not lines:
            self.out.status(_(WAITING_FOR_CAMERA))
            return
        for line in lines:
            if line == self.steadier.step_sentence:
                step, text = line.split(": ", 1)
                self.out.labelled(step, text)
            else:
                self.out.labelled(label("camera"), line)


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
                text = dialogue.poll()
            except InputClosed:
                listening = False  # input ended: let the run finish; the next question ends the session
                continue
            if text is None:
                continue
            asked = run_word(text)
            if asked in ("back", "quit", "interview"):
                result.stopped_by = asked
                cancel.set()
                dialogue.out.status(_("stopping the selfie check."))
            elif asked == "help":
                dialogue.out.line(_(RUN_HELP))
            elif asked in ("status", "where"):
                if asked == "where":
                    dialogue.out.line(_("You are in the selfie check, with the camera on."))
                narrator.repeat()
            else:
                dialogue.out.line(_("While the check runs: Enter repeats the step, back stops, help explains."))
    except BaseException:
        cancel.set()
        thread.join(_JOIN_SECONDS)
        raise
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    result.outcome = box.get("outcome")
    return result
