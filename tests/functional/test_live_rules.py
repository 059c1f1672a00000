"""The rules that make a selfie credential mean something, each tried as an attack through
SelfieService and the CLI, on real frames from the tests' in-process camera device:
(a) every face that did a challenge step must match on its own; (b) steps count only with one face
in view; (c) a live pass ends with a credential in the real keyring. Plus: a recording, a virtual
camera or a chosen seed never earns; ending a run once its challenge was shown is a try."""

from __future__ import annotations

import json

import pytest

from selfverify.context import AppContext
from selfverify.errors import InputError
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.selfie import SelfieService
from tests.conftest import keyring_items
from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame
from tests.inprocess_cli import run_main
from tests.live_camera import LOOPBACK, live_camera, scenario
from tests.privacy_support import accept_consent

pytestmark = [pytest.mark.faces, pytest.mark.keyring]

# scenario -> (reason, counted as a failed try, credential)
EXPECTED = {
    "live": (None, False, True),
    "second_face": ("camera_lost", True, False),  # the step never passes; the camera then stops sending
    "impostor_step": ("camera_lost", True, False),  # O's photo-swap "turn" is not a head turn (issue 11)
}


@pytest.fixture
def s_reference(faces_dir, tmp_path):
    return extract_frame(faces_dir / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path / "reference-S.png")


@pytest.fixture(autouse=True)
def _quick_camera_loss(monkeypatch):
    from selfverify.core import camera

    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 0.3)


def credentials_in_keyring(service: str) -> list[str]:
    return [name for name in keyring_items(service) if ":credential:" in name or name.startswith("credential:")]


def assert_case(name: str, decision, failures: int, service: str, steps: list) -> None:
    reason, counted, credential = EXPECTED[name]
    assert decision.reason == reason, decision
    assert failures == int(counted)
    assert bool(credentials_in_keyring(service)) == credential
    if name == "impostor_step":  # S's step passed; O's photos swapped as a "turn" never pass (rule (a): test_flow)
        assert ("turn_left", "passed") not in steps and decision.liveness == "failed"
    if name == "second_face":  # the step started, then a second face came: it never passed
        assert steps == [("turn_right", "started")]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_rules_through_the_service(name, ctx, settings, s_reference, faces_dir):
    accept_consent(ctx)
    seen = []
    with live_camera(faces_dir / "stage_clip.mp4", **scenario(name, faces_dir)):
        outcome = SelfieService(ctx).run(s_reference, "0", on_event=seen.append)
    steps = [(e.step, e.status) for e in seen if e.kind == "challenge_step"]
    assert_case(name, outcome.decision, AttemptPolicy(ctx).status().total_failures, settings.keyring_service, steps)
    assert (outcome.credential is not None) == EXPECTED[name][2]
    if name == "live":
        token = keyring_items(settings.keyring_service)[credentials_in_keyring(settings.keyring_service)[0]]
        assert outcome.credential.token == token and outcome.decision.live_source


@pytest.mark.parametrize("name", list(EXPECTED))
def test_rules_through_the_cli(name, settings, s_reference, faces_dir):
    service = ("--keyring-service", settings.keyring_service, "--user", "alice")
    assert run_main(*service, "consent", "accept", "--yes").returncode == 0
    with live_camera(faces_dir / "stage_clip.mp4", **scenario(name, faces_dir)):
        proc = run_main(*service, "verify", "--reference", str(s_reference), "--camera", "0", "--json")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    result, selfie = lines[-1]["result"], lines[-2]["selfie"]
    steps = [(e["step"], e["status"]) for e in lines if e.get("kind") == "challenge_step"]
    from selfverify.core.events import Decision

    decision = Decision(**{k: v for k, v in result.items() if k in Decision.__dataclass_fields__ and k != "t"})
    assert_case(name, decision, selfie["attempts"]["total_failures"], settings.keyring_service, steps)
    assert (selfie["credential"] is not None) == EXPECTED[name][2]
    if name == "live":
        plain = run_main(*service, "verify", "--reference", str(s_reference), "--camera", "0")
        assert "Attempt" not in plain.stdout  # (a fresh run needs the device again: none is injected now)
        assert plain.returncode in (2, 3) and "There is no camera" in plain.stderr


def test_a_virtual_camera_passing_everything_earns_nothing(ctx, settings, s_reference, faces_dir):
    accept_consent(ctx)
    with live_camera(faces_dir / "stage_clip.mp4", identity=LOOPBACK, **scenario("live", faces_dir)):
        outcome = SelfieService(ctx).run(s_reference, "/dev/video0")
    decision = outcome.decision
    assert decision.verified and decision.liveness == "passed" and not decision.live_source
    assert outcome.credential is None and "only a live camera can earn a credential" in outcome.credential_error
    assert credentials_in_keyring(settings.keyring_service) == []
    from selfverify.services.audit import timeline

    kinds = {e["kind"]: e["data"] for e in timeline(ctx, outcome.session_id)}
    assert kinds["camera_check"]["verdict"] == "virtual" and kinds["credential_refused"]["code"] == "not_a_live_camera"


def test_a_chosen_seed_is_refused_before_the_camera_opens(ctx, settings, s_reference, faces_dir):
    accept_consent(ctx)
    chosen = AppContext(settings=settings.replace(seed=5))
    with live_camera(faces_dir / "stage_clip.mp4", **scenario("live", faces_dir)) as device:
        with pytest.raises(InputError) as info:
            SelfieService(chosen).run(s_reference, "0")
    assert info.value.code == "seed_needs_replay" and device.opened == []


@pytest.mark.parametrize("end", ["cancel", "ctrl_c"])
def test_stopping_after_a_step_started_is_a_counted_try(end, ctx, s_reference, faces_dir):
    """Issue 10: stopping used to count nothing, so a failing try could be retried for free."""
    import threading

    accept_consent(ctx)
    cancel = threading.Event()

    def on_event(event):
        if event.kind == "challenge_step" and event.status == "started":
            if end == "cancel":
                cancel.set()
            else:
                raise KeyboardInterrupt

    # two steps: S turns right, then nothing more is asked of the clip before the stop
    with live_camera(faces_dir / "stage_clip.mp4", **scenario("live", faces_dir)):
        if end == "cancel":
            outcome = SelfieService(ctx).run(s_reference, "0", on_event=on_event, cancel=cancel)
            assert outcome.decision.reason == "cancelled" and outcome.decision.challenge_started
        else:
            with pytest.raises(KeyboardInterrupt):
                SelfieService(ctx).run(s_reference, "0", on_event=on_event)
    assert AttemptPolicy(ctx).status().total_failures == 1


@pytest.mark.parametrize("end", ["cancel", "feed_ends"])
def test_ending_a_run_once_its_challenge_was_shown_is_a_counted_try(end, ctx, s_reference, faces_dir):
    """Second review, finding 1: the challenge is shown before the first step, and ending a run
    whose challenge the footage does not cover (cancel, or the feed stops) re-drew it for free."""
    import threading

    accept_consent(ctx)
    cancel = threading.Event()
    if end == "cancel":
        cancel.set()
    frames = (85, 88) if end == "feed_ends" else scenario("live", faces_dir)["frames"]
    with live_camera(faces_dir / "stage_clip.mp4", frames, steps=("blink", "turn_left")):
        outcome = SelfieService(ctx).run(s_reference, "0", cancel=cancel)
    assert outcome.decision.reason == ("cancelled" if end == "cancel" else "camera_lost")
    assert outcome.decision.challenge_started and not outcome.decision.verified
    assert AttemptPolicy(ctx).status().total_failures == 1


def test_the_test_camera_cannot_be_reached_from_outside(s_reference, tmp_path):
    """The injected device is set only by Python code calling ``inject_test_camera``: nothing in the
    app calls it, and a real process given ``--camera 0`` (with every way of passing options set)
    opens the real device path, which does not exist here."""
    import os
    import re
    import subprocess
    import sys

    from tests.conftest import ROOT

    src = ROOT / "src" / "selfverify"
    users = sorted(str(p.relative_to(src)) for p in src.rglob("*.py")
                   if re.search(r"inject_test_camera|InjectedTestCamera|_injected\b|challenge_steps = ", p.read_text()))
    assert users == ["core/camera.py"]
    camera_py = (src / "core" / "camera.py").read_text()
    assert camera_py.count("_injected = device") == 1 and "os.environ" not in camera_py

    config = tmp_path / "config.toml"
    config.write_text('camera = "0"\nliveness = true\n')
    env = {**os.environ, "SELFVERIFY_CAMERA": "0", "SELFVERIFY_CONFIG": str(config), "SELFVERIFY_TEST_CAMERA": "1"}
    proc = subprocess.run([sys.executable, "-m", "selfverify", "--config", str(config), "consent", "accept", "--yes"],
                          env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "selfverify", "--config", str(config), "verify", "--reference", str(s_reference),
                           "--camera", "0"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "There is no camera /dev/video0" in proc.stderr, proc.stderr
    assert "Credential" not in proc.stdout


def test_sessions_replay_reproduces_a_recorded_not_live_run_and_touches_nothing(faces_dir, settings, tmp_path):
    """Issue 21: a user's run said not_live; support replays the session's own challenge on the
    recording and gets the same verdict and distance, while the try counter and keyring stay as they were."""
    from tests.face_media import jittered_still_video

    service = ("--keyring-service", settings.keyring_service, "--user", "alice")
    recording = jittered_still_video(faces_dir / "obama.jpg", tmp_path / "held-up.mp4", seconds=4.0, seed=3)
    reference = str(faces_dir / "biden.jpg")  # the wrong person too: a replay must say both
    assert run_main(*service, "consent", "accept", "--yes").returncode == 0
    live = run_main(*service, "verify", "--reference", reference, "--camera", str(recording), "--timeout", "3", "--json")
    lines = [json.loads(line) for line in live.stdout.splitlines()]
    original, selfie = lines[-1]["result"], lines[-2]["selfie"]
    assert original["reason"] == "not_live" and original["distance"] > original["tolerance"], original
    assert selfie["attempts"]["total_failures"] == 1 and original["replay"] is False

    replays = []
    for args in (("sessions", "replay", selfie["session_id"][:8], "--camera", str(recording), "--reference", reference, "--json"),
                 ("verify", "--replay", "--seed", str(original["seed"]), "--timeout", "3", "--camera", str(recording),
                  "--reference", reference, "--json")):
        proc = run_main(*service, *args)
        assert proc.returncode == 1, proc.stderr
        replays.append(json.loads(proc.stdout.splitlines()[-1])["result"])
    for replay in replays:
        assert replay["replay"] is True and replay["can_issue_credential"] is False
        for key in ("reason", "liveness", "distance", "tolerance", "frames_used", "seed", "steps"):
            assert replay[key] == original[key], key
    text = run_main(*service, "sessions", "replay", selfie["session_id"], "--camera", str(recording), "--reference", reference)
    assert f"match distance {original['distance']:.3f} above the tolerance" in text.stdout
    assert "counts no try and never earns a credential" in text.stdout

    ctx = AppContext(settings=settings)
    assert AttemptPolicy(ctx).status().total_failures == 1
    assert credentials_in_keyring(settings.keyring_service) == []
    from selfverify.services.audit import list_sessions

    assert len(list_sessions(ctx)) == 1  # a replay writes no session
    refused = run_main(*service, "verify", "--replay", "--seed", "3", "--camera", "0", "--reference", reference)
    assert refused.returncode == 2 and "not on the camera" in refused.stderr
    chosen = run_main(*service, "verify", "--seed", "3", "--camera", str(recording), "--reference", reference)
    assert chosen.returncode == 2 and "only be chosen for a support replay" in chosen.stderr
