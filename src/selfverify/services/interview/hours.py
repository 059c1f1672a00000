"""Weekly opening hours from a TOML file, turned into slot start times."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from selfverify.errors import InputError
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
        raise InputError(f"The hours file {path} nests too deeply to read.", code="bad_hours") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"The hours file {path} is not valid TOML: {exc}.", code="bad_hours") from None

    def bad(detail: str) -> InputError:
        return InputError(f"The hours file {path}: {detail}.", code="bad_hours")

    zone = resolve_zone(raw["timezone"]) if raw.get("timezone") else default_zone
    duration = raw.get("duration_minutes", DEFAULT_SLOT_MINUTES)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 5 <= duration <= 240:
        raise bad("duration_minutes must be a whole number from 5 to 240")
    blocks = []
    entries = raw.get("hours")
    if not isinstance(entries, list) or not entries:
        raise bad("add at least one [[hours]] table with days, from and to")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise bad(f"[[hours]] number {number} must be a table")
        names = entry.get("days")
        if not isinstance(names, list) or not names:
            raise bad(f"[[hours]] number {number} needs days, e.g. [\"mon\", \"tue\"]")
        unknown = [d for d in names if str(d).lower()[:3] not in _WEEKDAYS]
        if unknown:
            raise bad(f"[[hours]] number {number}: unknown day {unknown[0]!r} (use mon, tue, wed, thu, fri, sat, sun)")
        start, end = _clock_time(entry.get("from"), number, "from", bad), _clock_time(entry.get("to"), number, "to", bad)
        if end <= start:
            raise bad(f"[[hours]] number {number}: 'to' must be after 'from'")
        blocks.append((frozenset(_WEEKDAYS[str(d).lower()[:3]] for d in names), start, end))
    agent = raw.get("agent")
    details = _slot_details(raw, bad)
    return RecurringHours(zone=zone, duration_minutes=duration, agent=str(agent) if agent else None, blocks=tuple(blocks),
                          details=details)


def _slot_details(raw: dict[str, Any], bad) -> dict[str, Any]:  # noqa: ANN001
    """The optional slot-detail keys (channel, link, ... documents), checked with the file's name in the message."""
    from selfverify.services.interview.details import OVERRIDES, SlotDetails

    details = {k: raw[k] for k in OVERRIDES if k in raw}
    try:
        SlotDetails(documents=("passport",)).merged(details)  # checks types and values, not completeness
    except InputError as exc:
        if "needs" not in exc.user_message:  # completeness is checked against the desk's defaults when adding
            raise bad(exc.user_message.rstrip(".")) from None
    return details


def _clock_time(value: Any, number: int, key: str, bad) -> time:  # noqa: ANN001
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise bad(f"[[hours]] number {number}: {key} must be a time like \"09:00\", not {value!r}") from None
