"""CLI subcommands, one module per area; cli.COMMANDS maps names to them lazily."""
