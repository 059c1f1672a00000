"""A persistent status line (toasts vanish; this stays) with its full history."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = """  # i18n: ignore (CSS)
    StatusLine { height: 1; text-wrap: nowrap; text-overflow: ellipsis; padding: 0 1; background: $panel; color: $text; }
    """

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("markup", False)  # statuses quote file names, handles and reasons: literally
        super().__init__(*args, **kwargs)
        self.message = ""  # the latest message, without the label

    def show(self, text: str) -> None:
        from textual.content import Content

        from selfverify.i18n import _

        self.message = text
        if not text:
            self.update("")
            return
        self.update(Content(_("Status: {message}").format(message=text)))  # plain text: a "[" in a message or a path is never markup


class StatusHistory:
    """Every status message of this run, newest last (shown on the log screen)."""

    def __init__(self, limit: int = 500):
        self.limit = limit
        self.entries: list[tuple[datetime, str]] = []

    def add(self, text: str) -> None:
        self.entries.append((datetime.now(), text))
        del self.entries[: -self.limit]

    def age_seconds(self) -> float:
        """How long ago the newest message was set (infinite when there is none)."""
        return (datetime.now() - self.entries[-1][0]).total_seconds() if self.entries else float("inf")

    @property
    def last(self) -> str:
        return self.entries[-1][1] if self.entries else ""
