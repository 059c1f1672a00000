"""``selfverify sessions``: support staff list, show and export session timelines."""

from __future__ import annotations

import json

import click

from selfverify.cli import app_context
from selfverify.i18n import N_, _
from selfverify.textcheck import printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=N_(
    "Support staff: every selfie or interview run has a session id and a timeline (steps, guidance, "
    "challenge and seed, decisions, thresholds, errors, timings; never an image)."
))
def sessions() -> None:
    pass


@sessions.command("list", help=N_("List recent sessions, newest first."))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help=N_("How many, newest first."))
@click.option("--subject", help=N_("Only this user's sessions."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.pass_context
def sessions_list(ctx: click.Context, limit: int, subject: str | None, as_json: bool) -> int:
    from selfverify.services.audit import list_sessions

    items = list_sessions(app_context(ctx), limit=limit, subject=subject)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in items], indent=2))
        return 0
    if not items:
        click.echo(_("No sessions yet."))
        return 0
    click.echo(f"{_('SESSION'):<12}  {_('STARTED (UTC)'):<19}  {_('METHOD'):<9}  {_('VIA'):<5}  {_('OUTCOME'):<10}  "
               f"{_('SUBJECT'):<12}  {_('REASON')}")
    for s in items:
        click.echo(
            f"{s.id[:12]:<12}  {s.started_at:%Y-%m-%d %H:%M:%S}  {s.method:<9}  {s.front_end:<5}  "
            f"{s.outcome or _('running'):<10}  {printable(s.subject):<12}  {printable(s.reason or '')}".rstrip()
        )
    return 0


@sessions.command("show", help=N_("Show one session's timeline (SESSION_ID or its first 6+ characters)."))
@click.argument("session_id")
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.pass_context
def sessions_show(ctx: click.Context, session_id: str, as_json: bool) -> int:
    from datetime import datetime

    from selfverify.services.support import describe_event, session_details

    details = session_details(app_context(ctx), session_id)
    if as_json:
        click.echo(json.dumps(details, indent=2))
        return 0
    s = details["session"]
    click.echo(_("Session {id}  {method} via {front_end}  subject {subject}").format(
        id=s["id"], method=s["method"], front_end=s["front_end"], subject=printable(s["subject"])))
    click.echo(_("Outcome: {outcome}").format(outcome=s["outcome"] or _("running"))
               + (f" ({printable(s['reason'])})" if s["reason"] else "")
               + ("  " + _("seed {seed}").format(seed=s["seed"]) if s["seed"] is not None else ""))
    started = datetime.fromisoformat(s["started_at"])
    for event in details["timeline"]:
        offset = event["data"].get("t")
        if offset is None:
            offset = (datetime.fromisoformat(event["at"]) - started).total_seconds()
        click.echo(f"  {offset:>8.2f}s  {printable(describe_event(event))}")
    return 0


@sessions.command("export", help=N_(
    "Write a support bundle: the timeline, the settings the run used, app version and doctor report. "
    "It holds no image, face encoding, token, key or free-text note."
))
@click.argument("session_id")
@click.option("--output", "-o", help=N_("Write here; - for standard output (default: a new file in the support-bundles folder)."))
@click.option("--force", is_flag=True, help=N_("Replace an existing file (never a device, FIFO or folder)."))
@click.option("--skip-models", is_flag=True, help=N_("Do not load the face models for the doctor report."))
@click.pass_context
def sessions_export(ctx: click.Context, session_id: str, output: str | None, force: bool, skip_models: bool) -> int:
    from selfverify.services.support import write_bundle

    where = write_bundle(app_context(ctx), session_id, output, face_models=not skip_models, force=force)
    to_stderr = output == "-"  # standard output carries the bundle itself
    click.echo(_("Support bundle written to {path}").format(path=where), err=to_stderr)
    click.echo(_("It contains no photo, face data, token, key or note; send it to support staff if they ask."), err=to_stderr)
    return 0


@sessions.command("replay", help=N_(
    "Run a selfie session's challenge (its seed, step count and tolerance) again against a recording,"
    " judged as the live run was. Reports the liveness and match verdicts; counts no try, stores and "
    "issues nothing. Exit codes as for verify."
))
@click.argument("session_id")
@click.option("--camera", required=True, help=N_("The recording to replay: a video file, an image folder or a photo."))
@click.option("--reference", "reference_path", required=True, help=N_("The reference photo of the session."))
@click.option("--json", "as_json", is_flag=True, help=N_("One JSON object per timeline event, then the result."))
@click.pass_context
def sessions_replay(ctx: click.Context, session_id: str, camera: str, reference_path: str, as_json: bool) -> int:
    from selfverify.cli import print_error
    from selfverify.commands.face import TimelinePrinter, decision_exit_code, run_replay
    from selfverify.errors import InputError, SelfverifyError
    from selfverify.services.support import session_details

    printer = TimelinePrinter(as_json)
    try:
        details = session_details(app_context(ctx), session_id)
        summary = details["session"]
        if summary["method"] != "selfie" or summary["seed"] is None:
            raise InputError(_("Session {id} has no challenge to replay (only selfie checks have a seed).").format(id=summary["id"]))
        started = next((e["data"] for e in details["timeline"] if e["kind"] == "run_started"), {})
        app = app_context(ctx, seed=summary["seed"])
        result = run_replay(app, reference_path, camera, printer, recorded=started)
    except SelfverifyError as err:
        if not as_json:
            raise
        print_error(err, as_json=True)
        return err.exit_code
    printer.result(result)
    return decision_exit_code(result.decision.reason)
