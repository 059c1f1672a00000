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

from selfverify.i18n import N_, _
from selfverify.textcheck import printable

# the English words always work; each language adds its own (``typed()``), so a person who reads the
# prompts in Spanish types "ayuda", "atrás", "salir", "sí"
HELP_WORDS = frozenset({"help", "?"})
BACK_WORDS = frozenset({"back"})
QUIT_WORDS = frozenset({"quit", "exit"})
WHERE_WORDS = frozenset({"where", "where am i", "where am i?"})  # i18n: ignore (typed words; TYPED has each language's)
YES_WORDS = frozenset({"y", "yes"})
NO_WORDS = frozenset({"n", "no"})
# typed words in the current language, comma-separated (translations list their own)
TYPED = {
    "help": N_("help"), "back": N_("back"), "quit": N_("quit, exit"), "where": N_("where, where am i"),
    "yes": N_("yes, y"), "no": N_("no, n"),
}
_ENGLISH = {"help": HELP_WORDS, "back": BACK_WORDS, "quit": QUIT_WORDS, "where": WHERE_WORDS, "yes": YES_WORDS, "no": NO_WORDS}

GLOBAL_HELP = N_(
    "At any question you can type help (what you can do here), back (the previous step) "
    "or quit (leave selfverify). Ctrl+D also leaves; Ctrl+C stops at once."
)


def plain_word(text: str) -> str:
    """A typed answer as compared with the words above: lower case, single spaces, no accents, no final ?."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", " ".join(text.lower().split()))
    word = "".join(c for c in folded if not unicodedata.combining(c))
    return word.rstrip("?").strip() or word


def typed(kind: str, text: str) -> bool:
    """Whether ``text`` is one of the words for ``kind`` (help, back, quit, where, yes, no), in English
    or in the current language."""
    word = plain_word(text)
    if word in _ENGLISH[kind] or text.strip().lower() in _ENGLISH[kind]:
        return True
    return word in {plain_word(w) for w in _(TYPED[kind]).split(",") if w.strip()}

_SGR = {"problem": "1;31", "result": "1;32", "step": "1;36", "status": "1", "camera": "1"}


def _colour_of(label: str) -> str | None:
    """The colour of a label's kind, the label being in English or in the current language."""
    from selfverify.wording.events import label as said_label
    from selfverify.wording.events import step_label

    first = label.split(" ", 1)[0]
    for kind, colour in _SGR.items():
        local = step_label(1, 1) if kind == "step" else said_label(kind)
        if first.lower() == kind or first == local.split(" ", 1)[0]:
            return colour
    return None


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
        colour = _colour_of(label) if self.colour else None
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
        from selfverify.wording.events import label

        self.labelled(label("status"), text)

    def result(self, text: str) -> None:
        from selfverify.wording.events import label

        self.labelled(label("result"), text)

    def problem(self, text: str, hint: str | None = None) -> None:
        from selfverify.wording.events import label

        self.labelled(label("problem"), text)
        if hint:
            self.line(hint)

    def prompt(self, text: str) -> None:
        self.stream.write(("\n" if self.mid_line else "") + said(text) + " ")
        self.stream.flush()
        self.mid_line = True


Help = str | Callable[[], None]
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
        if not self.places:
            return _("You are in selfverify.")
        named = (_(place) if type(place) is str else str(place) for place in self.places)  # marked, or lazy
        return _("You are in {places}.").format(places=", ".join(named))

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
            if typed("help", text):
                if callable(help_text):
                    help_text()
                elif help_text:
                    self.out.line(help_text)
                self.out.line(_(GLOBAL_HELP))
                continue
            if typed("where", text):
                self.out.line(self.where())
                continue
            if typed("back", text):
                raise GoBack
            if typed("quit", text):
                raise QuitRequested
            return text

    def choose(self, title: str, choices: Sequence[tuple[str, str]], help_text: str = "", default: str | None = None,
               *, brief: str | None = None) -> str:
        """Print ``title`` and the numbered ``choices`` (key, label); return the chosen key.

        A number, a key, or words of a label choose; words that fit several choices are answered with
        those choices. Enter takes ``default`` or lists the choices again. ``brief`` (a menu's name):
        the list is not read first, only "NAME, Enter lists the choices"; for a menu heard before."""
        keys = [key for key, _label in choices]
        count = len(choices)

        def listing() -> None:
            self.out.line(title)
            for number, (_key, label) in enumerate(choices, 1):
                self.out.line(f"{number}. {label}")

        def explain() -> None:
            if help_text:
                self.out.line(help_text)
            listing()

        if default in keys:
            question = _("Choose 1 to {count} (Enter: {number}):").format(count=count, number=keys.index(default) + 1)
        else:
            question = _("Choose 1 to {count}:").format(count=count)
        if brief and default not in keys:
            question = _("{menu}, Enter lists them. {question}").format(menu=brief, question=question)
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
                self.out.problem(_("{answer} fits {count} choices: {choices}. Type the number you want.").format(
                    answer=shown(answer), count=len(matches), choices=named))
            else:
                self.out.problem(_("{answer} is not one of the choices. Type a number from 1 to {count}, or help.").format(
                    answer=shown(answer), count=count))
        self.out.line(_("Chosen: {choice}.").format(choice=short_label(choices[index][1])))
        return keys[index]

    def confirm(self, question: str, help_text: str = "") -> bool:
        """Only yes (or y) goes ahead; Enter or no does nothing."""
        while True:
            answer = self.ask(_("{question} Type yes or no:").format(question=question), help_text)
            if typed("yes", answer):
                return True
            if not answer or typed("no", answer):
                return False
            self.out.problem(_("Please type yes or no."))
