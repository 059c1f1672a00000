from __future__ import annotations

import json
import os
import sys

import pytest

from tests.helpers import assert_no_traceback, blocker_dir, run_cli

FAIL_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_help_lists_every_command():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for name in ("doctor", "match", "verify", "credential", "photos", "interview", "agent", "sessions"):
        assert name in proc.stdout


def test_version():
    from selfverify import __version__

    proc = run_cli("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_python_dash_m_entry_point_is_the_same_group():
    proc = run_cli("config", "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["data_dir"].startswith(os.environ["SELFVERIFY_HOME"])


def test_usage_error_exits_2_without_traceback():
    proc = run_cli("--no-such-flag")
    assert proc.returncode == 2
    assert_no_traceback(proc)


def test_bad_setting_is_a_message_and_exit_2():
    proc = run_cli("config", env={"SELFVERIFY_TOLERANCE": "lots"})
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: Setting 'tolerance' has an invalid value")
    assert_no_traceback(proc)


def test_debug_shows_the_traceback():
    proc = run_cli("--debug", "config", env={"SELFVERIFY_TOLERANCE": "lots"})
    assert proc.returncode == 2 and "Traceback" in proc.stderr


def test_doctor_without_secret_service_fails_keyring_with_fix_and_reports_no_camera():
    proc = run_cli("doctor", "--skip-models", env=FAIL_KEYRING)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    keyring_line = next(i for i, l in enumerate(lines) if l.split()[1:2] == ["keyring"])
    assert lines[keyring_line].startswith("FAIL")
    assert "fix:" in lines[keyring_line + 1] and "gnome-keyring" in lines[keyring_line + 1]
    assert any("no camera found" in l for l in lines) or any(l.startswith("OK") and "cameras" in l for l in lines)
    assert_no_traceback(proc)


def test_doctor_json_for_support_staff(keyring_service):
    proc = run_cli("doctor", "--json")
    report = json.loads(proc.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["keyring"]["status"] == "OK", checks["keyring"]
    assert checks["face models"]["status"] == "OK" and checks["face models"]["seconds"] > 0
    assert checks["database"]["status"] == "OK"
    assert {"python", "packages", "cameras", "data dir", "terminal"} <= set(checks)
    assert proc.returncode == (0 if report["ok"] else 3)
    assert report["ok"] is True


@pytest.mark.parametrize("hidden", ["face_recognition_models", "pkg_resources"])
def test_missing_face_models_is_a_clear_error_not_a_silent_exit(tmp_path, hidden):
    env = {"PYTHONPATH": str(blocker_dir(tmp_path, hidden)) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    import subprocess

    code = (
        "import sys\nfrom selfverify.core.engine import load_face_recognition\n"
        "from selfverify.errors import FaceModelsMissing\n"
        "try:\n    load_face_recognition()\nexcept FaceModelsMissing as e:\n    print(e.user_message); sys.exit(e.exit_code)\n"
        "print('loaded')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "face" in proc.stdout.lower() or "pkg_resources" in proc.stdout
    doctor = run_cli("doctor", env={**env, **FAIL_KEYRING})
    assert doctor.returncode == 3
    assert any(l.startswith("FAIL") and "face models" in l for l in doctor.stdout.splitlines())
    assert_no_traceback(doctor)
