from __future__ import annotations

import json
import os

import click

from selfverify.cli import app_context


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def config(ctx: click.Context, as_json: bool) -> int:
    """Show every setting: value, environment variable and meaning.

    Precedence: command-line flag > SELFVERIFY_* environment variable > config file > default."""
    from selfverify.config import describe_settings

    app = app_context(ctx)
    values = app.settings.public_dict()
    paths = app.paths
    cfg_file = os.environ.get("SELFVERIFY_CONFIG") or str(paths.config_file)
    if as_json:
        click.echo(json.dumps({"config_file": cfg_file, "data_dir": str(paths.data_dir), "settings": values}, indent=2, default=str))
        return 0
    click.echo(f"Config file: {cfg_file}")
    click.echo(f"Data dir:    {paths.data_dir}")
    for name, section, env, doc in describe_settings():
        click.echo(f"{name} = {values[name]!r}  [{section}] {env}: {doc}")
    return 0
