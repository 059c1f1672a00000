"""The selfie path in the accessible mode: consent, reference photo, the run, the result and the
retention choice (keep nothing by default). Rules are SelfieService's, ConsentService's and
AttemptPolicy's; this module asks and says."""

from __future__ import annotations

import os

from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _, ngettext
from selfverify.plain.flow import Flow
from selfverify.plain.selfie_run import RunNarrator, run_with_keyboard
from selfverify.plain.terminal import QuitRequested
from selfverify.plain.wording import in_app_notice_lines, outcome_lines
from selfverify.wording.speech import duration, spoken_reference

CONSENT_CHOICES = [
    ("accept", N_("I agree: go on to the selfie check")),
    ("decline", N_("I do not agree: the camera stays off")),
    ("interview", N_("Interview with a person instead (no photos, no face data)")),
]
REFERENCE_QUESTION = N_("Type the path of your reference photo (a photo of your ID document, or a clear photo of you):")
REFERENCE_HELP = N_("The reference photo is compared with your face on this computer. It must show exactly one face. "
                    "You can type a full path, or one starting with ~ for your home folder.")
MODELS_LOADING = N_("Loading the face models, this takes a few seconds.")
KEYRING_PROBLEM = N_("your keyring cannot be used, so no credential can be stored; the check can still run.")


def days(count: int) -> str:
    return ngettext("{count} day", "{count} days", count).format(count=count)


def ensure_face_models(out) -> None:  # noqa: ANN001
    """Say that the (slow) model load is happening before it happens."""
    from selfverify.core import engine

    if engine.load_seconds is None:
        out.line(_(MODELS_LOADING))
        engine.load_face_recognition()


def run_limits_sentence(settings, attempts) -> str:  # noqa: ANN001
    """The whole run's time limit and the tries left, said before the camera starts."""
    left = attempts.tries_left_before_wait
    tries = ngettext("{count} try", "{count} tries", left).format(count=left)
    return _("You have up to {time} and {tries} before a wait. Once the challenge is given, stopping counts as a try.").format(
        time=duration(settings.verify_timeout), tries=tries)


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
            self.out.line(_("Starting the camera. Enter repeats the current step; back stops."))
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
                    self.out.status(_("selfie check stopped; the camera is released."))
                    if run.stopped_by == "interview":
                        self.app.interview()
                    return
                done = self.result(run.outcome)
                self.retention(run.outcome)
                if done:
                    return
            following = self.dialogue.choose(_("What next?"), [
                ("again", _("Try again (press Enter)")),
                ("interview", _("Interview with a person instead")),
                ("menu", _("Main menu")),
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
            self.out.status(_("you accepted the notice ({version}) on an earlier visit.").format(version=status.version))
            return True
        if status.choice == "accepted":
            self.out.status(_("the notice changed since you accepted it ({version} is now {current}): please read it again.").format(
                version=status.version, current=status.current_version))
        notice = service.notice()
        for line in in_app_notice_lines(notice.text):
            self.out.line(line)
        self.out.line("")
        choice = self.dialogue.choose(_("Do you agree to the selfie check?"), [(key, _(text)) for key, text in CONSENT_CHOICES],
                                      _("Agreeing lets the camera be used for this check; you can withdraw it later in My data."))
        if choice == "accept":
            service.accept()
            self.out.status(_("consent recorded."))
            return True
        if choice == "decline":
            service.decline()
            self.out.status(_("you did not agree: the camera stays off. You can book an interview with a person instead."))
            return False
        self.app.interview()
        return False

    def preflight(self) -> bool:
        """Whether SelfieService lets a run start now; says why not (a wait, the lock) otherwise."""
        ready = self._service().preflight()
        if ready.reason == "locked_out":
            self.out.problem(ready.message or ready.attempts.message)
            wanted = self.dialogue.choose(_("Would you like an interview with a person?"), [
                ("interview", _("Yes, book an interview")), ("menu", _("No, back to the main menu"))])
            if wanted == "interview":
                self.app.interview()
            return False
        if ready.reason == "attempt_wait":
            self.out.problem(ready.message)
            return self.wait_out(ready.attempts.wait_seconds)
        if ready.reason is not None:
            self.out.problem(ready.message)
            return False
        if not ready.keyring_ok:  # a problem, said as one: the fix follows on its own line
            from selfverify.store.secrets import _fix_hint  # the fix the service's message ends with

            fix = _fix_hint()
            self.out.problem(_(KEYRING_PROBLEM), _("To fix it: {fix}").format(fix=fix) if fix and fix in ready.message else None)
        elif ready.message:
            self.out.status(ready.message)
        return True

    def wait_out(self, seconds: float) -> bool:
        """Wait out a failure wait here, saying when it ends; False if the user leaves first."""
        import time

        from selfverify.plain.terminal import typed

        ends = time.monotonic() + seconds
        self.out.line(_("I will say when the wait is over, in {time}. Enter says the time left; back leaves.").format(
            time=duration(seconds)))
        while (left := ends - time.monotonic()) > 0:
            text = self.dialogue.reader.read(min(left, 0.2))
            if text is None:
                continue
            if typed("quit", text):
                raise QuitRequested
            if typed("back", text) or text.strip().lower() in ("stop", "menu"):
                self.out.status(_("stopped waiting."))
                return False
            self.out.status(_("{time} left.").format(time=duration(max(1.0, ends - time.monotonic()))))
        self.out.status(_("the wait is over: you can try the selfie check again."))
        return True

    def reference(self):  # noqa: ANN201
        """The checked reference (core.faces.Reference): decoded and encoded once, used by every run."""
        path = self.app.reference_path
        while True:
            if not path:
                path = self.dialogue.ask(_(REFERENCE_QUESTION), _(REFERENCE_HELP)).strip().strip("'\"")
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
            self.out.status(_("reference photo checked: 1 face found."))
            self.app.reference_path = path
            return found

    def result(self, outcome) -> bool:  # noqa: ANN001
        """Say the result; True when it ended the journey (verified, with a credential)."""
        done, sentence, details = outcome_lines(outcome, self.zone)
        self.out.result(sentence)
        for line in details:
            self.out.line(line)
        if getattr(outcome, "session_id", None) and not done:
            self.out.line(_("Support reference, if you need help: {reference}.").format(reference=spoken_reference(outcome.session_id)))
        return done

    def retention(self, outcome) -> None:  # noqa: ANN001
        kept_days = self.ctx.settings.retention_days
        choices = [("none", _("Keep nothing")), ("reference", _("Keep my reference photo"))]
        if outcome.best_frame_available:
            choices += [("selfie", _("Keep my best camera picture")), ("both", _("Keep both"))]
        self.out.line(_("For an appeal, photos can be kept encrypted for {days}. Default: nothing.").format(days=days(kept_days)))
        keep = self.dialogue.choose(_("Keep photos for an appeal?"), choices, default="none")
        if keep == "none":
            self.out.status(_("nothing kept."))
            return
        try:
            kept = self._service().retain(outcome, keep_reference=keep in ("reference", "both"),
                                          keep_selfie=keep in ("selfie", "both"))
        except SelfverifyError as exc:
            self.out.problem(_("nothing was kept: {problem}").format(problem=exc.user_message), exc.hint)
            return
        self.out.result(ngettext("kept {count} photo, encrypted, for {days}.", "kept {count} photos, encrypted, for {days}.",
                                 len(kept)).format(count=len(kept), days=days(kept_days)))
