"""The selfie check: live preview, guidance in words, the liveness challenge with its countdown,
tries left, and a way out to the interview at any moment.

Threads: two workers, and both only post typed messages (tui/messages.py). The run worker
(camera + analysis, inside SelfieService) posts every event but preview frames as
``EngineEvent``; it hands each preview frame to a ``FrameMailbox``, where a new frame replaces one
not yet taken. The preview worker blocks on that mailbox, encodes the newest frame at its own pace
and posts a ``PreviewReady``, which itself replaces an unprocessed one in the screen's queue: a slow
analysis never slows the preview, and stale frames are dropped at both hops, never queued. A worker
that raises is reported by ``worker_failed`` (AppScreen's one ``Worker.StateChanged`` handler).
"""

from __future__ import annotations

import gc
import math
import threading
import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from selfverify.core.events import (
    CameraLost,
    ChallengeIssued,
    ChallengeStep,
    Decision,
    Event,
    GuidanceChanged,
    MatchProgress,
    PreviewFrame,
    RunError,
    RunStarted,
)
from selfverify.core.liveness import STEP_WORDS
from selfverify.core.quality import FaceGuide
from selfverify.i18n import N_, _
from selfverify.tui.messages import EngineEvent, PreviewReady, SelfieBlocked, SelfieFinished, SelfieReady
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.camera_view import BLOCKS, CameraView, PreviewRenderer
from selfverify.tui.widgets.steps import StepIndicator
from selfverify.wording.guidance import GuidanceSteadier

LABELS = {"interview-instead": N_("Interview instead (i)"), "stop": N_("Stop (esc)")}
BLOCKED_HINTS = {
    "locked_out": N_("Press i to book an interview with a person (no camera, no face data)."),
    "attempt_wait": N_("Wait for the countdown, then press t. Or press i for an interview."),
    "consent_required": N_("Go back (esc) and accept the notice, or press i for an interview."),
}
PREVIEW_INTERVAL = 1 / 20  # the preview worker never renders faster than this
SCREEN_HOLD_S = 0.8  # guidance shows once it has held this long (read on screen, not heard)


def step_words(step: str) -> str:
    """A challenge step in words (core's STEP_WORDS, marked there), in the current language."""
    return _(str(STEP_WORDS.get(step, step)))


class FrameMailbox:
    """Hands the newest preview frame from the run's thread to the preview worker: ``put`` replaces
    a frame not yet taken; ``take`` blocks (no polling) until a frame arrives or the box closes."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._frame: PreviewFrame | None = None
        self._closed = False

    def put(self, frame: PreviewFrame) -> None:
        with self._ready:
            self._frame = frame
            self._ready.notify()

    def take(self) -> PreviewFrame | None:
        """The newest frame, or None once closed."""
        with self._ready:
            self._ready.wait_for(lambda: self._frame is not None or self._closed)
            frame, self._frame = self._frame, None
            return None if self._closed else frame

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class SelfieScreen(AppScreen):
    BINDINGS = [
        Binding("escape", "back", N_("Stop")),
        Binding("i", "interview_instead", N_("Interview")),
        Binding("t", "try_again", N_("Try again")),
    ]

    def __init__(self):
        super().__init__()
        self.cancel = threading.Event()
        self.frames = FrameMailbox()
        self._reset_guidance()
        self._step_deadline: float | None = None
        self._wait_until: float | None = None
        self.running = True
        self.events_seen: list[Event] = []
        self._blocked = None  # the preflight that keeps the camera off (its hint is said again per language)

    def _reset_guidance(self) -> None:
        self.steadier = GuidanceSteadier(hold_s=SCREEN_HOLD_S, words_per_minute=None)  # read, not heard
        self._latest_code: str | None = None
        self._shown_code: str | None = None
        self._shown_sentence: str | None = None
        self._compared = (0, 0)

    def body(self) -> ComposeResult:
        yield StepIndicator("selfie", id="steps")
        with Horizontal(id="selfie-layout"):
            with Vertical(id="preview-pane"):
                yield CameraView(id="camera")
            with Vertical(id="selfie-side"):
                yield Static(_("Getting ready…"), id="guidance")
                yield Static("", id="challenge")
                yield Static("", id="countdown")
                yield Static("", id="progress-text")
                yield Static("", id="tries")
                yield Button(_(LABELS["interview-instead"]), id="interview-instead", compact=True)
                yield Button(_(LABELS["stop"]), id="stop", variant="error", compact=True)

    def on_mount(self) -> None:
        # the app's long-lived objects (~120k: Textual, numpy, OpenCV, dlib) leave the collector's
        # view while the camera runs: a full collection of them stalled the preview ~100 ms every ~2 s
        gc.freeze()
        self.camera = self.query_one("#camera", CameraView)
        self.guide = FaceGuide.for_settings(self.app.ctx.settings)  # drawn: the oval the quality check uses
        self.camera.clear(N_("Starting the camera…"))
        self.set_interval(0.25, self._tick_countdown)
        self.start_run()

    # the run -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="selfie-run")
    def start_run(self) -> None:
        from selfverify.services.selfie import SelfieService

        app, cancel, frames = self.app, self.cancel, self.frames
        service = SelfieService(app.ctx)
        try:
            pre = service.preflight()
            if not pre.ready:
                self.post_message(SelfieBlocked(pre))
                return
            self.post_message(SelfieReady(pre.attempts, pre.message))
            self.preview_loop(frames, cancel)

            def on_event(event: Event) -> None:  # in this thread: never touch widgets here
                if isinstance(event, PreviewFrame):
                    frames.put(event)
                else:
                    self.post_message(EngineEvent(event))

            checked = app.journey.reference  # the reference screen's, decoded and encoded once
            outcome = service.run(
                checked if checked is not None and checked.path == app.journey.reference_path else app.journey.reference_path,
                app.journey.camera,
                on_event=on_event,
                cancel=cancel,
                liveness=app.ctx.settings.liveness,
                realtime=True,
                encoder=app.face_encoder,
            )
        finally:  # a failure is reported by worker_failed; the preview stops either way
            cancel.set()
            frames.close()
        self.post_message(SelfieFinished(outcome))

    @work(thread=True, exit_on_error=False, group="selfie-preview")
    def preview_loop(self, frames: FrameMailbox, cancel: threading.Event) -> None:
        import os

        renderer = PreviewRenderer(levels=32, colour=not os.environ.get("NO_COLOR"), mode=self.app.preview or BLOCKS,
                                   live=True, guide=self.guide)
        try:
            while (latest := frames.take()) is not None:
                started = time.perf_counter()
                width, height = self.camera.preview_size
                self.post_message(PreviewReady(renderer.render(latest.frame, width, height, latest.face_box)))
                cancel.wait(max(0.0, PREVIEW_INTERVAL - (time.perf_counter() - started)))  # pace; ends when the run does
        finally:
            renderer.close()  # ends the Sixel child (it also leaves when this process's pipes close)

    # rendering events (UI thread) -------------------------------------------------------
    def on_preview_ready(self, message: PreviewReady) -> None:
        self.query_one("#camera", CameraView).show_picture(message.picture)

    def on_engine_event(self, message: EngineEvent) -> None:
        ev = message.event
        self.events_seen.append(ev)
        guidance = self.query_one("#guidance", Static)
        if isinstance(ev, RunStarted):
            gc.freeze()  # again: the run's own modules and objects are loaded now
            from selfverify.core.flow import start_notice

            mode = _("liveness challenge on") if ev.liveness else _("liveness OFF (replay: no credential possible)")
            notice = start_notice(ev)
            self.set_status(_("Selfie check started ({mode}).").format(mode=mode) + (f" {notice}" if notice else ""))
        elif isinstance(ev, GuidanceChanged):
            self.steadier.guidance(time.monotonic(), ev.code, ev.message)
            self._latest_code = ev.code
        elif isinstance(ev, ChallengeIssued):
            words = _(", then ").join(step_words(s) for s in ev.steps)
            self.set_status(_("Liveness challenge: {steps}.").format(steps=words))
        elif isinstance(ev, ChallengeStep):
            challenge = self.query_one("#challenge", Static)
            self.steadier.step(time.monotonic(), ev.step if ev.status == "started" else None,
                               ev.instruction if ev.status == "started" else None)
            if ev.status == "started":
                challenge.update(ev.instruction)
                self._step_deadline = time.monotonic() + ev.deadline_s if ev.deadline_s else None
            elif ev.status == "passed":
                challenge.update(_("Step {number} of {total} done: {step}.").format(
                    number=ev.index, total=ev.total, step=step_words(ev.step)))
                self._step_deadline = None
            else:
                challenge.update(_("Step {number} of {total} timed out.").format(number=ev.index, total=ev.total))
                self._step_deadline = None
            if ev.status == "started":
                self.set_status(ev.instruction)
            else:
                done = _("passed") if ev.status == "passed" else _("timed out")
                self.set_status(_("Step {number} of {total}: {status}.").format(number=ev.index, total=ev.total, status=done))
        elif isinstance(ev, MatchProgress):
            self._compared = (ev.good_frames, ev.needed)
            self.steadier.comparing(time.monotonic(), ev.good_frames, ev.needed)
            self.query_one("#progress-text", Static).update(
                _("Comparing: {done} of {needed} good frames.").format(done=ev.good_frames, needed=ev.needed))
        elif isinstance(ev, CameraLost):
            guidance.update(ev.message)
            guidance.set_classes("warn")
            self.query_one("#camera", CameraView).clear(N_("Camera lost."))
            self.set_status(ev.message)
        elif isinstance(ev, RunError):
            guidance.update(ev.message)
            self.set_status(ev.message)
        elif isinstance(ev, Decision):
            self._step_deadline = None
            self.query_one("#countdown", Static).update("")
        if self.running and not isinstance(ev, (CameraLost, RunError, Decision)):
            self._steady_guidance()

    def _steady_guidance(self) -> None:
        """The guidance line says what the shared steadier (wording.guidance) says, as the plain mode
        does: a sentence once it has held, none that contradicts the step or a comparison. A "Good"
        the camera no longer sees is taken back at once, never left beside a face outside the oval."""
        now = time.monotonic()
        done, needed = self._compared
        if needed and done >= needed:
            self.steadier.comparing(now, done, needed)  # compared: size and centring advice stays quiet
        sentence = self.steadier.due(now)
        code = self._latest_code
        if sentence is None and self._shown_code == "ok" and code != "ok":
            sentence = self.steadier.latest_guidance(now) or _("Checking your face…")
        if sentence is None or sentence == self._shown_sentence:
            return
        self._shown_code, self._shown_sentence = code, sentence
        guidance = self.query_one("#guidance", Static)
        guidance.update(sentence)
        guidance.set_classes("ok" if code == "ok" else "warn")
        self.set_status(_("Guidance: {sentence}").format(sentence=sentence))

    def _tick_countdown(self) -> None:
        if self.running:
            self._steady_guidance()  # a sentence that has held since the last event shows now
        countdown = self.query_one("#countdown", Static)
        if self._wait_until is not None:
            left = math.ceil(self._wait_until - time.monotonic())  # "0 s" only when it is over
            guidance = self.query_one("#guidance", Static)
            if left > 0:  # one number on screen: the problem line counts down with the countdown
                countdown.update(_("You can try again in {seconds} s.").format(seconds=left))
                guidance.update(_("Problem: please wait {seconds} s before the next try.").format(seconds=left))
            else:
                self._wait_until = None
                countdown.update(_("You can try again now: press t."))
                guidance.update(_("Ready: press t now to try again."))
                self.query_one("#challenge", Static).update(_("Press t now to try again, or i for an interview."))
            return
        if self._step_deadline is None:
            countdown.update("")
            return
        left = max(0.0, self._step_deadline - time.monotonic())
        countdown.update(_("Time left for this step: {seconds} s").format(seconds=f"{left:.0f}"))

    def on_selfie_ready(self, message: SelfieReady) -> None:
        attempts = message.attempts
        text = message.note or (attempts.message if attempts is not None else "")
        self.query_one("#tries", Static).update(text)

    def on_selfie_blocked(self, message: SelfieBlocked) -> None:
        """Consent missing, locked out, or a wait between tries: say so; the camera stays off."""
        pre = message.preflight
        self.running = False
        self._blocked = pre
        self._say_blocked(pre)
        if pre.reason == "attempt_wait":
            self._wait_until = time.monotonic() + pre.attempts.wait_seconds
        self.set_status(pre.message)

    def _say_blocked(self, pre) -> None:  # noqa: ANN001
        self.camera.clear(N_("Camera off."))
        guidance = self.query_one("#guidance", Static)
        guidance.update(_("Problem: {problem}").format(problem=pre.message))
        guidance.set_classes("warn")
        hint = BLOCKED_HINTS.get(pre.reason or "")
        self.query_one("#challenge", Static).update(_(hint) if hint else "")

    async def language_changed(self) -> None:
        """Buttons, step bar and what this screen wrote itself in the new language (the camera runs on;
        the countdown follows at its next tick, the guidance with its next sentence)."""
        await super().language_changed()
        for wid, text in LABELS.items():
            self.query_one(f"#{wid}", Button).label = _(text)
        self.camera.refresh()  # its placeholder is translated when drawn
        if self._blocked is not None and self._wait_until is None:
            self._say_blocked(self._blocked)

    def action_try_again(self) -> None:
        if self.running:
            return
        if self._wait_until is not None and self._wait_until > time.monotonic():
            self.set_status(_("Please wait for the countdown to finish."))
            return
        self.cancel = threading.Event()
        self.frames = FrameMailbox()
        self._reset_guidance()
        self.running = True
        self._blocked = None
        self.events_seen.clear()
        for wid in ("#challenge", "#countdown", "#progress-text"):
            self.query_one(wid, Static).update("")
        self.query_one("#guidance", Static).update(_("Getting ready…"))
        self.camera.clear(N_("Starting the camera…"))
        self.start_run()

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group != "selfie-run":
            return super().worker_failed(group, error)
        from selfverify.errors import SelfverifyError
        from selfverify.tui.screens.base import failure_text

        self.running = False
        self.camera.clear(N_("No preview. Press t to try again."))
        guidance = self.query_one("#guidance", Static)
        guidance.update(_("Problem: {problem}").format(problem=failure_text(error)))
        guidance.set_classes("warn")
        if isinstance(error, SelfverifyError) and error.hint:
            self.query_one("#challenge", Static).update(error.hint)
        self.set_status(failure_text(error))

    def on_selfie_finished(self, message: SelfieFinished) -> None:
        self.running = False
        outcome = message.outcome
        if outcome.decision.reason == "cancelled":
            return  # the user left; nothing to show
        self.app.journey.outcome = outcome
        if self.app.screen is not self:  # the palette, My data or the log on top: the result waits for this screen
            self._pending_result = outcome
            return
        self._show_result(outcome)

    _pending_result = None

    def on_screen_resume(self) -> None:  # runs besides AppScreen's handler (Textual calls both)
        outcome, self._pending_result = self._pending_result, None
        if outcome is not None:
            self._show_result(outcome)

    def _show_result(self, outcome) -> None:  # noqa: ANN001
        from selfverify.tui.screens.result import ResultScreen

        self.app.switch_screen(ResultScreen(outcome, try_again=SelfieScreen))

    # leaving ------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "interview-instead":
            self.action_interview_instead()
        elif event.button.id == "stop":
            self.action_back()

    def stop_run(self) -> None:
        self.cancel.set()
        self.frames.close()

    def action_back(self) -> None:
        self.stop_run()
        self.set_status(_("Selfie check stopped; the camera is released."))
        self.app.pop_screen()

    def action_interview_instead(self) -> None:
        self.stop_run()
        from selfverify.tui.screens.interview import InterviewScreen

        self.app.switch_screen(InterviewScreen())

    def on_unmount(self) -> None:
        self.stop_run()
        gc.unfreeze()
