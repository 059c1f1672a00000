"""Every status message of this session, oldest first (notifications vanish; this does not)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RichLog

from selfverify.i18n import _
from selfverify.tui.screens.base import AppScreen


class StatusLogScreen(AppScreen):
    def body(self) -> ComposeResult:
        yield RichLog(id="status-log", wrap=True, markup=False, auto_scroll=True)

    def on_mount(self) -> None:
        self._fill()

    async def language_changed(self) -> None:
        await self.recompose()
        self._fill()

    def _fill(self) -> None:
        log = self.query_one(RichLog)
        for when, text in self.app.history.entries:
            log.write(f"{when:%H:%M:%S}  {text}")
        if not self.app.history.entries:
            log.write(_("No status messages yet."))
        log.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
