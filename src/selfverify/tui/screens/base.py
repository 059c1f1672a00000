"""What every user-facing screen shares: the status line, the footer, and Esc = back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from selfverify.tui.widgets.status_log import StatusLine


class AppScreen(Screen):
    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield from self.body()
        yield StatusLine(id="status-line")
        yield Footer(compact=True)

    def body(self) -> ComposeResult:  # pragma: no cover - every screen overrides it
        yield from ()

    def on_screen_resume(self) -> None:
        last = self.app.history.last
        if last:
            self.query_one(StatusLine).show(last)

    def set_status(self, text: str) -> None:
        self.app.set_status(text)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
