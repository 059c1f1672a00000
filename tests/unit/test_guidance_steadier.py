"""The guidance steadier: held guidance only, no repeats, nothing against the step, never faster than speech."""

from __future__ import annotations

from selfverify.wording.guidance import GuidanceSteadier, speech_seconds

OK = ("ok", "Good: hold still")
STRAIGHT = ("look_straight", "Look straight at the camera")
CLOSER = ("move_closer", "Move closer")
DARK = ("too_dark", "Too dark: face a light")
TURN = ("turn_right", "Step 1 of 2: turn your head to your right")


def run(steadier: GuidanceSteadier, changes: dict[float, tuple[str, str]], until: float, tick: float = 0.05) -> list[tuple[float, str]]:
    """Feed guidance changes at their times, ticking ``due`` every ``tick`` seconds; what was said, when."""
    said: list[tuple[float, str]] = []
    pending = sorted(changes.items())
    steps = round(until / tick)
    for i in range(steps + 1):
        now = i * tick
        while pending and pending[0][0] <= now + 1e-9:
            steadier.guidance(now, *pending.pop(0)[1])
        sentence = steadier.due(now)
        if sentence:
            said.append((round(now, 2), sentence))
    return said


def test_a_flicker_is_never_said_and_a_held_sentence_once() -> None:
    # the case: two sentences alternating 6 times in 3 s, then one holds
    flicker = {t / 4: (STRAIGHT if i % 2 == 0 else OK) for i, t in enumerate(range(12))}
    flicker[3.0] = DARK
    said = run(GuidanceSteadier(words_per_minute=None), flicker, until=8.0)
    assert said == [(4.0, DARK[1])]


def test_hold_is_configurable_for_a_screen() -> None:
    said = run(GuidanceSteadier(hold_s=0.3, words_per_minute=None), {0.0: CLOSER, 1.0: OK}, until=2.0)
    assert said == [(0.3, CLOSER[1]), (1.3, OK[1])]


def test_the_same_sentence_is_not_said_again_within_the_gap() -> None:
    steadier = GuidanceSteadier(repeat_gap_s=5.0, words_per_minute=None)
    said = run(steadier, {0.0: CLOSER, 1.5: OK, 2.8: CLOSER, 5.0: OK, 6.5: CLOSER}, until=9.0)
    # "Move closer" back at 2.8 and "Good: hold still" back at 5.0 come within 5 s of their last
    # saying: not said; "Move closer" held from 6.5 is 6.5 s after its last saying
    assert said == [(1.0, CLOSER[1]), (2.5, OK[1]), (7.5, CLOSER[1])]


def test_a_held_sentence_is_said_once_however_long_it_holds() -> None:
    assert run(GuidanceSteadier(words_per_minute=None), {0.0: OK}, until=30.0) == [(1.0, OK[1])]


def test_hold_still_never_follows_a_turn_step() -> None:
    steadier = GuidanceSteadier(words_per_minute=None)
    steadier.guidance(0.0, *OK)
    assert steadier.due(1.2) == OK[1]
    assert steadier.step(2.0, TURN[0], TURN[1]) == TURN[1]
    steadier.guidance(2.1, *OK)
    steadier.guidance(2.2, *STRAIGHT)
    for t in (2.5, 3.5, 10.0, 20.0):
        assert steadier.due(t) is None
    assert steadier.status(20.0) == [TURN[1]]  # the contradicting guidance is not repeated either
    steadier.guidance(21.0, *DARK)  # guidance that fits the step is said
    assert steadier.due(22.0) == DARK[1]
    assert steadier.status() == [TURN[1], DARK[1]]


def test_guidance_seen_before_a_step_must_hold_again_after_it() -> None:
    steadier = GuidanceSteadier(words_per_minute=None)
    steadier.guidance(0.0, *DARK)
    steadier.step(0.9, "blink", "Step 1 of 1: blink your eyes")
    assert steadier.due(1.2) is None  # not said straight after the step
    assert steadier.due(1.95) == DARK[1]


def test_blink_step_silences_good_hold_still_until_the_steps_end() -> None:
    steadier = GuidanceSteadier(words_per_minute=None)
    steadier.step(0.0, "blink", "Step 1 of 1: blink your eyes")
    steadier.guidance(0.1, *OK)
    assert steadier.due(3.0) is None
    steadier.step(4.0, None)
    assert steadier.due(4.5) is None
    assert steadier.due(5.0) == OK[1]


def test_no_framing_advice_while_good_frames_are_compared() -> None:
    steadier = GuidanceSteadier(words_per_minute=None, comparing_quiet_s=3.0)
    steadier.comparing(0.0, 1, 5)
    steadier.guidance(0.1, *CLOSER)
    steadier.comparing(1.0, 3, 5)
    assert steadier.due(2.0) is None
    assert steadier.status(2.0) == []
    assert steadier.due(3.9) is None
    assert steadier.due(4.05) == CLOSER[1]  # the count stopped rising and it still holds: now it is advice


def test_guidance_never_outruns_speech() -> None:
    steadier = GuidanceSteadier(hold_s=0.1, repeat_gap_s=0.0)
    long = ("centre", "Centre your face: move a little to your left")
    said = run(steadier, {0.0: long, 0.2: DARK, 0.4: long, 0.6: DARK}, until=10.0)
    assert said[0] == (0.1, long[1])
    # the next sentence waits for the first to be spoken at 175 words a minute
    assert said[1][0] >= 0.1 + speech_seconds(long[1]) - 1e-9
    words = sum(len(s.split()) for _, s in said)
    assert words / 10.0 <= 175 / 60


def test_a_step_said_aloud_delays_guidance_by_its_length() -> None:
    steadier = GuidanceSteadier()
    steadier.guidance(0.0, *DARK)
    steadier.step(0.95, "blink", "Step 1 of 2: blink your eyes")
    assert steadier.due(1.96) is None  # hold is over but the step is still being spoken
    assert steadier.due(0.95 + speech_seconds("Step 1 of 2: blink your eyes") + 0.01) == DARK[1]


def test_status_before_anything_is_empty_and_after_is_step_then_guidance() -> None:
    steadier = GuidanceSteadier()
    assert steadier.status() == []
    steadier.guidance(0.0, *CLOSER)
    assert steadier.status() == [CLOSER[1]]  # the latest guidance, even before it has held
    steadier.step(1.0, "blink", "Step 2 of 2: blink your eyes")
    assert steadier.status() == ["Step 2 of 2: blink your eyes", CLOSER[1]]
