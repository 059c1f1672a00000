"""What a person or agent may type: handles, contact lines and free-text notes, checked at the edge.

Handles are printable (no control, format/bidi or undecodable characters) and short. A contact
line is one printable line that holds an e-mail address or a phone number (a label around it
is fine: ``[work] +33 6 12 34 56 78``). Notes and reasons are printable and bounded. Each refusal is
an ``InputError`` (exit 2) that names the problem and never echoes more than a short prefix.

Front ends still show every such string literally (Textual ``markup=False`` / ``Text``): this
module keeps stored text clean, it does not make markup safe.
"""

from __future__ import annotations

import re
import unicodedata

from selfverify.errors import InputError
from selfverify.i18n import N_, _

MAX_HANDLE_LENGTH = 64
# what a checked value is (the ``what`` callers pass) -> the words that start a sentence about it
FIELDS = {
    "handle": N_("The handle"),
    "user handle": N_("The user handle"),
    "staff handle": N_("The staff handle"),
    "kiosk name": N_("The kiosk name"),
    "slot number": N_("The slot number"),
    "reason": N_("The reason"),
    "contact line": N_("The contact line"),
    "interpreter language": N_("The interpreter language"),
    "request": N_("The request"),
    "join link": N_("The slot's join link"),
    "phone number": N_("The slot's phone number"),
    "address": N_("The slot's address"),
    "'not accepted' line": N_("The slot's 'not accepted' line"),
    "instructions": N_("The slot's instructions"),
}


def field_name(what: str) -> str:
    """``The slot number`` for ``slot number``, in the current language (any other ``what`` quoted)."""
    if what in FIELDS:
        return _(FIELDS[what])
    return _("The {field}").format(field=what)
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]{1,64}@[^\s@<>()\[\],;:\"]{1,190}\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"\+?\(?\d[\d ().\-/]{5,30}\d")


def shown(text: str, limit: int = 40) -> str:
    """A short, printable rendering of what was typed, for an error message."""
    text = str(text)
    out = text[:limit].encode("unicode_escape").decode("ascii")
    return out + ("…" if len(text) > limit else "")


def shown_path(path: object, limit: int = 120) -> str:
    """A path for a message: printable, and shortened in the middle when long (never all 4,000 bytes)."""
    text = str(path).encode("unicode_escape", "backslashreplace").decode("ascii")
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


# database ids are 64-bit signed integers: anything outside is refused before it reaches SQL
MAX_ID = 2**63 - 1


def check_id(value: object, what: str) -> int:
    """A positive whole number that fits the database's ids, or an InputError naming ``what``."""
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise InputError(_("{field} must be a whole number, not {value}.").format(field=field_name(what), value=shown(value)),
                         code="bad_id") from None
    if not 1 <= number <= MAX_ID:
        raise InputError(_("{field} must be between 1 and {limit}, not {value}.").format(
            field=field_name(what), limit=MAX_ID, value=shown(number)), code="bad_id")
    return number


def printable(text: object) -> str:
    """``text`` for a screen: control, bidi/format and undecodable characters made visible as
    ``\\uXXXX`` (a row stored by an older version, or by hand, cannot forge lines or reorder text)."""
    out = []
    for ch in str(text):
        out.append(ch if ch == " " or ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def bad_character(text: str) -> str | None:
    """Why ``text`` cannot be stored as typed (a control, bidi/format or undecodable character), or None."""
    for ch in text:
        if ch == " " or ch.isprintable():
            continue
        cat = unicodedata.category(ch)
        if cat == "Cs":
            return _("bytes that are not valid UTF-8")
        if cat == "Cf":
            return _("an invisible formatting or text-direction character (U+{code})").format(code=f"{ord(ch):04X}")
        return _("a control character (U+{code})").format(code=f"{ord(ch):04X}")
    return None


def check_handle(handle: str, what: str | None = None) -> str:
    """A user or staff handle: printable, no spaces at either end, at most MAX_HANDLE_LENGTH characters."""
    what = what or "handle"  # a FIELDS key: field_name translates it
    text = str(handle)
    problem = bad_character(text)
    if problem:
        raise InputError(_("{field} {value} contains {problem}.").format(field=field_name(what), value=shown(text), problem=problem),
                         code="bad_handle", hint=_("Use letters, digits and punctuation only."))
    if not text.strip():
        raise InputError(_("{field} cannot be empty.").format(field=field_name(what)), code="bad_handle")
    if len(text) > MAX_HANDLE_LENGTH:
        raise InputError(_("{field} is too long ({count} characters, at most {limit}).").format(
            field=field_name(what), count=len(text), limit=MAX_HANDLE_LENGTH), code="bad_handle")
    return text


def check_free_text(text: str, what: str, limit: int, code: str) -> str:
    """One printable line of at most ``limit`` characters (runs of spaces collapsed)."""
    raw = str(text)
    problem = bad_character(raw)
    if problem:
        raise InputError(_("{field} contains {problem}: nothing was saved.").format(field=field_name(what), problem=problem),
                         code=code, hint=_("Type it on one line, with visible characters only."))
    clean = " ".join(raw.split())
    if len(clean) > limit:
        raise InputError(_("{field} is too long ({count} characters, at most {limit}).").format(
            field=field_name(what), count=len(clean), limit=limit), code=code)
    return clean


def check_contact(contact: str, limit: int) -> str:
    """A contact line: one bounded printable line holding an e-mail address or a phone number."""
    text = check_free_text(contact, "contact line", limit, "bad_contact")  # i18n: ignore (a key of FIELDS)
    if not text:
        raise InputError(_("Give a contact line (a phone number or e-mail address the agent can reach you on)."),
                         code="bad_contact")
    phone = _PHONE.search(text)
    if _EMAIL.search(text) is None and (phone is None or sum(c.isdigit() for c in phone.group()) < 6):
        raise InputError(_("The contact line {value} holds no e-mail address or phone number.").format(value=shown(text)),
                         code="bad_contact",
                         hint=_("Give a phone number (e.g. +33 6 12 34 56 78) or an e-mail address (name@example.org); "
                                "a short label around it is fine."))
    return text
