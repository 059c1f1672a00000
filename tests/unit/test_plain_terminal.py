"""The accessible mode's line input and output: a real pipe in, plain lines out."""

from __future__ import annotations

import io
import os

import pytest

from selfverify.plain.terminal import (
    GoBack,
    InputClosed,
    LineReader,
    LineWriter,
    QuitRequested,
    wants_colour,
)
from tests.plain_support import assert_plain_transcript, piped_dialogue

CHOICES = [("selfie", "Selfie check (camera)"), ("interview", "Interview with a person"), ("quit", "Quit")]


def test_reader_gives_lines_in_order_then_end_of_input():
    read_fd, write_fd = os.pipe()
    # a multi-byte character split across two writes, a CRLF line and a last line without newline
    data = "première\r\nsecond\nlast".encode()
    cut = data.index("è".encode()) + 1
    os.write(write_fd, data[:cut])
    reader = LineReader(read_fd)
    assert reader.read(timeout=0.2) is None  # nothing complete yet
    os.write(write_fd, data[cut:])
    os.close(write_fd)
    assert [reader.read(), reader.read(), reader.read()] == ["première", "second", "last"]
    with pytest.raises(InputClosed):
        reader.read()
    with pytest.raises(InputClosed):  # stays closed
        reader.read(timeout=0)


def test_choose_by_number_word_or_default():
    dialogue, out = piped_dialogue(["2", "quit"])
    assert dialogue.choose("Main menu:", CHOICES) == "interview"
    with pytest.raises(QuitRequested):
        dialogue.choose("Main menu:", CHOICES)
    dialogue, out = piped_dialogue(["selfie", "", "QUIT"])
    assert dialogue.choose("Main menu:", CHOICES) == "selfie"
    assert dialogue.choose("Again:", CHOICES, default="interview") == "interview"
    assert "Choose 1 to 3 (Enter: 2): " in out.getvalue()


def test_choose_lists_numbered_options_and_says_what_was_wrong():
    dialogue, out = piped_dialogue(["7", "banana", "", "3"])
    assert dialogue.choose("Main menu:", CHOICES) == "quit"
    text = out.getvalue()
    assert_plain_transcript(text)
    assert text.startswith("Main menu:\n1. Selfie check (camera)\n2. Interview with a person\n3. Quit\nChoose 1 to 3: 7\n")
    assert "Problem: 7 is not one of the choices. Type a number from 1 to 3, or help.\n" in text
    assert "Problem: banana is not one of the choices." in text
    assert text.count("1. Selfie check (camera)") == 2  # Enter alone reads the choices again


def test_help_explains_and_lists_again_back_raises():
    dialogue, out = piped_dialogue(["help", "back"])
    with pytest.raises(GoBack):
        dialogue.choose("Main menu:", CHOICES, help_text="Two ways to verify.")
    text = out.getvalue()
    assert "Two ways to verify.\n" in text
    assert "type help (what you can do here), back (the previous step) or quit" in text
    assert text.count("2. Interview with a person") == 2


def test_confirm_needs_yes():
    dialogue, out = piped_dialogue(["", "maybe", "no", "YES", "y"])
    assert dialogue.confirm("Delete?") is False
    assert dialogue.confirm("Delete?") is False  # after 'maybe' was refused
    assert dialogue.confirm("Delete?") is True
    assert dialogue.confirm("Delete?") is True
    assert "Problem: Please type yes or no." in out.getvalue()


def test_end_of_input_at_a_question():
    dialogue, _ = piped_dialogue([])
    with pytest.raises(InputClosed):
        dialogue.ask("Name:")


def test_writer_strips_escape_sequences_and_never_glues_to_a_prompt():
    stream = io.StringIO()
    out = LineWriter(stream)
    out.prompt("Choose 1 to 3:")
    out.status("file \x1b[2Jname\twith\x07 controls")
    out.problem("it failed", "do this")
    text = stream.getvalue()
    assert text == "Choose 1 to 3: \nStatus: file \\x1b[2Jname with\\x07 controls\nProblem: it failed\ndo this\n"  # shown, never sent
    assert_plain_transcript(text)


def test_colour_only_on_labels_and_only_when_asked():
    stream = io.StringIO()
    LineWriter(stream, colour=True).labelled("Step 1 of 2", "blink")
    assert stream.getvalue() == "\x1b[1;36mStep 1 of 2:\x1b[0m blink\n"

    class Asked:
        plain_color = True

    assert wants_colour(Asked(), {}) is True
    assert wants_colour(Asked(), {"NO_COLOR": "1"}) is False
    Asked.plain_color = False
    assert wants_colour(Asked(), {}) is False
