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
