"""The rules that make a selfie credential mean something, each tried as an attack through
SelfieService and the CLI, on real frames from the tests' in-process camera device:
(a) every face that did a challenge step must match on its own; (b) steps count only with one face
in view; (c) a live pass ends with a credential in the real keyring. Plus: a recording, a virtual
camera or a chosen seed never earns; stopping or losing the camera after a step started is a try."""

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
    "impostor_step": ("no_match", True, False),
}


@pytest.fixture
def s_reference(faces_dir, tmp_path):
    return extract_frame(faces_dir / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path / "reference-S.png")


@pytest.fixture(autouse=True)
def _quick_camera_loss(monkeypatch):
    from selfverify.core import camera

    monkeypatch.setattr(camera, "LOST_AFTER_SECONDS", 0.3)


def credentials_in_keyring(service: str) -> list[str]:
    return [name for name in keyring_items(service) if name.startswith("credential:")]


def assert_case(name: str, decision, failures: int, service: str, steps: list) -> None:
    reason, counted, credential = EXPECTED[name]
    assert decision.reason == reason, decision
    assert failures == int(counted)
    assert bool(credentials_in_keyring(service)) == credential
    if name == "impostor_step":  # the impostor's own step passed: only rule (a) stops the run
        assert steps == [("turn_right", "started"), ("turn_right", "passed"), ("turn_left", "started"), ("turn_left", "passed")]
        assert decision.liveness == "passed" and decision.distance <= decision.tolerance  # S's frames alone match
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


def test_stopping_before_any_step_started_counts_nothing(ctx, s_reference, faces_dir, tmp_path):
    import threading

    accept_consent(ctx)
    cancel = threading.Event()
    cancel.set()
    with live_camera(faces_dir / "stage_clip.mp4", **scenario("live", faces_dir)):
        outcome = SelfieService(ctx).run(s_reference, "0", cancel=cancel)
    assert outcome.decision.reason == "cancelled" and not outcome.decision.challenge_started
    assert AttemptPolicy(ctx).status().total_failures == 0
