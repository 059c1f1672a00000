"""Run ``selfverify.cli.main`` inside the test process: the real argument parsing, error messages
and exit codes, without paying a Python start-up and the sqlmodel import (~1.5 s) per command.
Use ``tests.helpers.run_cli`` where a separate process matters (another machine, a real race)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess


def run_main(*args: str) -> subprocess.CompletedProcess:
    from selfverify.cli import main

    out, err = io.StringIO(), io.StringIO()
    umask = os.umask(0o022)
    os.umask(umask)
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as exc:
        code = exc.code
    finally:
        os.umask(umask)  # main() tightens the umask for the whole process
    return subprocess.CompletedProcess(["selfverify", *args], code if isinstance(code, int) else 1, out.getvalue(), err.getvalue())
