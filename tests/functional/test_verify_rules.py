"""``selfverify verify`` with liveness on goes through SelfieService (consent, attempts, timeline,
credential rules); a ``--liveness off`` replay stays record-free."""

from __future__ import annotations

import json

import pytest

from selfverify.context import AppContext
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.audit import list_sessions
from tests.conftest import keyring_items
from tests.helpers import assert_no_traceback
from tests.inprocess_cli import run_main

pytestmark = [pytest.mark.faces, pytest.mark.keyring]


def test_live_verify_needs_consent_counts_failures_and_replays_leave_no_record(settings, faces_dir, monkeypatch):
    monkeypatch.setenv("SELFVERIFY_USER", settings.user)
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", settings.keyring_service)
    monkeypatch.setenv("SELFVERIFY_CHALLENGE_STEPS", "2")  # the shortest challenge allowed keeps the test fast
    monkeypatch.setenv("SELFVERIFY_CHALLENGE_TIMEOUT", "2")
    clip, impostor = str(faces_dir / "stage_clip.mp4"), str(faces_dir / "obama.jpg")

    refused = run_main("verify", "--reference", impostor, "--camera", clip)
    assert_no_traceback(refused)
    assert refused.returncode == 5 and "consent accept" in refused.stderr
    assert run_main("consent", "accept", "--yes").returncode == 0

    live = run_main("verify", "--reference", impostor, "--camera", clip, "--json")
    assert_no_traceback(live)
    assert live.returncode == 1, live.stderr
    lines = [json.loads(line) for line in live.stdout.splitlines() if line.strip()]
    selfie = lines[-2]["selfie"]
    assert selfie["credential"] is None and selfie["attempts"]["total_failures"] == 1
    assert lines[-1]["result"]["verified"] is False
    ctx = AppContext(settings=settings)
    [session] = list_sessions(ctx)
    assert session.id == selfie["session_id"] and session.outcome == "rejected"

    replay = run_main("verify", "--reference", impostor, "--camera", clip, "--liveness", "off")
    assert replay.returncode == 1 and "Traceback" not in replay.stderr
    assert len(list_sessions(ctx)) == 1
    assert AttemptPolicy(ctx).status().total_failures == 1
    assert keyring_items(settings.keyring_service) == {}
