"""The accessible mode's selfie check end to end on a pseudo-terminal, with real faces: the stage
clip replayed as the camera (liveness off: such a run can never issue a credential), and a still
photo held up to the "camera" with liveness on (no deadline in this mode: the step waits)."""

from __future__ import annotations

import re
import time

import pytest

from tests.plain_support import assert_plain_transcript, converse, finish, labelled_lines, spawn_plain

pytestmark = [pytest.mark.faces, pytest.mark.keyring]


@pytest.fixture
def clip_reference(faces_dir, tmp_path):
    """A frame of person S taken from the clip with OpenCV (frames ~85-210 show S)."""
    import cv2

    capture = cv2.VideoCapture(str(faces_dir / "stage_clip.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, frame = capture.read()
    capture.release()
    assert ok, "frame 100 of the clip could not be decoded"
    path = tmp_path / "reference-S.png"
    assert cv2.imwrite(str(path), frame)
    return path


def _env(keyring_service: str, camera, **extra: str) -> dict[str, str]:
    return {"SELFVERIFY_KEYRING_SERVICE": keyring_service, "SELFVERIFY_USER": "alice", "SELFVERIFY_CAMERA": str(camera), **extra}


def _start_selfie(child, reference) -> None:  # noqa: ANN001
    converse(child, [
        ("Choose 1 to 5:", "1"),
        ("Do you agree to the selfie check?", None),
        ("Choose 1 to 3:", "help"),
        ("Agreeing lets the camera be used", None),  # help explains, then the choices are read again
        ("Choose 1 to 3:", "1"),
        ("Type the path of your reference photo", str(reference)),
    ])


def test_clip_replay_end_to_end(faces_dir, clip_reference, keyring_service, settings, tmp_path):
    from selfverify.context import AppContext
    from selfverify.services.audit import list_sessions, timeline
    from selfverify.wording.speech import spoken_reference
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault
    from tests.conftest import keyring_items
    from tests.privacy_support import find_bytes

    env = _env(keyring_service, faces_dir / "stage_clip.mp4", SELFVERIFY_LIVENESS="0")
    child, log = spawn_plain(env, "--accessible")
    started = time.perf_counter()
    _start_selfie(child, clip_reference)
    child.expect_exact("Keep photos for an appeal?", timeout=240)
    run_seconds = time.perf_counter() - started
    converse(child, [
        ("Choose 1 to 4 (Enter: 1):", "4"),  # keep both, encrypted
        ("What next?", None),
        ("Choose 1 to 3 (Enter: 1):", "3"),
        ("Choose 1 to 5:", "quit"),
    ])
    assert finish(child) == 0
    transcript = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(transcript)
    print(f"\nclip replay in the accessible mode: {run_seconds:.1f} s from choosing the reference to the result")

    # the slow parts are announced before the wait: choosing the check, and the models if they still load
    assert transcript.index("Chosen: Selfie check.\nPreparing the selfie check...\n") < transcript.index("Do you agree")
    checked = transcript.index("Status: reference photo checked")
    if "Loading the face models" in transcript:
        assert transcript.index("Loading the face models, this takes a few seconds.") < checked
    said = labelled_lines(transcript)
    assert all(a != b for a, b in zip(said, said[1:])), "a line was repeated"
    result = [line for line in said if line.startswith("Result: ")]
    assert len(result) == 2, transcript
    assert result[0] == ("Result: your face matches the reference photo, but liveness was skipped (a replay), "
                         "so no credential was issued.")
    assert result[1] == "Result: kept 2 photos, encrypted, for 30 days."

    # the run is said for listening: its start, then only guidance the timeline holds, never the same twice in a row
    ctx = AppContext(settings=settings)
    [session] = list_sessions(ctx, subject="alice")
    messages = {entry["data"]["message"] for entry in timeline(ctx, session.id) if entry["kind"] == "guidance"}
    start_line = "Status: camera on, without the liveness steps (a replay: no credential can be issued)."
    assert start_line in said, transcript
    run_part = said[said.index(start_line) + 1:said.index(result[0])]
    assert all(line.startswith("Camera: ") and line[len("Camera: "):] in messages for line in run_part), run_part
    # a short support reference, spelled in groups, instead of the 32-digit session id
    assert session.id not in transcript and not re.search(r"\b[0-9a-f]{16,}\b", transcript)
    assert f"Support reference, if you need help: {spoken_reference(session.id)}." in transcript

    # no credential for a replay; the kept photos are encrypted
    assert CredentialService(ctx).current() is None
    assert not [name for name in keyring_items(keyring_service) if name.startswith("credential:")]
    assert sorted(p.kind for p in PhotoVault(ctx).list()) == ["reference", "selfie"]
    reference_bytes = clip_reference.read_bytes()
    middle = reference_bytes[len(reference_bytes) // 2:len(reference_bytes) // 2 + 64]
    assert find_bytes(middle, settings.paths.data_dir, settings.paths.config_dir) == []


@pytest.mark.parametrize("stop", ["back", "ctrl-c"])
def test_a_held_up_photo_waits_at_the_step_until_the_user_stops(clip_reference, keyring_service, settings, stop):
    from selfverify.context import AppContext
    from selfverify.services.audit import list_sessions
    from selfverify.services.attempts import AttemptPolicy

    # a 1 s step deadline elsewhere; the accessible mode has none unless plain_step_timeout is set
    env = _env(keyring_service, clip_reference, SELFVERIFY_CHALLENGE_TIMEOUT="1", TERM="dumb")
    child, log = spawn_plain(env, "--accessible")
    _start_selfie(child, clip_reference)
    child.expect(r"Step 1 of \d: ", timeout=240)
    child.expect_exact("\n")
    waiting_since = len(log.getvalue())
    time.sleep(4)
    assert log.getvalue()[waiting_since:] == "", "the waiting step said something more"
    if stop == "back":
        child.sendline("back")
        child.expect_exact("Status: selfie check stopped; the camera is released.", timeout=30)
        child.expect_exact("Choose 1 to 5:")
        child.sendline("4")
        assert finish(child) == 0
    else:
        child.sendintr()
        child.expect_exact("Interrupted: nothing more was done.", timeout=30)
        assert finish(child) == 130
    transcript = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(transcript)
    assert re.search(r"\nStep 1 of \d: ", transcript)
    assert "time is up" not in transcript
    ctx = AppContext(settings=settings)
    [session] = list_sessions(ctx, subject="alice")
    assert session.front_end == "plain" and session.outcome == "cancelled" and session.ended_at is not None
    # a face started the step: stopping is a failed try (it once counted nothing: issue 10)
    assert AttemptPolicy(ctx).status().total_failures == 1
    assert "You have up to 5 minutes and 5 tries before a wait. Once the challenge is given, stopping counts as a try." in transcript


# scenario -> (the result sentence's start, counted as a failed try, credential stored)
RULE_CASES = {
    "live": ("Result: verified. Your credential ", 0, True),
    "second_face": ("Result: not verified", 1, False),
    "impostor_step": ("Result: not verified", 1, False),
}


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_rules_in_the_accessible_mode(name, faces_dir, keyring_service, settings, tmp_path):
    """(c) a live pass stores a credential in the real keyring; (b) a second face entering during the
    step stops it; (a) an impostor who did a step fails the run though the genuine face matched.
    The camera device is the tests' own, injected by ``python -m tests.live_camera`` (no flag or
    variable reaches it)."""
    import os
    import sys

    import pexpect

    from selfverify.context import AppContext
    from selfverify.services.attempts import AttemptPolicy
    from tests.conftest import ROOT, keyring_items
    from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame

    reference = extract_frame(faces_dir / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path / "reference-S.png")
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "TERM": "xterm-256color", **_env(keyring_service, "0")}
    child = pexpect.spawn(sys.executable, ["-m", "tests.live_camera", name, "--", "--accessible"], env=env, cwd=str(ROOT),
                          encoding="utf-8", timeout=240, dimensions=(50, 200))
    log = child.logfile_read = __import__("io").StringIO()
    _start_selfie(child, reference)
    child.expect_exact("Keep photos for an appeal?", timeout=240)
    child.sendline("1")
    child.expect_exact("Status: nothing kept.")
    if child.expect_exact(["What next?", "Choose 1 to 5:"]) == 0:
        child.expect_exact("Choose 1 to 3 (Enter: 1):")
        child.sendline("3")
        child.expect_exact("Choose 1 to 5:")
    child.sendline("4")
    assert finish(child) == 0, log.getvalue()
    transcript = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(transcript)
    sentence, failures, credential = RULE_CASES[name]
    result = [line for line in labelled_lines(transcript) if line.startswith("Result: ")]
    assert result and result[0].startswith(sentence), transcript
    ctx = AppContext(settings=settings)
    assert AttemptPolicy(ctx).status().total_failures == failures
    assert bool([k for k in keyring_items(keyring_service) if ":credential:" in k or k.startswith("credential:")]) == credential
    steps = [line for line in labelled_lines(transcript) if line.startswith("Step ")]
    if name == "impostor_step":
        assert "Step 2 of 2: done." not in steps  # O's photo-swap "turn" is no head turn (rule (a): test_flow)
    if name == "second_face":
        assert steps == ["Step 1 of 1: turn your head to your right"] and "Camera: Only one face, please" in transcript
