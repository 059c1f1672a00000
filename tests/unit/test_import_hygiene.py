"""The core is reachable without the TUI, and the CLI entry point imports nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["cv2", "dlib", "face_recognition", "textual", "sqlmodel", "sqlalchemy", "numpy", "joserfc", "cryptography"]


def modules_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_help_and_version_import_nothing_heavy():
    for args in (["--help"], ["--version"]):
        code = (
            "import sys\nfrom selfverify.cli import cli\n"
            f"try:\n    cli.main(args={args!r}, prog_name='selfverify', standalone_mode=False)\n"
            "except SystemExit:\n    pass"
        )
        loaded = modules_after(code)
        assert not [m for m in HEAVY if m in loaded], args


def test_core_store_and_services_never_import_textual():
    import pkgutil

    import selfverify

    names = []
    for info in pkgutil.walk_packages(selfverify.__path__, "selfverify."):
        if info.name.startswith(("selfverify.core", "selfverify.store", "selfverify.services")):
            names.append(info.name)
    assert "selfverify.core.engine" in names
    code = "\n".join(f"import {n}" for n in names)
    loaded = modules_after(code)
    assert "textual" not in loaded
