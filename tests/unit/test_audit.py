"""The audit log: append-only, never biometric, and the session timelines built on it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import text

from selfverify.context import AppContext
from selfverify.core.events import Decision, GuidanceChanged, PreviewFrame, RunStarted
from selfverify.services.audit import AuditLog, BiometricDataRefused, SessionRecorder, events, list_sessions, timeline
from tests.postgres_db import database_url, make_ctx  # noqa: F401 - fixtures


@pytest.fixture
def pctx(plain_settings, fake_clock):
    return AppContext(settings=plain_settings, clock=fake_clock)


@pytest.mark.parametrize("data", [
    {"frame": "anything"},
    {"encoding": [0.1] * 128},
    {"nested": {"landmarks": []}},
    {"blob": b"\xff\xd8\xff"},
    {"blob": bytearray(b"abc")},
    {"vector": np.zeros(128)},
    {"points": [[1, 2]] * 2 + list(range(40))},
    {"values": tuple(float(i) for i in range(128))},
])
def test_biometric_looking_data_is_refused(pctx, data):
    with pytest.raises(BiometricDataRefused):
        AuditLog(pctx).record("decision", data)
    assert events(pctx) == []


def test_plain_values_are_stored_as_json(pctx):
    AuditLog(pctx).record("decision", {"distance": np.float64(0.3141), "steps": ("blink", "turn_left"), "ok": True})
    [row] = events(pctx)
    assert row["kind"] == "decision"
    assert row["subject"] == "alice"
    assert row["data"] == {"distance": 0.3141, "steps": ["blink", "turn_left"], "ok": True}


def test_the_database_refuses_to_change_or_delete_audit_events(make_ctx):
    ctx = make_ctx("alice")
    AuditLog(ctx).record("consent", {"choice": "accepted"})
    with ctx.db.engine.begin() as conn:
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("UPDATE audit_event SET kind = 'forged'"))
    with ctx.db.engine.begin() as conn:
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM audit_event"))
    assert [e["kind"] for e in events(ctx)] == ["consent"]


def test_session_timeline_records_events_but_never_preview_frames(pctx, fake_clock):
    recorder = SessionRecorder(pctx, "selfie", seed=7)
    recorder.event(RunStarted(source="video file stage_clip.mp4", liveness=False, seed=7, tolerance=0.5, t=0.0))
    recorder.event(PreviewFrame(frame=np.zeros((4, 4, 3), dtype=np.uint8), t=0.1))
    fake_clock.advance(1.5)
    recorder.event(GuidanceChanged(code="move_closer", message="Move closer", t=1.5))
    recorder.note("credential_refused", reason="keyring_unavailable")
    recorder.event(Decision(verified=False, reason="no_match", distance=0.71, tolerance=0.5, frames_used=5, t=2.0))
    recorder.finish("rejected", "no_match")

    steps = timeline(pctx, recorder.id)
    assert [s["kind"] for s in steps] == [
        "session_started", "run_started", "guidance", "credential_refused", "decision", "session_finished"]
    assert steps[2]["data"] == {"t": 1.5, "code": "move_closer", "message": "Move closer"}
    assert steps[4]["data"]["distance"] == 0.71
    assert steps[2]["at"] > steps[1]["at"]
    assert "preview" not in json.dumps(steps)

    [summary] = list_sessions(pctx)
    assert (summary.id, summary.method, summary.outcome, summary.reason, summary.seed) == (
        recorder.id, "selfie", "rejected", "no_match", 7)
    assert summary.ended_at is not None
    assert list_sessions(pctx, subject="someone-else") == []


def test_list_sessions_is_newest_first_and_limited(pctx, fake_clock):
    ids = []
    for _ in range(3):
        ids.append(SessionRecorder(pctx, "interview").id)
        fake_clock.advance(60)
    assert [s.id for s in list_sessions(pctx, limit=2)] == ids[::-1][:2]


# sessions left running by a process that died

def _selfie_session(ctx, liveness: bool = True) -> SessionRecorder:
    """A selfie session as SelfieService.run opens it (the preflight note says whether liveness is on)."""
    recorder = SessionRecorder(ctx, "selfie", seed=3)
    recorder.note("preflight", liveness=liveness, consent="accepted", tries_left_before_wait=3, total_failures=0)
    return recorder


def _on_another_computer(recorder: SessionRecorder) -> None:
    """Drop the session's local lock file, as for a session run elsewhere on a shared database."""
    recorder._alive.release()


def _outcome(ctx, session_id: str):
    return next(s for s in list_sessions(ctx) if s.id == session_id)


def test_a_silent_session_is_interrupted_only_after_the_threshold_and_costs_an_attempt(make_ctx, fake_clock):
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.recovery import stale_after
    from selfverify.services.startup import on_startup

    pctx = make_ctx("alice", clock=fake_clock)
    recorder = _selfie_session(pctx)
    recorder.event(GuidanceChanged(code="ok", message="Hold still", t=1.0))
    last_seen = fake_clock.now()
    _on_another_computer(recorder)
    threshold = stale_after(pctx.settings)
    assert threshold.total_seconds() == 2 * 300 + 300  # the accessible mode's run limit, 300 s by default

    fake_clock.advance(threshold.total_seconds() - 1)
    assert on_startup(pctx).sessions_interrupted == []
    assert _outcome(pctx, recorder.id).outcome is None  # still running: it may be a slow run elsewhere
    fake_clock.advance(2)
    [closed] = on_startup(pctx).sessions_interrupted
    assert (closed.id, closed.method, closed.attempt_counted) == (recorder.id, "selfie", True)
    summary = _outcome(pctx, recorder.id)
    assert (summary.outcome, summary.reason, summary.ended_at) == ("interrupted", "process_ended", last_seen)
    assert AttemptPolicy(pctx).status().total_failures == 1
    assert timeline(pctx, recorder.id)[-1]["data"] == {"outcome": "interrupted", "reason": "process_ended"}
    assert on_startup(pctx).sessions_interrupted == []  # closed once, counted once
    assert AttemptPolicy(pctx).status().total_failures == 1


def test_the_threshold_follows_the_longest_allowed_run(plain_settings):
    from selfverify.services.recovery import stale_after

    assert stale_after(plain_settings.replace(verify_timeout=600.0)).total_seconds() == 1500
    assert stale_after(plain_settings.replace(verify_timeout=0.0, plain_run_timeout=900.0)).total_seconds() == 2100


def test_a_session_whose_process_is_alive_is_never_interrupted(pctx, fake_clock):
    from selfverify.services.startup import on_startup

    recorder = _selfie_session(pctx)  # this process holds its lock, like a slow accessible-mode run
    fake_clock.advance(24 * 3600)
    assert on_startup(pctx).sessions_interrupted == []
    recorder.finish("verified", None)
    assert _outcome(pctx, recorder.id).outcome == "verified"
    assert not list((pctx.paths.data_dir / "locks" / "sessions").glob("*.lock"))


@pytest.mark.parametrize("how, counted", [
    ("liveness_off", False),
    ("verified", False),
    ("cancelled", False),
    ("no_match_not_yet_counted", True),
    ("no_match_already_counted", False),
    ("interview", False),
])
def test_which_interrupted_sessions_cost_an_attempt(pctx, fake_clock, how, counted):
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.recovery import stale_after
    from selfverify.services.startup import on_startup

    if how == "interview":
        recorder = SessionRecorder(pctx, "interview")
    else:
        recorder = _selfie_session(pctx, liveness=how != "liveness_off")
    if how == "verified":
        recorder.event(Decision(verified=True, tolerance=0.5, frames_used=5, liveness="passed", t=9.0))
    elif how == "cancelled":
        recorder.event(Decision(verified=False, reason="cancelled", tolerance=0.5, t=9.0))
    elif how.startswith("no_match"):
        recorder.event(Decision(verified=False, reason="no_match", distance=0.7, tolerance=0.5, t=9.0))
        if how == "no_match_already_counted":
            AttemptPolicy(pctx).record_failure()  # killed after counting, before finish()
    failures_before = AttemptPolicy(pctx).status().total_failures
    _on_another_computer(recorder)
    fake_clock.advance(stale_after(pctx.settings).total_seconds() + 1)
    [closed] = on_startup(pctx).sessions_interrupted
    assert closed.attempt_counted is counted
    assert AttemptPolicy(pctx).status().total_failures == failures_before + int(counted)
    assert _outcome(pctx, recorder.id).outcome == "interrupted"


def test_kill_9_during_a_selfie_run_is_closed_at_the_next_start_and_counted(pctx, plain_settings):
    """A real SIGKILL: the dead process's lock is gone, so no waiting for the threshold."""
    import os
    import signal
    import subprocess
    import sys

    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.startup import on_startup

    child = (
        "import os, signal\n"
        "from selfverify.config import load_settings\n"
        "from selfverify.context import AppContext\n"
        "from selfverify.services.audit import SessionRecorder\n"
        "ctx = AppContext(settings=load_settings())\n"
        "recorder = SessionRecorder(ctx, 'selfie')\n"
        "recorder.note('preflight', liveness=True)\n"
        "print(recorder.id, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "SELFVERIFY_USER": plain_settings.user, "SELFVERIFY_KEYRING_SERVICE": plain_settings.keyring_service}
    proc = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    session_id = proc.stdout.strip()
    assert _outcome(pctx, session_id).outcome is None
    [closed] = on_startup(pctx).sessions_interrupted  # the fake clock has not moved
    assert (closed.id, closed.attempt_counted) == (session_id, True)
    assert AttemptPolicy(pctx).status().total_failures == 1
    assert not list((pctx.paths.data_dir / "locks" / "sessions").glob("*.lock"))
