"""Starting the app: the Textual UI, or the plain accessible mode when asked for or when the
terminal cannot host a full-screen UI (TERM=dumb, stdin/stdout not a terminal)."""

from __future__ import annotations

import os
import sys


def wants_plain_mode(settings, stdin=None, stdout=None) -> tuple[bool, str]:  # noqa: ANN001
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if settings.accessible:
        return True, "accessible mode requested"  # i18n: ignore (a code: plain/app.py says it in words)
    if os.environ.get("TERM", "") == "dumb":
        return True, "TERM=dumb"
    if not (stdin and stdin.isatty()) or not (stdout and stdout.isatty()):
        return True, "not a terminal"  # i18n: ignore (a code: plain/app.py says it in words)
    return False, ""


def launch_app(ctx, reference: str | None = None) -> int:  # noqa: ANN001
    plain, why = wants_plain_mode(ctx.settings)
    if plain:
        from selfverify.plain.app import run_plain

        ctx.front_end = "plain"
        return run_plain(ctx, reference=reference, started_because=why)
    from selfverify.tui.app import run_tui

    ctx.front_end = "tui"
    return run_tui(ctx, reference=reference)
