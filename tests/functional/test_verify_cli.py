"""``selfverify verify``: the headless selfie check on recordings and photos."""

from __future__ import annotations

import json

import pytest

from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame, jittered_still_video
from tests.helpers import assert_no_traceback, run_cli
from tests.inprocess_cli import run_main

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
    assert "Not verified: the face does not match the reference photo" in proc.stdout
    assert "can never earn a credential" in proc.stdout


@pytest.mark.parametrize("camera", ["still", "jittered"])
def test_a_photo_held_up_to_the_camera_is_not_live(faces_dir, tmp_path, camera):
    source = faces_dir / "obama.jpg"
    if camera == "jittered":
        source = jittered_still_video(source, tmp_path / "replay.mp4", seconds=4.0, seed=2)
    assert run_main("consent", "accept", "--yes").returncode == 0  # a live check is the selfie path: consent first
    proc = run_main("verify", "--reference", str(faces_dir / "obama2.jpg"), "--camera", str(source), "--seed", "4", "--json")
    assert proc.returncode == 1, proc.stderr
    events, result = timeline(proc)
    assert result["reason"] == "not_live" and result["liveness"] == "failed" and result["steps"]
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
