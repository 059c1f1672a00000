"""A yes/no dialog for anything that deletes or revokes. The safe answer has focus."""

from __future__ import annotations

from typing import Callable, Union

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from selfverify.i18n import N_, _, pgettext

Words = Union[str, Callable[[], str]]  # a callable is asked again when the language changes


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("y", "confirm", N_("Yes")), Binding("n", "cancel", N_("No"))]
    DEFAULT_CSS = """  # i18n: ignore (CSS)
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 60; max-width: 95%; height: auto; border: thick $error; padding: 1 2; background: $surface; }
    ConfirmDialog Label { width: 100%; margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """

    def __init__(self, question: Words, confirm_label: Words | None = None, keep_label: Words | None = None):
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label or (lambda: pgettext("button", "Delete"))
        # the safe answer, named for what it keeps when "Cancel" would be ambiguous
        self.keep_label = keep_label or (lambda: pgettext("button", "Cancel"))

    def compose(self) -> ComposeResult:
        def said(words: Words) -> str:
            return words() if callable(words) else words

        with Vertical():
            yield Label(said(self.question), id="question")
            with Horizontal():
                yield Button(_("{answer} (n)").format(answer=said(self.keep_label)), id="cancel", variant="primary")
                yield Button(_("{answer} (y)").format(answer=said(self.confirm_label)), id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    async def language_changed(self) -> None:
        focused = self.focused.id if self.focused else "cancel"
        await self.recompose()
        self.query_one(f"#{focused}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
