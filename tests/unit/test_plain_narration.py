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


def test_in_spanish_the_labels_steps_guidance_and_typed_words_are_spanish():
    """Issue 15: one label per kind, translated the same way everywhere; core's English step and guidance
    sentences said in Spanish; the words a person types work in Spanish (accents optional) and English."""
    from selfverify.i18n import set_language
    from selfverify.plain.selfie_run import run_word
    from selfverify.plain.terminal import typed

    set_language("es")  # tests/conftest.py puts English back
    started = ChallengeStep(index=1, total=2, step="turn_right", instruction="Step 1 of 2: turn your head to your right",
                            status="started", deadline_s=30)
    assert event_line(started) == ("Paso 1 de 2", "gire la cabeza hacia su derecha, en menos de 30 segundos")
    assert event_line(ChallengeStep(index=1, total=2, step="blink", status="passed")) == ("Paso 1 de 2", "hecho.")
    assert event_line(CameraLost(message="x"))[0] == "Problema"
    out = io.StringIO()
    narrator = RunNarrator(LineWriter(out), clock=lambda: 0.0)
    narrator.show(GuidanceChanged(code="move_closer", message="Move closer"))
    narrator.clock = lambda: 5.0
    narrator.tick()
    LineWriter(out).status("x")
    assert out.getvalue().split("\n")[:2] == ["Cámara: Acérquese", "Estado: x"]
    assert typed("help", "ayuda") and typed("back", "Atras") and typed("quit", "salir") and typed("yes", "sí")
    assert typed("help", "help") and typed("yes", "yes") and not typed("yes", "no")
    assert [run_word(w) for w in ("parar", "entrevista", "estado", "dónde", "ayuda", "back")] == [
        "back", "interview", "status", "where", "help", "back"]


def test_each_event_kind_has_one_labelled_line():
    assert event_line(RunStarted(liveness=False)) == (
        "Status", "camera on, without the liveness steps (a replay: no credential can be issued).")
    assert event_line(RunStarted(liveness=True, live_source=False)) == (
        "Status", "camera on. This is a recording or a virtual camera, not a live camera: it can never earn a credential.")
    assert event_line(RunStarted(liveness=True, live_source=True)) is None  # heard in the first step
    assert event_line(GuidanceChanged(code="centre", message="Face found, centred.")) is None  # the steadier's
    started = ChallengeStep(index=2, total=3, step="turn_left", instruction="Step 2 of 3: turn your head left")
    assert event_line(started) == ("Step 2 of 3", "turn your head left")
    timed = ChallengeStep(index=2, total=3, step="turn_left", instruction="Step 2 of 3: turn your head left", deadline_s=20.0)
    assert event_line(timed) == ("Step 2 of 3", "turn your head left, within 20 seconds")
    assert event_line(ChallengeStep(index=2, total=3, status="passed")) == ("Step 2 of 3", "done.")
    assert event_line(ChallengeStep(index=2, total=3, status="timed_out")) == ("Step 2 of 3", "time is up.")
    assert event_line(MatchProgress(good_frames=3, needed=5)) is None  # said on request
    assert event_line(CameraLost(message="The camera stopped.")) == ("Problem", "The camera stopped.")
    assert event_line(PreviewFrame(frame=object())) is None
    assert event_line(Decision(verified=True)) is None
    assert event_line(ChallengeIssued(steps=("blink",))) is None  # each step is said when it starts


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_narrator_says_guidance_once_it_has_held_and_never_against_the_step():
    stream, clock = io.StringIO(), Clock()
    narrator = RunNarrator(LineWriter(stream), clock=clock)

    def at(t: float, event=None) -> None:  # noqa: ANN001
        clock.now = t
        narrator.show(event) if event is not None else narrator.tick()

    # the flicker: two sentences alternating six times in three seconds
    for i in range(12):
        at(i * 0.25, GuidanceChanged(code="look_straight" if i % 2 else "ok", message="Look straight" if i % 2 else "Good: hold still"))
    at(3.1)
    assert labelled_lines(stream.getvalue()) == []
    at(4.0)
    assert labelled_lines(stream.getvalue()) == ["Camera: Look straight"]
    at(4.5, ChallengeStep(index=1, total=2, step="turn_right", instruction="Step 1 of 2: turn your head to your right"))
    at(4.6, GuidanceChanged(code="ok", message="Good: hold still"))
    for t in (5.0, 6.0, 9.0, 12.0):
        at(t)
    at(12.5, ChallengeStep(index=1, total=2, status="passed"))
    assert labelled_lines(stream.getvalue()) == [
        "Camera: Look straight", "Step 1 of 2: turn your head to your right", "Step 1 of 2: done."]
    # Enter: the current step and the latest guidance
    at(12.6, ChallengeStep(index=2, total=2, step="blink", instruction="Step 2 of 2: blink your eyes"))
    at(12.7, GuidanceChanged(code="move_closer", message="Move closer"))
    narrator.repeat()
    assert labelled_lines(stream.getvalue())[-2:] == ["Step 2 of 2: blink your eyes", "Camera: Move closer"]


def test_the_last_step_done_is_said_only_if_the_result_does_not_follow():
    stream, clock = io.StringIO(), Clock()
    narrator = RunNarrator(LineWriter(stream), clock=clock)
    narrator.show(ChallengeStep(index=1, total=1, step="blink", instruction="Step 1 of 1: blink your eyes"))
    clock.now = 3.0
    narrator.show(ChallengeStep(index=1, total=1, status="passed"))
    clock.now = 3.5
    narrator.tick()
    assert labelled_lines(stream.getvalue()) == ["Step 1 of 1: blink your eyes"]
    clock.now = 4.1
    narrator.tick()
    assert labelled_lines(stream.getvalue())[-1] == "Step 1 of 1: done."


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
    events = [RunStarted(liveness=True, live_source=False), PreviewFrame(frame=object()), GuidanceChanged(message="Move closer."),
              ChallengeStep(index=1, total=2, instruction="Step 1 of 2: blink"), ChallengeStep(index=1, total=2, status="passed")]
    result = run_with_keyboard(dialogue, _emitter(events), RunNarrator(dialogue.out))
    assert result.outcome == "finished" and result.stopped_by is None
    assert labelled_lines(out.getvalue()) == [  # a guidance that did not hold is not said
        "Status: camera on. This is a recording or a virtual camera, not a live camera: it can never earn a credential.",
        "Step 1 of 2: blink", "Step 1 of 2: done.",
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
        os.write(write_fd, b"\nhelp\nstatus\n" + typed.encode() + b"\n")

    threading.Thread(target=type_later, daemon=True).start()
    events = [ChallengeStep(index=1, total=1, step="blink", instruction="Step 1 of 1: blink your eyes"),
              GuidanceChanged(code="too_dark", message="Too dark: face a light")]
    result = run_with_keyboard(dialogue, _emitter(events, finished), RunNarrator(dialogue.out))
    os.close(write_fd)
    assert finished.is_set() and result.outcome == "cancelled" and result.stopped_by == stopped_by
    text = output.getvalue()
    # the step said once, then again on Enter and on status, each time with the latest guidance
    assert text.count("Step 1 of 1: blink your eyes") == 3 and text.count("Camera: Too dark: face a light") == 2
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


def test_good_hold_still_is_not_said_while_liveness_steps_are_still_to_come():
    stream, clock = io.StringIO(), Clock()
    narrator = RunNarrator(LineWriter(stream), clock=clock)
    narrator.show(ChallengeIssued(steps=("blink",)))
    narrator.show(GuidanceChanged(code="ok", message="Good: hold still"))
    clock.now = 2.0
    narrator.tick()
    assert labelled_lines(stream.getvalue()) == []  # the step itself comes next
    narrator.show(ChallengeStep(index=1, total=1, step="blink", instruction="Step 1 of 1: blink your eyes"))
    clock.now = 3.0
    narrator.show(ChallengeStep(index=1, total=1, status="passed"))
    narrator.show(GuidanceChanged(code="too_dark", message="Too dark: face a light"))
    clock.now = 3.5
    narrator.show(GuidanceChanged(code="ok", message="Good: hold still"))
    clock.now = 12.0
    narrator.tick()
    narrator.tick()
    assert labelled_lines(stream.getvalue())[-1] in ("Camera: Good: hold still", "Step 1 of 1: done.")
