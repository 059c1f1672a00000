"""``selfverify verify``: the headless selfie check on recordings and photos."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame, jittered_still_video
from tests.helpers import assert_no_traceback, run_cli
from tests.inprocess_cli import run_main
from tests.unit.test_camera import FakeWebcam

pytestmark = pytest.mark.faces


def timeline(proc):
    """The timeline events (one JSON object per line, each with a kind) and the final result."""
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "result" in lines[-1], proc.stdout
    return [line for line in lines if "kind" in line], lines[-1]["result"]


def test_replay_of_person_s_is_verified_with_liveness_skipped(faces_dir, tmp_path, home):
    reference = extract_frame(faces_dir / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path / "s.png")
    proc = run_cli("verify", "--reference", str(reference), "--camera", str(faces_dir / "stage_clip.mp4"), "--liveness", "off", "--json")
    assert proc.returncode == 0, proc.stderr
    events, result = timeline(proc)
    assert events[0]["kind"] == "run_started" and events[0]["liveness"] is False
    assert events[-1]["kind"] == "decision" and all("kind" in e for e in events)
    assert result["verified"] is True and result["liveness"] == "skipped" and result["can_issue_credential"] is False
    assert not home.exists() or not any(home.rglob("*.db"))  # a replay never touches user records


def test_replay_against_another_person_is_no_match(faces_dir):
    proc = run_main("verify", "--reference", str(faces_dir / "obama.jpg"), "--camera", str(faces_dir / "stage_clip.mp4"), "--liveness", "off")
    assert proc.returncode == 1, proc.stderr
    assert "Not verified: your face did not match the reference photo" in proc.stdout  # one wording (issue 12)
    assert "can never earn a credential" in proc.stdout


@pytest.mark.parametrize("camera", ["still", "jittered"])
def test_a_photo_held_up_to_the_camera_is_not_live(faces_dir, tmp_path, camera):
    source = faces_dir / "obama.jpg"
    if camera == "jittered":
        source = jittered_still_video(source, tmp_path / "replay.mp4", seconds=4.0, seed=2)
    assert run_main("consent", "accept", "--yes").returncode == 0  # a live check is the selfie path: consent first
    proc = run_main("verify", "--reference", str(faces_dir / "obama2.jpg"), "--camera", str(source), "--json")
    assert proc.returncode == 1, proc.stderr
    events, result = timeline(proc)
    assert result["reason"] == "not_live" and result["liveness"] == "failed" and result["steps"]
    assert result["live_source"] is False and result["can_issue_credential"] is False
    assert result["distance"] < result["tolerance"]  # the right person, so only liveness failed
    steps = [(e["index"], e["status"]) for e in events if e["kind"] == "challenge_step"]
    assert steps[0] == (1, "started") and "passed" not in {status for _, status in steps}


def test_input_problems_exit_2(faces_dir, tmp_path):
    replay = ("--liveness", "off")
    proc = run_main("verify", "--reference", str(faces_dir / "two_people.jpg"), "--camera", str(faces_dir / "stage_clip.mp4"), "--json", *replay)
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "too_many_faces"
    proc = run_main("verify", "--reference", str(faces_dir / "obama.jpg"), "--camera", str(tmp_path / "nothing.mp4"), *replay)
    assert proc.returncode == 2 and "Camera source" in proc.stderr and "not found" in proc.stderr
    assert_no_traceback(proc)
    proc = run_main("verify", "--camera", str(faces_dir / "stage_clip.mp4"), *replay)
    assert proc.returncode == 2 and "No reference photo given" in proc.stderr


@pytest.mark.parametrize("photo", ["obama2.jpg", "obama4.jpg"])
def test_a_turned_photo_held_up_is_a_counted_not_live_try(faces_dir, photo):
    """Its face is never frontal, so it is never matched and no step starts: still not live, and a
    failed try, so a photo-replay attacker cannot retry forever."""
    assert run_main("consent", "accept", "--yes").returncode == 0
    args = ("verify", "--reference", str(faces_dir / "obama.jpg"), "--camera", str(faces_dir / photo),
            "--timeout", "1.5", "--json")
    for tries in (1, 2):
        proc = run_main(*args)
        assert proc.returncode == 1, proc.stderr
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        result = lines[-1]["result"]
        assert (result["reason"], result["liveness"], result["can_issue_credential"]) == ("not_live", "failed", False)
        assert lines[-2]["selfie"]["attempts"]["total_failures"] == tries
    plain = run_main(*args[:-1])
    assert "Not verified: the liveness challenge was not completed" in plain.stdout and "no usable face" not in plain.stdout


def fake_webcam_sources(monkeypatch) -> list[FakeWebcam]:
    """``--camera 0`` and ``/dev/videoN`` open a FakeWebcam (no webcam exists here); files open as usual."""
    from selfverify.core import camera

    real_open_source = camera.open_source
    webcams: list[FakeWebcam] = []

    def open_source(spec, *, realtime=None):
        text = str(spec)
        if not (text.isdigit() or text.startswith("/dev/video")):
            return real_open_source(spec, realtime=realtime)
        webcams.append(FakeWebcam(good=200))
        target = int(text) if text.isdigit() else text
        return camera.CameraDeviceSource(target, capture_factory=lambda _: webcams[-1])

    monkeypatch.setattr(camera, "open_source", open_source)
    return webcams


def test_liveness_off_with_a_camera_device_is_refused(faces_dir, monkeypatch):
    webcams = fake_webcam_sources(monkeypatch)
    reference = ("--reference", str(faces_dir / "obama.jpg"))
    proc = run_main("verify", *reference, "--camera", "0", "--liveness", "off")
    assert_no_traceback(proc)
    assert proc.returncode == 2 and "only be turned off to replay a recording" in proc.stderr and "--liveness off" in proc.stderr
    proc = run_main("verify", *reference, "--camera", "/dev/video0", "--liveness", "off", "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout.splitlines()[-1])["error"]["code"] == "liveness_off_with_camera"
    monkeypatch.setenv("SELFVERIFY_LIVENESS", "off")
    proc = run_main("verify", *reference, "--camera", "/dev/video0")
    assert proc.returncode == 2 and "/dev/video0" in proc.stderr
    assert webcams == []  # refused before the camera was even opened: not one frame read

    # the same webcam with liveness on is a normal check (here it sends blank frames, then dies)
    from selfverify.core import camera

    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 0.2)
    monkeypatch.delenv("SELFVERIFY_LIVENESS")
    assert run_main("consent", "accept", "--yes").returncode == 0
    proc = run_main("verify", *reference, "--camera", "0", "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout.splitlines()[-1])["result"]["reason"] == "camera_lost"


def test_ctrl_c_during_verify_exits_130_and_the_session_is_cancelled(faces_dir):
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.services.audit import list_sessions

    assert run_main("consent", "accept", "--yes").returncode == 0
    photo = str(faces_dir / "obama.jpg")  # a still: the run waits on its first step long enough to interrupt
    proc = subprocess.Popen([sys.executable, "-m", "selfverify", "verify", "--reference", photo, "--camera", photo],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env=dict(os.environ))
    try:
        lines = []
        while not any(line.startswith("Step 1 of") for line in lines):
            line = proc.stdout.readline()
            assert line, f"verify ended early: {lines} {proc.stderr.read()}"
            lines.append(line)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Interrupted" in stderr and "Traceback" not in stderr
    ctx = AppContext(settings=load_settings())
    [session] = list_sessions(ctx)
    assert (session.outcome, session.reason) == ("cancelled", "interrupted")
    from selfverify.services.attempts import AttemptPolicy

    assert AttemptPolicy(ctx).status().total_failures == 1  # the step had started: Ctrl+C is no free retry
