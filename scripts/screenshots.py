"""Regenerate the README screenshots (SVG) by driving the real app with Pilot.

Run: bash .ci/with-secret-service uv run python scripts/screenshots.py [--clip ../shared/faces/stage_clip.mp4]
The selfie screenshot replays the clip as the camera (liveness on, so the challenge shows).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "screenshots"


async def shoot(clip: Path) -> None:
    import cv2

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.tui.app import SelfverifyApp
    from selfverify.tui.screens.selfie import SelfieScreen

    with tempfile.TemporaryDirectory() as tmp:
        cap = cv2.VideoCapture(str(clip))
        cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
        ok, frame = cap.read()
        cap.release()
        ref = Path(tmp) / "reference.png"
        cv2.imwrite(str(ref), frame)
        settings = load_settings({"home": str(Path(tmp) / "home"), "user": "alice", "seed": 3, "challenge_timeout": 6.0})
        app = SelfverifyApp(AppContext(settings), reference=str(ref), camera=str(clip), startup=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")
            await pilot.pause(1.0)
            await pilot.press("a")
            await pilot.pause(0.2)
            app.save_screenshot(filename="choice.svg", path=str(OUT))
            await pilot.press("1")
            await pilot.pause(1.0)
            await app.workers.wait_for_complete([w for w in app.workers if w.group == "reference"])
            await pilot.pause(0.5)
            await pilot.press("ctrl+n")
            screen = None
            for _ in range(300):
                await pilot.pause(0.1)
                screen = app.screen
                if isinstance(screen, SelfieScreen) and any(e.kind == "challenge_step" for e in screen.events_seen):
                    await pilot.pause(0.6)
                    break
            app.save_screenshot(filename="selfie.svg", path=str(OUT))
            if isinstance(app.screen, SelfieScreen):
                app.screen.stop_run()
    print(f"wrote {OUT / 'choice.svg'} and {OUT / 'selfie.svg'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", default=str(ROOT.parent / "shared" / "faces" / "stage_clip.mp4"))
    asyncio.run(shoot(Path(parser.parse_args().clip)))


if __name__ == "__main__":
    main()
