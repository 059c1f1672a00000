"""``selfverify match`` (two photos) and ``selfverify verify`` (the selfie check, headless).

Both are thin front ends: the rules live in selfverify.core and services.selfie. Exit codes: 0 same
person / verified, 1 different person / rejected, 2 input problem (3 face models missing, 130 interrupted).
"""

from __future__ import annotations

import json
from typing import Any

import click

from selfverify.cli import app_context, print_error
from selfverify.commands.hints import with_cli_hint
from selfverify.errors import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_NEGATIVE, EXIT_OK, InputError, SelfverifyError
from selfverify.i18n import N_, _

# a challenge step's and the liveness verdict's codes, as said
STEP_STATUS = {"started": N_("started"), "passed": N_("passed"), "timed_out": N_("timed out")}
LIVENESS = {"passed": N_("passed"), "failed": N_("failed"), "skipped": N_("skipped")}

def decision_exit_code(reason: str | None) -> int:
    if reason is None:
        return EXIT_OK
    if reason == "camera_lost":
        return EXIT_INPUT
    if reason == "cancelled":
        return EXIT_INTERRUPTED
    return EXIT_NEGATIVE


@click.command(help=N_("Compare two photos: exit 0 same person, 1 different person, 2 input problem "
                        "(unreadable file, no face, or more than one face)."))
@click.argument("reference")
@click.argument("probe")
@click.option("--json", "as_json", is_flag=True, help=N_("Print one JSON object (for scripts)."))
@click.option("--tolerance", type=float, help=N_("Maximum face distance for a match (default from settings)."))
@click.pass_context
def match(ctx: click.Context, reference: str, probe: str, as_json: bool, tolerance: float | None) -> int:
    try:
        settings = app_context(ctx, tolerance=tolerance).settings
        from selfverify.core.faces import compare_photos

        result = compare_photos(reference, probe, settings.tolerance)
    except SelfverifyError as err:
        if not as_json:
            raise
        print_error(err, as_json=True)
        return err.exit_code
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    else:
        verdict = _("Same person") if result.same_person else _("Different people")
        click.echo(_("{verdict} (distance {distance}, tolerance {tolerance}).").format(
            verdict=verdict, distance=f"{result.distance:.3f}", tolerance=f"{result.tolerance:g}"))
    return EXIT_OK if result.same_person else EXIT_NEGATIVE


@click.command(help=N_("Run the selfie check headless: exit 0 verified, 1 rejected (no_match, not_live, no_face, "
                        "timed_out), 2 input problem. Only a camera device can earn a credential; a video file, images "
                        "or a photo are recordings. --replay --seed N runs a recorded session's challenge again."))
@click.option("--reference", "reference_path", help=N_("Reference photo (an ID document scan or a photo)."))
@click.option("--camera", help=N_("Camera: index, /dev/videoN, video file, image folder or still image."))
@click.option("--seed", type=int, help=N_("Seed of the challenge to replay (only with --replay)."))
@click.option("--replay", is_flag=True,
              help=N_("Support replay: SEED's challenge against a recording, judged as a live run; counts no try, never earns."))
@click.option("--liveness", type=click.Choice(["on", "off"]),
              help=N_("off only replays recordings (files, folders, photos; refused at a camera): never earns a credential."))
@click.option("--json", "as_json", is_flag=True, help=N_("One JSON object per timeline event, then the result."))
@click.option("--timeout", type=float, help=N_("Seconds before giving up (0 = never)."))
@click.pass_context
def verify(
    ctx: click.Context,
    reference_path: str | None,
    camera: str | None,
    seed: int | None,
    replay: bool,
    liveness: str | None,
    as_json: bool,
    timeout: float | None,
) -> int:
    printer = TimelinePrinter(as_json)
    try:
        app = app_context(
            ctx,
            camera=camera,
            seed=seed,
            verify_timeout=timeout,
            liveness=None if liveness is None else liveness == "on",
        )
        reference_path = reference_path or ctx.find_root().obj.get("reference")
        if not reference_path:
            raise InputError(_("No reference photo given."), hint=_("Use --reference PHOTO (an ID document scan or a photo)."))
        outcome = None
        from selfverify.services.selfie import SelfieService

        if replay:
            result = run_replay(app, reference_path, app.settings.camera, printer, liveness)
        elif app.settings.liveness:
            # a live check is the selfie path: consent, attempt limits, session timeline, credential
            from selfverify.services.startup import on_startup

            on_startup(app)
            result = outcome = SelfieService(app).run(reference_path, app.settings.camera, on_event=printer, liveness=True)
        else:  # a replay stays record-free: nothing counted, stored or issued
            result = SelfieService(app).replay(reference_path, app.settings.camera, liveness=False, on_event=printer)
    except SelfverifyError as err:
        with_cli_hint(err)  # core and services name no flag: the CLI says which of its options to use
        if not as_json:
            raise
        print_error(err, as_json=True)
        return err.exit_code
    credential = outcome.credential.as_dict() if outcome is not None and outcome.credential else None
    if outcome is not None and as_json:  # before the result, which stays the last line
        click.echo(json.dumps({"selfie": {"session_id": outcome.session_id, "credential": credential,
                                          "credential_error": outcome.credential_error,
                                          "attempts": outcome.attempts.as_dict()}}))
    printer.result(result)
    if outcome is not None and not as_json:
        from selfverify.wording.outcomes import meaning

        said = meaning(outcome, when=lambda moment: moment.isoformat(timespec="seconds"))
        if said.kind == "verified":
            click.echo(said.detail)
            if outcome.credential is not None and outcome.credential.handed_out:  # a kiosk keeps no token (sec-cred)
                from selfverify.services.credentials import handed_out_lines

                click.echo("\n".join(handed_out_lines(outcome.credential)))
        elif said.kind in ("no_credential", "recording"):
            click.echo(" ".join(said.sentences))
        if outcome.attempts.message:
            click.echo(outcome.attempts.message)
    return decision_exit_code(result.decision.reason)


def run_replay(app, reference_path: str, camera: str, printer, liveness: str | None = None, *, recorded=None):
    """A support replay through SelfieService.replay (which requires the seed); liveness stays on."""
    if liveness == "off":
        raise InputError(_("A replay judges the liveness challenge: it cannot run with --liveness off."),
                         hint=_("Drop --liveness off (a replay counts nothing and never earns a credential)."))
    from selfverify.services.selfie import SelfieService

    try:
        return SelfieService(app).replay(reference_path, camera, app.settings.seed, on_event=printer, recorded=recorded)
    except SelfverifyError as err:
        with_cli_hint(err)
        raise


class TimelinePrinter:
    """Prints each timeline event as it happens: a JSON line, or a short sentence."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def __call__(self, event: Any) -> None:
        if not event.in_timeline:
            return
        if self.as_json:
            click.echo(json.dumps(event.to_timeline()))
            return
        line = self._sentence(event)
        if line:
            click.echo(line)

    @staticmethod
    def _sentence(event: Any) -> str | None:
        kind = event.kind
        if kind == "run_started":
            live = _("on (seed {seed})").format(seed=event.seed) if event.liveness else _("off (replay)")
            from selfverify.core.flow import start_notice

            notice = start_notice(event)
            said = _("Source: {source}. Liveness: {liveness}. Tolerance: {tolerance}.").format(
                source=event.source, liveness=live, tolerance=f"{event.tolerance:g}")
            return said + (f" {notice}" if notice else "")
        if kind == "camera_check":
            return _("Camera check: {verdict} ({reason}).").format(verdict=event.verdict, reason=event.reason)
        if kind == "guidance":
            return _("Guidance: {message}").format(message=event.message)
        if kind == "challenge_issued":
            from selfverify.wording.events import steps_summary

            return _("Challenge: {steps}").format(steps=steps_summary(event.steps))
        if kind == "challenge_step":
            if event.status == "started":
                deadline = " " + _("({seconds} s)").format(seconds=f"{event.deadline_s:g}") if event.deadline_s else ""
                return f"{event.instruction}{deadline}"
            status = _(STEP_STATUS[event.status]) if event.status in STEP_STATUS else event.status
            return _("Step {number} of {total}: {status}").format(number=event.index, total=event.total, status=status)
        if kind == "match_progress":
            return _("Matching: {good} of {needed} good frames").format(good=event.good_frames, needed=event.needed)
        if kind == "camera_lost":
            return _("Camera lost: {message}").format(message=event.message)
        if kind == "error":
            return None  # the error itself is printed once, by the command
        return None  # the decision is printed by result()

    def result(self, result: Any) -> None:
        decision = result.decision
        data = {k: v for k, v in decision.to_timeline().items() if k not in ("kind", "t")}
        data.update(can_issue_credential=decision.can_issue_credential, seed=result.seed, steps=list(result.steps))
        if self.as_json:
            click.echo(json.dumps({"result": data}))
            return
        liveness = _(LIVENESS[decision.liveness]) if decision.liveness in LIVENESS else decision.liveness
        numbers = {"distance": f"{decision.distance:.3f}" if decision.distance is not None else "",
                   "tolerance": f"{decision.tolerance:g}", "frames": decision.frames_used, "liveness": liveness}
        if decision.distance is not None:
            detail = _("(distance {distance}, tolerance {tolerance}, {frames} frames, liveness {liveness})").format(**numbers)
        else:
            detail = _("(tolerance {tolerance}, {frames} frames, liveness {liveness})").format(**numbers)
        from selfverify.wording.outcomes import NOT_VERIFIED, REPLAY_NEVER_EARNS, SUPPORT_REPLAY, effective_reason

        if decision.verified:
            click.echo(_("Verified: same person as the reference photo {detail}.").format(detail=detail))
        else:
            reason = effective_reason(decision)
            why = NOT_VERIFIED[reason][0] if reason in NOT_VERIFIED else (reason or "")
            click.echo(_("Not verified: {why} {detail}.").format(why=_(why), detail=detail))
        if decision.replay:
            if decision.distance is None:
                match = _("no distance measured (no usable face)")
            elif decision.distance <= decision.tolerance:
                match = _("distance {distance} within the tolerance {tolerance}").format(**numbers)
            else:
                match = _("distance {distance} above the tolerance {tolerance}").format(**numbers)
            click.echo(_("Replay verdicts: liveness {liveness}; match {match}.").format(liveness=liveness, match=match)
                       + " " + _(SUPPORT_REPLAY))
        elif decision.liveness == "skipped":
            click.echo(_("Liveness was skipped (replay mode).") + " " + _(REPLAY_NEVER_EARNS))
