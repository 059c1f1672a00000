"""The result: verified (credential id and expiry) or not (why, what next, tries left), then the
retention choice, which defaults to keeping nothing."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.checkbox import TextCheckbox
from selfverify.tui.widgets.steps import StepIndicator

REASONS = {
    "no_match": ("The face did not match the reference photo.", "Use a clearer, more recent reference photo, face the camera in good light, or choose the interview."),
    "not_live": ("The liveness challenge was not completed.", "Follow each step (blink, turn your head, open your mouth) while looking at the camera. A photo held up to the camera cannot pass."),
    "no_face": ("No face was seen clearly enough.", "Sit in front of the camera, face a light, and keep your whole face in the oval."),
    "timed_out": ("The check took too long.", "Try again, or choose the interview if the camera keeps struggling."),
    "camera_lost": ("The camera stopped during the check.", "Reconnect the camera and try again, or choose the interview."),
}


def describe(outcome, timezone: str | None = None) -> tuple[bool, str, str]:  # noqa: ANN001
    from selfverify.services.interview import format_when, resolve_zone

    zone = resolve_zone(timezone)
    d = outcome.decision
    if d.verified and outcome.credential is not None:
        c = outcome.credential
        return True, "Verified.", f"Credential {c.id} is stored in your keyring, valid until {format_when(c.expires_at, zone)}."
    if d.verified and d.liveness == "passed" and not d.live_source:
        return True, "Faces match, but this was a recording.", f"No credential was issued: {outcome.credential_error}"
    if d.verified and d.liveness == "passed":
        why = getattr(outcome, "credential_error", None) or "the keyring could not be used"
        fix = getattr(outcome, "credential_hint", None)
        return True, "Verified, but no credential could be stored.", f"{why} " + (f"Fix: {fix} Then try again." if fix else "You can try again once the keyring works.")
    if d.verified:
        return True, "Faces match, but liveness was skipped (replay).", "A replay never earns a credential: no credential was issued."
    reason = d.reason
    if reason in ("not_live", "timed_out") and d.distance is not None and d.tolerance and d.distance > d.tolerance:
        reason = "no_match"  # the run's own evidence: the face seen was not the reference's; liveness is not the fix
    why, what = REASONS.get(reason or "", (f"Not verified ({d.reason}).", "Try again or choose the interview."))
    if reason == "no_match" and d.distance is not None:
        why += f" (distance {d.distance:.2f}, needed at most {d.tolerance:.2f})"
    return False, "Not verified. " + why, what


class ResultScreen(AppScreen):
    BINDINGS = [Binding("t", "try_again", "Try again"), Binding("i", "interview", "Interview"), Binding("escape", "done", "Done")]

    def __init__(self, outcome, try_again=None):  # noqa: ANN001
        """``try_again``: makes the screen a new try starts on (the selfie screen passes its class)."""
        super().__init__()
        self.outcome = outcome
        self.try_again = try_again
        self.finished = outcome.credential is not None  # verified with a credential: nothing left to retry

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.finished and action in ("try_again", "interview"):
            return False
        return True

    def action_interview(self) -> None:
        self.app.action_interview()

    _shown_before = False

    def on_screen_resume(self) -> None:  # runs besides AppScreen's handler (Textual calls both)
        again, self._shown_before = self._shown_before, True
        if again and self.outcome.credential is not None:
            self.check_credential_still_held()

    @work(thread=True, exclusive=True, exit_on_error=False, group="result-recheck")
    def check_credential_still_held(self) -> None:
        """Back from My data: a credential deleted or revoked there must not still read "stored"."""
        from selfverify.errors import SelfverifyError
        from selfverify.services.credentials import CredentialService

        try:
            current = CredentialService(self.app.ctx).current()
        except SelfverifyError:
            return
        if current is None or current.id != self.outcome.credential.id:
            self.app.call_from_thread(self._credential_gone)

    def _credential_gone(self) -> None:
        self.query_one("#result-title", Static).update("Verified earlier, but the credential is gone.")
        self.query_one("#result-details", Static).update(
            f"Credential {self.outcome.credential.id} is no longer stored: it was deleted or revoked. "
            "Verify again to get a new one."
        )

    def body(self) -> ComposeResult:
        ok, title, details = describe(self.outcome, self.app.ctx.settings.timezone)
        attempts = self.outcome.attempts
        with VerticalScroll(id="result"):
            yield StepIndicator("Result", id="steps")
            yield Static(("OK: " if ok else "") + title, id="result-title", classes="ok" if ok else "problem")
            yield Static(details, id="result-details", markup=False)
            if not ok and attempts is not None:
                yield Static(attempts.message, id="result-tries")
            with Vertical(id="retention"):
                yield Static("Keep photos for an appeal? Default: keep nothing. Kept photos are encrypted, "
                             "deleted automatically after the retention period, and deletable in My data.")
                yield TextCheckbox("Keep my reference photo", id="keep-reference")
                yield TextCheckbox("Keep the best selfie frame", id="keep-selfie", disabled=not self.outcome.best_frame_available)
                yield Button("Save my choice", id="save-retention", compact=True)
            with Horizontal(id="result-nav"):
                if not self.finished:
                    if not ok:
                        yield Button("Try again (t)", id="try-again", variant="primary", compact=True)
                    yield Button("Interview instead (i)", id="interview", compact=True)
                yield Button("Done (esc)", id="done", compact=True)

    def on_mount(self) -> None:
        ok, title, details = describe(self.outcome, self.app.ctx.settings.timezone)
        self.set_status(f"{title} {details}")
        self.query_one("#save-retention", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id
        if bid == "save-retention":
            keep_ref = self.query_one("#keep-reference", TextCheckbox).value
            keep_selfie = self.query_one("#keep-selfie", TextCheckbox).value
            if not keep_ref and not keep_selfie:
                self.set_status("Nothing kept: no photo was stored.")
                event.button.disabled = True
                return
            self.retain(keep_ref, keep_selfie)
        elif bid == "try-again":
            self.action_try_again()
        elif bid == "interview":
            self.app.action_interview()
        elif bid == "done":
            self.action_done()

    @work(thread=True, exclusive=True, exit_on_error=False, group="retention")
    def retain(self, keep_reference: bool, keep_selfie: bool) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.services.selfie import SelfieService

        try:
            kept = SelfieService(self.app.ctx).retain(self.outcome, keep_reference=keep_reference, keep_selfie=keep_selfie)
        except SelfverifyError as exc:
            self.app.call_from_thread(self.set_status, f"Nothing was kept: {exc.user_message}")
            return
        n = len(kept) if isinstance(kept, (list, tuple)) else int(bool(kept))
        self.app.call_from_thread(self.set_status, f"Kept {n} photo(s), encrypted, until the retention period ends. Delete them any time in My data.")
        self.app.call_from_thread(self._disable_save)

    def _disable_save(self) -> None:
        self.query_one("#save-retention", Button).disabled = True

    def action_try_again(self) -> None:
        if self.try_again is None:  # shown on its own (tests): start the selfie path from its beginning
            self.app.action_selfie()
            return
        self.app.switch_screen(self.try_again())

    def action_done(self) -> None:
        # back to the welcome screen
        while len(self.app.screen_stack) > 2:
            self.app.pop_screen()
