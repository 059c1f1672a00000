"""The accessible mode: the same flows as the Textual app as numbered choices and typed answers,
one labelled line per state change, for screen readers and terminals that cannot host a
full-screen UI. Started by ``selfverify --accessible`` (see selfverify.launch for the others).

Exit codes: 0 after quit or the end of input (Ctrl+D), 130 after Ctrl+C; errors that stop the
start (database, settings) leave through selfverify.cli.main with their own code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from selfverify.errors import EXIT_INTERRUPTED, EXIT_OK, ConfigError, SelfverifyError
from selfverify.plain.terminal import (
    Dialogue,
    GoBack,
    InputClosed,
    LineReader,
    LineWriter,
    QuitRequested,
    wants_colour,
)

MAIN_CHOICES = [
    ("selfie", "Selfie check (your face is compared on this computer)"),
    ("interview", "Interview with a person (no photos, no face data)"),
    ("mydata", "My data (kept photos, credential, consent, delete everything)"),
    ("quit", "Quit"),
]
MAIN_HELP = ("selfverify confirms who you are in one of two ways you choose: a selfie check compared with your ID "
             "photo on this computer, or a short interview with a person. Nothing is kept unless you ask.")
AUTOMATIC_REASONS = {
    "TERM=dumb": "This terminal (TERM=dumb) cannot show the full-screen app, so selfverify uses its plain mode.",
    "not a terminal": "Input or output is not a terminal, so selfverify uses its plain mode.",
}
WELCOME = (
    "selfverify, accessible mode: one message per line, numbered choices.",
    "At any question type help, back or quit.",
)


def plain_settings(settings):  # noqa: ANN001, ANN201
    """This mode's deadlines: none by default, or the longer ones the user set for it."""
    return settings.replace(challenge_timeout=settings.plain_step_timeout, verify_timeout=settings.plain_run_timeout)


def config_file_in_use(ctx) -> Path:  # noqa: ANN001
    """--config, else SELFVERIFY_CONFIG, else the config.toml under the config dir."""
    import click

    click_ctx = click.get_current_context(silent=True)
    chosen = ((click_ctx.find_root().obj or {}).get("config_file") if click_ctx else None) or os.environ.get("SELFVERIFY_CONFIG")
    return Path(chosen) if chosen else ctx.paths.config_file


class PlainApp:
    def __init__(self, ctx, dialogue: Dialogue, reference: str | None = None, config_file: Path | None = None):  # noqa: ANN001
        self.ctx = ctx
        self.dialogue = dialogue
        self.out = dialogue.out
        self.reference_path = reference
        self.config_file = config_file
        self.started_because: str | None = None  # why the plain mode was chosen when nobody asked for it

    def run(self) -> int:
        try:
            for line in WELCOME:
                self.out.line(line)
            if self.started_because:
                self.out.line(AUTOMATIC_REASONS.get(self.started_because, f"Plain mode: {self.started_because}."))
            self.remember_mode()
            self.startup()
            self.main_menu()
        except QuitRequested:
            self.out.line("Goodbye.")
        except InputClosed:
            self.out.line("Input ended: goodbye.")
        except KeyboardInterrupt:
            self.out.line("Interrupted: nothing more was done.")
            return EXIT_INTERRUPTED
        return EXIT_OK

    def remember_mode(self) -> None:
        """Asked for (flag or environment) but not yet in the config file: write it there."""
        from selfverify.config import read_config_file, remember_setting

        if not self.ctx.settings.accessible or self.config_file is None:
            return
        try:
            if read_config_file(self.config_file).get("accessible") is True:
                return
            path = remember_setting(self.config_file, "accessible", True)
        except (ConfigError, OSError) as exc:
            self.out.problem(f"the accessible mode could not be remembered: {getattr(exc, 'user_message', exc)}")
            return
        self.out.status(f"accessible mode remembered in {path}: the next start uses it too (remove that line to undo).")

    def startup(self) -> None:
        from selfverify.services.startup import on_startup

        report = on_startup(self.ctx)
        if report.photos_purged:
            self.out.status(f"{report.photos_purged} expired photo(s) deleted.")
        elif report.changed_anything:
            self.out.status("work interrupted last time was completed.")
        for note in report.postponed:
            self.out.status(f"postponed until the next start: {note}")

    def main_menu(self) -> None:
        flows = {"selfie": self.selfie, "interview": self.interview, "mydata": self.my_data}
        while True:
            try:
                choice = self.dialogue.choose("Main menu:", MAIN_CHOICES, MAIN_HELP)
            except GoBack:
                self.out.line("This is the main menu. Type quit to leave.")
                continue
            if choice == "quit":
                raise QuitRequested
            try:
                flows[choice]()
            except GoBack:
                self.out.status("back at the main menu.")
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)

    def selfie(self) -> None:
        from selfverify.plain.selfie import SelfieFlow

        SelfieFlow(self).run()

    def interview(self) -> None:
        from selfverify.plain.interview import InterviewFlow

        InterviewFlow(self).run()

    def my_data(self) -> None:
        from selfverify.plain.mydata import MyDataFlow

        MyDataFlow(self).run()


def _input_fd(stdin: TextIO | None) -> int:
    try:
        return stdin.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):  # no usable stdin: behave as if input ended
        return os.open(os.devnull, os.O_RDONLY)


def run_plain(ctx, reference: str | None = None, started_because: str = "") -> int:  # noqa: ANN001
    """``started_because``: why launch.py chose the plain mode (said when it was not asked for)."""
    settings = ctx.settings
    ctx.settings = plain_settings(settings)
    ctx.front_end = "plain"
    out = LineWriter(sys.stdout, colour=wants_colour(settings))
    fd = _input_fd(sys.stdin)
    dialogue = Dialogue(LineReader(fd), out, echo=not os.isatty(fd))
    app = PlainApp(ctx, dialogue, reference, config_file=config_file_in_use(ctx))
    if not settings.accessible:
        app.started_because = started_because
    return app.run()
