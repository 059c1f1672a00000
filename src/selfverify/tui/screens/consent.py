"""The notice, then the two paths side by side with equal weight. Selfie needs consent first."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Markdown, Static

from selfverify.tui.messages import ConsentRecorded, NoticeLoaded
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.checkbox import TextCheckbox
from selfverify.tui.widgets.steps import StepIndicator

SELFIE_TEXT = "Selfie check\nYour face is compared on this computer with your ID photo."
INTERVIEW_TEXT = "Interview with a person\nNo photos, no face data: book a short video or phone call."


class ConsentScreen(AppScreen):
    BINDINGS = [
        Binding("a", "toggle_accept", "Accept"),
        Binding("1", "selfie", "Selfie"),
        Binding("2", "interview", "Interview"),
    ]

    def __init__(self, focus_selfie: bool = False):
        super().__init__()
        self.focus_selfie = focus_selfie
        self.notice_version: str | None = None
        self.load_problem: str | None = None  # why the notice (and so consent) is unavailable

    def body(self) -> ComposeResult:
        yield StepIndicator("Consent", id="steps")
        with VerticalScroll(id="notice-box"):
            yield Markdown("Loading the notice…", id="notice")
        yield TextCheckbox("I have read the notice and agree to the selfie check (a)", id="accept")
        with Horizontal(id="choices"):
            with Vertical(classes="choice", id="choice-selfie"):
                yield Static(SELFIE_TEXT, classes="choice-text")
                yield Button("Selfie check (1)", id="choose-selfie", variant="primary", disabled=True)
                yield Static("Tick the box above to enable.", id="selfie-why", classes="choice-note")
            with Vertical(classes="choice", id="choice-interview"):
                yield Static(INTERVIEW_TEXT, classes="choice-text")
                yield Button("Interview (2)", id="choose-interview", variant="primary")
                yield Static("No consent to biometrics needed.", classes="choice-note")

    def on_mount(self) -> None:
        self.load_notice()
        self.app.preload_face_models()  # models load while the user reads
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
            "**The notice could not be loaded, so consent cannot be given now.** The interview path needs no consent.\n\n"
            + message.replace("_", "\\_")
        )
        self.set_status(message)

    def on_notice_loaded(self, message: NoticeLoaded) -> None:
        notice, status = message.notice, message.status
        self.notice_version = notice.version
        self.query_one("#notice", Markdown).update(notice.text)
        if status.accepted:
            self.query_one("#accept", TextCheckbox).value = True
            self.set_status(f"You accepted notice {notice.version} earlier.")

    def on_checkbox_changed(self, event: TextCheckbox.Changed) -> None:
        if event.value and self.notice_version is None:  # no consent to a notice that was never shown
            event.checkbox.value = False
            self.set_status(self.load_problem or "Please wait for the notice to load, then tick the box.")
            return
        selfie = self.query_one("#choose-selfie", Button)
        selfie.disabled = not event.value
        self.query_one("#selfie-why", Static).update(
            "Ticked: your consent is recorded when you start (1)." if event.value else "Tick the box above to enable."
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
            self.set_status("Please read the notice and tick the box to choose the selfie check.")
            return
        self.record_consent()

    @work(thread=True, exclusive=True, exit_on_error=False, group="consent")
    def record_consent(self) -> None:
        from selfverify.services.consent import ConsentService

        ConsentService(self.app.ctx).accept()
        self.post_message(ConsentRecorded())

    def _consent_failed(self, message: str) -> None:
        self.query_one("#selfie-why", Static).update("Consent was NOT recorded: see the status line.")
        self.set_status(f"Consent was not recorded: {message}")

    def on_consent_recorded(self, message: ConsentRecorded) -> None:
        from selfverify.tui.screens.reference import ReferenceScreen

        self.set_status("Consent recorded. Next: your reference photo.")
        self.app.push_screen(ReferenceScreen())

    def action_interview(self) -> None:
        self.app.action_interview()
