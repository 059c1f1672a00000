"""Textual app benchmarks, run in a real pseudo-terminal (the same driver a user's terminal gets).

Prints:
  - time to first paint of the welcome screen (target < 1.0 s), from process start;
  - preview frames per second while analysis runs, at 60x30 cells (target >= 12 fps);
  - the longest event-loop stall during a selfie run (target < 50 ms).

Run: uv run python bench/tui.py [--clip ../shared/faces/stage_clip.mp4] [--runs 3]
The selfie run replays the clip in real time as the camera, with the liveness challenge on
(the real per-frame work: detection, tracking, landmarks, encodings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared" / "faces" / "stage_clip.mp4"


# --- child side: runs inside the pseudo-terminal --------------------------------------------
def child_first_paint(out: Path, t0: float) -> None:
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.tui.app import SelfverifyApp

    class Bench(SelfverifyApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            # the welcome screen is mounted and one refresh has gone to the terminal
            self.call_after_refresh(lambda: (out.write_text(json.dumps({"first_paint": time.time() - t0})), self.exit()))

    Bench(AppContext(load_settings({})), startup=True).run()


def child_selfie(out: Path, clip: str, reference: str, preview: str = "blocks") -> None:
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.services.consent import ConsentService
    from selfverify.tui.app import SelfverifyApp
    from selfverify.tui.screens.selfie import SelfieScreen

    # a live run draws its own challenge seed (a chosen seed is refused since issue 10)
    ctx = AppContext(load_settings({"liveness": True, "challenge_timeout": 4.0}))
    ConsentService(ctx).accept()
    stats: dict = {"stalls_ms": []}

    class Bench(SelfverifyApp):
        async def on_mount(self) -> None:
            super().on_mount()
            from selfverify.core.engine import load_face_recognition
            from selfverify.core.faces import load_reference

            # as in the app: the consent screen preloads the models; the reference screen starts the
            # encoder's child and checks the photo while the user is there
            await asyncio.gather(asyncio.to_thread(load_face_recognition), asyncio.to_thread(self.face_encoder.start, wait=True))
            await asyncio.to_thread(load_reference, reference, encoder=self.face_encoder)
            self.screen_ = SelfieScreen()
            await self.push_screen(self.screen_)
            self.started = time.perf_counter()
            self.run_worker(self._watch_loop(), exclusive=False)
            self.set_interval(0.1, self._check_done)

        async def _watch_loop(self) -> None:
            tick = 0.005
            while True:
                before = time.perf_counter()
                await asyncio.sleep(tick)
                stats["stalls_ms"].append((time.perf_counter() - before - tick) * 1000)

        def _check_done(self) -> None:
            screen = self.screen_
            if screen.running and time.perf_counter() - self.started < 60:
                return
            elapsed = time.perf_counter() - self.started
            camera = screen.camera
            stats.update(
                frames_shown=camera.frames_shown,
                seconds=elapsed,
                preview_cells=list(camera.preview_size),
                decision=next((e.reason or "verified" for e in screen.events_seen if e.kind == "decision"), None),
            )
            out.write_text(json.dumps(stats))
            self.exit()

    from selfverify.tui.widgets.camera_view import BLOCKS, PreviewMode

    app = Bench(ctx, reference=reference, camera=clip, startup=False)
    app.preview = BLOCKS if preview == "blocks" else PreviewMode(preview, 10, 20)  # 60x30 cells = 600x600 px
    app.run()


# --- parent side ----------------------------------------------------------------------------
def spawn(mode: str, cols: int, rows: int, extra: list[str], env: dict[str, str]) -> dict:
    import pexpect

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        full_env = {**os.environ, **env, "SELFVERIFY_HOME": str(Path(tmp) / "home"), "TERM": "xterm-256color",
                    "COLORTERM": "truecolor", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        t0 = time.time()
        child = pexpect.spawn(sys.executable, [__file__, "--child", mode, "--out", str(out), "--t0", repr(t0), *extra],
                              env=full_env, dimensions=(rows, cols), encoding="utf-8", timeout=120,
                              maxread=1 << 16)  # a Sixel preview writes ~50 KB a frame: read it in big gulps
        child.expect(pexpect.EOF)
        child.close()
        if not out.exists():
            raise SystemExit(f"benchmark child {mode} failed:\n{child.before[-2000:]}")
        return json.loads(out.read_text())


def reference_frame(clip: Path, dest: Path) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise SystemExit(f"cannot decode {clip}")
    cv2.imwrite(str(dest), frame)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default=str(DEFAULT_CLIP))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preview", choices=["blocks", "sixel", "kitty"], default="blocks",
                        help="how the selfie run draws its preview (sixel/kitty: 10x20-pixel cells)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child == "first-paint":
        return child_first_paint(Path(opts.out), opts.t0)
    if opts.child == "selfie":
        return child_selfie(Path(opts.out), opts.clip, opts.reference, opts.preview)

    paints = [spawn("first-paint", 80, 24, [], {})["first_paint"] for _ in range(opts.runs)]
    print(f"first paint of the welcome screen: median {statistics.median(paints):.2f} s "
          f"(runs: {', '.join(f'{p:.2f}' for p in paints)})  target < 1.0 s")
    clip = Path(opts.clip)
    if not clip.is_file():
        print(f"selfie benchmark skipped: {clip} not found")
        return
    with tempfile.TemporaryDirectory() as tmp:
        ref = reference_frame(clip, Path(tmp) / "reference.png")
        # 100x40 gives the preview pane its full 60x30 cells
        runs = [spawn("selfie", 100, 40, ["--clip", str(clip), "--reference", str(ref), "--preview", opts.preview], {})
                for _ in range(opts.runs)]
    for r in runs:
        r["fps"] = r["frames_shown"] / r["seconds"]
        r["max_stall"] = max(r["stalls_ms"]) if r["stalls_ms"] else 0.0
        r["p99_stall"] = statistics.quantiles(r["stalls_ms"], n=100)[98] if len(r["stalls_ms"]) > 100 else r["max_stall"]
    print(f"{opts.preview} preview while analysing: median {statistics.median(r['fps'] for r in runs):.1f} fps at "
          f"{runs[0]['preview_cells'][0]}x{runs[0]['preview_cells'][1]} cells "
          f"(runs: {', '.join(format(r['fps'], '.1f') for r in runs)}; {runs[0]['seconds']:.1f} s each)  target >= 12 fps")
    print(f"longest event-loop stall: median of runs {statistics.median(r['max_stall'] for r in runs):.1f} ms, "
          f"worst {max(r['max_stall'] for r in runs):.1f} ms; p99 {statistics.median(r['p99_stall'] for r in runs):.1f} ms"
          f"  target < 50 ms")
    print(f"run outcome: {', '.join(str(r['decision']) for r in runs)}")


if __name__ == "__main__":
    main()
