from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Static

from selfverify.tui.screens.base import AppScreen

INTRO = (
    "selfverify confirms who you are, in one of two ways you choose:\n"
    "a selfie check compared with your ID photo on this computer, or a short interview with a person.\n"
    "Nothing leaves this machine, nothing is kept unless you ask, and you can delete it at any time."
)


class WelcomeScreen(AppScreen):
    BINDINGS = [
        Binding("s", "app.start", "Start"),
        Binding("d", "app.my_data", "My data"),
        Binding("escape", "back", "Back", show=False),
    ]

    def body(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static("Welcome to selfverify", id="welcome-title")
            yield Static(INTRO, id="welcome-intro")
            with Center():
                with Horizontal(id="welcome-buttons"):
                    yield Button("Start (s)", id="start", variant="primary")
                    yield Button("My data (d)", id="my-data")

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.app.action_start()
        elif event.button.id == "my-data":
            self.app.action_my_data()

    def action_back(self) -> None:
        """Esc on the first screen does nothing (q quits)."""
