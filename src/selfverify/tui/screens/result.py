"""The result: verified (credential id and expiry) or not (why, what next, tries left), then the
retention choice, which defaults to keeping nothing."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from selfverify.i18n import N_, _, ngettext
from selfverify.tui.messages import CredentialGone, PhotosRetained
from selfverify.tui.screens.base import AppScreen, failure_text
from selfverify.tui.widgets.checkbox import TextCheckbox
from selfverify.tui.widgets.steps import StepIndicator


def describe(outcome, timezone: str | None = None) -> tuple[bool, str, str]:  # noqa: ANN001
    """(the face matched, the title, the details): the sentences are selfverify.wording.outcomes'."""
    from selfverify.services.interview import format_when, resolve_zone
    from selfverify.wording.outcomes import meaning

    zone = resolve_zone(timezone)
    said = meaning(outcome, when=lambda moment: format_when(moment, zone))
    return said.matched, said.title, " ".join(said.sentences[1:])


class ResultScreen(AppScreen):
    BINDINGS = [Binding("t", "try_again", N_("Try again")), Binding("i", "interview", N_("Interview")),
                Binding("escape", "done", N_("Done"))]

    def __init__(self, outcome, try_again=None):  # noqa: ANN001
        """``try_again``: makes the screen a new try starts on (the selfie screen passes its class)."""
        super().__init__()
        self.outcome = outcome
        self.try_again = try_again
        self.finished = outcome.credential is not None  # verified with a credential: nothing left to retry
        self.credential_gone = False
        self.retention_saved = False

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
        if again and not self.outcome.best_frame_available:
            self._selfie_frame_gone()

    @work(thread=True, exclusive=True, exit_on_error=False, group="result-recheck")
    def check_credential_still_held(self) -> None:
        """Back from My data: a credential deleted or revoked there must not still read "stored"."""
        from selfverify.errors import SelfverifyError
        from selfverify.services.credentials import CredentialService

        try:
            current = CredentialService(self.app.ctx).current()
        except SelfverifyError:
            return  # unreadable now: the screen keeps what it said
        if current is None or current.id != self.outcome.credential.id:
            self.post_message(CredentialGone())

    def on_credential_gone(self, message: CredentialGone) -> None:
        self.credential_gone = True
        self._show_credential_gone()

    def _show_credential_gone(self) -> None:
        self.query_one("#result-title", Static).update(_("Verified earlier, but the credential is gone."))
        self.query_one("#result-details", Static).update(
            _("Credential {id} is no longer stored: it was deleted or revoked. Verify again to get a new one.").format(
                id=self.outcome.credential.id)
        )

    def _selfie_frame_gone(self) -> None:
        """The best frame was dropped from memory (kept already, or consent withdrawn): it cannot be offered."""
        box = self.query_one("#keep-selfie", TextCheckbox)
        box.value = False
        box.disabled = True

    def body(self) -> ComposeResult:
        ok, title, details = describe(self.outcome, self.app.ctx.settings.timezone)
        attempts = self.outcome.attempts
        with VerticalScroll(id="result"):
            yield StepIndicator("result", id="steps")
            yield Static((_("OK: ") if ok else "") + title, id="result-title", classes="ok" if ok else "problem")
            yield Static(details, id="result-details", markup=False)
            if not ok and attempts is not None:
                yield Static(attempts.message, id="result-tries")
            with Vertical(id="retention"):
                yield Static(_("Keep photos for an appeal? Default: keep nothing. Kept photos are encrypted, "
                               "deleted automatically after the retention period, and deletable in My data."))
                yield TextCheckbox(_("Keep my reference photo"), id="keep-reference")
                yield TextCheckbox(_("Keep the best selfie frame"), id="keep-selfie", disabled=not self.outcome.best_frame_available)
                yield Button(_("Save my choice"), id="save-retention", compact=True, disabled=self.retention_saved)
            with Horizontal(id="result-nav"):
                if not self.finished:
                    if not ok:
                        yield Button(_("Try again (t)"), id="try-again", variant="primary", compact=True)
                    yield Button(_("Interview instead (i)"), id="interview", compact=True)
                yield Button(_("Done (esc)"), id="done", compact=True)

    def on_mount(self) -> None:
        ok, title, details = describe(self.outcome, self.app.ctx.settings.timezone)
        self.set_status(f"{title} {details}")
        self.query_one("#save-retention", Button).focus()

    async def language_changed(self) -> None:
        """The result again in the new language; the ticks and what happened since stay."""
        ticks = {box.id: box.value for box in self.query(TextCheckbox)}
        focused = self.focused.id if self.focused else None
        await self.recompose()
        for box in self.query(TextCheckbox):
            box.value = ticks.get(box.id, False) and not box.disabled
        if self.credential_gone:
            self._show_credential_gone()
        target = self.query(f"#{focused}") if focused else None
        (target.first() if target else self.query_one("#done", Button)).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id
        if bid == "save-retention":
            keep_ref = self.query_one("#keep-reference", TextCheckbox).value
            keep_selfie = self.query_one("#keep-selfie", TextCheckbox).value
            if not keep_ref and not keep_selfie:
                self.set_status(_("Nothing kept: no photo was stored."))
                self._retention_done()
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
        """Raises on failure: ``worker_failed`` says nothing was kept."""
        from selfverify.services.selfie import SelfieService

        kept = SelfieService(self.app.ctx).retain(self.outcome, keep_reference=keep_reference, keep_selfie=keep_selfie)
        self.post_message(PhotosRetained(len(kept) if isinstance(kept, (list, tuple)) else int(bool(kept))))

    def on_photos_retained(self, message: PhotosRetained) -> None:
        self.set_status(ngettext(
            "Kept {count} photo, encrypted, until the retention period ends. Delete it any time in My data.",
            "Kept {count} photos, encrypted, until the retention period ends. Delete them any time in My data.",
            message.count).format(count=message.count))
        self._retention_done()

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group == "retention":
            self.set_status(_("Nothing was kept: {problem}").format(problem=failure_text(error)))
        else:
            super().worker_failed(group, error)

    def _retention_done(self) -> None:
        self.retention_saved = True
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
