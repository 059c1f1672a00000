"""What every user-facing screen shares: the status line, the footer, and Esc = back."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from selfverify.i18n import N_
from selfverify.tui.messages import ConsentChecked, StatusChanged
from selfverify.tui.widgets.status_log import StatusLine
from selfverify.tui.widgets.steps import StepIndicator

FRESH_STATUS_SECONDS = 1.0


def failure_text(error: BaseException) -> str:
    """What a person is told when a worker raised: the error's own message, or a bug report hint."""
    from selfverify.errors import SelfverifyError

    if isinstance(error, SelfverifyError):
        return error.user_message
    return f"Internal error (a bug): {type(error).__name__}. Run again with --debug and report it."


class AppScreen(Screen):
    BINDINGS = [Binding("escape", "back", N_("Back"))]

    def compose(self) -> ComposeResult:
        yield from self.body()
        yield StatusLine(id="status-line")
        yield Footer(compact=True)

    def body(self) -> ComposeResult:  # pragma: no cover - every screen overrides it
        yield from ()

    _resumed = False

    def on_screen_resume(self) -> None:
        # a new screen shows only the message that led to it (set just now), not an older screen's
        # status; a screen shown again keeps its own line (messages set under a dialog land there)
        first, self._resumed = not self._resumed, True
        if first and self.app.history.last and self.app.history.age_seconds() < FRESH_STATUS_SECONDS:
            self.query_one(StatusLine).show(self.app.history.last)
        if not first and self.query(StepIndicator):
            self.recheck_consent()

    @work(thread=True, exclusive=True, exit_on_error=False, group="steps-consent")
    def recheck_consent(self) -> None:
        """Consent withdrawn in My data meanwhile: the step bar must not still tick it."""
        from selfverify.errors import SelfverifyError
        from selfverify.services.consent import ConsentService

        try:
            accepted = ConsentService(self.app.ctx).status().accepted
        except SelfverifyError:
            return  # unreadable: the step bar keeps what it showed
        self.post_message(ConsentChecked(accepted))

    def on_consent_checked(self, message: ConsentChecked) -> None:
        self.query_one(StepIndicator).show_consent(message.accepted)

    def on_status_changed(self, message: StatusChanged) -> None:
        self.set_status(message.text)

    # worker failures: the one place (workers raise; they never catch to report)
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.worker_failed(event.worker.group, event.worker.error)

    def worker_failed(self, group: str, error: BaseException) -> None:
        """A worker of this screen raised. Screens that show a problem in place override this."""
        self.set_status(failure_text(error))

    def set_status(self, text: str) -> None:
        self.app.set_status(text)

    @property
    def active_bindings(self):  # noqa: ANN201
        """The footer's descriptions in the current language (bindings are declared in English)."""
        from selfverify.tui.language import translated_bindings

        return translated_bindings(super().active_bindings)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
