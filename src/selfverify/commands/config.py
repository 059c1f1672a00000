from __future__ import annotations

import json
import os

import click

from selfverify.cli import app_context
from selfverify.i18n import N_, _


@click.command(help=N_(
    "Show every setting: value, environment variable and meaning."
    "\n\nPrecedence: command-line flag > SELFVERIFY_* environment variable > config file > default."
))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.pass_context
def config(ctx: click.Context, as_json: bool) -> int:
    from selfverify.config import describe_settings

    app = app_context(ctx)
    values = app.settings.public_dict()
    paths = app.paths
    cfg_file = os.environ.get("SELFVERIFY_CONFIG") or str(paths.config_file)
    if as_json:
        click.echo(json.dumps({"config_file": cfg_file, "data_dir": str(paths.data_dir), "settings": values}, indent=2, default=str))
        return 0
    click.echo(_("Config file: {path}").format(path=cfg_file))
    click.echo(_("Data dir: {path}").format(path=paths.data_dir))
    for name, section, env, doc in describe_settings():
        click.echo(f"{name} = {values[name]!r}  [{section}] {env}: {_(doc)}")
    return 0
