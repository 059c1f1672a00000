"""What the interview commands share: the service for a command, the --tz and --agent options, and
one way to run an action and print its lines or JSON (commands/interview.py: the user's commands;
commands/agent.py: support staff's; commands/interview_details.py: slot details, calendar, notices).

Every rule lives in ``selfverify.services.interview``; these commands only parse and print.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

import click

from selfverify.cli import app_context, print_error
from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _
from selfverify.services.interview.zones import format_when
from selfverify.services.interview import DOCUMENT_TYPES
from selfverify.textcheck import MAX_ID, printable

TZ_HELP = N_("Time zone for showing and typing times, e.g. Europe/Paris (default: this computer's; SELFVERIFY_TIMEZONE).")
_TZ_HELP = TZ_HELP
_DOCUMENT_CHOICES = tuple(DOCUMENT_TYPES)
_AGENT_HELP = N_("Which enrolled agent's key to use, if this keyring holds several (the handle comes from the key).")


def _service(ctx: click.Context):
    """The InterviewService for this command, built from the global flags plus --tz / --agent."""
    from selfverify.services.interview import InterviewService

    opts = _group_options(ctx)
    app = app_context(ctx, timezone=opts.get("tz"))
    return InterviewService(app, agent=opts.get("agent"))


def _agent_service(ctx: click.Context):
    """The InterviewService of the enrolled agent whose key this account holds (refused otherwise)."""
    from selfverify.services.desk_agent import agent_service

    opts = _group_options(ctx)
    return agent_service(app_context(ctx, timezone=opts.get("tz")), opts.get("agent"))


# slot numbers are database ids: range-checked before they reach SQL
SLOT_ID = click.IntRange(1, MAX_ID)


def _tz_option(fn: Callable) -> Callable:
    return click.option("--tz", help=_TZ_HELP)(fn)


def _agent_option(fn: Callable) -> Callable:
    return click.option("--agent", help=_AGENT_HELP)(fn)


def _group_options(ctx: click.Context) -> dict[str, Any]:
    """--tz / --agent from this command or its groups (the innermost one given wins)."""
    merged: dict[str, Any] = {}
    node: click.Context | None = ctx
    while node is not None:
        for key in ("tz", "agent"):
            if node.params.get(key) is not None:
                merged.setdefault(key, node.params[key])
        node = node.parent
    return merged


def _run(as_json: bool, action: Callable[[], tuple]) -> int:
    """Run ``action`` -> (json data, text lines[, problem]); in --json mode errors are JSON on stdout too.

    A ``problem`` (a SelfverifyError) is reported after the output, which still appears, and sets the exit code."""
    try:
        data, lines, *rest = action()
    except SelfverifyError as err:
        if not as_json:
            raise
        print_error(err, as_json=True)
        sys.exit(err.exit_code)
    problem = rest[0] if rest else None
    if as_json:
        if problem is not None:
            data = {**data, "problem": problem.as_dict()}
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:  # values from the database (contact, handles, reasons): control/bidi shown escaped
            click.echo("\n".join(printable(part) for part in str(line).split("\n")))
        if problem is not None:
            print_error(problem)
    return problem.exit_code if problem is not None else 0


def _appointment_lines(svc, a, staff: bool = False) -> list[str]:  # noqa: ANN001
    """An appointment's rows; staff also see the language the person booked in (they call in it)."""
    rows = svc.describe(a) + ([(_("Language"), spoken_language(a.language))] if staff else [])
    return [f"{label + ':':<10}{text}" for label, text in rows]


def spoken_language(code: str | None) -> str:
    """``Español (es)``: a person's language, by its own name, for staff who call them."""
    from selfverify.i18n import language_name

    code = code or "en"
    return f"{language_name(code)} ({code})"


# an appointment's status, as said (the JSON keeps the code)
STATUS_WORDS = {
    "booked": N_("booked"), "approved": N_("approved"), "declined": N_("declined"), "cancelled": N_("cancelled"),
    "expired": N_("expired"), "no_show": N_("no-show"),
}


def status_word(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status.replace("_", "-")


def when(svc, moment) -> str:  # noqa: ANN001
    """A time as the CLI shows it: in the service's time zone, written for the current language."""
    return format_when(moment, svc.zone)


def _slot_lines(svc, slots, empty: str) -> list[str]:  # noqa: ANN001
    if not slots:
        return [empty]
    from selfverify.services.interview.details import CHANNELS

    lines = [_("Times are shown in {zone}.").format(zone=svc.zone_label)]
    for slot in slots:
        state = "  " + _("booked") if slot.booked else ""
        channel = slot.details.channel if slot.details is not None else None
        how = _(CHANNELS[channel]) if channel in CHANNELS else _("how: not set")
        lines.append("  " + _("slot {number}  {when}  {minutes} min  {how}  {agent}").format(
            number=f"{slot.id:>4}", when=when(svc, slot.starts_at), minutes=slot.duration_minutes, how=how,
            agent=slot.agent) + state)
    return lines
