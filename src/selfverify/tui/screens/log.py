"""Every status message of this session, oldest first (notifications vanish; this does not)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RichLog, Static

from selfverify.i18n import _
from selfverify.tui.screens.base import AppScreen


class StatusLogScreen(AppScreen):
    def body(self) -> ComposeResult:
        yield Static(_("Status log: every message of this session, oldest first (esc: back)"), id="log-title")
        yield RichLog(id="status-log", wrap=True, markup=False, auto_scroll=True)

    def on_mount(self) -> None:
        self._fill()

    async def language_changed(self) -> None:
        await self.recompose()
        self._fill()

    def _fill(self) -> None:
        log = self.query_one(RichLog)
        from rich.table import Table
        from rich.text import Text

        for when, text in self.app.history.entries:
            row = Table.grid(padding=(0, 1), pad_edge=True)  # a long message wraps beside its time, not under it
            row.add_column(no_wrap=True)
            row.add_column()
            row.add_row(f"{when:%H:%M:%S}", Text(text, overflow="fold"))  # a long path is folded, never cut
            log.write(row)
        if not self.app.history.entries:
            log.write(_("No status messages yet."))
        log.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
