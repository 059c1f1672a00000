"""Live camera preview (and still thumbnails): real pixels where the terminal can show them.

Three ways to draw a picture, chosen by ``--preview`` / ``SELFVERIFY_PREVIEW`` (``auto`` asks the
terminal before the app starts, in one round trip: ``detect_preview``):

- ``sixel`` (xterm, foot, WezTerm, Windows Terminal, iTerm2): the frame is encoded to a DCS Sixel
  string by textual-image's encoder and drawn over the widget's cells, which are skipped (cursor
  forward) so no blank cell is painted under the picture first (no flicker);
- ``kitty`` (Kitty graphics protocol): the frame is sent as raw RGB (zlib) with a fixed image id,
  and shown through Unicode placeholder cells (U+10EEEE + row/column diacritics) that Textual lays
  out like any text. Direct transmission only (``t=d``): never the protocol's temporary-file or
  shared-memory modes, so no part of the picture touches a file;
- ``blocks`` (everywhere): half-block cells, ``▀`` with the upper pixel as foreground and the lower
  as background, so 60x30 cells show 60x60 pixels. Colours are quantised and their ``Style``
  objects cached (measured: ~6 fps uncached truecolor at 80x40, ~15 fps cached).

The face guide (oval: ``core.quality.FaceGuide``, the very region the quality check accepts) and
the tracked face box are drawn into the pixels before encoding, so they stay on top in every mode. Frames are encoded off the event loop (``PreviewRenderer.render`` runs
in the camera worker); the widget only keeps the newest picture, so stale frames are dropped,
never queued. Nothing is written to disk at any point (tests/unit/test_preview.py checks it).
"""

from __future__ import annotations

import os
import re
import sys
import zlib
from base64 import standard_b64encode
from dataclasses import dataclass, field
from random import randint

from rich.segment import ControlType, Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from selfverify.core.quality import FaceGuide
from selfverify.i18n import N_, _

HALF_BLOCK = "▀"
PREVIEW_MODES = ("auto", "blocks", "sixel", "kitty")
SIXEL_MAX_WIDTH = 400  # pixels: wider costs frame rate (the encoder is Python: ~25 ms a frame at 400 px, 64 colours)
SIXEL_COLOURS = 64
_NO_OP = ((ControlType.CURSOR_FORWARD, 0),)  # marks raw escape data as a control segment
_NULL = Style()
_KITTY_PLACEHOLDER = chr(0x10EEEE)


def default_guide() -> FaceGuide:
    """The face guide of the default settings (a picture drawn without a run's settings)."""
    from selfverify.config import Settings

    return FaceGuide.for_tolerance(Settings.__dataclass_fields__["centre_tolerance"].default)


@dataclass(frozen=True)
class PreviewMode:
    """How pictures are drawn, and the terminal's cell size in pixels (for sixel/kitty)."""

    kind: str = "blocks"  # blocks | sixel | kitty
    cell_width: int = 10
    cell_height: int = 20
    reason: str = "default"


BLOCKS = PreviewMode()


def detect_preview(setting: str = "auto", stdout=None) -> PreviewMode:  # noqa: ANN001
    """Resolve the ``preview`` setting. Must run before Textual starts: the terminal is asked
    (Kitty graphics query, cell size in pixels, device attributes: Sixel is attribute 4), and
    Textual's input thread would swallow the answers."""
    stdout = stdout or sys.__stdout__
    if setting == "blocks":
        return PreviewMode(reason="asked for blocks")  # i18n: ignore (a diagnostic, never shown)
    if not (stdout and stdout.isatty() and sys.__stdin__ and sys.__stdin__.isatty()):
        return PreviewMode(reason="not a terminal")  # i18n: ignore (a diagnostic, never shown)
    if os.environ.get("TERM", "") in ("dumb", "linux"):
        return PreviewMode(reason=f"TERM={os.environ.get('TERM')}")
    try:
        sixel, kitty, cell = _ask_terminal(stdout)
    except Exception as exc:  # no termios (Windows), or a terminal that answers garbage
        if setting in ("sixel", "kitty"):
            return PreviewMode(kind=setting, reason=f"asked for; terminal not queried ({type(exc).__name__})")  # i18n: ignore (diagnostic)
        return PreviewMode(reason=f"terminal query failed ({type(exc).__name__})")  # i18n: ignore (a diagnostic)
    kind = setting if setting != "auto" else "sixel" if sixel else "kitty" if kitty else "blocks"
    if kind == "blocks":
        return PreviewMode(reason="the terminal shows no images (no Sixel, no Kitty graphics)")  # i18n: ignore (diagnostic)
    width, height = cell or (10, 20)  # a VT340's cell when the terminal does not say
    return PreviewMode(kind=kind, cell_width=width, cell_height=height, reason="asked for" if setting != "auto" else "detected")  # i18n: ignore (diagnostic)


_DA1 = re.compile(r"\x1b\[\?([0-9;]*)c")
_KITTY_OK = re.compile(r"\x1b_Gi=31;OK\x1b\\")
_CELL_SIZE = re.compile(r"\x1b\[6;(\d+);(\d+)t")
_KITTY_VERSION = re.compile(r"\x1bP>\|kitty\((\d+)\.(\d+)")


def _ask_terminal(stdout, timeout: float = 0.25) -> tuple[bool, bool, tuple[int, int] | None]:  # noqa: ANN001
    """One round trip: a Kitty graphics query, the cell size (CSI 16 t), then device attributes
    (DA1), which every terminal answers last; so a terminal without graphics costs no timeout.
    Sixel order as in textual-image: Sixel first (Kitty's placeholders fail in Konsole/WezTerm)."""
    import select
    import termios
    import time
    import tty

    cell = None
    try:  # the kernel may know the window's pixel size (TIOCGWINSZ)
        import fcntl
        import struct

        rows, cols, px_w, px_h = struct.unpack("HHHH", fcntl.ioctl(stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8))
        if rows and cols and px_w and px_h:
            cell = (px_w // cols, px_h // rows)
    except OSError:
        pass
    fd = sys.__stdin__.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)
    answer = ""
    try:
        stdout.write("\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" + ("" if cell else "\x1b[16t") + "\x1b[>q\x1b[c")
        stdout.flush()
        deadline = time.monotonic() + timeout
        while not _DA1.search(answer):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            answer += os.read(fd, 1024).decode("ascii", "replace")
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
    da1 = _DA1.search(answer)
    sixel = bool(da1 and "4" in da1.group(1).split(";"))
    size = _CELL_SIZE.search(answer)
    if cell is None and size and int(size.group(1)) and int(size.group(2)):
        cell = (int(size.group(2)), int(size.group(1)))
    kitty = bool(_KITTY_OK.search(answer))
    version = _KITTY_VERSION.search(answer)  # XTVERSION: kitty shows placeholders from 0.28 on
    if kitty and version and tuple(int(v) for v in version.groups()) < (0, 28):
        kitty = False
    return sixel, kitty, cell


@dataclass
class Picture:
    """One encoded frame: the widget's lines, plus raw graphics data drawn with them.

    ``graphics`` is written after the cells of line ``graphics_row`` (sixel: with a cursor move to
    ``origin``, the picture's top-left cell inside the widget) or before them (kitty)."""

    strips: list[Strip]
    graphics: str = ""
    graphics_row: int = 0
    origin: tuple[int, int] = (0, 0)
    kind: str = "blocks"
    size_px: tuple[int, int] = (0, 0)
    extra: dict = field(default_factory=dict)


class PreviewRenderer:
    """Frame (numpy BGR) -> Picture. Not thread-safe: one renderer per worker."""

    def __init__(self, levels: int = 32, colour: bool = True, mode: PreviewMode = BLOCKS, live: bool = False,
                 guide: FaceGuide | None = None):
        self.guide = guide  # None: the guide of the default settings
        self.shift = max(0, 8 - (levels - 1).bit_length())
        self.colour = colour
        self.mode = mode
        self._child = None
        if live and mode.kind == "sixel":  # a stream of frames: encode them outside this process's GIL
            from selfverify.tui.widgets.sixel_child import SixelChild

            self._child = SixelChild()
        self._styles: dict[tuple[int, int], Style] = {}
        self.kitty_id = randint(1, 2**24 - 1)  # 24 bits: carried by the placeholder cells' colour
        self._placeholders: dict[tuple[int, int, int, int, int], list[Strip]] = {}

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

    def render(self, frame, width: int, height: int, face_box=None, guide: bool = True, box: bool = True) -> Picture:  # noqa: ANN001
        width, height = max(1, width), max(1, height)
        if self.mode.kind in ("sixel", "kitty"):
            return self._render_graphics(frame, width, height, face_box, guide, box)
        return Picture(self._render_blocks(frame, width, height, face_box, guide, box))

    # --- real pixels ----------------------------------------------------------------------
    def _fit_cells(self, src_w: int, src_h: int, width: int, height: int) -> tuple[int, int, int, int]:
        """Cells and pixels of the largest picture with the frame's aspect ratio that fits."""
        cw, ch = self.mode.cell_width, self.mode.cell_height
        scale = min(width * cw / src_w, height * ch / src_h)
        if self.mode.kind == "sixel":
            scale = min(scale, SIXEL_MAX_WIDTH / src_w)
        cols = max(1, min(width, round(src_w * scale / cw)))
        rows = max(1, min(height, round(src_h * scale / ch)))
        px_w, px_h = cols * cw, rows * ch
        if self.mode.kind == "sixel":
            px_h -= px_h % 6  # whole sixel bands: nothing spills into the row below
        return cols, rows, px_w, max(6, px_h)

    def _render_graphics(self, frame, width, height, face_box, guide, box) -> Picture:  # noqa: ANN001
        import cv2

        src_h, src_w = frame.shape[:2]
        cols, rows, px_w, px_h = self._fit_cells(src_w, src_h, width, height)
        small = cv2.resize(frame, (px_w, px_h), interpolation=cv2.INTER_AREA)
        self._draw_guide(small, face_box if box else None, (px_w / src_w, px_h / src_h), oval=guide, thickness=2, guide=self.guide)
        left, top = (width - cols) // 2, (height - rows) // 2
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        if self.mode.kind == "sixel":
            return self._sixel(rgb, width, height, cols, rows, left, top)
        return self._kitty(rgb, width, height, cols, rows, left, top)

    def _sixel(self, rgb, width, height, cols, rows, left, top) -> Picture:  # noqa: ANN001
        from PIL import Image
        from textual_image._sixel import SixelOptions, image_to_sixels

        data = self._child.encode(rgb, SIXEL_COLOURS) if self._child is not None else None
        if data is None:
            data = image_to_sixels(Image.fromarray(rgb), SixelOptions(colors=SIXEL_COLOURS))
        blank = Strip([Segment(" " * width)], width)
        # the picture's cells are skipped, not painted: painting them blank first would flicker
        skip = [Segment(" " * left)] if left else []
        skip.append(Segment(f"\x1b[{cols}C", _NULL, _NO_OP))
        if width - left - cols > 0:
            skip.append(Segment(" " * (width - left - cols)))
        image_row = Strip(skip, width)
        strips = [blank] * top + [image_row] * rows + [blank] * (height - top - rows)
        h, w = rgb.shape[:2]
        return Picture(strips, data, graphics_row=top + rows - 1, origin=(left, top), kind="sixel", size_px=(w, h))

    def _kitty(self, rgb, width, height, cols, rows, left, top) -> Picture:  # noqa: ANN001
        h, w = rgb.shape[:2]
        payload = standard_b64encode(zlib.compress(rgb.tobytes(), 1)).decode("ascii")
        image_id = self.kitty_id
        chunks = [payload[i:i + 4096] for i in range(0, len(payload), 4096)] or [""]
        parts = []
        for n, chunk in enumerate(chunks):
            more = 1 if n < len(chunks) - 1 else 0
            keys = f"a=t,i={image_id},f=24,s={w},v={h},o=z,t=d,q=2,m={more}" if n == 0 else f"m={more},q=2"
            parts.append(f"\x1b_G{keys};{chunk}\x1b\\")
        # a new image under the same id replaces the old one and its placements: place it again
        parts.append(f"\x1b_Ga=p,U=1,i={image_id},c={cols},r={rows},q=2\x1b\\")
        key = (width, height, cols, rows, left)
        strips = self._placeholders.get(key)
        if strips is None:
            strips = self._placeholders[key] = self._kitty_cells(width, height, cols, rows, left, top)
        return Picture(strips, "".join(parts), graphics_row=top, origin=(left, top), kind="kitty", size_px=(w, h),
                       extra={"delete": self.kitty_delete()})

    def _kitty_cells(self, width, height, cols, rows, left, top) -> list[Strip]:  # noqa: ANN001
        from textual_image.renderable.tgp import _NUMBER_TO_DIACRITIC as DIACRITIC

        image_id = self.kitty_id
        style = Style(color=f"#{image_id:06x}")  # the id, in the foreground colour (24-bit)
        blank = Strip([Segment(" " * width)], width)
        strips = [blank] * top
        for r in range(rows):
            cells = "".join(f"{_KITTY_PLACEHOLDER}{DIACRITIC[r]}{DIACRITIC[c]}" for c in range(cols))
            segments = [Segment(" " * left)] if left else []
            segments.append(Segment(cells, style))
            if width - left - cols > 0:
                segments.append(Segment(" " * (width - left - cols)))
            strips.append(Strip(segments, width))
        return strips + [blank] * (height - top - rows)

    def close(self) -> None:
        """Ends the Sixel child process, if any (the renderer can still encode in-process)."""
        if self._child is not None:
            self._child.close()

    def kitty_delete(self) -> str:
        """Frees the terminal's copy of the last frame (sent when the preview is cleared)."""
        return f"\x1b_Ga=d,d=I,i={self.kitty_id},q=2\x1b\\"

    # --- half blocks --------------------------------------------------------------------
    def _render_blocks(self, frame, width: int, height: int, face_box, guide: bool, box: bool) -> list[Strip]:  # noqa: ANN001
        import cv2
        import numpy as np

        src_h, src_w = frame.shape[:2]
        # keep the aspect ratio: a cell is ~1:2, two pixels per cell vertically
        scale = min(width / src_w, (2 * height) / src_h)
        out_w, out_h = max(1, int(src_w * scale)), max(2, int(src_h * scale) // 2 * 2)
        small = cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_AREA)
        self._draw_guide(small, face_box if box else None, (scale, scale), oval=guide, guide=self.guide)
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
    def _draw_guide(small, face_box, scale: tuple[float, float], oval: bool = True, thickness: int = 1,  # noqa: ANN001
                    guide: FaceGuide | None = None) -> None:
        """The oval where the face should be (the quality check's own), and the detected face's box."""
        import cv2

        h, w = small.shape[:2]
        if oval:
            centre, axes = (guide or default_guide()).in_pixels(w, h)
            cv2.ellipse(small, centre, axes, 0, 0, 360, (255, 255, 255), thickness)
        if face_box is not None:
            top, right, bottom, left = face_box
            sx, sy = scale
            cv2.rectangle(small, (int(left * sx), int(top * sy)), (int(right * sx), int(bottom * sy)), (0, 215, 255), thickness)


class CameraView(Widget, can_focus=False):
    """Shows the newest picture handed to it; knows nothing about cameras."""

    DEFAULT_CSS = """  # i18n: ignore (CSS)
    CameraView { width: 60; height: 30; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None,
                 placeholder: str = N_("Camera preview starts when the check begins.")):
        """``placeholder`` (and ``clear``'s message): marked English, translated each time it is drawn."""
        super().__init__(name=name, id=id, classes=classes)
        self._picture: Picture | None = None
        self._pending = ""  # escape data to send once (kitty: free the last frame)
        self.frames_shown = 0
        self.placeholder = placeholder
        # read by the preview worker thread (a tuple swap is atomic; no DOM access from threads)
        self.preview_size: tuple[int, int] = (60, 30)

    def show_picture(self, picture: Picture) -> None:
        self._picture = picture
        self.frames_shown += 1
        self.refresh()

    def show_strips(self, strips: list[Strip]) -> None:
        self.show_picture(Picture(strips))

    def clear(self, message: str) -> None:
        if self._picture is not None and self._picture.kind == "kitty":
            self._pending = self._picture.extra.get("delete", "")
        self.placeholder = message
        self._picture = None
        self.refresh()

    def on_resize(self) -> None:
        size = self.content_size
        if size.width > 0 and size.height > 0:
            self.preview_size = (size.width, size.height)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        picture = self._picture
        if picture is not None and picture.graphics and not self._on_active_screen():
            return Strip.blank(width, self.rich_style)  # a dialog is on top: never draw over it
        if picture is not None and y < len(picture.strips):
            strip = picture.strips[y]
            if strip.cell_length != width:
                strip = strip.crop_extend(0, width, None)
            if picture.graphics and y == picture.graphics_row:
                strip = self._with_graphics(strip, picture, width)
            return strip
        if picture is None:
            lines = self._placeholder_lines(width)
            row = y - (self.content_size.height // 2 - len(lines) // 2)  # one line: the middle row, as ever
            if 0 <= row < len(lines):
                return self._with_pending(Strip([Segment(lines[row].center(width), self.rich_style)], width), y)
        return self._with_pending(Strip.blank(width, self.rich_style), y)

    def _placeholder_lines(self, width: int) -> list[str]:
        """The placeholder wrapped at word boundaries (a long word is never cut off: it is broken)."""
        import textwrap

        return textwrap.wrap(_(self.placeholder), max(1, width)) if self.placeholder else []

    def _on_active_screen(self) -> bool:
        try:
            return self.screen.is_active
        except Exception:  # not mounted on a screen
            return False

    def _with_pending(self, strip: Strip, y: int) -> Strip:
        if self._pending and y == 0:
            data, self._pending = self._pending, ""
            return Strip([Segment(data, _NULL, _NO_OP), *strip], strip.cell_length)
        return strip

    def _with_graphics(self, strip: Strip, picture: Picture, width: int) -> Strip:
        if picture.kind == "kitty":  # placement data first; the placeholder cells show it
            return Strip([Segment(picture.graphics, _NULL, _NO_OP), *strip], width)
        # sixel: drawn at the cursor, so go to the picture's top-left cell, draw, come back
        region = self.content_region
        x, y = region.x + picture.origin[0], region.y + picture.origin[1]
        row_end = (region.x + width, region.y + picture.graphics_row)
        segments = [
            *strip,
            Segment(f"\x1b[{y + 1};{x + 1}H", _NULL, _NO_OP),
            Segment(picture.graphics, _NULL, _NO_OP),
            Segment(f"\x1b[{row_end[1] + 1};{row_end[0] + 1}H", _NULL, _NO_OP),
        ]
        return Strip(segments, width)
