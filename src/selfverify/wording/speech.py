"""Formatting for the ear: what a speech synthesiser reads well.

Dates and times in words ("Thursday 3 December at 09:40"), the zone said once, units and
plurals written out ("30 seconds", "1 photo"), short support references instead of 32-digit hex
ids, and codes spelled with the phonetic alphabet so sound-alike letters (B, D, E, G, P, T, V, Z;
M, N) cannot be confused.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

PHONETIC = {
    "A": "Alfa", "B": "Bravo", "C": "Charlie", "D": "Delta", "E": "Echo", "F": "Foxtrot", "G": "Golf",
    "H": "Hotel", "I": "India", "J": "Juliett", "K": "Kilo", "L": "Lima", "M": "Mike", "N": "November",
    "O": "Oscar", "P": "Papa", "Q": "Quebec", "R": "Romeo", "S": "Sierra", "T": "Tango", "U": "Uniform",
    "V": "Victor", "W": "Whiskey", "X": "X-ray", "Y": "Yankee", "Z": "Zulu",
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
    "8": "eight", "9": "nine",
}
REFERENCE_LENGTH = 8  # hex digits of an id said as a support reference: unique among a person's records


def plural(count: int, singular: str, several: str | None = None) -> str:
    """``1 photo``, ``2 photos``, ``0 tries`` (with ``several`` for irregular words)."""
    return f"{count} {singular if count == 1 else several or singular + 's'}"


def duration(seconds: float) -> str:
    """``30 seconds``, ``1 minute``, ``2 minutes and 5 seconds``, ``1 hour and 30 minutes``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [plural(n, unit) for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")) if n]
    if not parts:
        return "less than a second" if seconds > 0 else "0 seconds"
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def zone_words(zone: tzinfo | None, moment: datetime | None = None) -> str:
    """``Paris time (CET)``, ``UTC``: a zone name said without slashes or ``Etc``."""
    key = getattr(zone, "key", None) or ""
    abbreviation = (moment.astimezone(zone) if moment is not None else datetime.now(zone)).tzname() or ""
    if not key or key.startswith("Etc/") or key in ("UTC", "GMT") or key == abbreviation:
        return abbreviation or key.rsplit("/", 1)[-1] or "local time"
    place = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{place} time ({abbreviation})" if abbreviation and not abbreviation.startswith(("+", "-")) else f"{place} time"


def when(moment: datetime | None, zone: tzinfo | None = None, *, now: datetime | None = None,
         with_zone: bool = False) -> str:
    """``Thursday 3 December at 09:40``; the year only when it is not this year's; the zone only if asked
    (say it once per page with ``zone_words``)."""
    if moment is None:
        return "an unknown time"
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    current = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo)
    year = "" if local.year == current.year else f" {local.year}"
    text = f"{local:%A} {local.day} {local:%B}{year} at {local:%H:%M}"
    return f"{text}, {zone_words(local.tzinfo, local)}" if with_zone else text


def day(moment: datetime | None, zone: tzinfo | None = None, *, now: datetime | None = None) -> str:
    """``Thursday 3 December``: for a line whose time is said elsewhere."""
    return when(moment, zone, now=now).rsplit(" at ", 1)[0]


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
    return "; ".join(", ".join(PHONETIC.get(c, c) for c in g if c.isalnum()) for g in groups)


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
    text = f"{moment:%A} {moment.day} {moment:%B} {moment.year}"
    if hour is not None:
        text += f" at {hour}:{minute}"
        if offset:
            text += " UTC" if offset == "Z" or offset.replace(":", "") in ("+0000", "-0000") else f" UTC{offset}"
    return text


def _seconds(match: re.Match) -> str:
    value = match.group(1)
    return f"{value} second" + ("" if value == "1" else "s")


def speakable(text: str) -> str:
    """``text`` with ISO dates and times in words, ``30 s`` as ``30 seconds``, ``photo(s)`` as ``photos``,
    ``198x198`` as ``198 by 198``, ``Etc/UTC`` as ``UTC`` and long hex ids as short references."""
    text = _ISO.sub(_iso_words, text)
    text = _SECONDS.sub(_seconds, text)
    text = _PLURAL_S.sub(r"\1s", text)
    text = _SIZE.sub(r"\1 by \2", text)
    text = _ETC_ZONE.sub(r"\1", text)
    return _HEX_ID.sub(lambda m: "reference " + spoken_reference(m.group(0)), text)
