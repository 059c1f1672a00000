"""Time zones: stored times are UTC, shown and typed in the viewer's zone, always named."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path

from selfverify.errors import ConfigError, InputError
from selfverify.i18n import _


def resolve_zone(name: str | None) -> tzinfo:
    """The named zone, else this computer's (TZ, /etc/localtime, /etc/timezone), else UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    candidates: list[str] = []
    if name:
        candidates.append(name)
    else:
        if os.environ.get("TZ"):
            candidates.append(os.environ["TZ"].lstrip(":"))
        try:
            target = os.path.realpath("/etc/localtime")
            if "zoneinfo/" in target:
                candidates.append(target.split("zoneinfo/", 1)[1])
        except OSError:
            pass
        try:
            candidates.append(Path("/etc/timezone").read_text().strip())
        except OSError:
            pass
    for candidate in candidates:
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            if name:
                raise ConfigError(_("Unknown time zone {name!r}.").format(name=name), hint=_("Use a name like Europe/Paris or UTC.")) from None
    return timezone.utc


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


# tzdata's other names for UTC (a container's TZ is often Etc/UTC): shown as the one name people know
UTC_ALIASES = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"})  # i18n: ignore (tz database names)


def shown_zone_name(zone: tzinfo) -> str:
    """The zone's name for people: ``Europe/Paris``; ``UTC`` for each of UTC's aliases."""
    key = zone_name(zone)
    return "UTC" if key in UTC_ALIASES else key


def format_when(moment: datetime, zone: tzinfo) -> str:
    """``Mon 2026-01-05 09:00 CET (Europe/Paris)``: the zone is always shown. In another language the
    date and time follow its conventions (Babel, through the current language of ``i18n``):
    ``lun, 5 ene 2026, 9:00 CET (Europe/Paris)``."""
    from selfverify.i18n import SOURCE_LANGUAGE, babel_locale as current_language

    local = moment.astimezone(zone)
    abbreviation = local.tzname() or ""
    key = shown_zone_name(zone)
    suffix = abbreviation if abbreviation == key or not key else f"{abbreviation} ({key})"
    if current_language() == SOURCE_LANGUAGE:
        return f"{local:%a %Y-%m-%d %H:%M} {suffix}".strip()
    from babel import Locale
    from babel.dates import format_time

    language = current_language()
    combined = str(Locale.parse(language).datetime_formats["medium"])
    return f"{combined.replace('{1}', format_day(local)).replace('{0}', format_time(local, 'short', locale=language))} {suffix}".strip()


def format_day(day: date) -> str:
    """``Mon 2026-01-05``; in another language its own way (Babel): ``lun, 5 ene 2026``."""
    from selfverify.i18n import SOURCE_LANGUAGE, babel_locale as current_language

    if current_language() == SOURCE_LANGUAGE:
        return f"{day:%a %Y-%m-%d}"
    from babel.dates import format_skeleton

    return format_skeleton("yMMMEd", day, locale=current_language())


def parse_local_time(text: str, zone: tzinfo) -> datetime:
    """``2026-01-05 09:00`` (in ``zone``) or ISO 8601 with an offset -> aware UTC."""
    raw = str(text).strip()
    try:
        parsed = datetime.fromisoformat(raw.replace(" ", "T", 1) if " " in raw and "T" not in raw else raw)
    except ValueError:
        raise InputError(
            _("{value!r} is not a date and time: use YYYY-MM-DD HH:MM (in {zone}).").format(value=raw, zone=zone_name(zone)),
            code="bad_time",
        ) from None
    check_year(parsed.year, raw)
    try:
        if parsed.tzinfo is None:
            parsed = _attach_zone(parsed, zone, raw)
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise InputError(_("{value!r} is too far from today.").format(value=raw), code="bad_time") from None


# dates people may type: anything outside is a typo or an attack, and would overflow date arithmetic
YEARS = (2000, 2199)


def check_year(year: int, shown: object) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(_("{value!r} is outside the years {first} to {last}.").format(value=str(shown)[:40], first=YEARS[0],
                                                                                      last=YEARS[1]), code="bad_time")


def _attach_zone(naive: datetime, zone: tzinfo, shown: str) -> datetime:
    aware = naive.replace(tzinfo=zone)
    # a wall time skipped by a daylight-saving change does not round-trip through UTC
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
        raise InputError(_("{value} does not exist in {zone} (the clocks change then).").format(value=shown, zone=zone_name(zone)),
                         code="bad_time")
    return aware


def remember_zone(service, name: str, config_file) -> str:  # noqa: ANN001 - an InterviewService; Path
    """The person chose (or confirmed) a time zone when booking: check it, use it from now on in
    ``service`` and its context, and write it to the config file so every later start shows times in it.
    Returns the config file's path. An unknown name is an InputError and changes nothing."""
    from selfverify.config import remember_setting

    text = str(name or "").strip()
    if len(text) > 64 or not text.isprintable():
        raise InputError(_("That is not a time zone name: use one like Europe/Paris, America/New_York or UTC."),
                         code="bad_timezone")
    try:
        zone = resolve_zone(text) if text else None
    except ConfigError as exc:
        raise InputError(exc.user_message, code="bad_timezone",
                         hint=_("Use a name like Europe/Paris, America/New_York or UTC.")) from None
    if zone is None:
        raise InputError(_("Type a time zone name, e.g. Europe/Paris."), code="bad_timezone")
    key = zone_name(zone)
    path = remember_setting(config_file, "timezone", key)
    service.ctx.settings = service.ctx.settings.replace(timezone=key)
    service.zone = zone
    return str(path)
