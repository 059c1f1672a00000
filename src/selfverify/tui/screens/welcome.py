from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Static

from selfverify.i18n import N_, _, available_languages, current_language, language_name
from selfverify.tui.screens.base import AppScreen

INTRO = N_(
    "selfverify confirms who you are, in one of two ways you choose:\n"
    "a selfie check compared with your ID photo on this computer, or a short interview with a person.\n"
    "Nothing leaves this machine, nothing is kept unless you ask, and you can delete it at any time."
)


class WelcomeScreen(AppScreen):
    BINDINGS = [
        Binding("s", "app.start", N_("Start")),
        Binding("d", "app.my_data", N_("My data")),
        Binding("l", "language", N_("Language")),
        Binding("escape", "back", N_("Back"), show=False),
    ]

    def body(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static(_("Welcome to selfverify"), id="welcome-title")
            yield Static(_(INTRO), id="welcome-intro")
            with Center():
                with Horizontal(id="welcome-buttons"):
                    yield Button(_("Start (s)"), id="start", variant="primary")
                    yield Button(_("My data (d)"), id="my-data")
            # each language under its own name, the current one ticked in text, not only in colour
            with Center():
                with Horizontal(id="welcome-languages"):
                    yield Static(_("Language (l):"), id="language-label")
                    for code in available_languages():
                        mark = "✓ " if code == current_language() else ""
                        yield Button(mark + language_name(code), id=f"lang-{code}", classes="language")

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.app.action_start()
        elif event.button.id == "my-data":
            self.app.action_my_data()
        elif event.button.id and event.button.id.startswith("lang-"):
            self.app.action_language(event.button.id.removeprefix("lang-"))

    async def language_changed(self) -> None:
        await self.recompose()
        self.query_one(f"#lang-{current_language()}", Button).focus()

    def action_language(self) -> None:
        """l: to the language buttons (the first one that is not the current language)."""
        buttons = list(self.query("#welcome-languages Button").results(Button))
        others = [b for b in buttons if b.id != f"lang-{current_language()}"]
        (others or buttons)[0].focus()

    def action_back(self) -> None:
        """Esc on the first screen does nothing (q quits)."""
