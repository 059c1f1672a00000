from __future__ import annotations

import json

import click

from selfverify.cli import app_context
from selfverify.i18n import N_


@click.command(help=N_("Check this machine. Exit 0 when nothing FAILs, 3 otherwise."))
@click.option("--json", "as_json", is_flag=True, help=N_("Machine-readable report for support staff."))
@click.option("--skip-models", is_flag=True, help=N_("Do not load the face models (saves a few seconds)."))
@click.pass_context
def doctor(ctx: click.Context, as_json: bool, skip_models: bool) -> int:
    from selfverify.doctor import FAIL, format_report, report_dict, run_checks
    from selfverify.errors import EXIT_ENVIRONMENT

    checks = run_checks(app_context(ctx), face_models=not skip_models)
    if as_json:
        click.echo(json.dumps(report_dict(checks), indent=2))
    else:
        click.echo(format_report(checks))
    return EXIT_ENVIRONMENT if any(c.status == FAIL for c in checks) else 0
