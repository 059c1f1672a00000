"""Child for tests/tui/test_preview.py, run in a pseudo-terminal.

``python preview_child.py detect SETTING OUT``: resolve the preview setting against the terminal
(the parent plays the terminal and answers its queries) and write the result to OUT.
``python preview_child.py show KIND CLIP OUT``: a Textual app with one CameraView showing frame 120
of CLIP in KIND (sixel | kitty | blocks) through the real Textual driver; writes where the widget
sat to OUT, then exits. Both write nothing else anywhere."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def detect(setting: str, out: Path) -> None:
    import time

    from selfverify.tui.widgets.camera_view import detect_preview

    started = time.perf_counter()
    mode = detect_preview(setting)
    seconds = time.perf_counter() - started
    out.write_text(json.dumps({"kind": mode.kind, "cell": [mode.cell_width, mode.cell_height], "reason": mode.reason,
                               "seconds": seconds}))


def show(kind: str, clip: str, out: Path) -> None:
    import cv2
    from textual.app import App, ComposeResult

    from selfverify.tui.widgets.camera_view import CameraView, PreviewMode, PreviewRenderer

    cap = cv2.VideoCapture(clip)
    cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise SystemExit(f"cannot decode {clip}")
    mode = PreviewMode(kind, 10, 20)

    class Demo(App):
        CSS = "CameraView { width: 40; height: 14; margin: 3 7; }"

        def compose(self) -> ComposeResult:
            yield CameraView(id="cam")

        def on_mount(self) -> None:
            self.call_after_refresh(self.show)

        def show(self) -> None:
            cam = self.query_one(CameraView)
            width, height = cam.preview_size
            picture = PreviewRenderer(mode=mode).render(frame, width, height, face_box=None)
            cam.show_picture(picture)
            region = cam.content_region
            out.write_text(json.dumps({"region": [region.x, region.y, region.width, region.height],
                                       "origin": list(picture.origin), "size_px": list(picture.size_px)}))
            self.set_timer(0.5, self.exit)

    Demo().run()


if __name__ == "__main__":
    if sys.argv[1] == "detect":
        detect(sys.argv[2], Path(sys.argv[3]))
    else:
        show(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
