"""Words for the accessible mode: Markdown as plain lines, results and dates as sentences."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from selfverify.core.liveness import STEP_WORDS  # noqa: F401 - re-exported for the plain mode
from selfverify.i18n import N_, _
from selfverify.wording.outcomes import meaning
from selfverify.wording.speech import day, when

# sections of the consent notice that tell a terminal user which commands to type, as a person inside
# this mode does it instead (no shell command is read out to someone who cannot type it here). The
# headings are the notice's own: each translation is that language's notice heading, word for word.
IN_APP_SECTIONS = {
    N_("How to delete"): [
        N_("In My data (choice 3 of the main menu) you can delete kept pictures, one or all; take back this "
           "agreement, which deletes every kept picture; or delete everything we keep about you. Only deletion "
           "receipts remain, with no face data."),
    ],
    N_("You do not have to do this"): [
        N_("You can instead have a short interview with a person (choice 2 of the main menu). It uses no camera, "
           "no face matching and no biometric data at all."),
    ],
}
_COMMAND = re.compile(r"`selfverify [^`]*`")

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_EMPHASIS = re.compile(r"(\*\*|__|`)")


def markdown_lines(text: str) -> list[str]:
    """Markdown as lines a screen reader reads without symbols: headings and bullets lose their
    marks, a wrapped bullet becomes one line, blank lines separate sections."""
    lines: list[str] = []
    joinable = False  # the previous line is a paragraph or bullet a continuation belongs to
    for raw in text.splitlines():
        stripped = _EMPHASIS.sub("", raw).strip()
        if not stripped:
            if lines and lines[-1]:
                lines.append("")
            joinable = False
            continue
        heading, bullet = _HEADING.match(raw), _BULLET.match(raw)
        if heading:
            if lines and lines[-1]:
                lines.append("")
            lines.append(_EMPHASIS.sub("", heading.group(1)))
            joinable = False
        elif bullet:
            lines.append(_EMPHASIS.sub("", bullet.group(1)).strip())
            joinable = True
        elif joinable:
            lines[-1] += " " + stripped
        else:
            lines.append(stripped)
            joinable = True
    while lines and not lines[-1]:
        lines.pop()
    return lines


def in_app_notice_lines(text: str) -> list[str]:
    """The notice's lines for a person inside this mode: a section that names commands to type is said
    as this mode does it (IN_APP_SECTIONS); elsewhere a command becomes "in My data"."""
    lines = markdown_lines(text)
    sections = {_(heading): [_(said) for said in lines_said] for heading, lines_said in IN_APP_SECTIONS.items()}
    sections.update({heading: [_(said) for said in lines_said] for heading, lines_said in IN_APP_SECTIONS.items()})
    result: list[str] = []
    skipping = False
    for index, line in enumerate(lines):
        heading = line and (index == 0 or not lines[index - 1])
        if heading and line in sections:
            result += [line, *sections[line]]
            skipping = True
            continue
        if not line:
            skipping = False
        if not skipping:
            result.append(line)
    instead = _("in My data")
    return [_COMMAND.sub(instead, line) for line in result]


def spell_code(display_code: str) -> str:
    """``K7QX-M4PD`` -> ``K 7 Q X, M 4 P D``: a screen reader reads it character by character."""
    return ", ".join(" ".join(part) for part in display_code.split("-"))


def local_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """``Thursday 3 December at 09:40`` in ``zone`` (None: this computer's)."""
    return when(moment, zone)


def outcome_lines(outcome, zone: tzinfo | None = None) -> tuple[bool, str, list[str]]:  # noqa: ANN001
    """(the journey is over: a credential was issued, the Result sentence, the lines that follow it),
    in wording.outcomes' sentences."""
    said = meaning(outcome, when=lambda moment: day(moment, zone), credential_id=lambda _id: None)
    first, *rest = said.sentences
    lines = list(rest)
    attempts = getattr(outcome, "attempts", None)
    if not said.credential and attempts is not None and getattr(attempts, "message", ""):
        lines.append(attempts.message)
    sentence = first[0].lower() + first[1:] if first else first
    if said.credential and lines:  # "verified. Your credential is stored ..." on one Result line
        sentence += " " + lines.pop(0)
    return said.credential, sentence, lines
