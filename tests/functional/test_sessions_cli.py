"""``selfverify sessions list | show | export``: timelines and support bundles, no biometrics, no secrets."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from selfverify import __version__
from selfverify.config import Settings
from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.desk_support import enrol_by_cli
from tests.helpers import device_node
from tests.inprocess_cli import run_main
from tests.postgres_db import database_url  # noqa: F401 - fixture


def _ok(proc):  # noqa: ANN001
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def interview_session(database_url, keyring_service, tmp_path, time_travel):  # noqa: F811 - the imported fixtures
    """A booked interview on this database, declined by the enrolled agent bob; returns (session id, global args)."""
    args = ["--keyring-service", keyring_service] + (["--database-url", database_url] if database_url else [])
    enrol_by_cli(run_main, tmp_path, [*args, "--user", "admin"], [*args, "--user", "bob"])
    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    slot = json.loads(_ok(run_main(*args, "--user", "bob", "agent", "slots", "add", start.isoformat(), "--json")).stdout)
    booked = json.loads(_ok(run_main(
        *args, "--user", "alice", "interview", "book", str(slot["added"][0]["id"]), "--contact", "alice@example.org", "--json",
    )).stdout)
    time_travel.to(start)  # an agent decides once the interview has started
    _ok(run_main(*args, "--user", "bob", "agent", "decline", booked["code"], "--reason", "document unreadable", "--seen", "passport"))
    return booked["session_id"], args


def test_list_show_and_json_agree(interview_session):
    session_id, args = interview_session
    listed = _ok(run_main(*args, "sessions", "list"))
    assert session_id[:12] in listed.stdout and "interview" in listed.stdout and "declined" in listed.stdout
    as_json = json.loads(_ok(run_main(*args, "sessions", "list", "--json", "--subject", "alice")).stdout)
    assert [s["id"] for s in as_json] == [session_id]
    assert json.loads(_ok(run_main(*args, "sessions", "list", "--json", "--subject", "nobody")).stdout) == []

    shown = _ok(run_main(*args, "sessions", "show", session_id[:8]))
    assert f"Session {session_id}" in shown.stdout and "Outcome: declined (document unreadable)" in shown.stdout
    from selfverify.wording.speech import spoken_reference

    said = spoken_reference(session_id)  # what the plain mode says as the support reference
    assert f"Session {session_id}" in _ok(run_main(*args, "sessions", "show", said)).stdout
    assert "interview_decision" in shown.stdout and "documents_seen=passport" in shown.stdout
    details = json.loads(_ok(run_main(*args, "sessions", "show", session_id, "--json")).stdout)
    assert [e["kind"] for e in details["timeline"]] == ["session_started", "interview_booked", "interview_decision"]
    assert "alice@example.org" not in json.dumps(details)


def test_export_writes_a_private_bundle_without_secrets(interview_session, tmp_path):
    session_id, args = interview_session
    out = tmp_path / "bundle.json"
    _ok(run_main(*args, "sessions", "export", session_id[:10], "--output", str(out), "--skip-models"))
    text = out.read_text()
    bundle = json.loads(text)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # the agent's free-text reason stays out of the bundle (issue 20): only our codes travel
    assert bundle["session"]["id"] == session_id and bundle["reason"] == "(free text withheld)"
    assert "document unreadable" not in text
    assert bundle["app"]["version"] == __version__ and bundle["settings"]["tolerance"] == Settings().tolerance
    assert {c["name"] for c in bundle["doctor"]["checks"]} >= {"python", "keyring", "database"}
    assert [e["kind"] for e in bundle["timeline"]][-1] == "interview_decision"
    assert "alice@example.org" not in text
    if "--database-url" in args:  # PostgreSQL: the server password must not leak through settings or the doctor report
        password = args[args.index("--database-url") + 1].split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in text and ":***@" in text

    default = _ok(run_main(*args, "sessions", "export", session_id, "--skip-models"))
    written = default.stdout.split("written to ", 1)[1].splitlines()[0].strip()
    assert "support-bundles" in written and json.loads(open(written).read())["session"]["id"] == session_id


@pytest.mark.parametrize("argv, exit_code, fragment", [
    (("sessions", "show", "not-hex"), 2, "is not a session id"),
    (("sessions", "show", "abc"), 2, "at least 6 characters"),
    (("sessions", "show", "abcdef0123"), 5, "There is no session abcdef0123"),
    (("sessions", "export", "abcdef0123", "--skip-models"), 5, "There is no session"),
    (("sessions", "list", "--limit", "0"), 2, "0 is not in the range"),
])
def test_bad_session_arguments(home, argv, exit_code, fragment):
    proc = run_main(*argv)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == exit_code and fragment in proc.stderr


def test_export_to_a_missing_folder_is_refused(interview_session, tmp_path):
    session_id, args = interview_session
    proc = run_main(*args, "sessions", "export", session_id, "--output", str(tmp_path / "nope" / "b.json"), "--skip-models")
    assert proc.returncode == 2 and "does not exist" in proc.stderr


@pytest.mark.faces
def test_bundle_of_a_failed_selfie_run_has_the_reason_and_timeline_but_no_photo_bytes(plain_settings, faces_dir, tmp_path):
    """An impostor run (person O's photo against person S in the clip), then its support bundle."""
    import base64

    from selfverify.context import AppContext
    from selfverify.services.selfie import SelfieService
    from tests.privacy_support import accept_consent

    ctx = AppContext(settings=plain_settings)
    accept_consent(ctx)
    reference = faces_dir / "obama.jpg"
    outcome = SelfieService(ctx).run(reference, str(faces_dir / "stage_clip.mp4"), liveness=False)
    assert not outcome.decision.verified

    out = tmp_path / "bundle.json"
    _ok(run_main("sessions", "export", outcome.session_id, "--output", str(out), "--skip-models"))
    raw = out.read_bytes()
    bundle = json.loads(raw)
    assert bundle["reason"] == outcome.decision.reason and bundle["session"]["outcome"] == "rejected"
    kinds = [e["kind"] for e in bundle["timeline"]]
    assert kinds[0] == "session_started" and "run_started" in kinds and kinds[-2:] == ["decision", "session_finished"]
    decision = next(e for e in bundle["timeline"] if e["kind"] == "decision")["data"]
    assert decision["verified"] is False and decision["tolerance"] == plain_settings.tolerance

    photo = reference.read_bytes()
    encoded = base64.b64encode(photo)
    for offset in range(0, len(photo) - 48, 3 * (len(photo) // 48)):  # multiples of 3 align with base64
        assert photo[offset:offset + 48] not in raw
        assert encoded[offset // 3 * 4:offset // 3 * 4 + 64] not in raw


@pytest.fixture(scope="module")
def clip_reference(tmp_path_factory):
    """A frame of person S from the clip (frame 100), as the reference photo of a genuine replay."""
    import cv2

    from tests.conftest import FACES

    clip = FACES / "stage_clip.mp4"
    if not clip.is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, frame = capture.read()
    capture.release()
    assert ok
    path = tmp_path_factory.mktemp("replay") / "reference.jpg"
    cv2.imwrite(str(path), frame)
    return clip, path


@pytest.mark.faces
def test_replay_with_a_seed_gives_the_same_timeline_every_time(clip_reference):
    """verify --camera CLIP --seed S --liveness off, three times: identical except the times."""
    clip, reference = clip_reference
    runs = []
    for _ in range(3):
        proc = run_main("verify", "--reference", str(reference), "--camera", str(clip), "--seed", "4242",
                        "--liveness", "off", "--json")
        assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        runs.append([{k: v for k, v in line.items() if k != "t"} for line in lines])
    first = runs[0]
    kinds = [e.get("kind") for e in first]
    assert kinds[0] == "run_started" and "guidance" in kinds and "decision" in kinds
    assert first[0]["seed"] == 4242 and first[0]["liveness"] is False
    result = first[-1]["result"]
    assert result["verified"] is True and result["liveness"] == "skipped" and result["can_issue_credential"] is False
    assert runs[1] == first and runs[2] == first


def test_bundle_records_the_settings_the_run_used_not_the_exporting_machines(interview_session, tmp_path, monkeypatch):
    session_id, args = interview_session
    monkeypatch.setenv("SELFVERIFY_TOLERANCE", "0.41")  # the machine exporting it is set differently now
    monkeypatch.setenv("SELFVERIFY_CHALLENGE_STEPS", "3")
    out = tmp_path / "bundle.json"
    _ok(run_main(*args, "--user", "carol", "sessions", "export", session_id, "--output", str(out), "--skip-models"))
    bundle = json.loads(out.read_text())
    assert bundle["settings"]["tolerance"] == Settings().tolerance and bundle["settings"]["challenge_steps"] == 2
    assert not {"user", "home", "database_url", "keyring_service"} & set(bundle["settings"])
    assert "carol" not in out.read_text()


@pytest.mark.parametrize("make_target, force, fragment", [
    (lambda tmp: tmp / "exists.json", False, "already exists"),
    (lambda tmp: tmp, True, "is a folder"),
    (lambda tmp: device_node(tmp, "null"), True, "is a device"),
    (lambda tmp: device_node(tmp, "full"), True, "is a device"),
    (lambda tmp: tmp / "fifo", True, "FIFO"),
    (lambda tmp: tmp / "link-to-null", True, "is a device"),
], ids=["existing-file", "folder", "dev-null", "dev-full", "fifo", "symlink-to-device"])
def test_export_never_replaces_what_it_must_not(interview_session, tmp_path, make_target, force, fragment):
    session_id, args = interview_session
    (tmp_path / "exists.json").write_text("keep me")
    os.mkfifo(tmp_path / "fifo")
    os.symlink(device_node(tmp_path, "null"), tmp_path / "link-to-null")
    target = str(make_target(tmp_path))
    before = {p.name: (p.lstat().st_mode, p.read_text() if p.is_file() and not p.is_symlink() else None)
              for p in tmp_path.iterdir()}
    null_mode = os.stat("/dev/null").st_mode  # (the targets are private nodes when run as root)
    proc = run_main(*args, "sessions", "export", session_id, "--output", target, *(["--force"] if force else []),
                    "--skip-models")
    assert proc.returncode == 2 and fragment in proc.stderr, proc
    assert "Traceback" not in proc.stderr
    after = {p.name: (p.lstat().st_mode, p.read_text() if p.is_file() and not p.is_symlink() else None)
             for p in tmp_path.iterdir()}
    assert after == before and os.stat("/dev/null").st_mode == null_mode


def test_export_replaces_a_file_only_with_force_and_dash_is_standard_output(interview_session, tmp_path):
    session_id, args = interview_session
    out = tmp_path / "b.json"
    out.write_text("old")
    _ok(run_main(*args, "sessions", "export", session_id, "--output", str(out), "--force", "--skip-models"))
    assert json.loads(out.read_text())["session"]["id"] == session_id
    proc = _ok(run_main(*args, "sessions", "export", session_id, "--output", "-", "--skip-models"))
    assert json.loads(proc.stdout)["session"]["id"] == session_id and "written to standard output" in proc.stderr
    assert not (tmp_path / "-").exists() and not os.path.exists("-")


def test_unit_output_helper_refuses_before_writing(tmp_path):
    from selfverify.errors import InputError
    from selfverify.outfile import write_output

    target = tmp_path / "new.bin"
    assert write_output(target, b"one") == str(target) and target.read_bytes() == b"one"
    with pytest.raises(InputError, match="already exists"):
        write_output(target, b"two")
    assert target.read_bytes() == b"one" and write_output(target, b"two", force=True) and target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(InputError, match="too long"):
        write_output("x" * 5000, b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.bin"]  # no temp file left behind
