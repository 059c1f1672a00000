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
from selfverify.i18n import N_, _, lazy_pgettext, ngettext
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
    ("selfie", N_("Selfie check (your face is compared on this computer)")),
    ("interview", N_("Interview with a person (no photos, no face data)")),
    ("mydata", N_("My data (kept photos, credential, consent, delete everything)")),
    ("quit", N_("Quit")),
]
MAIN_HELP = N_("selfverify confirms who you are in one of two ways you choose: a selfie check compared with your ID "
               "photo on this computer, or a short interview with a person. Nothing is kept unless you ask.")
AUTOMATIC_REASONS = {
    "TERM=dumb": N_("This terminal (TERM=dumb) cannot show the full-screen app, so selfverify uses its plain mode."),
    "not a terminal": N_("Input or output is not a terminal, so selfverify uses its plain mode."),
}
PREPARING_SELFIE = N_("Preparing the selfie check...")
WELCOME = (
    N_("selfverify, accessible mode: one message per line, numbered choices."),
    N_("At any question type help, back, where, or quit."),
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
                self.out.line(_(line))
            if self.started_because:
                reason = AUTOMATIC_REASONS.get(self.started_because)
                self.out.line(_(reason) if reason else _("Plain mode: {reason}.").format(reason=self.started_because))
            self.remember_mode()
            self.startup()
            self.main_menu()
        except QuitRequested:
            self.out.line(_("Goodbye."))
        except InputClosed:
            self.out.line(_("Input ended: goodbye."))
        except KeyboardInterrupt:
            self.out.line(_("Interrupted: nothing more was done."))
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
            self.out.problem(_("the accessible mode could not be remembered: {problem}").format(
                problem=getattr(exc, "user_message", exc)))
            return
        self.out.status(_("accessible mode remembered for the next start, in {file}.").format(file=path.name))

    def startup(self) -> None:
        from selfverify.services.startup import on_startup

        report = on_startup(self.ctx)
        if report.photos_purged:
            count = report.photos_purged
            self.out.status(ngettext("{count} expired photo deleted.", "{count} expired photos deleted.", count).format(count=count))
        elif report.changed_anything:
            self.out.status(_("work interrupted last time was completed."))
        for note in report.postponed:
            self.out.status(_("postponed until the next start: {note}").format(note=_(note)))

    def main_menu(self) -> None:
        from selfverify.plain.language import LanguageFlow, menu_label

        flows = {"selfie": self.selfie, "interview": self.interview, "mydata": self.my_data, "language": LanguageFlow(self).run}
        self.dialogue.places[:] = [N_("the main menu")]
        heard = False
        while True:
            try:  # the language comes after Quit: "4" quits, as it always did
                choices = [(key, _(text)) for key, text in MAIN_CHOICES] + [("language", menu_label())]
                choice = self.dialogue.choose(_("Main menu:"), choices, _(MAIN_HELP), brief=_("Main menu") if heard else None)
                heard = True
            except GoBack:
                self.out.line(_("This is the main menu. Type quit to leave."))
                continue
            if choice == "quit":
                raise QuitRequested
            if choice == "language":
                heard = False  # a new language: the menu is read again in full, in that language
            try:
                flows[choice]()
            except GoBack:
                self.out.status(_("back at the main menu."))
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)

    def _enter(self, place: str, flow) -> None:  # noqa: ANN001
        """Run a flow with ``place`` said by "where am I" meanwhile."""
        places = self.dialogue.places
        depth = len(places)
        places.append(place)
        try:
            flow.run()
        finally:
            del places[depth:]

    def selfie(self) -> None:
        self.out.line(_(PREPARING_SELFIE))  # loading the camera and face code takes seconds: never a silent pause
        from selfverify.plain.selfie import SelfieFlow

        self._enter(N_("the selfie check"), SelfieFlow(self))

    def interview(self) -> None:
        from selfverify.plain.interview import InterviewFlow

        self._enter(N_("the interview"), InterviewFlow(self))

    def my_data(self) -> None:
        from selfverify.plain.mydata import MyDataFlow

        self._enter(lazy_pgettext("menu name", "My data"), MyDataFlow(self))


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
