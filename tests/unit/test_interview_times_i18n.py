"""Interview times in the current language (issue 15): English keeps its one format, another
language gets Babel's (weekday, day, month, year and time in that language's order), the zone is
always named, and UTC's tzdata aliases (a container's Etc/UTC) read as UTC."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from selfverify import i18n
from selfverify.services.interview.zones import format_day, format_when, resolve_zone, shown_zone_name

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_english_keeps_its_format():
    assert format_when(MOMENT, resolve_zone("Europe/Paris")) == "Mon 2026-01-05 09:00 CET (Europe/Paris)"
    assert format_day(date(2026, 1, 5)) == "Mon 2026-01-05"


def test_spanish_follows_babel_and_names_the_zone(spanish):
    assert format_when(MOMENT, resolve_zone("Europe/Paris")) == "lun, 5 ene 2026, 9:00 CET (Europe/Paris)"
    assert format_when(MOMENT, resolve_zone("America/Mexico_City")) == "lun, 5 ene 2026, 2:00 CST (America/Mexico_City)"
    assert format_day(date(2026, 1, 6)) == "mar, 6 ene 2026"


@pytest.mark.parametrize("name", ["Etc/UTC", "UTC", "Etc/Universal", "Zulu"])
def test_utc_aliases_read_as_utc(name):
    zone = resolve_zone(name)
    assert shown_zone_name(zone) == "UTC"
    assert format_when(MOMENT, zone) == "Mon 2026-01-05 08:00 UTC"


def test_other_zones_keep_their_names():
    assert shown_zone_name(resolve_zone("Etc/GMT+5")) == "Etc/GMT+5"  # not UTC: five hours behind
    assert shown_zone_name(resolve_zone("Asia/Tokyo")) == "Asia/Tokyo"
