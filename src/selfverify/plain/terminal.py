"""Line-by-line input and output for the accessible mode.

Output is whole lines, flushed, each state change one labelled line ("Status: ...", "Result: ...");
no cursor movement, no box drawing and no escape sequences (colour only when asked for and
NO_COLOR is unset). Input is read by one background thread straight from the file descriptor, so
a question and a running selfie check can both listen for typed lines, and a thread blocked on
the keyboard never holds a lock that stops Python from exiting.
"""

from __future__ import annotations

import codecs
import os
import queue
import re
import threading
from typing import Callable, Mapping, Sequence, TextIO

from selfverify.textcheck import printable

HELP_WORDS = frozenset({"help", "?"})
BACK_WORDS = frozenset({"back"})
QUIT_WORDS = frozenset({"quit", "exit"})

GLOBAL_HELP = (
    "At any question you can type help (what you can do here), back (the previous step) "
    "or quit (leave selfverify). Ctrl+D also leaves; Ctrl+C stops at once."
)

_SGR = {"Problem": "1;31", "Result": "1;32", "Step": "1;36", "Status": "1", "Camera": "1"}


class GoBack(Exception):
    """The user typed back."""


class QuitRequested(Exception):
    """The user typed quit."""


class InputClosed(Exception):
    """Standard input ended (Ctrl+D or a closed pipe)."""


_END = object()


class LineReader:
    """Typed lines, in order, from one daemon thread reading ``fd``."""

    def __init__(self, fd: int):
        self._lines: queue.Queue = queue.Queue()
        self._ended = False
        self._thread = threading.Thread(target=self._pump, args=(fd,), name="selfverify-plain-input", daemon=True)
        self._thread.start()

    def _pump(self, fd: int) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                pending += decoder.decode(b"", final=True)
                if pending:
                    self._lines.put(pending.rstrip("\r"))
                self._lines.put(_END)
                return
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                self._lines.put(line.rstrip("\r"))

    def read(self, timeout: float | None = None) -> str | None:
        """The next line; None if none came within ``timeout`` (0 = do not wait); InputClosed at the end."""
        if self._ended:
            raise InputClosed
        try:
            if timeout is None:
                item = self._lines.get()
            elif timeout <= 0:
                item = self._lines.get_nowait()
            else:
                item = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self._ended = True
            raise InputClosed
        return item


def wants_colour(settings, environ: Mapping[str, str] | None = None) -> bool:  # noqa: ANN001
    environ = os.environ if environ is None else environ
    return bool(settings.plain_color) and not environ.get("NO_COLOR")


def clean(text: str) -> str:
    """Each line through ``textcheck.printable`` (the one escaping helper): C0/C1 controls and
    bidi/format characters from a token or the database are shown escaped, never sent raw."""
    return "\n".join(printable(part) for part in str(text).replace("\t", " ").split("\n"))


def said(text: str) -> str:
    """A line as it is printed: clean, and worded for a speech synthesiser (wording.speech.speakable)."""
    from selfverify.wording.speech import speakable

    return speakable(clean(text))


class LineWriter:
    """Prints whole lines; ``labelled`` lines start with a word a screen reader user can listen for."""

    def __init__(self, stream: TextIO, colour: bool = False):
        self.stream = stream
        self.colour = colour
        self.mid_line = False  # a prompt is waiting on this line

    def line(self, text: str = "") -> None:
        lines = said(text).split("\n")
        if self.mid_line:
            lines.insert(0, "")  # never glue a message onto a question
            self.mid_line = False
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    def labelled(self, label: str, text: str) -> None:
        shown = f"{label}:"
        colour = _SGR.get(label.split(" ", 1)[0])
        if self.colour and colour:
            shown = f"\x1b[{colour}m{shown}\x1b[0m"
        self.stream.write(("\n" if self.mid_line else "") + f"{shown} {said(text)}\n")
        self.mid_line = False
        self.stream.flush()

    def verbatim(self, text: str) -> None:
        """A line exactly as given (cleaned of control characters only): a token asked for."""
        self.stream.write(("\n" if self.mid_line else "") + clean(text) + "\n")
        self.mid_line = False
        self.stream.flush()

    def status(self, text: str) -> None:
        self.labelled("Status", text)

    def result(self, text: str) -> None:
        self.labelled("Result", text)

    def problem(self, text: str, hint: str | None = None) -> None:
        self.labelled("Problem", text)
        if hint:
            self.line(hint)

    def prompt(self, text: str) -> None:
        self.stream.write(("\n" if self.mid_line else "") + said(text) + " ")
        self.stream.flush()
        self.mid_line = True


Help = str | Callable[[], None]
WHERE_WORDS = frozenset({"where", "where am i", "where am i?"})
_WORD = re.compile(r"[^\w]+")


def words_of(text: str) -> list[str]:
    return [w for w in _WORD.split(text.lower()) if w]


def short_label(label: str) -> str:
    """A choice's name in a few words: ``I agree: go on to the selfie check`` -> ``I agree``."""
    return re.split(r":\s|\(", label, maxsplit=1)[0].strip().rstrip(",.")


def matching_choices(answer: str, choices: Sequence[tuple[str, str]]) -> list[int]:
    """Indexes of the choices a typed word or phrase names: the start of its label, else its key, else
    words of its label (each typed word the start of one of them)."""
    typed = words_of(answer)
    if not typed:
        return []
    starts = [i for i, (_, label) in enumerate(choices) if words_of(label)[:len(typed)] == typed]
    if starts:
        return starts
    exact = [i for i, (key, _) in enumerate(choices) if answer.strip().lower() == key.lower()]
    if exact:
        return exact
    return [i for i, (_, label) in enumerate(choices)
            if all(any(word.startswith(t) for word in words_of(label)) for t in typed)]


class Dialogue:
    """Questions and answers: free text, numbered choices, yes/no. help/back/quit/where work everywhere."""

    def __init__(self, reader: LineReader, out: LineWriter, echo: bool = False):
        self.reader = reader
        self.out = out
        self.echo = echo  # stdin is not a terminal: show the answer, as a terminal would have
        self.places: list[str] = []  # where the user is, outermost first ("Main menu", "My data")

    def where(self) -> str:
        return "You are in " + (", ".join(self.places) if self.places else "selfverify") + "."

    def _answer(self, timeout: float | None = None) -> str | None:
        text = self.reader.read(timeout)
        if text is not None:
            if self.echo:
                self.out.stream.write(clean(text) + "\n")
                self.out.stream.flush()
            self.out.mid_line = False
        return text

    def poll(self) -> str | None:
        """A line typed meanwhile, or None (never waits)."""
        return self._answer(timeout=0)

    def ask(self, question: str, help_text: Help = "") -> str:
        while True:
            self.out.prompt(question)
            text = (self._answer() or "").strip()
            word = " ".join(text.lower().split())
            if word in HELP_WORDS:
                if callable(help_text):
                    help_text()
                elif help_text:
                    self.out.line(help_text)
                self.out.line(GLOBAL_HELP)
                continue
            if word in WHERE_WORDS:
                self.out.line(self.where())
                continue
            if word in BACK_WORDS:
                raise GoBack
            if word in QUIT_WORDS:
                raise QuitRequested
            return text

    def choose(self, title: str, choices: Sequence[tuple[str, str]], help_text: str = "", default: str | None = None,
               *, brief: str | None = None) -> str:
        """Print ``title`` and the numbered ``choices`` (key, label); return the chosen key.

        A number, a key, or words of a label choose; words that fit several choices are answered with
        those choices. Enter takes ``default`` or lists the choices again. ``brief`` (a menu's name):
        the list is not read first, only "NAME, Enter lists the choices"; for a menu heard before."""
        keys = [key for key, _ in choices]
        count = len(choices)

        def listing() -> None:
            self.out.line(title)
            for number, (_, label) in enumerate(choices, 1):
                self.out.line(f"{number}. {label}")

        def explain() -> None:
            if help_text:
                self.out.line(help_text)
            listing()

        question = f"Choose 1 to {count}" + (f" (Enter: {keys.index(default) + 1})" if default in keys else "") + ":"
        if brief and default not in keys:
            question = f"{brief}, Enter lists them. {question}"
        else:
            listing()
        while True:
            answer = self.ask(question, explain)
            if not answer:
                if default in keys:
                    index = keys.index(default)
                    break
                listing()
                continue
            if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= count:  # not "²" (a digit int() refuses)
                index = int(answer) - 1
                break
            matches = matching_choices(answer, choices)
            if len(matches) == 1:
                index = matches[0]
                break
            from selfverify.textcheck import shown

            if matches:
                named = "; ".join(f"{i + 1}, {short_label(choices[i][1])}" for i in matches)
                self.out.problem(f"{shown(answer)} fits {len(matches)} choices: {named}. Type the number you want.")
            else:
                self.out.problem(f"{shown(answer)} is not one of the choices. Type a number from 1 to {count}, or help.")
        self.out.line(f"Chosen: {short_label(choices[index][1])}.")
        return keys[index]

    def confirm(self, question: str, help_text: str = "") -> bool:
        """Only yes (or y) goes ahead; Enter or no does nothing."""
        while True:
            answer = self.ask(f"{question} Type yes or no:", help_text).lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("", "n", "no"):
                return False
            self.out.problem("Please type yes or no.")
