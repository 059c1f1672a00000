"""What every user-facing screen shares: the status line, the footer, and Esc = back."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from selfverify.i18n import N_, _
from selfverify.tui.messages import ConsentChecked, StatusChanged
from selfverify.tui.widgets.status_log import StatusLine
from selfverify.tui.widgets.steps import StepIndicator

FRESH_STATUS_SECONDS = 1.0


def failure_text(error: BaseException) -> str:
    """What a person is told when a worker raised: the error's own message, or a bug report hint."""
    from selfverify.errors import SelfverifyError

    if isinstance(error, SelfverifyError):
        return error.user_message
    return _("Internal error (a bug): {error}. Run again with --debug and report it.").format(error=type(error).__name__)


class AppScreen(Screen):
    BINDINGS = [Binding("escape", "back", N_("Back"))]

    def compose(self) -> ComposeResult:
        yield from self.body()
        yield StatusLine(id="status-line")
        yield Footer(compact=True)

    def body(self) -> ComposeResult:  # pragma: no cover - every screen overrides it
        yield from ()

    async def language_changed(self) -> None:
        """The language changed (welcome screen or palette): texts this screen set once are set again
        in the new language. Here the step bar and the status line's label; screens with more to say
        override this (most by ``recompose``, which keeps the status line's message)."""
        for steps in self.query(StepIndicator):
            steps.set_step(steps.current)
        for line in self.query(StatusLine):
            line.show(line.message)

    async def recompose(self) -> None:
        said = self.query_one(StatusLine).message if self.query(StatusLine) else ""
        await super().recompose()
        if said:
            self.query_one(StatusLine).show(said)

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
        if not message.accepted:  # withdrawn (My data, the CLI, ...): no face data stays in memory
            self.app.forget_biometrics()
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
