"""Helpers for the accessible-mode tests: typed input through a real pipe, output captured as text,
and the checks every transcript must pass (no escape sequences, no box drawing)."""

from __future__ import annotations

import io
import os
import re
import sys

from selfverify.plain.terminal import Dialogue, LineReader, LineWriter

BOX_DRAWING = re.compile("[\u2500-\u257f\u2580-\u259f]")


def piped_dialogue(lines: list[str], colour: bool = False) -> tuple[Dialogue, io.StringIO]:
    """A Dialogue whose input is ``lines`` written to a real pipe (then closed: end of input)."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, "".join(line + "\n" for line in lines).encode("utf-8"))
    os.close(write_fd)
    output = io.StringIO()
    return Dialogue(LineReader(read_fd), LineWriter(output, colour=colour), echo=True), output


def assert_plain_transcript(text: str) -> None:
    assert "\x1b" not in text, "an escape sequence in the accessible mode's output"
    assert not BOX_DRAWING.search(text), "box drawing in the accessible mode's output"
    assert "\r" not in text.replace("\r\n", "\n"), "a carriage return (cursor movement) in the output"
    assert "Traceback" not in text


def labelled_lines(text: str) -> list[str]:
    """Lines that report a state change, without the prompts that may share a line with them."""
    found = []
    for line in text.replace("\r\n", "\n").split("\n"):
        match = re.search(r"(Status|Camera|Result|Problem|Step \d+ of \d+): .*", line)
        if match:
            found.append(match.group(0).strip())
    return found


def spawn_plain(env: dict[str, str], *args: str, timeout: float = 60):
    """``python -m selfverify ARGS`` on a real pseudo-terminal; the returned log holds all it printed."""
    import pexpect

    # the mode must be plain by itself, not because the developer's NO_COLOR hides colour
    inherited = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env = {**inherited, "TERM": "xterm-256color", **env}
    child = pexpect.spawn(sys.executable, ["-m", "selfverify", *args], env=full_env, encoding="utf-8",
                          timeout=timeout, dimensions=(50, 200))
    log = io.StringIO()
    child.logfile_read = log
    return child, log


def finish(child, timeout: float = 60) -> int:  # noqa: ANN001
    """Wait for the child to end; its exit status (or 128 + signal)."""
    import pexpect

    child.expect(pexpect.EOF, timeout=timeout)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def converse(child, steps: list[tuple[str, str | None]], timeout: float = -1) -> None:  # noqa: ANN001
    """For each (text, reply): wait until ``text`` is printed, then type ``reply`` and Enter (None: type nothing)."""
    for text, reply in steps:
        child.expect_exact(text, timeout=timeout)
        if reply is not None:
            child.sendline(reply)
