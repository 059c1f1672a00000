"""A checkbox whose state is in the text ("[x]" / "[ ]"), not only in colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TextCheckbox(Checkbox):
    DEFAULT_CSS = """  # i18n: ignore (CSS)
    TextCheckbox { border: none; padding: 0 1; height: 1; background: transparent; }
    TextCheckbox:focus { border: none; text-style: reverse; }
    """

    @property
    def _button(self) -> Content:
        return Content("[x]" if self.value else "[ ]")
