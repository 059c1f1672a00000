"""Live camera preview drawn with half-block cells.

Each cell is ``▀`` with the upper pixel as foreground and the lower as background, so a
60x30 cell preview shows 60x60 pixels. Colours are quantised and their ``Style`` objects cached
(measured: ~6 fps uncached truecolor at 80x40, ~15 fps cached). Frames are turned into strips
off the event loop (``PreviewRenderer.render`` runs in the camera worker); the widget only keeps
the newest strips, so stale frames are dropped, never queued.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

HALF_BLOCK = "▀"


class PreviewRenderer:
    """Frame (numpy BGR) -> list of Strips. Not thread-safe: one renderer per worker."""

    def __init__(self, levels: int = 32, colour: bool = True):
        self.shift = max(0, 8 - (levels - 1).bit_length())
        self.colour = colour
        self._styles: dict[tuple[int, int], Style] = {}

    def _style(self, top: int, bottom: int) -> Style:
        key = (top, bottom)
        style = self._styles.get(key)
        if style is None:
            if self.colour:
                style = Style(color=f"#{top:06x}", bgcolor=f"#{bottom:06x}")
            else:
                style = Style()
            self._styles[key] = style
        return style

    def render(self, frame, width: int, height: int, face_box=None, guide: bool = True) -> list[Strip]:  # noqa: ANN001
        import cv2
        import numpy as np

        width, height = max(1, width), max(1, height)
        src_h, src_w = frame.shape[:2]
        # keep the aspect ratio: a cell is ~1:2, two pixels per cell vertically
        scale = min(width / src_w, (2 * height) / src_h)
        out_w, out_h = max(1, int(src_w * scale)), max(2, int(src_h * scale) // 2 * 2)
        small = cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_AREA)
        if guide:
            self._draw_guide(small, face_box, scale)
        rgb = small[:, :, ::-1].astype(np.uint32)
        if self.shift:
            rgb = (rgb >> self.shift) << self.shift
        packed = (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]
        pad_left = (width - out_w) // 2
        strips = []
        blank = Strip([Segment(" " * width)], width)
        pad_top = (height - out_h // 2) // 2
        strips.extend([blank] * pad_top)
        if not self.colour:
            return strips + self._render_mono(small, width, pad_left) + [blank] * (height - pad_top - out_h // 2)
        for y in range(0, out_h, 2):
            top_row = packed[y].tolist()
            bottom_row = packed[y + 1].tolist()
            segments = [Segment(" " * pad_left)] if pad_left else []
            run_style, run_len = None, 0
            for top, bottom in zip(top_row, bottom_row):
                style = self._style(top, bottom)
                if style is run_style:
                    run_len += 1
                    continue
                if run_len:
                    segments.append(Segment(HALF_BLOCK * run_len, run_style))
                run_style, run_len = style, 1
            if run_len:
                segments.append(Segment(HALF_BLOCK * run_len, run_style))
            right = width - pad_left - out_w
            if right > 0:
                segments.append(Segment(" " * right))
            strips.append(Strip(segments, width))
        strips.extend([blank] * (height - len(strips)))
        return strips[:height]

    def _render_mono(self, small, width: int, pad_left: int) -> list[Strip]:  # noqa: ANN001
        """NO_COLOR: a brightness ramp of plain characters, no colour codes."""
        import cv2

        ramp = " .:-=+*#%@"
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        strips = []
        for y in range(0, gray.shape[0], 2):
            row = gray[y].tolist()
            line = "".join(ramp[v * (len(ramp) - 1) // 255] for v in row)
            text = (" " * pad_left + line).ljust(width)[:width]
            strips.append(Strip([Segment(text)], width))
        return strips

    @staticmethod
    def _draw_guide(small, face_box, scale: float) -> None:  # noqa: ANN001
        """An oval where the face should be, and the detected face's box."""
        import cv2

        h, w = small.shape[:2]
        cv2.ellipse(small, (w // 2, h // 2), (max(2, w // 5), max(2, int(h * 0.36))), 0, 0, 360, (255, 255, 255), 1)
        if face_box is not None:
            top, right, bottom, left = (int(v * scale) for v in face_box)
            cv2.rectangle(small, (left, top), (right, bottom), (0, 215, 255), 1)


class CameraView(Widget, can_focus=False):
    """Shows the newest strips handed to it; knows nothing about cameras."""

    DEFAULT_CSS = """
    CameraView { width: 60; height: 30; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._strips: list[Strip] = []
        self.frames_shown = 0
        self.placeholder = "Camera preview starts when the check begins."
        # read by the preview worker thread (a tuple swap is atomic; no DOM access from threads)
        self.preview_size: tuple[int, int] = (60, 30)

    def show_strips(self, strips: list[Strip]) -> None:
        self._strips = strips
        self.frames_shown += 1
        self.refresh()

    def clear(self, message: str) -> None:
        self.placeholder = message
        self._strips = []
        self.refresh()

    def on_resize(self) -> None:
        size = self.content_size
        if size.width > 0 and size.height > 0:
            self.preview_size = (size.width, size.height)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if y < len(self._strips):
            return self._strips[y].crop_extend(0, width, None)
        if not self._strips and y == self.content_size.height // 2:
            text = self.placeholder[:width].center(width)
            return Strip([Segment(text, self.rich_style)], width)
        return Strip.blank(width, self.rich_style)
