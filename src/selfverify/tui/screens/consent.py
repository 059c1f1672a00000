"""The notice, then the two paths side by side with equal weight. Selfie needs consent first."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Markdown, Static

from selfverify.i18n import N_, _
from selfverify.tui.messages import ConsentRecorded, NoticeLoaded
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.checkbox import TextCheckbox
from selfverify.tui.widgets.steps import StepIndicator

SELFIE_TEXT = N_("Selfie check\nYour face is compared on this computer with your ID photo.")
INTERVIEW_TEXT = N_("Interview with a person\nNo photos, no face data: book a short video or phone call.")
TICK_TO_ENABLE = N_("Tick the box above to enable.")


class ConsentScreen(AppScreen):
    BINDINGS = [
        Binding("a", "toggle_accept", N_("Accept")),
        Binding("1", "selfie", N_("Selfie")),
        Binding("2", "interview", N_("Interview")),
    ]

    def __init__(self, focus_selfie: bool = False):
        super().__init__()
        self.focus_selfie = focus_selfie
        self.notice_version: str | None = None
        self.load_problem: str | None = None  # why the notice (and so consent) is unavailable

    def body(self) -> ComposeResult:
        yield StepIndicator("consent", id="steps")
        with VerticalScroll(id="notice-box"):
            yield Markdown(_("Loading the notice…"), id="notice")
        yield TextCheckbox(_("I have read the notice and agree to the selfie check (a)"), id="accept")
        with Horizontal(id="choices"):
            with Vertical(classes="choice", id="choice-selfie"):
                yield Static(_(SELFIE_TEXT), classes="choice-text")
                yield Button(_("Selfie check (1)"), id="choose-selfie", variant="primary", disabled=True)
                yield Static(_(TICK_TO_ENABLE), id="selfie-why", classes="choice-note")
            with Vertical(classes="choice", id="choice-interview"):
                yield Static(_(INTERVIEW_TEXT), classes="choice-text")
                yield Button(_("Interview (2)"), id="choose-interview", variant="primary")
                yield Static(_("No consent to biometrics needed."), classes="choice-note")

    def on_mount(self) -> None:
        self.load_notice()
        self.app.preload_face_models()  # models load while the user reads
        self.query_one("#notice-box").focus()

    async def language_changed(self) -> None:
        """The notice again, in the new language: a tick given to the other one does not carry over."""
        self.notice_version = None
        await self.recompose()
        self.load_notice()
        self.query_one("#notice-box").focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="consent-notice")
    def load_notice(self) -> None:
        from selfverify.services.consent import ConsentService

        service = ConsentService(self.app.ctx)
        self.post_message(NoticeLoaded(service.notice(), service.status()))

    def worker_failed(self, group: str, error: BaseException) -> None:
        from selfverify.tui.screens.base import failure_text

        if group == "consent-notice":
            self._notice_failed(failure_text(error))
        elif group == "consent":
            self._consent_failed(failure_text(error))
        else:
            super().worker_failed(group, error)

    def _notice_failed(self, message: str) -> None:
        self.load_problem = message
        self.query_one("#notice", Markdown).update(
            _("**The notice could not be loaded, so consent cannot be given now.** The interview path needs no consent.") + "\n\n"
            + message.replace("_", "\\_")
        )
        self.set_status(message)

    def on_notice_loaded(self, message: NoticeLoaded) -> None:
        notice, status = message.notice, message.status
        self.notice_version = notice.version
        self.query_one("#notice", Markdown).update(notice.text)
        if status.accepted:
            self.query_one("#accept", TextCheckbox).value = True
        if status.accepted and self.app.screen is self:  # reloaded under another screen (language switch): not its news
            self.set_status(_("You accepted notice {version} earlier.").format(version=notice.version))

    def on_checkbox_changed(self, event: TextCheckbox.Changed) -> None:
        if event.value and self.notice_version is None:  # no consent to a notice that was never shown
            event.checkbox.value = False
            self.set_status(self.load_problem or _("Please wait for the notice to load, then tick the box."))
            return
        selfie = self.query_one("#choose-selfie", Button)
        selfie.disabled = not event.value
        self.query_one("#selfie-why", Static).update(
            _("Ticked: your consent is recorded when you start (1).") if event.value else _(TICK_TO_ENABLE)
        )

    def action_toggle_accept(self) -> None:
        box = self.query_one("#accept", TextCheckbox)
        box.value = not box.value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "choose-selfie":
            self.action_selfie()
        elif event.button.id == "choose-interview":
            self.action_interview()

    def action_selfie(self) -> None:
        if not self.query_one("#accept", TextCheckbox).value:
            self.set_status(_("Please read the notice and tick the box to choose the selfie check."))
            return
        self.record_consent()

    @work(thread=True, exclusive=True, exit_on_error=False, group="consent")
    def record_consent(self) -> None:
        from selfverify.services.consent import ConsentService

        ConsentService(self.app.ctx).accept()
        self.post_message(ConsentRecorded())

    def _consent_failed(self, message: str) -> None:
        self.query_one("#selfie-why", Static).update(_("Consent was NOT recorded: see the status line."))
        self.set_status(_("Consent was not recorded: {problem}").format(problem=message))

    def on_consent_recorded(self, message: ConsentRecorded) -> None:
        from selfverify.tui.screens.reference import ReferenceScreen

        self.set_status(_("Consent recorded. Next: your reference photo."))
        self.app.push_screen(ReferenceScreen())

    def action_interview(self) -> None:
        self.app.action_interview()
