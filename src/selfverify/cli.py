"""The ``selfverify`` command. Subcommands are imported only when run, so ``--help`` and
``--version`` stay fast (no cv2, dlib, face_recognition, textual or sqlmodel)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import Any

import click

from selfverify import __version__
from selfverify.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, SelfverifyError
from selfverify.i18n import N_, _, ngettext

# name -> ("module:attribute", one-line help). Help text lives here so listing costs no import.
COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("selfverify.commands.doctor:doctor", N_("Check this machine: Python, packages, models, cameras, keyring, database.")),
    "config": ("selfverify.commands.config:config", N_("Show every setting, its value and where it came from.")),
    "match": ("selfverify.commands.face:match", N_("Compare two photos: same person (exit 0) or not (exit 1).")),
    "verify": ("selfverify.commands.face:verify", N_("Run the selfie check headless against a reference photo.")),
    "consent": ("selfverify.commands.privacy:consent", N_("Show, give or withdraw consent to the selfie check.")),
    "credential": ("selfverify.commands.credential:credential", N_("Show, verify, revoke or export your credential.")),
    "photos": ("selfverify.commands.privacy:photos", N_("List, delete or purge retained (encrypted) photos.")),
    "data": ("selfverify.commands.privacy:data", N_("Delete everything selfverify keeps about you.")),
    "interview": ("selfverify.commands.interview:interview", N_("Book, reschedule or cancel an interview with a person.")),
    "status": ("selfverify.commands.interview:status", N_("Your verification status; picks up an approved interview credential.")),
    "agent": ("selfverify.commands.agent:agent", N_("Support staff: slots, appointments and outcomes (console or CLI).")),
    "sessions": ("selfverify.commands.sessions:sessions", N_("Support staff: list, show and export session timelines.")),
    "desk": ("selfverify.commands.desk:desk", N_("Desk admin: create the desk, enrol agents and kiosks, publish its key set.")),
}


class TranslatedHelp:
    """A command whose help texts are marked ``N_()`` where written (``help=N_("...")`` on the command
    and its options; a docstring is not extracted) and translated when shown: the language is chosen
    after these objects are built, and may change between runs in one process."""

    def _texts(self, ctx: click.Context) -> list[tuple[Any, str]]:
        owners: list[Any] = [self, *self.get_params(ctx)]
        if isinstance(self, click.Group):  # the short help of each subcommand, in the Commands list
            owners += [self.get_command(ctx, name) for name in self.list_commands(ctx)]
        return [(owner, attr) for owner in owners if owner is not None
                for attr in ("help", "short_help", "epilog") if isinstance(getattr(owner, attr, None), str)]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        texts = self._texts(ctx)
        originals = [getattr(owner, attr) for owner, attr in texts]
        try:
            for owner, attr in texts:
                setattr(owner, attr, _(getattr(owner, attr)))
            super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            for (owner, attr), text in zip(texts, originals):
                setattr(owner, attr, text)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return translated(super().get_command(ctx, name))  # type: ignore[misc]


_TRANSLATED: dict[type, type] = {}


def translated(command: click.Command | None) -> click.Command | None:
    """``command`` made to translate its help when shown (its class gains TranslatedHelp)."""
    if command is None or isinstance(command, TranslatedHelp):
        return command
    cls = type(command)
    if cls not in _TRANSLATED:
        _TRANSLATED[cls] = type(cls.__name__, (TranslatedHelp, cls), {})
    command.__class__ = _TRANSLATED[cls]
    return command


class LazyGroup(TranslatedHelp, click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _help = COMMANDS[name]
        module_name, attr = target.split(":")
        return translated(getattr(importlib.import_module(module_name), attr))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _(help_)) for name, (_target, help_) in COMMANDS.items()]  # listing imports no command
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def _texts(self, ctx: click.Context) -> list[tuple[Any, str]]:
        return [(owner, attr) for owner in (self, *self.get_params(ctx)) for attr in ("help",)
                if isinstance(getattr(owner, attr, None), str)]


# click's own texts (the options it adds, its headings and usage errors), so that the catalog carries
# them: click looks them up through selfverify's catalog (speak_for_click)
CLICK_TEXTS = (
    N_("Show this message and exit."), N_("Show the version and exit."), N_("Usage:"), N_("Options"),
    N_("Positional arguments"), N_("Commands"), N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"),
    N_("Missing option"), N_("Missing parameter"), N_("Missing parameter: {param_name}"), N_("Missing command."),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Option {name!r} does not take a value."),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("default: {default}"), N_("env var: {var}"), N_("required"), N_("Aborted!"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("{name} {filename!r} is not readable."), N_("file"),
    N_("directory"), N_("path"), N_("Could not open file {filename!r}: {message}"),
)


def _click_plurals() -> None:  # never called: marks click's plural texts for the catalog
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)


def speak_for_click() -> None:
    """click's own texts (headings, usage errors) through selfverify's catalog: click's modules look
    them up with the standard library's gettext under their own names, found here."""
    import gettext as stdlib

    from selfverify import i18n

    for name, module in list(sys.modules.items()):
        # not click.decorators: the texts it gives at build time (--help's own help) stay English and
        # are translated when shown, so a process that changes language shows each in the current one
        if (name == "click" or name.startswith("click.")) and name != "click.decorators":
            if getattr(module, "_", None) is stdlib.gettext:
                module._ = i18n.gettext
            if getattr(module, "ngettext", None) is stdlib.ngettext:
                module.ngettext = i18n.ngettext


speak_for_click()


GLOBAL_FLAGS = ("lang", "home", "database_url", "user", "camera", "seed", "theme", "accessible", "plain_color", "keyring_service", "preview")


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Self-service identity verification: a selfie check on this computer, or an interview with a "
                     "person (no photos, no face data). Run without a command to start the app."))
@click.version_option(__version__, "--version", prog_name="selfverify")
@click.option("--lang", help=N_("Language, e.g. es or en (SELFVERIFY_LANG; default: the system's language)."))
@click.option("--home", type=click.Path(file_okay=False), help=N_("Keep config, data, database and vault here (SELFVERIFY_HOME)."))
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help=N_("Config file (default: <config dir>/config.toml)."))
@click.option("--database-url", help=N_("SQLAlchemy URL, e.g. postgresql://user@host/db (default: SQLite)."))
@click.option("--user", help=N_("Handle of the person being verified (default: your login name)."))
@click.option("--camera", help=N_("Camera: index, /dev/videoN, video file, image folder or still image."))
@click.option("--reference", type=click.Path(dir_okay=False), help=N_("Reference photo (e.g. an ID document image)."))
@click.option("--seed", type=int, help=N_("Seed for the liveness challenge (only for verify --replay)."))
@click.option("--theme", help=N_("Textual theme; selfverify-high-contrast has 7:1 contrast."))
@click.option("--preview", type=click.Choice(["auto", "blocks", "sixel", "kitty"]), help=N_("Camera preview: real pixels (sixel, kitty) or half blocks; auto asks the terminal."))
@click.option("--accessible/--no-accessible", default=None, help=N_("Plain line-by-line mode for screen readers."))
@click.option("--color", "plain_color", is_flag=True, default=None, help=N_("Colour the accessible mode's labels (never with NO_COLOR)."))
@click.option("--keyring-service", hidden=True, help="Keyring service name (tests).")  # i18n: ignore (hidden)
@click.option("--debug", is_flag=True, help=N_("Show tracebacks for errors."))
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, reference: str | None, debug: bool, **flags: Any) -> int:
    ctx.ensure_object(dict)
    ctx.obj["flags"] = {k: flags[k] for k in GLOBAL_FLAGS if flags.get(k) is not None}
    ctx.obj["config_file"] = config_file
    ctx.obj["debug"] = debug
    ctx.obj["reference"] = reference
    if ctx.invoked_subcommand is None:
        from selfverify.launch import launch_app

        return launch_app(app_context(ctx), reference=reference)
    return 0


def app_context(ctx: click.Context, front_end: str = "cli", **overrides: Any):
    """Build the AppContext for a command: its own flags (non-None) override the global ones."""
    from selfverify.config import load_settings, require_config_file
    from selfverify.context import AppContext

    root = ctx.find_root()
    obj = root.obj or {}
    if obj.get("config_file"):
        require_config_file(obj["config_file"])
    flags = dict(obj.get("flags", {}))
    flags.update({k: v for k, v in overrides.items() if v is not None})
    settings = load_settings(flags, config_file=obj.get("config_file"))
    from selfverify.i18n import resolve_language, set_language

    language, problem = resolve_language(settings.lang, _("lang in the config file"))
    set_language(language)
    if problem and "lang" not in obj.get("flags", {}) and os.environ.get("SELFVERIFY_LANG") is None:
        click.echo(problem, err=True)  # --lang and SELFVERIFY_LANG were reported by main()
    return AppContext(settings=settings, front_end=front_end)


def _option_value(args: list[str], name: str) -> str | None:
    """The value of a global option (``--name X`` or ``--name=X``) before the subcommand's own."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def choose_language(args: list[str], environ) -> tuple[str, str | None]:  # noqa: ANN001
    """The language for this run before the settings are read (usage errors, --help): --lang >
    SELFVERIFY_LANG > the system's. The config file's ``lang`` applies once the settings are loaded
    (``app_context``): reading it here would cost --help the config and platformdirs imports (~40 ms).
    Returns the language and a line to print when the one asked for has no catalog."""
    from selfverify.i18n import resolve_language

    for asked, source in ((_option_value(args, "--lang"), "--lang"), (environ.get("SELFVERIFY_LANG"), "SELFVERIFY_LANG")):
        if asked is not None:
            return resolve_language(asked, source, environ)
    return resolve_language(None, "", environ)


def print_error(err: SelfverifyError, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps({"error": err.as_dict()}))
        return
    click.echo(_("Error: {message}").format(message=err.user_message), err=True)
    if err.hint:
        click.echo(err.hint, err=True)


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # nothing selfverify creates is readable by other users
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("SELFVERIFY_DEBUG") == "1"
    from selfverify.i18n import set_language

    language, problem = choose_language(args, os.environ)
    set_language(language)
    if problem:
        click.echo(problem, err=True)
    try:
        rv = cli.main(args=args, prog_name="selfverify", standalone_mode=False)
    except SelfverifyError as err:
        if debug:
            traceback.print_exc()
        print_error(err)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo(_("Interrupted: nothing more was done."), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo(_("Interrupted: nothing more was done."), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UnicodeEncodeError as exc:
        if "surrogates not allowed" not in str(exc):
            _internal_error(exc, debug)
        # an argument held bytes that are not UTF-8 (the OS hands them over as surrogates)
        click.echo(_("Error: an argument or setting holds bytes that are not valid UTF-8: nothing was done."), err=True)
        sys.exit(EXIT_INPUT)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        _internal_error(exc, debug)
    sys.exit(rv if isinstance(rv, int) else 0)


def _internal_error(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    click.echo(_("Internal error ({kind}): {error}").format(kind=type(exc).__name__, error=exc), err=True)
    click.echo(_("This is a bug in selfverify. Run again with --debug and report what it prints."), err=True)
    sys.exit(EXIT_INTERNAL)
