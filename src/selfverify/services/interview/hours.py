"""Weekly opening hours from a TOML file, turned into slot start times."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from selfverify.errors import InputError
from selfverify.i18n import _
from selfverify.services.interview.views import DEFAULT_SLOT_MINUTES
from selfverify.services.interview.zones import _attach_zone, resolve_zone

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class RecurringHours:
    """Weekly opening hours from a TOML file (see ``load_recurring_hours``)."""

    zone: tzinfo
    duration_minutes: int
    agent: str | None
    blocks: tuple[tuple[frozenset[int], time, time], ...]  # (weekdays, from, to)
    details: dict[str, Any] = field(default_factory=dict)  # slot details overriding the desk's defaults

    def starts_between(self, first_day: date, days: int) -> list[datetime]:
        """Every slot start (aware UTC) on ``days`` days from ``first_day``, in order."""
        out: list[datetime] = []
        step = timedelta(minutes=self.duration_minutes)
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for weekdays, start, end in self.blocks:
                if day.weekday() not in weekdays:
                    continue
                moment = datetime.combine(day, start)
                while moment + step <= datetime.combine(day, end):
                    try:
                        out.append(_attach_zone(moment, self.zone, moment.isoformat(" ", "minutes")).astimezone(timezone.utc))
                    except InputError:
                        pass  # skipped by a daylight-saving change
                    moment += step
        return sorted(set(out))


def load_recurring_hours(path: str | os.PathLike[str], default_zone: tzinfo) -> RecurringHours:
    """Read a TOML file of weekly hours::

        timezone = "Europe/Paris"        # optional, default: the agent's zone
        duration_minutes = 20            # optional
        channel = "video"                # optional slot details: channel, link, phone, caller, address,
        link = "https://meet.example.org/desk"   # instructions, documents, not_accepted
        [[hours]]
        days = ["mon", "tue", "wed", "thu", "fri"]
        from = "09:00"
        to = "12:00"
    """
    from selfverify.outfile import read_input_file

    path = Path(path)
    text = read_input_file(path, "hours")  # a regular file only: a FIFO or /dev/zero is refused unread
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise InputError(_("The hours file {path} nests too deeply to read.").format(path=path), code="bad_hours") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(_("The hours file {path} is not valid TOML: {detail}.").format(path=path, detail=exc),
                         code="bad_hours") from None

    def bad(detail: str) -> InputError:
        return InputError(_("The hours file {path}: {problem}.").format(path=path, problem=detail), code="bad_hours")

    zone = resolve_zone(raw["timezone"]) if raw.get("timezone") else default_zone
    duration = raw.get("duration_minutes", DEFAULT_SLOT_MINUTES)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 5 <= duration <= 240:
        raise bad(_("duration_minutes must be a whole number from 5 to 240"))
    blocks = []
    entries = raw.get("hours")
    if not isinstance(entries, list) or not entries:
        raise bad(_("add at least one [[hours]] table with days, from and to"))
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise bad(_("[[hours]] number {number} must be a table").format(number=number))
        names = entry.get("days")
        if not isinstance(names, list) or not names:
            raise bad(_('[[hours]] number {number} needs days, e.g. ["mon", "tue"]').format(number=number))
        unknown = [d for d in names if str(d).lower()[:3] not in _WEEKDAYS]
        if unknown:
            raise bad(_("[[hours]] number {number}: unknown day {day!r} (use mon, tue, wed, thu, fri, sat, sun)").format(
                number=number, day=unknown[0]))
        start, end = _clock_time(entry.get("from"), number, "from", bad), _clock_time(entry.get("to"), number, "to", bad)
        if end <= start:
            raise bad(_("[[hours]] number {number}: 'to' must be after 'from'").format(number=number))
        blocks.append((frozenset(_WEEKDAYS[str(d).lower()[:3]] for d in names), start, end))
    agent = raw.get("agent")
    details = _slot_details(raw, bad)
    return RecurringHours(zone=zone, duration_minutes=duration, agent=str(agent) if agent else None, blocks=tuple(blocks),
                          details=details)


def _slot_details(raw: dict[str, Any], bad) -> dict[str, Any]:  # noqa: ANN001
    """The optional slot-detail keys (channel, link, ... documents), checked with the file's name in the message."""
    from selfverify.services.interview.details import OVERRIDES, SlotDetails

    details = {k: raw[k] for k in OVERRIDES if k in raw}
    # types and values only: over a base that has every channel's part, a slot lacking one (a link, a
    # number, an address) passes here and is checked against the desk's defaults when added
    complete = SlotDetails(link="https://example.org", phone="+1 555 010 0000", address="-", documents=("passport",))
    try:
        complete.merged(details)
    except InputError as exc:
        raise bad(exc.user_message.rstrip(".")) from None
    return details


def _clock_time(value: Any, number: int, key: str, bad) -> time:  # noqa: ANN001
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise bad(_('[[hours]] number {number}: {key} must be a time like "09:00", not {value!r}').format(
            number=number, key=key, value=value)) from None
