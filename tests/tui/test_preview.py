"""The camera preview with real pixels: Sixel and Kitty graphics written by the real Textual driver
into a pseudo-terminal (decoded back and compared with the real frame), the terminal detection
asked through a pty, and no file written while pictures are made."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import zlib
from base64 import standard_b64decode
from pathlib import Path

import numpy as np
import pytest

from selfverify.tui.widgets.camera_view import BLOCKS, SIXEL_MAX_WIDTH, CameraView, PreviewMode, PreviewRenderer, detect_preview

CHILD = Path(__file__).with_name("preview_child.py")
DCS_SIXEL = re.compile(r"\x1bP0;0;0q\"1;1;(\d+);(\d+)(.*?)\x1b\\", re.S)


def clip_frame(clip: Path, index: int = 120):
    import cv2

    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok, f"could not decode frame {index} of {clip}"
    return frame


def expected_pixels(frame, size_px, face_box=None):
    """What the picture must show: the frame at the picture's size with the guide drawn, RGB."""
    import cv2

    w, h = size_px
    small = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
    src_h, src_w = frame.shape[:2]
    PreviewRenderer._draw_guide(small, face_box, (w / src_w, h / src_h), oval=True, thickness=2)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)


def decode_sixel(width: int, height: int, body: str) -> np.ndarray:
    """A small Sixel decoder: colour registers (#n;2;r;g;b percent), #n, !count, $ and -."""
    bands = -(-height // 6)
    img = np.zeros((bands * 6, width, 3), dtype=np.int32)
    registers: dict[int, tuple[int, int, int]] = {}
    colour = (0, 0, 0)
    x = band = i = 0
    while i < len(body):
        c = body[i]
        if c == "#":
            m = re.match(r"#(\d+)(?:;(\d+);(\d+);(\d+);(\d+))?", body[i:])
            if m.group(2):
                assert m.group(2) == "2", "colours are RGB percentages"
                registers[int(m.group(1))] = tuple(round(int(v) * 255 / 100) for v in m.group(3, 4, 5))
            colour = registers[int(m.group(1))]
            i += m.end()
            continue
        count = 1
        if c == "!":
            m = re.match(r"!(\d+)(.)", body[i:], re.S)
            count, c = int(m.group(1)), m.group(2)
            i += m.end() - 1
        if c == "$":
            x = 0
        elif c == "-":
            x, band = 0, band + 1
        else:
            value = ord(c) - 63
            assert 0 <= value < 64, f"not sixel data: {c!r}"
            for bit in range(6):
                if value >> bit & 1:
                    img[band * 6 + bit, x:x + count] = colour
            x += count
        i += 1
    return img[:height]


def run_child(args: list[str], answer=None, timeout: float = 60) -> str:  # noqa: ANN001
    """Run preview_child.py in an 80x24 pty; ``answer(child, output_so_far)`` plays the terminal."""
    import pexpect

    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    child = pexpect.spawn(sys.executable, [str(CHILD), *args], env=env, dimensions=(24, 80), encoding="utf-8",
                          codec_errors="replace", timeout=timeout)
    if answer:
        answer(child)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before[-3000:]
    return child.before


def test_sixel_stream_written_to_the_terminal_is_the_real_frame(clip, tmp_path):
    out = tmp_path / "where.json"
    stream = run_child(["show", "sixel", str(clip), str(out)])
    where = json.loads(out.read_text())
    found = [m for m in re.finditer(r"\x1b\[(\d+);(\d+)H" + DCS_SIXEL.pattern, stream, re.S)]
    assert found, "no DCS ... q ... ST Sixel sequence was written"
    m = found[-1]
    rx, ry, _rw, _rh = where["region"]
    ox, oy = where["origin"]
    # drawn at the picture's top-left cell (1-based CSI row;col), inside the widget
    assert (int(m.group(1)) - 1, int(m.group(2)) - 1) == (ry + oy, rx + ox)
    width, height = int(m.group(3)), int(m.group(4))
    assert [width, height] == where["size_px"] and height % 6 == 0
    # the picture's cells are skipped (cursor forward), never painted blank under the picture
    cols = round(width / 10)
    assert f"\x1b[{cols}C" in stream
    decoded = decode_sixel(width, height, m.group(5))
    expected = expected_pixels(clip_frame(clip), (width, height))
    error = np.abs(decoded - expected).mean()
    assert error < 8, f"decoded Sixel differs from the frame by {error:.1f} levels on average"
    # the face guide (the quality check's own oval) is in the pixels: its top point is white
    from selfverify.tui.widgets.camera_view import default_guide

    (cx, cy), (_ax, ay) = default_guide().in_pixels(width, height)
    assert decoded[cy - ay, cx].min() > 200


def test_kitty_stream_carries_the_real_frame_and_placeholders(clip, tmp_path):
    out = tmp_path / "where.json"
    stream = run_child(["show", "kitty", str(clip), str(out)])
    where = json.loads(out.read_text())
    first = list(re.finditer(r"\x1b_Ga=t,i=(\d+),f=24,s=(\d+),v=(\d+),o=z,t=d,q=2,m=([01]);([A-Za-z0-9+/=]*)\x1b\\", stream))
    assert first, "no Kitty graphics transmission was written"
    m = first[-1]
    image_id, w, h = int(m.group(1)), int(m.group(2)), int(m.group(3))
    payload, more, pos = m.group(5), m.group(4), m.end()
    while more == "1":  # follow-up chunks
        chunk = re.compile(r"\x1b_Gm=([01]),q=2;([A-Za-z0-9+/=]*)\x1b\\").match(stream, pos)
        assert chunk, "a chunked transmission must continue right away"
        more, payload, pos = chunk.group(1), payload + chunk.group(2), chunk.end()
    pixels = np.frombuffer(zlib.decompress(standard_b64decode(payload)), dtype=np.uint8).reshape(h, w, 3)
    assert [w, h] == where["size_px"]
    assert np.abs(pixels.astype(int) - expected_pixels(clip_frame(clip), (w, h))).mean() < 1
    assert "t=t" not in stream and "t=f" not in stream and "t=s" not in stream  # no file, no shared memory
    placement = re.search(rf"\x1b_Ga=p,U=1,i={image_id},c=(\d+),r=(\d+),q=2\x1b\\", stream)
    assert placement, "no virtual placement for the placeholders"
    cols, rows = int(placement.group(1)), int(placement.group(2))
    r, g, b = image_id >> 16 & 255, image_id >> 8 & 255, image_id & 255
    assert f"38;2;{r};{g};{b}" in stream  # the placeholder cells carry the image id as colour
    assert stream.count("\U0010eeee") >= cols * rows


def play_terminal(da1: str | None, kitty: bool = False, cell: tuple[int, int] = (10, 20), version: str = ""):
    """Answers like a terminal: device attributes, an optional Kitty graphics reply, the cell size,
    XTVERSION (replies as recorded from xterm 379 and kitty 0.26.5 under Xvfb)."""
    import pexpect

    def answer(child) -> None:  # noqa: ANN001
        child.delaybeforesend = None  # answer at once, as a terminal does
        while True:
            idx = child.expect([re.escape("\x1b[c"), r"\x1b_Gi=(\d+),[^;]*;AAAA\x1b\\", re.escape("\x1b[16t"),
                                re.escape("\x1b[>q"), pexpect.EOF])
            if idx == 0 and da1:
                child.send(da1)
            elif idx == 1 and kitty:
                child.send(f"\x1b_Gi={child.match.group(1)};OK\x1b\\")
            elif idx == 2:
                child.send(f"\x1b[6;{cell[1]};{cell[0]}t")
            elif idx == 3 and version:
                child.send(f"\x1bP>|{version}\x1b\\")
            elif idx == 4:
                return

    return answer


@pytest.mark.parametrize(
    ("da1", "kitty", "version", "kind"),
    [
        ("\x1b[?63;1;2;4;6;9;15;16;22;28c", False, "XTerm(379)", "sixel"),
        ("\x1b[?62;c", True, "kitty(0.35.2)", "kitty"),
        ("\x1b[?62;c", True, "kitty(0.26.5)", "blocks"),  # answers the query, but has no placeholders
        ("\x1b[?62;22c", False, "", "blocks"),
    ],
    ids=["sixel-terminal", "kitty-terminal", "old-kitty", "text-only-terminal"],
)
def test_auto_detection_asks_the_terminal(tmp_path, da1, kitty, version, kind):
    import pexpect

    out = tmp_path / "mode.json"
    child = pexpect.spawn(sys.executable, [str(CHILD), "detect", "auto", str(out)], dimensions=(24, 80),
                          encoding="utf-8", timeout=30, env={**os.environ, "TERM": "xterm-256color"})
    play_terminal(da1, kitty, cell=(9, 18), version=version)(child)
    child.close()
    mode = json.loads(out.read_text())
    assert mode["kind"] == kind, mode
    if kind != "blocks":
        assert mode["cell"] == [9, 18]
    assert mode["seconds"] < 0.2, "a terminal that answers costs one round trip, never a timeout"


def test_blocks_setting_asks_the_terminal_nothing(tmp_path):
    out = tmp_path / "mode.json"
    stream = run_child(["detect", "blocks", str(out)])
    assert json.loads(out.read_text())["kind"] == "blocks"
    assert "\x1b[c" not in stream and "\x1b_G" not in stream


def test_not_a_terminal_means_blocks():
    import io

    assert detect_preview("sixel", stdout=io.StringIO()).kind == "blocks"


# --- nothing of the picture is written anywhere ----------------------------------------------
_WRITES: list[tuple] | None = None


def _audit(event: str, args: tuple) -> None:
    if _WRITES is None:
        return
    if event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        # an int is an already-open descriptor (a pipe to the Sixel child): its opening was audited
        if writing and not isinstance(path, int) and path != os.devnull:
            _WRITES.append((event, path))
    elif event in ("os.mkdir", "os.rename", "os.symlink", "os.link", "tempfile.mkstemp", "tempfile.mkdtemp", "shutil.copyfile"):
        _WRITES.append((event, args))


sys.addaudithook(_audit)


def _listing(dirs: list[Path]) -> set[str]:
    """Files under ``dirs`` (PostgreSQL servers of parallel test runs keep theirs in /dev/shm)."""
    seen = set()
    for d in dirs:
        if d.is_dir():
            for root, _dirs, files in os.walk(d):
                seen.update(os.path.join(root, f) for f in files if not f.startswith("PostgreSQL."))
    return seen


async def test_no_file_is_written_while_pictures_are_made_and_shown(clip, tmp_path, monkeypatch):
    global _WRITES
    from textual.app import App

    frame = clip_frame(clip)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    watched = [private_tmp, Path("/dev/shm"), Path.cwd(), tmp_path]

    def refuse(*_a, **_k):
        raise AssertionError("a temporary file was asked for while making a preview")

    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, refuse)

    class Demo(App):
        def compose(self):
            yield CameraView(id="cam")

    before = _listing(watched)
    _WRITES = []
    try:
        pictures = []
        for kind, live in (("blocks", True), ("sixel", False), ("sixel", True), ("kitty", True)):
            renderer = PreviewRenderer(mode=PreviewMode(kind, 10, 20) if kind != "blocks" else BLOCKS, live=live)
            for _ in range(3):
                pictures.append(renderer.render(frame, 60, 30, face_box=(60, 380, 230, 260)))
            renderer.close()
        app = Demo()
        async with app.run_test(size=(80, 34)) as pilot:
            cam = app.query_one(CameraView)
            for picture in pictures:
                cam.show_picture(picture)
                await pilot.pause()
                for y in range(30):
                    cam.render_line(y)
            cam.clear("Camera off.")
            await pilot.pause()
        writes = list(_WRITES)
    finally:
        _WRITES = None
    assert writes == [], f"files were opened for writing while previewing: {writes[:5]}"
    assert _listing(watched) - before == set()
    assert {p.kind for p in pictures} == {"blocks", "sixel", "kitty"}


async def test_selfie_screen_uses_the_terminal_graphics(make_app, app_ctx, clip, clip_reference):
    """The selfie screen's preview worker encodes with the mode the app detected."""
    import asyncio

    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.selfie import SelfieScreen

    ConsentService(app_ctx).accept()
    app_ctx.settings = app_ctx.settings.replace(liveness=False)
    app = make_app(app_ctx, reference=str(clip_reference), camera=str(clip), startup=False)
    app.preview = PreviewMode("sixel", 8, 16)
    async with app.run_test(size=(120, 40)) as pilot:
        await asyncio.to_thread(app.face_encoder.start, wait=True)
        screen = SelfieScreen()
        app.push_screen(screen)
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.camera.frames_shown >= 2:
                break
        picture = screen.camera._picture
        assert picture is not None and picture.kind == "sixel" and DCS_SIXEL.fullmatch(picture.graphics)
        w, h = picture.size_px
        assert w <= SIXEL_MAX_WIDTH and w % 8 == 0
        await pilot.press("escape")


def test_preview_setting_from_env_flag_and_its_bounds():
    from selfverify.config import load_settings
    from selfverify.errors import ConfigError

    assert load_settings({}, environ={}).preview == "auto"
    assert load_settings({}, environ={"SELFVERIFY_PREVIEW": "sixel"}).preview == "sixel"
    assert load_settings({"preview": "blocks"}, environ={"SELFVERIFY_PREVIEW": "kitty"}).preview == "blocks"
    with pytest.raises(ConfigError, match="preview must be auto, blocks, sixel or kitty"):
        load_settings({}, environ={"SELFVERIFY_PREVIEW": "png"})


async def test_graphics_are_not_drawn_over_a_dialog(clip):
    """Sixel pixels are drawn over whatever is on screen: with a dialog on top, none are sent."""
    from textual.app import App
    from textual.screen import ModalScreen
    from textual.widgets import Static

    class Dialog(ModalScreen):
        def compose(self):
            yield Static("Are you sure?")

    class Demo(App):
        def compose(self):
            yield CameraView(id="cam")

    picture = PreviewRenderer(mode=PreviewMode("sixel", 10, 20)).render(clip_frame(clip), 60, 30)
    app = Demo()
    async with app.run_test(size=(80, 34)) as pilot:
        cam = app.query_one(CameraView)
        cam.show_picture(picture)
        await pilot.pause()
        assert "\x1bP" in "".join(seg.text for seg in cam.render_line(picture.graphics_row))
        await app.push_screen(Dialog())
        await pilot.pause()
        assert all("\x1bP" not in "".join(seg.text for seg in cam.render_line(y)) for y in range(30))
        app.pop_screen()
        await pilot.pause()
        assert "\x1bP" in "".join(seg.text for seg in cam.render_line(picture.graphics_row))


def test_live_sixel_frames_are_encoded_in_a_child_process_identically(clip):
    """The live preview's Sixel encoding runs in a child (the encoder holds the GIL ~25 ms a
    frame); its output is the in-process encoder's, byte for byte, and the child ends on close."""
    import time

    frame = clip_frame(clip)
    live = PreviewRenderer(mode=PreviewMode("sixel", 10, 20), live=True)
    here = PreviewRenderer(mode=PreviewMode("sixel", 10, 20))
    try:
        started = time.process_time()
        pictures = [live.render(frame, 60, 30, face_box=(60, 380, 230, 260)) for _ in range(3)]
        cpu_live = time.process_time() - started
        started = time.process_time()
        expected = here.render(frame, 60, 30, face_box=(60, 380, 230, 260))
        cpu_here = time.process_time() - started
        child = live._child._process
        assert child is not None and child.poll() is None, "no child process encodes the live frames"
        assert all(p.graphics == expected.graphics for p in pictures)
        assert cpu_live / 3 < cpu_here, (cpu_live / 3, cpu_here)  # the encoding's CPU is spent elsewhere
    finally:
        live.close()
    assert child.wait(timeout=5) == 0


def test_preview_flag_on_the_command_line():
    from tests.helpers import run_cli

    shown = run_cli("--preview", "sixel", "config", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["settings"]["preview"] == "sixel"
    bad = run_cli("--preview", "png", "config")
    assert bad.returncode == 2 and "'png' is not one of" in bad.stderr
