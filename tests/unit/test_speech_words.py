"""Words for the ear (wording.speech) and the one set of outcome sentences (wording.outcomes)."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from selfverify.core.events import Decision
from selfverify.wording.outcomes import NO_CREDENTIAL, meaning
from selfverify.wording.speech import day, duration, phonetic, speakable, spoken_reference, when, zone_words

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def spanish():
    from selfverify.i18n import set_language

    set_language("es")  # tests/conftest.py puts English back after each test


def test_dates_in_words_with_the_year_only_when_it_is_not_this_one():
    moment = datetime(2026, 12, 3, 8, 40, tzinfo=timezone.utc)
    assert when(moment, PARIS, now=moment) == "Thursday 3 December at 09:40"
    assert when(moment, PARIS, now=datetime(2025, 1, 1, tzinfo=timezone.utc)) == "Thursday 3 December 2026 at 09:40"
    assert when(moment, PARIS, now=moment, with_zone=True) == "Thursday 3 December at 09:40, Paris time (CET)"
    assert zone_words(ZoneInfo("Etc/UTC")) == "UTC" and "/" not in zone_words(ZoneInfo("America/New_York"))


def test_units_and_plurals_written_out():
    assert [duration(s) for s in (1, 30, 60, 125, 5400)] == [
        "1 second", "30 seconds", "1 minute", "2 minutes and 5 seconds", "1 hour and 30 minutes"]
    assert duration(3725) == "1 hour, 2 minutes, and 5 seconds"  # Babel's list rule for English


def test_spanish_for_the_ear_dates_units_and_digits(spanish):
    """The same words in Spanish: Babel's date pattern and city names, ngettext plurals, Babel's list rule."""
    moment = datetime(2026, 12, 3, 8, 40, tzinfo=timezone.utc)
    assert when(moment, PARIS, now=moment, with_zone=True) == "jueves 3 de diciembre a las 09:40, hora de París (CET)"
    assert when(datetime(2026, 12, 3, 0, 5, tzinfo=timezone.utc), PARIS, now=moment) == "jueves 3 de diciembre a la 01:05"
    assert day(moment, PARIS, now=datetime(2025, 1, 1, tzinfo=timezone.utc)) == "jueves 3 de diciembre de 2026"
    assert [duration(s) for s in (1, 30, 125, 5400, 3725)] == [
        "1 segundo", "30 segundos", "2 minutos y 5 segundos", "1 hora y 30 minutos", "1 hora, 2 minutos y 5 segundos"]
    assert phonetic("K7QX-M4PD") == "Kilo, siete, Quebec, X-ray; Mike, cuatro, Papa, Delta"
    assert speakable("Espere 30 s; 198x198, 4a7f9c2e0b1d4e5fa0b1c2d3e4f50617.") == (
        "Espere 30 segundos; 198 por 198, referencia 4 A 7 F, 9 C 2 E.")


def test_codes_spelled_so_that_nothing_sounds_alike():
    assert phonetic("K7QX-M4PD") == "Kilo, seven, Quebec, X-ray; Mike, four, Papa, Delta"
    # every character of the interview code alphabet has a word, and no two words are the same
    from selfverify.services.interview import CODE_ALPHABET

    words = [phonetic(c) for c in CODE_ALPHABET]
    assert len(set(words)) == len(words) and all(len(w) > 2 for w in words)
    assert spoken_reference("4a7f9c2e0b1d4e5fa0b1c2d3e4f50617") == "4 A 7 F, 9 C 2 E"


def test_speakable_rewords_what_other_modules_write():
    text = speakable("Please wait 30 s; 2 photo(s) deleted at 2026-12-03T09:40:12.123456+00:00, 198x198, Etc/UTC, "
                     "session 4a7f9c2e0b1d4e5fa0b1c2d3e4f50617.")
    assert text == ("Please wait 30 seconds; 2 photos deleted at Thursday 3 December 2026 at 09:40 UTC, 198 by 198, UTC, "
                    "session reference 4 A 7 F, 9 C 2 E.")
    assert speakable("1 s") == "1 second" and speakable("K7QX-M4PD at /home/a/b.png") == "K7QX-M4PD at /home/a/b.png"


def _outcome(decision, **extra):
    return SimpleNamespace(decision=decision, credential=extra.get("credential"),
                           credential_error=extra.get("credential_error"), credential_hint=extra.get("credential_hint"))


def test_one_meaning_per_outcome():
    live = dict(verified=True, liveness="passed", live_source=True)
    cred = SimpleNamespace(id="c1", expires_at=datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert meaning(_outcome(Decision(**live), credential=cred)).kind == "verified"
    keyring = meaning(_outcome(Decision(**live), credential_error="No keyring.", credential_hint="Start one."))
    assert (keyring.kind, keyring.title, keyring.sentences[-1]) == ("no_credential", NO_CREDENTIAL, "Fix: Start one. Then try again.")
    assert meaning(_outcome(Decision(verified=True, liveness="passed"), credential_error="x")).kind == "recording"
    assert meaning(_outcome(Decision(verified=True, liveness="skipped"))).kind == "replay"
    # a run whose face was measured and did not match is a mismatch, whatever else stopped it
    far = meaning(_outcome(Decision(reason="not_live", distance=0.8, tolerance=0.5, liveness="failed")))
    assert far.kind == "no_match" and "did not match" in far.title
    near = meaning(_outcome(Decision(reason="not_live", distance=0.3, tolerance=0.5, liveness="failed")))
    assert near.kind == "not_live" and "liveness challenge was not completed" in near.title
