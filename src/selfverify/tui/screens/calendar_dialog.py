"""The interview screen's calendar file: save the booking as an .ics file where the person chooses."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _


class CalendarDialog(ModalScreen[None]):
    """Save the booking as an .ics file (new file, 0600, never a device: outfile.write_output)."""

    BINDINGS = [Binding("escape", "close", N_("Close"))]
    DEFAULT_CSS = (  # i18n: ignore (Textual CSS, not text)
        """
    CalendarDialog { align: center middle; }
    CalendarDialog > Vertical { width: 70; max-width: 98%; height: auto; border: thick $primary; padding: 0 1; background: $surface; }
    CalendarDialog Horizontal { height: auto; }
    CalendarDialog Input { width: 1fr; }
    CalendarDialog Label { width: 100%; }
    """
    )

    def __init__(self, data: bytes, default_path: str):
        super().__init__()
        self.data, self.default_path = data, default_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Save your interview as a calendar file (.ics) and open it with your calendar app:"))
            with Horizontal():
                yield Input(self.default_path, id="ics-path", compact=True)
                yield Button(_("Save"), id="ics-save", variant="primary", compact=True)
                yield Button(_("Close (esc)"), id="ics-close", compact=True)
            yield Label("", id="ics-result", markup=False)

    def on_mount(self) -> None:
        self.query_one("#ics-path", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ics-save":
            self.save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.save()

    def save(self) -> None:
        from pathlib import Path

        from selfverify.outfile import write_output

        typed = self.query_one("#ics-path", Input).value.strip()
        try:
            if typed:
                saved = write_output(Path(typed).expanduser(), self.data)
                message = _("Saved to {path}: open it with your calendar app.").format(path=saved)
            else:
                message = _("Type a file name first.")
        except SelfverifyError as exc:
            message = exc.user_message
        self.query_one("#ics-result", Label).update(message)
        self.app.set_status(message)

    def action_close(self) -> None:
        self.dismiss(None)
