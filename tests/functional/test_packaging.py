"""Packaging: what the wheel carries, the tool-install override, --version, and a missing
pkg_resources reported by doctor (face_recognition_models needs it; face_recognition would quit)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import assert_no_traceback, blocker_dir, run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_fast_and_imports_nothing_heavy():
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "from selfverify.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = sorted(m for m in ('cv2', 'numpy', 'textual', 'sqlmodel', 'dlib', 'face_recognition', 'textual_image') if m in sys.modules)\n"
        "print('HEAVY', heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "selfverify, version " in proc.stdout
    assert "HEAVY []" in proc.stdout


def test_missing_pkg_resources_is_a_doctor_fail_under_packages(tmp_path):
    env = {"PYTHONPATH": str(blocker_dir(tmp_path, "pkg_resources")) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    doctor = run_cli("doctor", env=env)
    assert doctor.returncode == 3
    lines = doctor.stdout.splitlines()
    assert any(l.startswith("FAIL") and "packages" in l and "pkg_resources" in l for l in lines), doctor.stdout
    assert_no_traceback(doctor)


def test_face_engine_leaves_pillow_truncated_images_off():
    """face_recognition sets PIL's LOAD_TRUNCATED_IMAGES on import; the engine loader restores it."""
    code = (
        "from PIL import ImageFile\n"
        "from selfverify.core.engine import load_face_recognition\n"
        "load_face_recognition()\n"
        "import face_recognition\n"
        "print('TRUNCATED', ImageFile.LOAD_TRUNCATED_IMAGES)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "TRUNCATED False" in proc.stdout, proc.stdout + proc.stderr


def test_overrides_file_drops_the_dlib_source_build():
    lines = [l.split("#")[0].strip() for l in (ROOT / "overrides.txt").read_text().splitlines()]
    assert [l for l in lines if l] == ["dlib ; sys_platform == 'never'"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "dlib-bin" in pyproject and "setuptools<82" in pyproject


@pytest.mark.skipif(shutil.which("uv") is None and not os.environ.get("CI"), reason="uv not installed")
def test_wheel_carries_notice_stylesheets_and_every_data_file(tmp_path):
    started = time.perf_counter()
    proc = subprocess.run(["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("selfverify-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "src" / "selfverify"
    data_files = {f"selfverify/{p.relative_to(package).as_posix()}" for p in package.rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc", ".po", ".pot", ".mo") and "__pycache__" not in p.parts}
    assert {n for n in data_files if n.endswith(".tcss")}, "no stylesheet found in the source tree"
    assert data_files <= names, sorted(data_files - names)  # stylesheets, any data file
    # each catalog compiled from its .po (the .po stays out), and it translates as the .po says
    catalogs = sorted(package.glob("locale/*/LC_MESSAGES/selfverify.po"))
    assert catalogs and not any(n.endswith((".po", ".pot")) for n in names)
    for po in catalogs:
        compiled = f"selfverify/{po.relative_to(package).with_suffix('.mo').as_posix()}"
        assert compiled in names, compiled
        assert_mo_matches_po(zipfile.ZipFile(wheel).read(compiled), po)
    notices = {f"selfverify/assets/{p.relative_to(ROOT / 'assets').as_posix()}" for p in (ROOT / "assets" / "notice").rglob("*") if p.is_file()}
    assert notices and notices <= names
    assert not any("screenshots" in n for n in names), "README screenshots do not belong in the wheel"
    assert time.perf_counter() - started < 120


@pytest.mark.skipif(shutil.which("uv") is None and not os.environ.get("CI"), reason="uv not installed")
def test_requirements_for_pip_installs_match_the_lock(tmp_path):
    """pip has no overrides: pipx installs use requirements-tool.txt with --no-deps, so it must
    list every dependency of the lock (dlib only under a marker that is never true)."""
    out = tmp_path / "req.txt"
    cmd = ["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--format", "requirements-txt"]
    proc = subprocess.run([*cmd, "-o", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr

    def pins(text: str) -> list[str]:
        return sorted(l.strip() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#"))

    shipped = (ROOT / "requirements-tool.txt").read_text()
    assert pins(shipped) == pins(out.read_text()), "regenerate it: " + " ".join(cmd) + " -o requirements-tool.txt"
    assert "dlib==20.0.1 ; sys_platform == 'never'" in pins(shipped)
    assert any(p.startswith("dlib-bin==") for p in pins(shipped))


def assert_mo_matches_po(mo_bytes: bytes, po) -> None:  # noqa: ANN001
    """Every translated, non-fuzzy entry of ``po`` is in the compiled catalog, and nothing fuzzy is."""
    import gettext
    import io

    from babel.messages.pofile import read_po

    compiled = gettext.GNUTranslations(io.BytesIO(mo_bytes))
    catalog = read_po(po.open("rb"))
    checked = 0
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or message.context:
            continue
        expected = message.id if message.fuzzy or not message.string else message.string
        assert compiled.gettext(message.id) == expected, message.id
        checked += 1
    assert checked > 10
