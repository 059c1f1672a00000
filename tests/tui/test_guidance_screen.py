"""Issue 17, seen on the selfie screen with the real stage clip through the tests' camera device:
the face box outside the oval while the text says "Good: hold still"; "Move closer" beside
"Comparing: 3 of 3 good frames"; the guidance line changing about 16 times in 6 s."""

from __future__ import annotations

import time

import pytest

from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame
from tests.live_camera import live_camera

pytestmark = [pytest.mark.faces]

GOOD = "Good: hold still"
FRAMING = ("Move closer", "Move back a little", "Centre your face")
WINDOW_S = 6.0
MAX_CHANGES_PER_WINDOW = 4  # measured: 6 in 6 s with the raw guidance on this run (16 seen by hand), 2-3 steadied
LATENCY_S = 0.3  # a frame's guidance reaches the screen after the frame itself


def changes_per_window(times: list[float], window: float = WINDOW_S) -> int:
    """The most changes of the guidance line within any ``window`` seconds."""
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


def box_in_guide(box, shape, guide) -> bool:  # noqa: ANN001
    top, right, bottom, left = box
    height, width = shape[:2]
    return guide.holds((left + right) / 2 / width, (top + bottom) / 2 / height,
                       (right - left) / 2 / width, (bottom - top) / 2 / height)


async def watch_selfie_run(make_keyless_app, keyless_ctx, faces_dir, tmp_path) -> dict:
    """The whole clip as a live webcam: every frame's face box (run's thread) and every change of
    the guidance and progress lines (as shown), with their times."""
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens import selfie

    reference = extract_frame(faces_dir / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path / "reference-S.png")
    ConsentService(keyless_ctx).accept()
    frames: list[tuple[float, object, tuple]] = []
    put = selfie.FrameMailbox.put

    def recording_put(self, event):  # noqa: ANN001
        frames.append((time.monotonic(), event.face_box, event.frame.shape))
        put(self, event)

    shown: list[tuple[float, str, str]] = []
    app = make_keyless_app(reference=str(reference), camera="0", startup=False)
    with live_camera(faces_dir / "stage_clip.mp4", (0, 275), steps=("turn_right",)):
        selfie.FrameMailbox.put = recording_put
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                screen = selfie.SelfieScreen()
                app.push_screen(screen)
                await pilot.pause()
                lines = {"guidance": "", "progress": ""}
                for name, wid in (("guidance", "#guidance"), ("progress", "#progress-text")):
                    widget = screen.query_one(wid)
                    lines[name] = str(widget.render())

                    def update(content="", *, _widget=widget, _update=widget.update, _name=name):  # noqa: ANN001
                        lines[_name] = str(content)
                        if not shown or shown[-1][1:] != (lines["guidance"], lines["progress"]):
                            shown.append((time.monotonic(), lines["guidance"], lines["progress"]))
                        return _update(content)

                    widget.update = update  # every change the screen makes, as it makes it
                while screen.running and app.screen is screen:
                    await pilot.pause(0.1)
                guide = screen.guide
        finally:
            selfie.FrameMailbox.put = put
    return {"frames": frames, "shown": shown, "guide": guide}


async def test_guidance_on_screen_agrees_with_the_picture_and_holds_still(make_keyless_app, keyless_ctx, faces_dir, tmp_path):
    run = await watch_selfie_run(make_keyless_app, keyless_ctx, faces_dir, tmp_path)
    shown, frames, guide = run["shown"], run["frames"], run["guide"]
    changes = [t for i, (t, g, _) in enumerate(shown) if i and g != shown[i - 1][1]]
    print(f"guidance line: {len(changes)} changes, at most {changes_per_window(changes)} in {WINDOW_S:.0f} s")

    # 1. "Good: hold still" only while the face box drawn lies in the oval drawn (one geometry)
    spans = [(t, shown[i + 1][0] if i + 1 < len(shown) else float("inf")) for i, (t, g, _) in enumerate(shown) if g == GOOD]
    checked = 0
    for start, end in spans:
        for t, box, shape in frames:
            if start <= t <= end - LATENCY_S:
                assert box is not None and box_in_guide(box, shape, guide), f"'{GOOD}' shown while the face box {box} is outside the oval"
                checked += 1
    # under heavy load the run may never hold "Good" for long enough: then only 2 and 3 are checked
    assert checked or not spans, "no frame fell inside a 'Good' span"

    # 2. no framing advice beside a comparison that has just counted, or is complete
    last_progress, previous = float("-inf"), ""
    for t, guidance, progress in shown:
        if progress != previous:
            last_progress, previous = t, progress
        complete = progress.startswith("Comparing:") and progress.split()[1] == progress.split()[3]
        if guidance.startswith(FRAMING):
            assert not complete and t - last_progress > 2.5, f"{guidance!r} beside {progress!r}"

    # 3. steady: few changes of the guidance line in any 6 s
    worst = changes_per_window(changes)
    assert worst <= MAX_CHANGES_PER_WINDOW, f"the guidance line changed {worst} times in {WINDOW_S:.0f} s"
