"""The replay rules live in SelfieService.replay (the CLI's ``verify --replay``, ``verify --liveness
off`` and ``sessions replay`` only call it): it needs the seed, refuses a camera device before
opening it, and counts, records and issues nothing. The CLI adds its option hints to the refusals."""

from __future__ import annotations

import json

import pytest

from selfverify.errors import InputError
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.audit import list_sessions
from selfverify.services.selfie import SelfieService
from tests.functional.test_verify_cli import fake_webcam_sources
from tests.inprocess_cli import run_main

pytestmark = [pytest.mark.faces]


@pytest.mark.parametrize(("camera", "seed", "liveness", "code"), [
    ("CLIP", None, True, "replay_needs_seed"),
    ("0", None, True, "replay_needs_seed"),  # the seed is asked for first, as before
    ("0", 7, True, "replay_needs_recording"),
    ("/dev/video0", None, False, "liveness_off_with_camera"),
])
def test_a_replay_is_refused_before_any_camera_opens(plain_settings, clip, clip_reference, monkeypatch,
                                                     camera, seed, liveness, code):
    from selfverify.context import AppContext

    webcams = fake_webcam_sources(monkeypatch)
    ctx = AppContext(settings=plain_settings)
    with pytest.raises(InputError) as info:
        SelfieService(ctx).replay(clip_reference, str(clip) if camera == "CLIP" else camera, seed, liveness=liveness)
    assert info.value.code == code and "--" not in (info.value.hint or "")
    assert webcams == []


def test_a_replay_counts_records_and_issues_nothing_and_needs_no_consent(plain_settings, clip, clip_reference):
    from selfverify.context import AppContext

    ctx = AppContext(settings=plain_settings)
    service = SelfieService(ctx)
    for result in (service.replay(clip_reference, str(clip), liveness=False),
                   service.replay(clip_reference, str(clip), 1234)):
        assert not result.decision.can_issue_credential and result.decision.distance is not None
    assert result.decision.replay and result.decision.liveness in ("passed", "failed")
    assert list_sessions(ctx) == [] and AttemptPolicy(ctx).status().total_failures == 0


def test_the_cli_says_the_replay_refusals_with_its_options(clip, clip_reference, monkeypatch):
    webcams = fake_webcam_sources(monkeypatch)
    reference = ("--reference", str(clip_reference))
    proc = run_main("verify", "--replay", *reference, "--camera", str(clip))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[:2] == [
        "Error: A replay needs the seed of the run to replay.",
        "Use --seed N (shown by 'selfverify sessions show'), or 'selfverify sessions replay SESSION_ID'."]
    proc = run_main("verify", "--replay", "--seed", "7", *reference, "--camera", "0", "--json")
    error = json.loads(proc.stdout.splitlines()[-1])["error"]
    assert proc.returncode == 2 and error["code"] == "replay_needs_recording" and "--camera" in error["hint"]
    proc = run_main("verify", "--replay", "--seed", "7", "--liveness", "off", *reference, "--camera", str(clip))
    assert proc.returncode == 2 and "cannot run with --liveness off" in proc.stderr
    assert webcams == []
