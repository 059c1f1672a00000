"""Formatting for the ear: what a speech synthesiser reads well, in the current language.

Dates and times in words ("Thursday 3 December at 09:40", "jueves 3 de diciembre a las 09:40": the
pattern is a translated Babel date pattern), the zone said once (its city from Babel's names), units
and plurals written out through ngettext ("30 seconds", "1 photo"), lists joined by Babel's rule
("1 hour and 30 minutes", "1 hora y 30 minutos"), short support references instead of 32-digit hex
ids, and codes spelled with the phonetic alphabet (its letter words are international; digits are
said in the current language) so sound-alike letters (B, D, E, G, P, T, V, Z; M, N) cannot be confused.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from selfverify.i18n import N_, _, babel_locale, ngettext, pgettext

PHONETIC = {  # i18n: ignore (the ICAO spelling alphabet: the same words in every language)
    "A": "Alfa", "B": "Bravo", "C": "Charlie", "D": "Delta", "E": "Echo", "F": "Foxtrot", "G": "Golf",
    "H": "Hotel", "I": "India", "J": "Juliett", "K": "Kilo", "L": "Lima", "M": "Mike", "N": "November",
    "O": "Oscar", "P": "Papa", "Q": "Quebec", "R": "Romeo", "S": "Sierra", "T": "Tango", "U": "Uniform",
    "V": "Victor", "W": "Whiskey", "X": "X-ray", "Y": "Yankee", "Z": "Zulu",
}
DIGITS = (N_("zero"), N_("one"), N_("two"), N_("three"), N_("four"), N_("five"), N_("six"), N_("seven"),
          N_("eight"), N_("nine"))
REFERENCE_LENGTH = 8  # hex digits of an id said as a support reference: unique among a person's records


def spoken_list(parts: list[str]) -> str:
    """``a and b``, ``a, b and c`` (``a, b y c``): Babel's rule for the current language."""
    from babel.lists import format_list

    return format_list(parts, locale=babel_locale()) if parts else ""


def duration(seconds: float) -> str:
    """``30 seconds``, ``1 minute``, ``2 minutes and 5 seconds``, ``1 hour and 30 minutes``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(ngettext("{count} hour", "{count} hours", hours).format(count=hours))
    if minutes:
        parts.append(ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes))
    if secs:
        parts.append(ngettext("{count} second", "{count} seconds", secs).format(count=secs))
    if not parts:
        return _("less than a second") if seconds > 0 else ngettext("{count} second", "{count} seconds", 0).format(count=0)
    return spoken_list(parts)


def minutes(count: int) -> str:
    """``1 minute``, ``45 minutes``."""
    return ngettext("{count} minute", "{count} minutes", count).format(count=count)


def zone_words(zone: tzinfo | None, moment: datetime | None = None) -> str:
    """``Paris time (CET)``, ``UTC``: a zone name said without slashes or ``Etc``."""
    key = getattr(zone, "key", None) or ""
    abbreviation = (moment.astimezone(zone) if moment is not None else datetime.now(zone)).tzname() or ""
    if not key or key.startswith("Etc/") or key in ("UTC", "GMT") or key == abbreviation:
        return abbreviation or key.rsplit("/", 1)[-1] or _("local time")
    place = _city(key)
    if abbreviation and not abbreviation.startswith(("+", "-")):
        return _("{place} time ({abbreviation})").format(place=place, abbreviation=abbreviation)
    return _("{place} time").format(place=place)


def _city(key: str) -> str:
    """The zone's city in the current language (``París``), from Babel; else its name in the key."""
    try:
        from babel.dates import get_timezone, get_timezone_location

        return get_timezone_location(get_timezone(key), locale=babel_locale(), return_city=True)
    except Exception:  # a zone Babel does not name
        return key.rsplit("/", 1)[-1].replace("_", " ")


def _date_words(moment: datetime, with_year: bool) -> str:
    """The date part in words, from a Babel pattern each language translates."""
    from babel.dates import format_date

    # Babel date patterns (EEEE: weekday, d: day, MMMM: month, y: year; quoted text is literal)
    pattern = pgettext("date said aloud", "EEEE d MMMM y") if with_year else pgettext("date said aloud", "EEEE d MMMM")
    return format_date(moment.date(), pattern, locale=babel_locale())


def _at(day_words: str, moment: datetime) -> str:
    """``Thursday 3 December at 09:40``: the hour picks the form (``a la 01:05``, ``a las 09:40``)."""
    return ngettext("{day} at {time}", "{day} at {time}", moment.hour).format(day=day_words, time=f"{moment:%H:%M}")


def when(moment: datetime | None, zone: tzinfo | None = None, *, now: datetime | None = None,
         with_zone: bool = False) -> str:
    """``Thursday 3 December at 09:40``; the year only when it is not this year's; the zone only if asked
    (say it once per page with ``zone_words``)."""
    if moment is None:
        return _("an unknown time")
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    current = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo)
    text = _at(_date_words(local, local.year != current.year), local)
    return f"{text}, {zone_words(local.tzinfo, local)}" if with_zone else text


def day(moment: datetime | None, zone: tzinfo | None = None, *, now: datetime | None = None) -> str:
    """``Thursday 3 December``: for a line whose time is said elsewhere."""
    if moment is None:
        return _("an unknown time")
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    current = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo)
    return _date_words(local, local.year != current.year)


def clock(moment: datetime, zone: tzinfo | None = None) -> str:
    """``09:40``: for a list under a heading that says the day and zone."""
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    return f"{local:%H:%M}"


def spell(text: str, group: int = 0) -> str:
    """Characters one by one (groups of ``group`` separated by commas): ``4A7F9C2E`` -> ``4 A 7 F, 9 C 2 E``."""
    chars = [c for c in text.upper() if c.isalnum()]
    if not group:
        return " ".join(chars)
    return ", ".join(" ".join(chars[i:i + group]) for i in range(0, len(chars), group))


def reference(identifier: str) -> str:
    """A short support reference for a long hex id: its first 8 characters, upper case (``4A7F9C2E``)."""
    return "".join(c for c in str(identifier) if c.isalnum())[:REFERENCE_LENGTH].upper()


def spoken_reference(identifier: str) -> str:
    """The short reference spelled in two groups of four: ``4 A 7 F, 9 C 2 E``."""
    return spell(reference(identifier), 4)


def phonetic(code: str) -> str:
    """``K7QX-M4PD`` -> ``Kilo, seven, Quebec, X-ray; Mike, four, Papa, Delta``: nothing sounds alike."""
    groups = [g for g in str(code).upper().split("-") if g]
    return "; ".join(", ".join(_letter_or_digit(c) for c in g if c.isalnum()) for g in groups)


def _letter_or_digit(char: str) -> str:
    if char.isascii() and char.isdigit():
        return _(DIGITS[int(char)])
    return PHONETIC.get(char, char)


# a safety net for sentences written elsewhere (services, errors): what a synthesiser reads badly
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\b")
_SECONDS = re.compile(r"\b(\d+(?:\.\d+)?) ?s\b(?![\w'])")
_PLURAL_S = re.compile(r"\b(\w+)\(s\)")
_SIZE = re.compile(r"\b(\d+)x(\d+)\b")
_HEX_ID = re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}\b")
_ETC_ZONE = re.compile(r"\bEtc/(\w+)")


def _iso_words(match: re.Match) -> str:
    year, month, mday, hour, minute, offset = match.groups()
    try:
        moment = datetime(int(year), int(month), int(mday), int(hour or 0), int(minute or 0))
    except ValueError:
        return match.group(0)
    text = _date_words(moment, True)
    if hour is not None:
        text = _at(text, moment)
        if offset:
            text += " UTC" if offset == "Z" or offset.replace(":", "") in ("+0000", "-0000") else f" UTC{offset}"
    return text


def _seconds(match: re.Match) -> str:
    value = match.group(1)
    count = int(float(value)) if float(value).is_integer() else 2  # 1.5 is said in the plural
    return ngettext("{count} second", "{count} seconds", count).format(count=value)


def speakable(text: str) -> str:
    """``text`` with ISO dates and times in words, ``30 s`` as ``30 seconds``, ``photo(s)`` as ``photos``,
    ``198x198`` as ``198 by 198``, ``Etc/UTC`` as ``UTC`` and long hex ids as short references."""
    text = _ISO.sub(_iso_words, text)
    text = _SECONDS.sub(_seconds, text)
    text = _PLURAL_S.sub(r"\1s", text)
    text = _SIZE.sub(_size_words, text)
    text = _ETC_ZONE.sub(r"\1", text)
    return _HEX_ID.sub(_reference_words, text)


def _size_words(match: re.Match) -> str:
    said = _("{width} by {height}")
    return said.format(width=match.group(1), height=match.group(2))


def _reference_words(match: re.Match) -> str:
    said = _("reference {code}")
    return said.format(code=spoken_reference(match.group(0)))
