"""The selfie path in the accessible mode: consent, reference photo, the run, the result and the
retention choice (keep nothing by default). Rules are SelfieService's, ConsentService's and
AttemptPolicy's; this module asks and says."""

from __future__ import annotations

import os

from selfverify.errors import SelfverifyError
from selfverify.plain.flow import Flow
from selfverify.plain.selfie_run import RunNarrator, run_with_keyboard
from selfverify.plain.terminal import QuitRequested
from selfverify.plain.wording import in_app_notice_lines, outcome_lines
from selfverify.wording.speech import duration, plural, spoken_reference

CONSENT_CHOICES = [
    ("accept", "I agree: go on to the selfie check"),
    ("decline", "I do not agree: the camera stays off"),
    ("interview", "Interview with a person instead (no photos, no face data)"),
]
REFERENCE_QUESTION = "Type the path of your reference photo (a photo of your ID document, or a clear photo of you):"
REFERENCE_HELP = ("The reference photo is compared with your face on this computer. It must show exactly one face. "
                  "You can type a full path, or one starting with ~ for your home folder.")
MODELS_LOADING = "Loading the face models, this takes a few seconds."
KEYRING_PROBLEM = "your keyring cannot be used, so no credential can be stored; the check can still run."


def ensure_face_models(out) -> None:  # noqa: ANN001
    """Say that the (slow) model load is happening before it happens."""
    from selfverify.core import engine

    if engine.load_seconds is None:
        out.line(MODELS_LOADING)
        engine.load_face_recognition()


def run_limits_sentence(settings, attempts) -> str:  # noqa: ANN001
    """The whole run's time limit and the tries left, said before the camera starts."""
    tries = plural(attempts.tries_left_before_wait, "try", "tries")
    return (f"You have up to {duration(settings.verify_timeout)} and {tries} before a wait. "
            "Once the challenge is given, stopping counts as a try.")


class SelfieFlow(Flow):
    def run(self) -> None:
        from selfverify.core.engine import preload_in_background

        preload_in_background()  # the models load while the user reads and answers
        if not self.consent():
            return
        if not self.preflight():
            return
        reference = self.reference()
        while True:
            self.out.line("Starting the camera. Enter repeats the current step; back stops.")
            self.out.line(run_limits_sentence(self.ctx.settings, self._service().preflight().attempts))
            try:
                run = run_with_keyboard(self.dialogue, lambda on_event, cancel: self._service().run(
                    reference, self.ctx.settings.camera, on_event=on_event, cancel=cancel,
                    liveness=self.ctx.settings.liveness,
                ), RunNarrator(self.out))
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)
            else:
                if run.stopped_by == "quit":
                    raise QuitRequested
                if run.stopped_by is not None:
                    self.out.status("selfie check stopped; the camera is released.")
                    if run.stopped_by == "interview":
                        self.app.interview()
                    return
                done = self.result(run.outcome)
                self.retention(run.outcome)
                if done:
                    return
            following = self.dialogue.choose("What next?", [
                ("again", "Try again (press Enter)"),
                ("interview", "Interview with a person instead"),
                ("menu", "Main menu"),
            ], default="again")
            if following == "interview":
                self.app.interview()
                return
            if following == "menu" or not self.preflight():
                return

    def _service(self):  # noqa: ANN202
        from selfverify.services.selfie import SelfieService

        return SelfieService(self.ctx)

    def consent(self) -> bool:
        from selfverify.services.consent import ConsentService

        service = ConsentService(self.ctx)
        status = service.status()
        if status.accepted:
            self.out.status(f"you accepted the notice ({status.version}) on an earlier visit.")
            return True
        if status.choice == "accepted":
            self.out.status(f"the notice changed since you accepted it ({status.version} is now {status.current_version}): "
                            "please read it again.")
        notice = service.notice()
        for line in in_app_notice_lines(notice.text):
            self.out.line(line)
        self.out.line("")
        choice = self.dialogue.choose("Do you agree to the selfie check?", CONSENT_CHOICES,
                                      "Agreeing lets the camera be used for this check; you can withdraw it later in My data.")
        if choice == "accept":
            service.accept()
            self.out.status("consent recorded.")
            return True
        if choice == "decline":
            service.decline()
            self.out.status("you did not agree: the camera stays off. You can book an interview with a person instead.")
            return False
        self.app.interview()
        return False

    def preflight(self) -> bool:
        """Whether SelfieService lets a run start now; says why not (a wait, the lock) otherwise."""
        ready = self._service().preflight()
        if ready.reason == "locked_out":
            self.out.problem(ready.message or ready.attempts.message)
            if self.dialogue.choose("Would you like an interview with a person?", [
                ("interview", "Yes, book an interview"), ("menu", "No, back to the main menu")]) == "interview":
                self.app.interview()
            return False
        if ready.reason == "attempt_wait":
            self.out.problem(ready.message)
            return self.wait_out(ready.attempts.wait_seconds)
        if ready.reason is not None:
            self.out.problem(ready.message)
            return False
        if not ready.keyring_ok:  # a problem, said as one: the fix follows on its own line
            fix = ready.message.split("can be stored.", 1)[-1].strip() if "can be stored." in ready.message else ""
            self.out.problem(KEYRING_PROBLEM, f"To fix it: {fix}" if fix else None)
        elif ready.message:
            self.out.status(ready.message)
        return True

    def wait_out(self, seconds: float) -> bool:
        """Wait out a failure wait here, saying when it ends; False if the user leaves first."""
        import time

        from selfverify.plain.terminal import QUIT_WORDS

        ends = time.monotonic() + seconds
        self.out.line(f"I will say when the wait is over, in {duration(seconds)}. Enter says the time left; back leaves.")
        while (left := ends - time.monotonic()) > 0:
            typed = self.dialogue.reader.read(min(left, 0.2))
            if typed is None:
                continue
            word = typed.strip().lower()
            if word in QUIT_WORDS:
                raise QuitRequested
            if word in ("back", "stop", "menu"):
                self.out.status("stopped waiting.")
                return False
            self.out.status(f"{duration(max(1.0, ends - time.monotonic()))} left.")
        self.out.status("the wait is over: you can try the selfie check again.")
        return True

    def reference(self):  # noqa: ANN201
        """The checked reference (core.faces.Reference): decoded and encoded once, used by every run."""
        path = self.app.reference_path
        while True:
            if not path:
                path = self.dialogue.ask(REFERENCE_QUESTION, REFERENCE_HELP).strip().strip("'\"")
                if not path:
                    continue
            path = os.path.expanduser(path)  # "~nobody/x" stays as typed (Path.expanduser raises)
            ensure_face_models(self.out)
            try:
                found = self._service().load_reference(path)
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)
                path = None
                self.app.reference_path = None
                continue
            self.out.status("reference photo checked: 1 face found.")
            self.app.reference_path = path
            return found

    def result(self, outcome) -> bool:  # noqa: ANN001
        """Say the result; True when it ended the journey (verified, with a credential)."""
        done, sentence, details = outcome_lines(outcome, self.zone)
        self.out.result(sentence)
        for line in details:
            self.out.line(line)
        if getattr(outcome, "session_id", None) and not done:
            self.out.line(f"Support reference, if you need help: {spoken_reference(outcome.session_id)}.")
        return done

    def retention(self, outcome) -> None:  # noqa: ANN001
        days = self.ctx.settings.retention_days
        choices = [("none", "Keep nothing"), ("reference", "Keep my reference photo")]
        if outcome.best_frame_available:
            choices += [("selfie", "Keep my best camera picture"), ("both", "Keep both")]
        self.out.line(f"For an appeal, photos can be kept encrypted for {plural(days, 'day')}. Default: nothing.")
        keep = self.dialogue.choose("Keep photos for an appeal?", choices, default="none")
        if keep == "none":
            self.out.status("nothing kept.")
            return
        try:
            kept = self._service().retain(outcome, keep_reference=keep in ("reference", "both"),
                                          keep_selfie=keep in ("selfie", "both"))
        except SelfverifyError as exc:
            self.out.problem(f"nothing was kept: {exc.user_message}", exc.hint)
            return
        self.out.result(f"kept {plural(len(kept), 'photo')}, encrypted, for {plural(days, 'day')}.")
