"""Print attacks from tests/attack_sim.py through the real pipeline: a photo of the genuine person
bent round a cylinder and turned to fake head turns (the attack that passed before the 3D cues),
a folded print tilted back to fake a blink, a phone screen tilted to fake an open mouth. Each is a
counted ``not_live`` try through ``verify`` and through SelfieService; the turn attack is also
run with the 3D checks switched off, to show it is a real threat and that they are what stops it."""

from __future__ import annotations

import contextlib
import json
import math

import pytest

from selfverify.core.liveness import draw_challenge
from tests import attack_sim as sim
from tests.inprocess_cli import run_main

pytestmark = pytest.mark.faces

TURNS = ("turn_left", "turn_right")
BENT_PRINT_SEED = 300_010  # an O print on a convex cylinder (r = 13 cm) swung +-50 degrees: verified by the 2D cues


def seed_for(steps: tuple[str, ...]) -> int:
    """A challenge seed whose default two-step challenge is ``steps``."""
    return next(seed for seed in range(1000) if draw_challenge(seed, 2) == steps)


@pytest.fixture(scope="module")
def person_o(faces_dir_module):
    return {p.name: p for p in sim.people(faces_dir_module)}["O"]


@pytest.fixture(scope="module")
def faces_dir_module():
    from tests.conftest import FACES

    if not (FACES / "obama.jpg").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    return FACES


@pytest.fixture(scope="module")
def bent_print(person_o, tmp_path_factory):
    attack = sim.make_attack("O", "cylinder_convex", TURNS, BENT_PRINT_SEED)
    video = sim.write_video(attack, sim.load_image(person_o.printed), tmp_path_factory.mktemp("attack") / "bent.mp4")
    return attack, video


class HeldPrintWebcam:
    """Stands in for the physical webcam the attacker holds the print up to: the simulated attack's
    frames in order, then the print held still (its last frame) until the step's deadline."""

    def __init__(self, video, limit: int = 3000):
        import cv2

        self._capture, self.last, self.count, self.limit = cv2.VideoCapture(str(video)), None, 0, limit

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self._capture.isOpened()

    def read(self):
        self.count += 1
        ok, frame = self._capture.read() if self.count <= self.limit else (False, None)
        if ok:
            self.last = frame
            return True, frame
        return (True, self.last.copy()) if self.last is not None and self.count <= self.limit else (False, None)

    def get(self, prop):
        return self._capture.get(prop)

    def release(self):
        self._capture.release()


@contextlib.contextmanager
def held_up_to_a_webcam(video, steps):
    """A credential is only ever at stake at a camera device: the attack is shown to one (the tests'
    injected webcam, asking ``steps``), so a pass here would be a credential."""
    from selfverify.core.camera import InjectedTestCamera, inject_test_camera
    from tests.live_camera import UVC_WEBCAM

    inject_test_camera(InjectedTestCamera(lambda _target: HeldPrintWebcam(video), querycap=UVC_WEBCAM, steps=tuple(steps)))
    try:
        yield "0"
    finally:
        inject_test_camera(None)


def run_selfie(settings, reference_path, video, steps):
    from selfverify.core.camera import open_source
    from selfverify.core.faces import load_reference
    from selfverify.core.flow import SelfieRun

    run = SelfieRun(settings.replace(seed=seed_for(steps)), load_reference(reference_path), open_source(str(video)))
    return run.run()


def test_the_bent_print_passes_the_2d_cues_alone(plain_settings, person_o, bent_print, monkeypatch):
    """The control: with the 3D parallax checks off, the bent print is verified."""
    from selfverify.core import liveness

    for check in ("TURN_MIDLINE_PARALLAX", "TURN_CONTOUR_PARALLAX", "TURN_TEXTURE_PARALLAX"):
        monkeypatch.setattr(liveness, check, -math.inf)
    attack, video = bent_print
    result = run_selfie(plain_settings, person_o.reference[0], video, attack.steps)
    assert result.decision.verified and result.decision.liveness == "passed"


def test_the_bent_print_is_a_counted_not_live_try_through_verify(person_o, bent_print, monkeypatch):
    attack, video = bent_print
    monkeypatch.setenv("SELFVERIFY_CHALLENGE_TIMEOUT", "3")  # frame time: the held print, 3 s per step
    assert run_main("consent", "accept", "--yes").returncode == 0
    with held_up_to_a_webcam(video, attack.steps) as camera:
        proc = run_main("verify", "--reference", person_o.reference[0], "--camera", camera, "--json")
    assert proc.returncode == 1, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    result = lines[-1]["result"]
    assert (result["reason"], result["liveness"], result["can_issue_credential"]) == ("not_live", "failed", False)
    assert result["steps"] == list(TURNS) and result["distance"] < result["tolerance"]  # the right face, not live
    assert lines[-2]["selfie"]["attempts"]["total_failures"] == 1


@pytest.mark.keyring
@pytest.mark.parametrize(
    ("family", "steps", "seed"),
    [
        ("cylinder_convex", TURNS, BENT_PRINT_SEED),
        ("fold_horizontal", ("blink", "turn_left"), 41),  # tilted back and its fold flexed for the blink
        ("phone", ("open_mouth", "turn_right"), 42),  # tilted and brought nearer for the open mouth
    ],
)
def test_print_attacks_are_counted_not_live_tries_through_the_service(ctx, person_o, tmp_path, family, steps, seed):
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.selfie import SelfieService
    from tests.privacy_support import accept_consent

    accept_consent(ctx)
    attack = sim.make_attack("O", family, steps, seed)
    video = sim.write_video(attack, sim.load_image(person_o.printed), tmp_path / f"{family}.mp4")
    ctx.settings = ctx.settings.replace(challenge_timeout=3.0)
    with held_up_to_a_webcam(video, steps) as camera:
        outcome = SelfieService(ctx).run(person_o.reference[0], camera)
    decision = outcome.decision
    assert (decision.verified, decision.reason, decision.liveness) == (False, "not_live", "failed"), attack.describe()
    assert outcome.credential is None and outcome.attempts.total_failures == 1
    assert AttemptPolicy(ctx).status().total_failures == 1
