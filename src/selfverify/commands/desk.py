"""``selfverify desk``: create the desk, enrol agents and kiosks by their public keys, publish the
desk's key set. Every rule lives in ``selfverify.services.desk``; these commands parse and print."""

from __future__ import annotations

import json
from typing import Any, Callable

import click

from selfverify.cli import app_context
from selfverify.commands.interview_common import _run
from selfverify.i18n import N_, _, ngettext


def _desk(ctx: click.Context):
    from selfverify.services.desk import DeskService

    return DeskService(app_context(ctx))


def _json_option(fn):  # noqa: ANN001, ANN201
    return click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))(fn)


def _write_request(make_request: Callable[[], dict[str, Any]], out: str | None, force: bool) -> list[str]:
    """Print the request, or write it under the rules for files a person names (--force to replace;
    the target is checked before a key is made, so a refused --out makes nothing)."""
    from selfverify.outfile import check_output_target, write_output

    if out is not None:
        check_output_target(out, force=force)
    request = make_request()
    text = json.dumps(request, indent=2)
    if out is None:
        return [text]
    where = write_output(out, (text + "\n").encode("utf-8"), force=force)
    return [_("Wrote the enrolment request for {kind} {handle} (key {kid}) to {path}.").format(
                kind=request["kind"], handle=request["handle"], kid=request["jwk"]["kid"], path=where),
            _("It holds only the public key: give it to the desk admin.")]


def _read_request(source: str) -> str:
    from selfverify.outfile import read_input_file

    if source == "-":
        return click.get_text_stream("stdin").read()
    return read_input_file(source, _("enrolment request"))  # a FIFO or device is refused, never waited on


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=N_(
    "The support desk: create it, enrol agents and kiosks, publish its key set.\n\n"
    "\b\n"
    "admin:  selfverify desk init            (once; with --database-url for a shared PostgreSQL desk)\n"
    "agent:  selfverify desk agent-key --out request.json   (on the agent's own account)\n"
    "admin:  selfverify desk enrol-agent request.json\n"
    "agent:  selfverify desk admit NAME      (a person whose identity you checked, at the kiosk)\n"
    "anyone: selfverify desk jwks            (the keys and the interview credentials the desk vouches for)"))
def desk() -> None:
    pass


@desk.command("init", help=N_(
    "Create the desk; you become its admin (your keyring gets the desk's admin key).\n\n"
    "On PostgreSQL this also installs the person, agent and admin roles with row-level security "
    "(src/selfverify/store/sql/desk_roles.sql): connect as the tables' owner."))
@_json_option
@click.pass_context
def desk_init(ctx: click.Context, as_json: bool) -> int:

    def action():
        svc = _desk(ctx)
        info, created = svc.init()
        lines = [(_("Created desk {id}, admin {admin}.") if created else _("Already set up: desk {id}, admin {admin}.")).format(
            id=info.id, admin=info.admin)]
        if not svc.ctx.db.is_sqlite:
            lines += [_("Roles selfverify_person, selfverify_agent and selfverify_admin are in place. Give each person\n"
                        "and agent a login role of their own, e.g.:"),
                      "  CREATE ROLE dave LOGIN PASSWORD '...' IN ROLE selfverify_person;",
                      "  CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE selfverify_agent;"]
        lines.append(_("Enrol agents: each runs 'selfverify desk agent-key --out FILE'; you run 'selfverify desk enrol-agent FILE'."))
        return {"desk_id": info.id, "admin": info.admin, "created": created}, lines

    return _run(as_json, action)


_FORCE = click.option("--force", is_flag=True, help=N_("Replace the --out file if it exists."))


_OUT = click.option("--out", type=click.Path(dir_okay=False), help=N_("Write the enrolment request here (default: print it)."))


@desk.command("agent-key", help=N_(
    "Make your agent signing key in your own keyring and print the request to give the admin.\n\n"
    "The handle is your --user (on a PostgreSQL desk: your database role)."))
@_OUT
@_FORCE
@click.pass_context
def desk_agent_key(ctx: click.Context, out: str | None, force: bool) -> int:
    return _run(False, lambda: ({}, _write_request(lambda: _desk(ctx).enrolment_request("agent"), out, force)))


@desk.command("kiosk-key", help=N_("On a kiosk: print the request that enrols this machine's device key as kiosk NAME."))
@click.argument("name")
@_OUT
@_FORCE
@click.pass_context
def desk_kiosk_key(ctx: click.Context, name: str, out: str | None, force: bool) -> int:
    return _run(False, lambda: ({}, _write_request(lambda: _desk(ctx).enrolment_request("kiosk", name), out, force)))


_ENROL_HELP = {"agent": N_("Admin: register the agent key in REQUEST (a file from 'desk agent-key', or - for stdin)."),
               "kiosk": N_("Admin: register the kiosk key in REQUEST (a file from 'desk kiosk-key', or - for stdin).")}


def _enrol_command(kind: str, maker: str) -> None:
    @desk.command(f"enrol-{kind}", help=_ENROL_HELP[kind])
    @click.argument("request")
    @_json_option
    @click.pass_context
    def command(ctx: click.Context, request: str, as_json: bool) -> int:
        def action():
            key = _desk(ctx).enrol(_read_request(request), kind)
            return key.as_dict(), [_("Enrolled {kind} {handle} (key {kid}).").format(kind=kind, handle=key.handle, kid=key.kid)]

        return _run(as_json, action)


_enrol_command("agent", "agent-key")
_enrol_command("kiosk", "kiosk-key")


@desk.command("admit", help=N_(
    "Agent: after checking who the person is, admit SUBJECT at the desk's kiosk (once, for 30 minutes).\n\n"
    "The kiosk issues a selfie credential only for a subject an agent admitted, never for a name the "
    "person typed themselves."))
@click.argument("subject")
@click.option("--agent", "agent", default=None, help=N_("Which enrolled agent you are, if this keyring holds several."))
@_json_option
@click.pass_context
def desk_admit(ctx: click.Context, subject: str, agent: str | None, as_json: bool) -> int:

    def action():
        svc = _desk(ctx)
        admission_id, until = svc.admit(svc.current_agent(agent), subject)
        return ({"admission": admission_id, "subject": subject, "until": until.isoformat()},
                [_("Admitted {subject} at the kiosk until {time} UTC (one selfie credential).").format(
                    subject=subject, time=f"{until:%H:%M}")])

    return _run(as_json, action)


@desk.command("keys", help=N_("List the enrolled agents and kiosks."))
@_json_option
@click.pass_context
def desk_keys(ctx: click.Context, as_json: bool) -> int:

    def action():
        keys = _desk(ctx).enrolled()
        lines = [_("  {kind} {handle} {kid}  enrolled by {admin}").format(
            kind=f"{k.kind:<6}", handle=f"{k.handle:<20}", kid=k.kid, admin=k.enrolled_by) for k in keys]
        return {"keys": [k.as_dict() for k in keys]}, lines or [_("Nobody is enrolled yet.")]

    return _run(as_json, action)


@desk.command("jwks", help=N_("Print the desk's key set (JWKS): the keys that sign interview credentials and kiosk "
                               "selfies, and the interview credentials its decisions issued."))
@click.pass_context
def desk_jwks(ctx: click.Context) -> int:
    return _run(True, lambda: (_desk(ctx).jwks(), []))


@desk.command("decisions", help=N_("List the signed interview decisions you may see, each checked against the desk's "
                                    "key set."))
@_json_option
@click.pass_context
def desk_decisions(ctx: click.Context, as_json: bool) -> int:

    def action():
        svc = _desk(ctx)
        rows, out, lines = svc.decisions(), [], []
        for row in rows:
            check = svc.verify_decision(row)
            out.append({"appointment_id": row.appointment_id, "subject": row.subject, "outcome": row.outcome,
                        "agent": row.agent, "kid": row.kid, "documents_seen": json.loads(row.documents_seen),
                        "decided_at": row.decided_at.isoformat(), "signature": "valid" if check.valid else check.reason})
            signature = _("valid") if check.valid else _("INVALID: {reason}").format(reason=check.reason)
            lines.append(_("  {when} UTC  {outcome} {subject} by {agent}  signature {signature}").format(
                when=f"{row.decided_at:%Y-%m-%d %H:%M}", outcome=f"{row.outcome:<8}", subject=row.subject, agent=row.agent,
                signature=signature))
        return {"decisions": out}, lines or [_("No decisions yet.")]

    return _run(as_json, action)


@desk.command("settings", help=N_("Show the desk's booking rules; the admin changes them with the options."))
@click.option("--min-lead-minutes", type=int, help=N_("Bookings close this many minutes before a slot starts."))
@click.option("--horizon-days", type=int, help=N_("Slots can be booked up to this many days ahead."))
@_json_option
@click.pass_context
def desk_settings(ctx: click.Context, min_lead_minutes: int | None, horizon_days: int | None, as_json: bool) -> int:
    from selfverify.services.interview import InterviewService

    def action():
        svc = InterviewService(app_context(ctx))
        if min_lead_minutes is None and horizon_days is None:
            window = svc.booking_window()
        else:
            window = svc.set_booking_window(min_lead_minutes, horizon_days)
        return window.as_dict(), [
            ngettext("Minimum lead time: {count} minute (no booking closer to the start).",
                     "Minimum lead time: {count} minutes (no booking closer to the start).",
                     window.min_lead_minutes).format(count=window.min_lead_minutes),
            ngettext("Booking horizon: {count} day ahead.", "Booking horizon: {count} days ahead.",
                     window.horizon_days).format(count=window.horizon_days),
        ]

    return _run(as_json, action)
