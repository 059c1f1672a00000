"""Sixel encoding in a child interpreter, for the live preview.

textual-image's Sixel encoder is Python code: ~25 ms a frame at 400 pixels, holding the GIL all
along, so in the app's process it would slow the event loop and the analysis thread alike.
``SixelChild`` keeps one fresh interpreter (``python -m selfverify.tui.widgets.sixel_child``, in
its own session, stderr on /dev/null) that reads frames on its stdin and writes the Sixel data on
its stdout: pipes only, nothing touches a file, nothing is logged. The caller's thread waits on
the pipe with the GIL released. If the child cannot start or dies, ``encode`` returns None and
the caller encodes in its own process.

Protocol: ``<width u32><height u32><colours u32>`` then width*height*3 RGB bytes in; ``<length
u32>`` then the ASCII Sixel string out.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import threading

_HEADER = struct.Struct("<III")
_LENGTH = struct.Struct("<I")


def _read_exact(stream, n: int) -> bytes:  # noqa: ANN001
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class SixelChild:
    """One child process encoding frames to Sixel; thread-safe, one frame at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._broken = False

    def encode(self, rgb, colours: int) -> str | None:  # noqa: ANN001
        """The Sixel string for an RGB uint8 array (height, width, 3), or None without a child."""
        with self._lock:
            if self._broken:
                return None
            try:
                process = self._ensure()
                height, width = rgb.shape[:2]
                process.stdin.write(_HEADER.pack(width, height, colours) + rgb.tobytes())
                process.stdin.flush()
                (length,) = _LENGTH.unpack(_read_exact(process.stdout, _LENGTH.size))
                return _read_exact(process.stdout, length).decode("ascii")
            except (OSError, EOFError, ValueError):
                self._stop()
                self._broken = True  # in-process encoding from now on; no restart loop
                return None

    def _ensure(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "selfverify.tui.widgets.sixel_child"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl+C is the parent's business
            )
        return self._process

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()  # the child reads EOF and leaves
            except OSError:
                pass
        try:
            process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    from PIL import Image
    from textual_image._sixel import SixelOptions, image_to_sixels

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            width, height, colours = _HEADER.unpack(_read_exact(stdin, _HEADER.size))
            raw = _read_exact(stdin, width * height * 3)
        except EOFError:
            return 0
        data = image_to_sixels(Image.frombytes("RGB", (width, height), raw), SixelOptions(colors=colours)).encode("ascii")
        stdout.write(_LENGTH.pack(len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
