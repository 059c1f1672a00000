"""``selfverify interview`` (the user books), ``selfverify status`` (and credential pickup) and
``selfverify agent`` (support staff: the console, or subcommands for scripts).

Every rule lives in ``selfverify.services.interview``; these commands only parse and print.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

import click

from selfverify.cli import app_context, print_error
from selfverify.errors import SelfverifyError
from selfverify.services.interview import DOCUMENT_TYPES
from selfverify.textcheck import MAX_ID, printable

_TZ_HELP = "Time zone for showing and typing times, e.g. Europe/Paris (default: this computer's; SELFVERIFY_TIMEZONE)."
_DOCUMENT_CHOICES = tuple(DOCUMENT_TYPES)
_AGENT_HELP = "Which enrolled agent's key to use, if this keyring holds several (the handle comes from the key)."


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


def _appointment_lines(svc, a) -> list[str]:  # noqa: ANN001
    return [f"{label + ':':<10}{text}" for label, text in svc.describe(a)]


def _slot_lines(svc, slots, empty: str) -> list[str]:  # noqa: ANN001
    if not slots:
        return [empty]
    lines = [f"Times are shown in {svc.zone_label}."]
    for slot in slots:
        state = "  booked" if slot.booked else ""
        lines.append(f"  slot {slot.id:>4}  {svc.when(slot.starts_at)}  {slot.duration_minutes} min  {slot.agent}{state}")
    return lines


# ---------------------------------------------------------------- interview (the user)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--tz", help=_TZ_HELP)
def interview(tz: str | None) -> None:
    """Book, reschedule or cancel an interview with a person (no photo, no face data).

    You give a handle (--user) and a contact line only. At the interview an agent looks at an
    official document; once approved, 'selfverify status' stores your credential in your keyring."""


@interview.command("slots")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@click.pass_context
def interview_slots(ctx: click.Context, as_json: bool, **_options: Any) -> int:
    """List the free interview slots."""

    def action():
        svc = _service(ctx)
        slots = svc.available_slots()
        hint = "No free slots at the moment: try again later or ask support to add some."
        return (
            {"timezone": svc.zone_label, "slots": [s.as_dict(svc.zone) for s in slots]},
            _slot_lines(svc, slots, hint) + (['Book one: selfverify interview book SLOT --contact "phone or e-mail"'] if slots else []),
        )

    return _run(as_json, action)


@interview.command("book")
@click.argument("slot_id", type=SLOT_ID)
@click.option("--contact", required=True, help="A phone number or e-mail address the agent can reach you on.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@click.pass_context
def interview_book(ctx: click.Context, slot_id: int, contact: str, as_json: bool, **_options: Any) -> int:
    """Book slot SLOT_ID; prints your confirmation code."""

    def action():
        svc = _service(ctx)
        a = svc.book(slot_id, contact)
        return a.as_dict(svc.zone), [
            f"Booked: {svc.when(a.slot.starts_at)}.",
            f"Your confirmation code is {a.display_code}. Keep it: you need it to reschedule or cancel,",
            "and the agent asks for it at the interview.",
        ]

    return _run(as_json, action)


@interview.command("reschedule")
@click.argument("code")
@click.argument("slot_id", type=SLOT_ID)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@click.pass_context
def interview_reschedule(ctx: click.Context, code: str, slot_id: int, as_json: bool, **_options: Any) -> int:
    """Move the interview with confirmation CODE to slot SLOT_ID."""

    def action():
        svc = _service(ctx)
        a = svc.reschedule(code, slot_id)
        return a.as_dict(svc.zone), [f"Moved: interview {a.display_code} is now {svc.when(a.slot.starts_at)}."]

    return _run(as_json, action)


@interview.command("cancel")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@click.pass_context
def interview_cancel(ctx: click.Context, code: str, as_json: bool, **_options: Any) -> int:
    """Cancel the interview with confirmation CODE (its slot becomes free again)."""

    def action():
        svc = _service(ctx)
        a = svc.cancel(code)
        return a.as_dict(svc.zone), [f"Cancelled: interview {a.display_code} ({svc.when(a.slot.starts_at)})."]

    return _run(as_json, action)


@interview.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@click.pass_context
def interview_show(ctx: click.Context, as_json: bool, **_options: Any) -> int:
    """Show your interviews (newest first)."""

    def action():
        svc = _service(ctx)
        items = svc.my_appointments()
        lines: list[str] = [] if items else ["You have no interviews. See the free slots: selfverify interview slots"]
        for a in items:
            lines += _appointment_lines(svc, a) + [""]
        return {"timezone": svc.zone_label, "appointments": [a.as_dict(svc.zone) for a in items]}, lines

    return _run(as_json, action)


# ---------------------------------------------------------------- status (the user's app picks up credentials)


@click.command()
@click.option("--tz", help=_TZ_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def status(ctx: click.Context, tz: str | None, as_json: bool) -> int:
    """Your verification status. An approved interview's credential is stored in your keyring now."""

    def action():
        from selfverify.errors import KeyringUnavailable, PolicyRefusal
        from selfverify.services.credentials import CredentialService
        from selfverify.services.startup import on_startup

        svc = _service(ctx)
        on_startup(svc.ctx)  # finish interrupted work first, so the status shown is the settled one
        problem = None
        try:
            picked = svc.pick_up_credentials()
            current = CredentialService(svc.ctx).current()
        except (KeyringUnavailable, PolicyRefusal) as exc:
            # the interview state is still worth showing; the credential waits for a usable keyring,
            # and one that does not verify against the desk's keys is never stored
            picked, current, problem = [], None, exc
        interviews = svc.my_appointments()
        lines = [f"Verification status for {svc.ctx.user}"]
        for cred in picked:
            lines.append(f"New: your interview was approved; credential {cred.id} is now in your keyring.")
        if current is not None:
            lines.append(
                f"Credential: valid, method {current.method}, issued {svc.when(current.issued_at)}, "
                f"expires {svc.when(current.expires_at)}."
            )
        elif isinstance(problem, KeyringUnavailable):
            lines.append("Credential: cannot be read or stored until your keyring works (see below).")
        elif problem is not None:
            lines.append("Credential: not stored (see below).")
        else:
            lines.append("Credential: none. Verify with a selfie ('selfverify') or book an interview ('selfverify interview slots').")
        for a in interviews:
            if a.status == "booked":
                lines.append(f"Interview: {a.display_code} booked for {svc.when(a.slot.starts_at)}.")
            elif a.waiting_for_pickup:
                lines.append(f"Interview {a.display_code} was approved: the credential is stored once your keyring can be used.")
        if problem is not None and interviews:  # already on the interview path: only the keyring fix
            from selfverify.store.secrets import without_interview_alternative

            problem.hint = without_interview_alternative(problem.hint)
        latest = interviews[0] if interviews else None
        if latest is not None and latest.status == "declined":
            lines.append(f"Interview {latest.display_code} was declined: {latest.decision_reason}")
        data = {
            "subject": svc.ctx.user,
            "credential": _credential_dict(current),
            "picked_up": [_credential_dict(c) for c in picked],
            "interviews": [a.as_dict(svc.zone) for a in interviews],
        }
        return data, lines, problem

    return _run(as_json, action)


def _credential_dict(cred) -> dict[str, Any] | None:  # noqa: ANN001
    if cred is None:
        return None
    # the token is a secret: it stays in the keyring and is never printed here
    return {
        "id": cred.id, "subject": cred.subject, "method": cred.method,
        "issued_at": cred.issued_at.isoformat(), "expires_at": cred.expires_at.isoformat(),
    }


# ---------------------------------------------------------------- agent (support staff)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--agent", help=_AGENT_HELP)
@click.option("--tz", help=_TZ_HELP)
@click.pass_context
def agent(ctx: click.Context, agent: str | None, tz: str | None) -> int:
    """Support staff: with no subcommand, open the agent console (a terminal UI).

    Subcommands are for scripts: slots, today, open, approve, decline. Only an agent the desk admin
    enrolled, holding its key in its own keyring, may use them (see 'selfverify desk')."""
    if ctx.invoked_subcommand is not None:
        return 0
    service = _agent_service(ctx)  # only an enrolled agent holding its key gets the console
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from selfverify.errors import InputError

        raise InputError(
            "The agent console needs an interactive terminal.",
            code="no_terminal",
            hint="Use the subcommands instead: selfverify agent today | open CODE | approve CODE | decline CODE.",
        )
    from selfverify.tui.agent.app import run_agent_console

    return run_agent_console(service)


@agent.group("slots", invoke_without_command=True)
@click.pass_context
def agent_slots(ctx: click.Context) -> int:
    """Add, load, list or remove interview slots (without a subcommand: list)."""
    if ctx.invoked_subcommand is None:
        return ctx.invoke(agent_slots_list)
    return 0


@agent_slots.command("add")
@click.argument("when", nargs=-1, required=True)
@click.option("--duration", default=20, show_default=True, type=int, help="Minutes per slot.")
@click.option("--repeat", default=1, show_default=True, type=int, help="Add this many back-to-back slots from each WHEN.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_add(ctx: click.Context, when: tuple[str, ...], duration: int, repeat: int, as_json: bool, **_options: Any) -> int:
    """Add slots starting at WHEN ("2026-01-05 09:00" in your zone, or ISO 8601 with an offset)."""
    from datetime import timedelta

    from selfverify.errors import InputError
    from selfverify.services.interview import parse_local_time

    def action():
        svc = _agent_service(ctx)
        if not 1 <= repeat <= 100:
            raise InputError("--repeat must be from 1 to 100.", code="bad_repeat")
        starts = []
        for text in when:
            first = parse_local_time(text, svc.zone)
            starts += [first + timedelta(minutes=duration * i) for i in range(repeat)]
        added, _ = svc.add_slots(starts, duration)
        return (
            {"timezone": svc.zone_label, "added": [s.as_dict(svc.zone) for s in added]},
            [f"Added {len(added)} slot(s) for {svc.agent}:"] + _slot_lines(svc, added, "")[1:],
        )

    return _run(as_json, action)


@agent_slots.command("load")
@click.argument("hours_file", type=click.Path(dir_okay=False))
@click.option("--days", default=14, show_default=True, type=int, help="Create slots for this many days from today.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_load(ctx: click.Context, hours_file: str, days: int, as_json: bool, **_options: Any) -> int:
    """Create slots from a TOML file of weekly hours (existing slots are kept, not duplicated).

    \b
    timezone = "Europe/Paris"      # optional
    duration_minutes = 20          # optional
    [[hours]]
    days = ["mon", "tue", "wed", "thu", "fri"]
    from = "09:00"
    to = "12:00"
    """
    from selfverify.services.interview import load_recurring_hours

    def action():
        svc = _agent_service(ctx)
        hours = load_recurring_hours(hours_file, svc.zone)
        added, skipped = svc.add_recurring(hours, days)
        return (
            {"timezone": svc.zone_label, "added": [s.as_dict(svc.zone) for s in added], "already_there": skipped},
            [f"Added {len(added)} slot(s); {skipped} already existed."],
        )

    return _run(as_json, action)


@agent_slots.command("list")
@click.option("--all", "include_past", is_flag=True, help="Include past slots.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_list(ctx: click.Context, include_past: bool = False, as_json: bool = False, **_options: Any) -> int:
    """List slots (future ones unless --all), booked or free."""

    def action():
        svc = _agent_service(ctx)
        slots = svc.list_slots(include_past=include_past)
        return (
            {"timezone": svc.zone_label, "slots": [s.as_dict(svc.zone) for s in slots]},
            _slot_lines(svc, slots, "No slots. Add some: selfverify agent slots add \"YYYY-MM-DD HH:MM\""),
        )

    return _run(as_json, action)


@agent_slots.command("remove")
@click.argument("slot_id", type=SLOT_ID)
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_remove(ctx: click.Context, slot_id: int, **_options: Any) -> int:
    """Remove a free slot."""
    svc = _agent_service(ctx)
    slot = svc.remove_slot(slot_id)
    click.echo(f"Removed slot {slot.id} ({svc.when(slot.starts_at)}).")
    return 0


@agent.command("today")
@click.option("--date", "day", help="Another day, YYYY-MM-DD (in your zone).")
@click.option("--all", "include_cancelled", is_flag=True, help="Include cancelled appointments.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_today(ctx: click.Context, day: str | None, include_cancelled: bool, as_json: bool, **_options: Any) -> int:
    """List the day's appointments in time order."""
    from datetime import date

    from selfverify.errors import InputError

    def action():
        svc = _agent_service(ctx)
        try:
            wanted = date.fromisoformat(day) if day else None
        except ValueError:
            raise InputError(f"{day!r} is not a date: use YYYY-MM-DD.", code="bad_date") from None
        items = svc.appointments_for_day(wanted, include_cancelled=include_cancelled)
        lines = [f"Times are shown in {svc.zone_label}."] if items else ["No appointments on that day."]
        for a in items:
            lines.append(f"  {svc.when(a.slot.starts_at)}  {a.display_code}  {a.status:<9}  {a.subject}  ({a.contact})")
        return {"timezone": svc.zone_label, "appointments": [a.as_dict(svc.zone) for a in items]}, lines

    return _run(as_json, action)


@agent.command("open")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_open(ctx: click.Context, code: str, as_json: bool, **_options: Any) -> int:
    """Show the appointment with confirmation CODE (any case, dash optional)."""

    def action():
        svc = _agent_service(ctx)
        a = svc.open(code)
        return a.as_dict(svc.zone), _appointment_lines(svc, a)

    return _run(as_json, action)


@agent.command("approve")
@click.argument("code")
@click.option("--seen", "seen", multiple=True, required=True, type=click.Choice(_DOCUMENT_CHOICES, case_sensitive=False),
              help="A document type you saw (repeat for several). Never attach images.")
@click.option("--note", help="Optional note recorded with the approval.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_approve(ctx: click.Context, code: str, seen: tuple[str, ...], note: str | None, as_json: bool, **_options: Any) -> int:
    """Approve the appointment CODE. The user's app then stores the credential in their keyring."""

    def action():
        svc = _agent_service(ctx)
        a = svc.approve(code, seen, note)
        return a.as_dict(svc.zone), [
            f"Approved {a.display_code} ({a.subject}) as {svc.agent}.",
            "The credential is issued on the user's machine the next time their app or 'selfverify status' runs.",
        ]

    return _run(as_json, action)


@agent.command("decline")
@click.argument("code")
@click.option("--reason", required=True, help="Why (the user sees this).")
@click.option("--seen", "seen", multiple=True, type=click.Choice(_DOCUMENT_CHOICES, case_sensitive=False),
              help="A document type you saw (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_tz_option
@_agent_option
@click.pass_context
def agent_decline(ctx: click.Context, code: str, reason: str, seen: tuple[str, ...], as_json: bool, **_options: Any) -> int:
    """Decline the appointment CODE with a reason."""

    def action():
        svc = _agent_service(ctx)
        a = svc.decline(code, reason, seen)
        return a.as_dict(svc.zone), [f"Declined {a.display_code} ({a.subject}) as {svc.agent}: {a.decision_reason}"]

    return _run(as_json, action)
