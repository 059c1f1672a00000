"""The selfie check: live preview, guidance in words, the liveness challenge with its countdown,
tries left, and a way out to the interview at any moment.

Threads: the run (camera + analysis) happens in a thread worker inside SelfieService; its
events arrive through ``on_event`` and are posted to the UI as messages. Preview frames are only
parked in ``_latest``; a separate preview worker turns the newest one into strips at its own
pace, so a slow analysis never slows the preview and stale frames are dropped.
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
from textual.message import Message
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
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.camera_view import BLOCKS, CameraView, PreviewRenderer
from selfverify.tui.widgets.steps import StepIndicator

PREVIEW_INTERVAL = 1 / 20  # the preview worker never renders faster than this


class SelfieScreen(AppScreen):
    BINDINGS = [
        Binding("escape", "back", "Stop"),
        Binding("i", "interview_instead", "Interview"),
        Binding("t", "try_again", "Try again"),
    ]

    class EngineEvent(Message):
        def __init__(self, event: Event):
            super().__init__()
            self.event = event

    class PreviewReady(Message):
        def __init__(self, picture):  # noqa: ANN001
            super().__init__()
            self.picture = picture

    class RunFinished(Message):
        def __init__(self, outcome=None, error=None):  # noqa: ANN001
            super().__init__()
            self.outcome = outcome
            self.error = error

    def __init__(self):
        super().__init__()
        self.cancel = threading.Event()
        self._latest: PreviewFrame | None = None
        self._step_deadline: float | None = None
        self._wait_until: float | None = None
        self.running = True
        self.events_seen: list[Event] = []

    def body(self) -> ComposeResult:
        yield StepIndicator("Selfie", id="steps")
        with Horizontal(id="selfie-layout"):
            with Vertical(id="preview-pane"):
                yield CameraView(id="camera")
            with Vertical(id="selfie-side"):
                yield Static("Getting ready…", id="guidance")
                yield Static("", id="challenge")
                yield Static("", id="countdown")
                yield Static("", id="progress-text")
                yield Static("", id="tries")
                yield Button("Interview instead (i)", id="interview-instead", compact=True)
                yield Button("Stop (esc)", id="stop", variant="error", compact=True)

    def on_mount(self) -> None:
        # the app's long-lived objects (~120k: Textual, numpy, OpenCV, dlib) leave the collector's
        # view while the camera runs: a full collection of them stalled the preview ~100 ms every ~2 s
        gc.freeze()
        self.camera = self.query_one("#camera", CameraView)
        self.camera.clear("Starting the camera…")
        self.set_interval(0.25, self._tick_countdown)
        self.start_run()

    class Blocked(Message):
        def __init__(self, preflight):  # noqa: ANN001
            super().__init__()
            self.preflight = preflight

    # the run -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="selfie-run")
    def start_run(self) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.services.selfie import SelfieService

        app = self.app
        service = SelfieService(app.ctx)
        try:
            pre = service.preflight()
            if not pre.ready:
                self.post_message(self.Blocked(pre))
                return
            self.app.call_from_thread(self._show_tries, pre.attempts, pre.message)
            self.preview_loop()
            checked = app.journey.reference  # the reference screen's, decoded and encoded once
            outcome = service.run(
                checked if checked is not None and checked.path == app.journey.reference_path else app.journey.reference_path,
                app.journey.camera,
                on_event=self._on_event,
                cancel=self.cancel,
                liveness=app.ctx.settings.liveness,
                realtime=True,
                encoder=app.face_encoder,
            )
        except SelfverifyError as exc:
            self.post_message(self.RunFinished(error=exc))
            return
        finally:
            self.cancel.set()  # stops the preview worker too
        self.post_message(self.RunFinished(outcome=outcome))

    def _on_event(self, event: Event) -> None:
        """Called in the run's thread: never touch widgets here."""
        if isinstance(event, PreviewFrame):
            self._latest = event
            return
        self.post_message(self.EngineEvent(event))

    @work(thread=True, exit_on_error=False, group="selfie-preview")
    def preview_loop(self) -> None:
        import os

        renderer = PreviewRenderer(levels=32, colour=not os.environ.get("NO_COLOR"), mode=self.app.preview or BLOCKS, live=True)
        shown = None
        while not self.cancel.is_set():
            latest = self._latest
            if latest is None or latest is shown:
                time.sleep(0.01)
                continue
            shown = latest
            started = time.perf_counter()
            width, height = self.camera.preview_size
            picture = renderer.render(latest.frame, width, height, latest.face_box)
            self.post_message(self.PreviewReady(picture))
            spare = PREVIEW_INTERVAL - (time.perf_counter() - started)
            if spare > 0:
                time.sleep(spare)
        renderer.close()  # ends the Sixel child (it also leaves when this process's pipes close)

    # rendering events (UI thread) -------------------------------------------------------
    def on_selfie_screen_preview_ready(self, message: PreviewReady) -> None:
        self.query_one("#camera", CameraView).show_picture(message.picture)

    def on_selfie_screen_engine_event(self, message: EngineEvent) -> None:
        ev = message.event
        self.events_seen.append(ev)
        guidance = self.query_one("#guidance", Static)
        if isinstance(ev, RunStarted):
            gc.freeze()  # again: the run's own modules and objects are loaded now
            from selfverify.core.flow import start_notice

            mode = "liveness challenge on" if ev.liveness else "liveness OFF (replay: no credential possible)"
            notice = start_notice(ev)
            self.set_status(f"Selfie check started ({mode})." + (f" {notice}" if notice else ""))
        elif isinstance(ev, GuidanceChanged):
            guidance.update(ev.message)
            guidance.set_classes("ok" if ev.code in ("ok", "hold_still") else "warn")
            self.set_status(f"Guidance: {ev.message}")
        elif isinstance(ev, ChallengeIssued):
            words = ", then ".join(STEP_WORDS.get(s, s) for s in ev.steps)
            self.set_status(f"Liveness challenge: {words}.")
        elif isinstance(ev, ChallengeStep):
            challenge = self.query_one("#challenge", Static)
            if ev.status == "started":
                challenge.update(ev.instruction)
                self._step_deadline = time.monotonic() + ev.deadline_s if ev.deadline_s else None
            elif ev.status == "passed":
                challenge.update(f"Step {ev.index} of {ev.total} done: {STEP_WORDS.get(ev.step, ev.step)}.")
                self._step_deadline = None
            else:
                challenge.update(f"Step {ev.index} of {ev.total} timed out.")
                self._step_deadline = None
            self.set_status(ev.instruction if ev.status == "started" else f"Step {ev.index} of {ev.total}: {ev.status.replace('_', ' ')}.")
        elif isinstance(ev, MatchProgress):
            self.query_one("#progress-text", Static).update(f"Comparing: {ev.good_frames} of {ev.needed} good frames.")
        elif isinstance(ev, CameraLost):
            guidance.update(ev.message)
            guidance.set_classes("warn")
            self.query_one("#camera", CameraView).clear("Camera lost.")
            self.set_status(ev.message)
        elif isinstance(ev, RunError):
            guidance.update(ev.message)
            self.set_status(ev.message)
        elif isinstance(ev, Decision):
            self._step_deadline = None
            self.query_one("#countdown", Static).update("")

    def _tick_countdown(self) -> None:
        countdown = self.query_one("#countdown", Static)
        if self._wait_until is not None:
            left = math.ceil(self._wait_until - time.monotonic())  # "0 s" only when it is over
            guidance = self.query_one("#guidance", Static)
            if left > 0:  # one number on screen: the problem line counts down with the countdown
                countdown.update(f"You can try again in {left} s.")
                guidance.update(f"Problem: please wait {left} s before the next try.")
            else:
                self._wait_until = None
                countdown.update("You can try again now: press t.")
                guidance.update("Ready: press t now to try again.")
                self.query_one("#challenge", Static).update("Press t now to try again, or i for an interview.")
            return
        if self._step_deadline is None:
            countdown.update("")
            return
        left = max(0.0, self._step_deadline - time.monotonic())
        countdown.update(f"Time left for this step: {left:.0f} s")

    def _show_tries(self, attempts, message: str = "") -> None:  # noqa: ANN001
        text = message or (attempts.message if attempts is not None else "")
        self.query_one("#tries", Static).update(text)

    def on_selfie_screen_blocked(self, message: Blocked) -> None:
        """Consent missing, locked out, or a wait between tries: say so; the camera stays off."""
        pre = message.preflight
        self.running = False
        self.camera.clear("Camera off.")
        guidance = self.query_one("#guidance", Static)
        guidance.update(f"Problem: {pre.message}")
        guidance.set_classes("warn")
        hint = {
            "locked_out": "Press i to book an interview with a person (no camera, no face data).",
            "attempt_wait": "Wait for the countdown, then press t. Or press i for an interview.",
            "consent_required": "Go back (esc) and accept the notice, or press i for an interview.",
        }.get(pre.reason or "", "")
        self.query_one("#challenge", Static).update(hint)
        if pre.reason == "attempt_wait":
            self._wait_until = time.monotonic() + pre.attempts.wait_seconds
        self.set_status(pre.message)

    def action_try_again(self) -> None:
        if self.running:
            return
        if self._wait_until is not None and self._wait_until > time.monotonic():
            self.set_status("Please wait for the countdown to finish.")
            return
        self.cancel = threading.Event()
        self.running = True
        self.events_seen.clear()
        for wid in ("#challenge", "#countdown", "#progress-text"):
            self.query_one(wid, Static).update("")
        self.query_one("#guidance", Static).update("Getting ready…")
        self.camera.clear("Starting the camera…")
        self.start_run()

    def on_selfie_screen_run_finished(self, message: RunFinished) -> None:
        camera = self.query_one("#camera", CameraView)
        self.running = False
        if message.error is not None:
            err = message.error
            camera.clear("No preview. Press t to try again.")
            guidance = self.query_one("#guidance", Static)
            guidance.update(f"Problem: {err.user_message}")
            guidance.set_classes("warn")
            if err.hint:
                self.query_one("#challenge", Static).update(err.hint)
            self.set_status(err.user_message)
            return
        outcome = message.outcome
        if outcome.decision.reason == "cancelled":
            return  # the user left; nothing to show
        self.app.journey.outcome = outcome
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
        self._latest = None

    def action_back(self) -> None:
        self.stop_run()
        self.set_status("Selfie check stopped; the camera is released.")
        self.app.pop_screen()

    def action_interview_instead(self) -> None:
        self.stop_run()
        from selfverify.tui.screens.interview import InterviewScreen

        self.app.switch_screen(InterviewScreen())

    def on_unmount(self) -> None:
        self.stop_run()
        gc.unfreeze()
