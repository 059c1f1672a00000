"""Selfie events as spoken lines: one labelled line each, repeats dropped, typed lines stop the run."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from selfverify.core.events import (
    CameraLost,
    ChallengeIssued,
    ChallengeStep,
    Decision,
    GuidanceChanged,
    MatchProgress,
    PreviewFrame,
    RunStarted,
)
from selfverify.errors import CameraError
from selfverify.plain.selfie_run import RunNarrator, event_line, run_with_keyboard
from selfverify.plain.terminal import Dialogue, LineReader, LineWriter
from tests.plain_support import assert_plain_transcript, labelled_lines, piped_dialogue


def test_each_event_kind_has_one_labelled_line():
    assert event_line(RunStarted(liveness=False)) == (
        "Status", "selfie check started without the liveness steps (a replay: no credential can be issued).")
    assert event_line(RunStarted(liveness=True, live_source=False)) == (
        "Status", "selfie check started, with the liveness steps. This is a recording or a virtual camera, "
        "not a live camera: it can never earn a credential.")
    assert event_line(GuidanceChanged(code="centre", message="Face found, centred.")) == ("Status", "Face found, centred.")
    assert event_line(ChallengeIssued(steps=("blink", "turn_left"))) == ("Status", "liveness check: blink, then turn your head left.")
    started = ChallengeStep(index=2, total=3, step="turn_left", instruction="Step 2 of 3: turn your head left")
    assert event_line(started) == ("Step 2 of 3", "turn your head left")
    timed = ChallengeStep(index=2, total=3, step="turn_left", instruction="Step 2 of 3: turn your head left", deadline_s=20.0)
    assert event_line(timed) == ("Step 2 of 3", "turn your head left (within 20 seconds)")
    assert event_line(ChallengeStep(index=2, total=3, status="passed")) == ("Step 2 of 3", "done.")
    assert event_line(ChallengeStep(index=2, total=3, status="timed_out")) == ("Step 2 of 3", "time is up.")
    assert event_line(MatchProgress(good_frames=3, needed=5)) == ("Status", "comparing, 3 of 5 good frames.")
    assert event_line(CameraLost(message="The camera stopped.")) == ("Problem", "The camera stopped.")
    assert event_line(PreviewFrame(frame=object())) is None
    assert event_line(Decision(verified=True)) is None


def test_narrator_never_says_the_same_guidance_twice_in_a_row():
    stream = io.StringIO()
    narrator = RunNarrator(LineWriter(stream))
    events = [
        GuidanceChanged(code="no_face", message="No face found."),
        GuidanceChanged(code="no_face", message="No face found."),
        MatchProgress(good_frames=1, needed=5),
        GuidanceChanged(code="no_face", message="No face found."),  # still the last guidance
        GuidanceChanged(code="ok", message="Hold still."),
        GuidanceChanged(code="no_face", message="No face found."),  # a real change back
        MatchProgress(good_frames=1, needed=5),
    ]
    shown = [narrator.show(e) for e in events]
    assert shown == [True, False, True, False, True, True, False]
    assert labelled_lines(stream.getvalue()) == [
        "Status: No face found.", "Status: comparing, 1 of 5 good frames.", "Status: Hold still.", "Status: No face found.",
    ]


def _emitter(events, finished: threading.Event | None = None):
    """A run stand-in (no camera exists here) that emits ``events`` and waits for cancel."""

    def start(on_event, cancel):
        for ev in events:
            on_event(ev)
        if finished is not None:
            cancel.wait(5)
            finished.set()
            return "cancelled" if cancel.is_set() else "not cancelled"
        return "finished"

    return start


def test_run_narrates_in_order_and_returns_the_outcome():
    dialogue, out = piped_dialogue([])
    events = [RunStarted(liveness=True, live_source=True), PreviewFrame(frame=object()), GuidanceChanged(message="Move closer."),
              ChallengeStep(index=1, total=2, instruction="Step 1 of 2: blink"), ChallengeStep(index=1, total=2, status="passed")]
    result = run_with_keyboard(dialogue, _emitter(events), RunNarrator(dialogue.out))
    assert result.outcome == "finished" and result.stopped_by is None
    assert labelled_lines(out.getvalue()) == [
        "Status: selfie check started, with the liveness steps.", "Status: Move closer.", "Step 1 of 2: blink", "Step 1 of 2: done.",
    ]
    assert_plain_transcript(out.getvalue())


@pytest.mark.parametrize("typed, stopped_by", [("back", "back"), ("quit", "quit"), ("interview", "interview")])
def test_typing_a_stop_word_cancels_the_run(typed, stopped_by):
    read_fd, write_fd = os.pipe()
    output = io.StringIO()
    dialogue = Dialogue(LineReader(read_fd), LineWriter(output), echo=True)
    finished = threading.Event()

    def type_later():
        time.sleep(0.2)
        os.write(write_fd, b"\nhelp\n" + typed.encode() + b"\n")

    threading.Thread(target=type_later, daemon=True).start()
    result = run_with_keyboard(dialogue, _emitter([GuidanceChanged(message="Hold still.")], finished), RunNarrator(dialogue.out))
    os.close(write_fd)
    assert finished.is_set() and result.outcome == "cancelled" and result.stopped_by == stopped_by
    text = output.getvalue()
    assert text.count("Status: Hold still.") == 2  # said once, then repeated on Enter
    assert "Type back to stop" in text and "Status: stopping the selfie check." in text


def test_errors_of_the_run_reach_the_caller():
    dialogue, _ = piped_dialogue([])

    def start(on_event, cancel):
        raise CameraError("The camera cannot be opened.")

    with pytest.raises(CameraError):
        run_with_keyboard(dialogue, start, RunNarrator(dialogue.out))


def test_end_of_input_during_a_run_lets_it_finish():
    dialogue, out = piped_dialogue([])

    def start(on_event, cancel):
        time.sleep(0.2)  # input has ended meanwhile
        on_event(GuidanceChanged(message="Hold still."))
        return "finished"

    assert run_with_keyboard(dialogue, start, RunNarrator(dialogue.out)).outcome == "finished"
