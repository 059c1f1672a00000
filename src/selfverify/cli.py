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

# name -> ("module:attribute", one-line help). Help text lives here so listing costs no import.
COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("selfverify.commands.doctor:doctor", "Check this machine: Python, packages, models, cameras, keyring, database."),
    "config": ("selfverify.commands.config:config", "Show every setting, its value and where it came from."),
    "match": ("selfverify.commands.face:match", "Compare two photos: same person (exit 0) or not (exit 1)."),
    "verify": ("selfverify.commands.face:verify", "Run the selfie check headless against a reference photo."),
    "consent": ("selfverify.commands.privacy:consent", "Show, give or withdraw consent to the selfie check."),
    "credential": ("selfverify.commands.credential:credential", "Show, verify, revoke or export your credential."),
    "photos": ("selfverify.commands.privacy:photos", "List, delete or purge retained (encrypted) photos."),
    "data": ("selfverify.commands.privacy:data", "Delete everything selfverify keeps about you."),
    "interview": ("selfverify.commands.interview:interview", "Book, reschedule or cancel an interview with a person."),
    "status": ("selfverify.commands.interview:status", "Your verification status; picks up an approved interview credential."),
    "agent": ("selfverify.commands.interview:agent", "Support staff: slots, appointments and outcomes (console or CLI)."),
    "sessions": ("selfverify.commands.sessions:sessions", "Support staff: list, show and export session timelines."),
    "desk": ("selfverify.commands.desk:desk", "Desk admin: create the desk, enrol agents and kiosks, publish its key set."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _ = COMMANDS[name]
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


GLOBAL_FLAGS = ("home", "database_url", "user", "camera", "seed", "theme", "accessible", "plain_color", "keyring_service", "preview")


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="selfverify")
@click.option("--home", type=click.Path(file_okay=False), help="Keep config, data, database and vault here (SELFVERIFY_HOME).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (default: <config dir>/config.toml).")
@click.option("--database-url", help="SQLAlchemy URL, e.g. postgresql://user@host/db (default: SQLite).")
@click.option("--user", help="Handle of the person being verified (default: your login name).")
@click.option("--camera", help="Camera: index, /dev/videoN, video file, image folder or still image.")
@click.option("--reference", type=click.Path(dir_okay=False), help="Reference photo (e.g. an ID document image).")
@click.option("--seed", type=int, help="Seed for the liveness challenge (only for verify --replay).")
@click.option("--theme", help="Textual theme; selfverify-high-contrast has 7:1 contrast.")
@click.option("--preview", type=click.Choice(["auto", "blocks", "sixel", "kitty"]), help="Camera preview: real pixels (sixel, kitty) or half blocks; auto asks the terminal.")
@click.option("--accessible/--no-accessible", default=None, help="Plain line-by-line mode for screen readers.")
@click.option("--color", "plain_color", is_flag=True, default=None, help="Colour the accessible mode's labels (never with NO_COLOR).")
@click.option("--keyring-service", hidden=True, help="Keyring service name (tests).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, reference: str | None, debug: bool, **flags: Any) -> int:
    """Self-service identity verification: a selfie check on this computer, or an interview with a
    person (no photos, no face data). Run without a command to start the app."""
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
    return AppContext(settings=settings, front_end=front_end)


def print_error(err: SelfverifyError, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps({"error": err.as_dict()}))
        return
    click.echo(f"Error: {err.user_message}", err=True)
    if err.hint:
        click.echo(err.hint, err=True)


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # nothing selfverify creates is readable by other users
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("SELFVERIFY_DEBUG") == "1"
    try:
        rv = cli.main(args=args, prog_name="selfverify", standalone_mode=False)
    except SelfverifyError as err:
        if debug:
            traceback.print_exc()
        print_error(err)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("Interrupted: nothing more was done.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("Interrupted: nothing more was done.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UnicodeEncodeError as exc:
        if "surrogates not allowed" not in str(exc):
            _internal_error(exc, debug)
        # an argument held bytes that are not UTF-8 (the OS hands them over as surrogates)
        click.echo("Error: an argument or setting holds bytes that are not valid UTF-8: nothing was done.", err=True)
        sys.exit(EXIT_INPUT)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        _internal_error(exc, debug)
    sys.exit(rv if isinstance(rv, int) else 0)


def _internal_error(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    click.echo(f"Internal error ({type(exc).__name__}): {exc}", err=True)
    click.echo("This is a bug in selfverify. Run again with --debug and report what it prints.", err=True)
    sys.exit(EXIT_INTERNAL)
