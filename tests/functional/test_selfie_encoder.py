"""SelfieService with the Textual app's encoder (a child process): the encodings are computed there,
and the run's timeline and decision are those of the in-process run."""

from __future__ import annotations

import pytest

from selfverify.core.encoder import EncoderProcess
from selfverify.services.selfie import SelfieService
from tests.face_media import jittered_still_video
from tests.privacy_support import accept_consent

pytestmark = [pytest.mark.faces]


def test_a_run_through_the_encoder_decides_exactly_as_one_in_process(ctx, faces_dir, tmp_path):
    replay = jittered_still_video(faces_dir / "obama.jpg", tmp_path / "still.mp4", seconds=2.0, seed=5)
    accept_consent(ctx)
    ctx.settings = ctx.settings.replace(seed=3)

    def timeline(**kwargs):
        seen = []
        outcome = SelfieService(ctx).run(faces_dir / "obama2.jpg", str(replay), on_event=seen.append, liveness=False, **kwargs)
        return outcome.decision, [{k: v for k, v in e.to_timeline().items() if k != "t"} for e in seen if e.in_timeline]

    decision_here, events_here = timeline()
    with EncoderProcess() as encoder:
        decision_there, events_there = timeline(encoder=encoder)
        assert encoder.pid is not None  # the service handed the encodings to the child
    assert decision_here.verified and decision_here.frames_used == ctx.settings.decision_frames
    assert (decision_there.verified, decision_there.distance) == (decision_here.verified, decision_here.distance)
    assert events_there == events_here
