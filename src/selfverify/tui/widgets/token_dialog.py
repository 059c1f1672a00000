"""The credential token, shown so the user can select it, and saved to a new 0600 file on request.

Nothing claims it reached a clipboard: under tmux or SSH the app cannot know."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, TextArea

from selfverify.i18n import N_, _


class TokenDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss_dialog", N_("Close"))]
    DEFAULT_CSS = """  # i18n: ignore (CSS)
    TokenDialog { align: center middle; }
    TokenDialog > Vertical { width: 76; max-width: 98%; height: auto; max-height: 95%; border: thick $primary; padding: 0 1; background: $surface; }
    TokenDialog TextArea { height: 6; }
    TokenDialog Label { width: 100%; }
    TokenDialog Horizontal { height: auto; }
    TokenDialog Input { width: 1fr; }
    """

    def __init__(self, token: str, default_path: Path):
        super().__init__()
        self.token = token
        self.default_path = default_path
        self.said = ""  # the latest result line (what was saved, or why not)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Your credential token (it names you: give it only to whom you mean to). Select it to copy."))
            yield TextArea(self.token, read_only=True, soft_wrap=True, id="token-text", show_line_numbers=False)
            yield Label(_("Save it to a new file (readable only by you):"))
            with Horizontal():
                yield Input(str(self.default_path), id="token-path", compact=True)
                yield Button(_("Save"), id="token-save", variant="primary", compact=True)
                yield Button(_("Close (esc)"), id="token-close", compact=True)
            yield Label(self.said, id="token-result", markup=False)

    def on_mount(self) -> None:
        self.query_one("#token-path", Input).focus()

    async def language_changed(self) -> None:
        """The labels in the new language; the typed path and the result line stay."""
        typed = self.query_one("#token-path", Input).value
        await self.recompose()
        self.query_one("#token-path", Input).value = typed
        self.query_one("#token-path", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "token-save":
            self.save()
        elif event.button.id == "token-close":
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.save()

    def save(self) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.outfile import write_output

        typed = self.query_one("#token-path", Input).value.strip()
        result = self.query_one("#token-result", Label)
        if not typed:
            self.said = _("Type a file name first.")
            result.update(self.said)
            return
        try:  # a new file only (mode 0600): never an existing file, a link's target or a device
            path = write_output(Path(typed).expanduser(), (self.token + "\n").encode())
        except SelfverifyError as exc:
            message = exc.user_message
        else:
            message = _("Saved to {path} (mode 0600).").format(path=path)
        self.said = message
        result.update(message)
        self.app.set_status(message)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
