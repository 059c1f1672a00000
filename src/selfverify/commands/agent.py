"""``selfverify agent`` (support staff: the console, or subcommands for scripts): slots, the day's
appointments, decisions, outcomes and the on-demand queue. Every rule lives in
``selfverify.services.interview``; these commands only parse and print."""

from __future__ import annotations

import sys
from typing import Any, Callable

import click

from selfverify.commands.interview_common import (
    _AGENT_HELP, _agent_option, _agent_service, _appointment_lines, _DOCUMENT_CHOICES, _run, _slot_lines, _TZ_HELP, _tz_option, SLOT_ID,
)
from selfverify.commands.interview_details import _detail_options, _details
from selfverify.commands.interview_common import spoken_language, status_word, when
from selfverify.i18n import N_, _, ngettext


# ---------------------------------------------------------------- agent (support staff)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}, help=N_(
    "Support staff: with no subcommand, open the agent console (a terminal UI)."
    "\n\nSubcommands are for scripts: slots, today, open, approve, decline. Only an agent the desk admin "
    "enrolled, holding its key in its own keyring, may use them (see 'selfverify desk')."
))
@click.option("--agent", help=_AGENT_HELP)
@click.option("--tz", help=_TZ_HELP)
@click.pass_context
def agent(ctx: click.Context, agent: str | None, tz: str | None) -> int:
    if ctx.invoked_subcommand is not None:
        return 0
    service = _agent_service(ctx)  # only an enrolled agent holding its key gets the console
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from selfverify.errors import InputError

        raise InputError(
            _("The agent console needs an interactive terminal."),
            code="no_terminal",
            hint=_("Use the subcommands instead: {commands}.").format(
                commands="selfverify agent today | open CODE | approve CODE | decline CODE"),
        )
    from selfverify.tui.agent.app import run_agent_console

    return run_agent_console(service)


@agent.group("slots", invoke_without_command=True, help=N_("Add, load, list or remove interview slots (without a subcommand: list)."))
@click.pass_context
def agent_slots(ctx: click.Context) -> int:
    if ctx.invoked_subcommand is None:
        return ctx.invoke(agent_slots_list)
    return 0


@agent_slots.command("add", help=N_(
    "Add slots starting at WHEN (\"2026-01-05 09:00\" in your zone, or ISO 8601 with an offset). The "
    "slot detail options override the desk's settings (interview_channel, interview_link...)."
))
@click.argument("when", nargs=-1, required=True)
@click.option("--duration", default=20, show_default=True, type=int, help=N_("Minutes per slot."))
@click.option("--repeat", default=1, show_default=True, type=int, help=N_("Add this many back-to-back slots from each WHEN."))
@_detail_options
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_add(ctx: click.Context, when: tuple[str, ...], duration: int, repeat: int, as_json: bool, **options: Any) -> int:
    from datetime import timedelta

    from selfverify.errors import InputError
    from selfverify.services.interview import parse_local_time

    def action():
        svc = _agent_service(ctx)
        if not 1 <= repeat <= 100:
            raise InputError(_("--repeat must be from 1 to 100."), code="bad_repeat")
        starts = []
        for text in when:
            first = parse_local_time(text, svc.zone)
            starts += [first + timedelta(minutes=duration * i) for i in range(repeat)]
        added, _skipped = svc.add_slots(starts, duration, details=_details(options))
        said = ngettext("Added {count} slot for {agent}:", "Added {count} slots for {agent}:", len(added))
        return (
            {"timezone": svc.zone_label, "added": [s.as_dict(svc.zone) for s in added]},
            [said.format(count=len(added), agent=svc.agent)] + _slot_lines(svc, added, "")[1:],
        )

    return _run(as_json, action)


@agent_slots.command("load", help=N_("Create slots from a TOML file of weekly hours (existing slots are kept, not duplicated)."),
                     epilog=N_("""\b
timezone = "Europe/Paris"      # optional
duration_minutes = 20          # optional
channel = "phone"              # optional slot details, as the options of 'slots add'
[[hours]]
days = ["mon", "tue", "wed", "thu", "fri"]
from = "09:00"
to = "12:00"
"""))
@click.argument("hours_file", type=click.Path(dir_okay=False))
@click.option("--days", default=14, show_default=True, type=int, help=N_("Create slots for this many days from today."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_load(ctx: click.Context, hours_file: str, days: int, as_json: bool, **_options: Any) -> int:
    from selfverify.services.interview import load_recurring_hours

    def action():
        svc = _agent_service(ctx)
        hours = load_recurring_hours(hours_file, svc.zone)
        added, skipped = svc.add_recurring(hours, days)
        return (
            {"timezone": svc.zone_label, "added": [s.as_dict(svc.zone) for s in added], "already_there": skipped},
            [ngettext("Added {count} slot; {skipped} already existed.", "Added {count} slots; {skipped} already existed.",
                      len(added)).format(count=len(added), skipped=skipped)],
        )

    return _run(as_json, action)


@agent_slots.command("list", help=N_("List slots (future ones unless --all), booked or free."))
@click.option("--all", "include_past", is_flag=True, help=N_("Include past slots."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_list(ctx: click.Context, include_past: bool = False, as_json: bool = False, **_options: Any) -> int:
    def action():
        svc = _agent_service(ctx)
        slots = svc.list_slots(include_past=include_past)
        return (
            {"timezone": svc.zone_label, "slots": [s.as_dict(svc.zone) for s in slots]},
            _slot_lines(svc, slots, _("No slots. Add some: {command}").format(command='selfverify agent slots add "YYYY-MM-DD HH:MM"')),
        )

    return _run(as_json, action)


@agent_slots.command("remove", help=N_("Remove a slot: a free one, or one whose interview is over (never one with an active booking)."))
@click.argument("slot_id", type=SLOT_ID)
@_tz_option
@_agent_option
@click.pass_context
def agent_slots_remove(ctx: click.Context, slot_id: int, **_options: Any) -> int:
    svc = _agent_service(ctx)
    slot = svc.remove_slot(slot_id)
    click.echo(_("Removed slot {number} ({when}).").format(number=slot.id, when=when(svc, slot.starts_at)))
    return 0


@agent.command("today", help=N_("List the day's appointments in time order."))
@click.option("--date", "day", help=N_("Another day, YYYY-MM-DD (in your zone)."))
@click.option("--all", "include_cancelled", is_flag=True, help=N_("Include cancelled appointments."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_today(ctx: click.Context, day: str | None, include_cancelled: bool, as_json: bool, **_options: Any) -> int:
    from datetime import date

    from selfverify.errors import InputError

    def action():
        svc = _agent_service(ctx)
        try:
            wanted = date.fromisoformat(day) if day else None
        except ValueError:
            raise InputError(_("{day} is not a date: use YYYY-MM-DD.").format(day=repr(day)), code="bad_date") from None
        items = svc.appointments_for_day(wanted, include_cancelled=include_cancelled)
        lines = [_("Times are shown in {zone}. Columns: time, code, status, agent, handle (contact), language.").format(
            zone=svc.zone_label)] if items else [_("No appointments on that day.")]
        for a in items:
            needs = ("  " + _("needs: {needs}").format(needs=a.accommodations.summary())
                     if a.accommodations and not a.accommodations.empty else "")
            lines.append(f"  {when(svc, a.starts_at)}  {a.display_code}  {status_word(a.status):<9}  {a.slot.agent:<12}  "
                         f"{a.subject}  ({a.contact})  {spoken_language(a.language)}{needs}")
        return {"timezone": svc.zone_label, "appointments": [a.as_dict(svc.zone) for a in items]}, lines

    return _run(as_json, action)


@agent.command("open", help=N_("Show the appointment with confirmation CODE (any case, dash optional)."))
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_open(ctx: click.Context, code: str, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _agent_service(ctx)
        a = svc.open(code)
        return a.as_dict(svc.zone), _appointment_lines(svc, a, staff=True)

    return _run(as_json, action)


@agent.command("approve", help=N_("Approve the appointment CODE. The user's app then stores the credential in their keyring."))
@click.argument("code")
@click.option("--seen", "seen", multiple=True, required=True, type=click.Choice(_DOCUMENT_CHOICES, case_sensitive=False),
              help=N_("A document type you saw (repeat for several). Never attach images."))
@click.option("--note", help=N_("Optional note recorded with the approval."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_approve(ctx: click.Context, code: str, seen: tuple[str, ...], note: str | None, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _agent_service(ctx)
        a = svc.approve(code, seen, note)
        return a.as_dict(svc.zone), [
            _("Approved {code} ({handle}) as {agent}.").format(code=a.display_code, handle=a.subject, agent=svc.agent),
            _("The credential is issued on the user's machine the next time their app or 'selfverify status' runs."),
        ]

    return _run(as_json, action)


@agent.command("decline", help=N_("Decline the appointment CODE with a reason."))
@click.argument("code")
@click.option("--reason", required=True, help=N_("Why (the user sees this)."))
@click.option("--seen", "seen", multiple=True, type=click.Choice(_DOCUMENT_CHOICES, case_sensitive=False),
              help=N_("A document type you saw (repeat for several)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@_agent_option
@click.pass_context
def agent_decline(ctx: click.Context, code: str, reason: str, seen: tuple[str, ...], as_json: bool, **_options: Any) -> int:
    def action():
        svc = _agent_service(ctx)
        a = svc.decline(code, reason, seen)
        return a.as_dict(svc.zone), [_("Declined {code} ({handle}) as {agent}: {reason}").format(
            code=a.display_code, handle=a.subject, agent=svc.agent, reason=a.decision_reason)]

    return _run(as_json, action)


def _agent_outcome_command(name: str, help_text: str, run: Callable, *params: Callable) -> None:
    """An agent subcommand that changes one appointment and prints one line."""

    @click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
    @_tz_option
    @_agent_option
    @click.pass_context
    def command(ctx: click.Context, as_json: bool, **options: Any) -> int:
        def action():
            svc = _agent_service(ctx)
            a, line = run(svc, **{k: v for k, v in options.items() if k not in ("tz", "agent")})
            return a.as_dict(svc.zone) if a is not None else {}, [line]

        return _run(as_json, action)

    for param in reversed(params):
        command = param(command)
    agent.command(name, help=help_text)(command)


def _no_show(svc, code: str, note: str | None):  # noqa: ANN001, ANN202
    a = svc.no_show(code, note)
    return a, _("Recorded {code} ({handle}) as a no-show. They see it and may book again.").format(code=a.display_code, handle=a.subject)


def _late(svc, code: str, minutes: int):  # noqa: ANN001, ANN202
    a = svc.running_late(code, minutes)
    return a, _("{code} ({handle}) now starts at {when}: the person sees that you are running late.").format(
        code=a.display_code, handle=a.subject, when=when(svc, a.starts_at))


def _take_next(svc):  # noqa: ANN001, ANN202
    a = svc.take_next()
    if a is None:
        return None, _("Nobody is waiting in the queue.")
    return a, _("Took {handle} from the queue: {code}, contact {contact}, speaks {language}. The interview has started.").format(
        handle=a.subject, code=a.display_code, contact=a.contact, language=spoken_language(a.language))


_agent_outcome_command("no-show", N_("Record that the person of appointment CODE did not come (after its start)."), _no_show,
                       click.argument("code"), click.option("--note", help=N_("Optional note (the person sees it).")))
_agent_outcome_command("late", N_("Tell the person of appointment CODE that you run MINUTES late (within the grace period)."), _late,
                       click.argument("code"), click.argument("minutes", type=click.IntRange(1, 240)))
_agent_outcome_command("next", N_("Take the person who has waited longest in the on-demand queue."), _take_next)


@agent.command("duty", help=N_("Go on (or off) duty for the on-demand queue; 'show' lists who is on duty and who waits."))
@click.argument("state", type=click.Choice(["on", "off", "show"]), default="show")
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_agent_option
@click.pass_context
def agent_duty(ctx: click.Context, state: str, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _agent_service(ctx)
        on_duty = svc.agents_on_duty() if state == "show" else svc.set_on_duty(state == "on")
        waiting = svc.waiting()
        lines = [_("On duty: {agents}. Waiting in the queue: {count}.").format(
            agents=", ".join(on_duty) or _("nobody"), count=len(waiting))]
        lines += [f"  {i}. " + _("{handle} since {when} ({contact}), speaks {language}").format(
            handle=e.subject, when=when(svc, e.joined_at), contact=e.contact, language=spoken_language(e.language))
            for i, e in enumerate(waiting, 1)]
        return {"on_duty": on_duty, "waiting": [{"subject": e.subject, "joined_at": e.joined_at.isoformat(), "language": e.language}
                                                for e in waiting]}, lines

    return _run(as_json, action)


from selfverify.i18n import N_  # noqa: E402 - (sec-pg) the revoke command's help, marked


@agent.command("revoke", help=N_("Revoke CREDENTIAL_ID, an interview credential the desk issued by mistake "
                                  "(agents and the desk admin)."))
@click.argument("credential_id")
@click.option("--reason", required=True, help=N_("Why the desk takes it back (the person sees this)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_agent_option
@click.pass_context
def agent_revoke(ctx: click.Context, credential_id: str, reason: str, as_json: bool, **_options: Any) -> int:

    def action():
        from selfverify.cli import app_context
        from selfverify.i18n import _
        from selfverify.services.desk_revocation import revoke_issued_credential
        from selfverify.store.desk_roles import connection_role

        app = app_context(ctx)
        role = connection_role(app.db)
        # the desk admin's own role may revoke too (the database checks it); anyone else acts as an enrolled agent
        actor = app.user if role is not None and "admin" in role[1] else _agent_service(ctx).agent
        done = revoke_issued_credential(app, actor, credential_id, reason)
        line = (_("Credential {id} was already revoked.") if done.already else
                _("Revoked credential {id} ({subject}): it no longer verifies on this desk.")).format(
            id=done.credential_id, subject=done.subject)
        return done.as_dict(), [line]

    return _run(as_json, action)
