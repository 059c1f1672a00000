"""The catalogs against the code: Babel extracts every marked string from src/, and each
translation must have every one of them translated (not missing, not empty, not fuzzy) with the
same {placeholders}; the template must be current; each translated notice must match the English
one's versions and placeholders. Fixing a failure: README, "Languages"."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from selfverify import i18n
from tests.conftest import ROOT

LOCALE = ROOT / "src" / "selfverify" / "locale"
FIX = ("re-extract and update: pybabel extract -F babel.cfg -o src/selfverify/locale/selfverify.pot . && "
       "pybabel update -D selfverify -i src/selfverify/locale/selfverify.pot -d src/selfverify/locale, then translate")


def extracted() -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> where, for every string marked in the package (babel.cfg's mapping)."""
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map=[("src/selfverify/**.py", "python")]):
        msgid = message[0] if isinstance(message, tuple) else message
        found[(context, msgid)] = f"{filename}:{lineno}"
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def translated_languages() -> list[str]:
    return [code for code in i18n.available_languages() if code != i18n.SOURCE_LANGUAGE]


def test_every_marked_string_is_found():
    messages = extracted()
    assert len(messages) > 50
    assert (None, "Welcome to selfverify") in messages and ("progress step", "Selfie") in messages


@pytest.mark.parametrize("language", translated_languages())
def test_the_catalog_translates_every_marked_string(language):
    catalog = read_po((LOCALE / language / "LC_MESSAGES" / "selfverify.po").open("rb"))
    problems = []
    for (context, msgid), where in sorted(extracted().items(), key=lambda item: item[1]):
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problems.append(f"{where}: missing {msgid!r}")
            continue
        forms = list(entry.string) if isinstance(entry.string, tuple) else [entry.string]
        if entry.fuzzy:
            problems.append(f"{where}: fuzzy {msgid!r}")
        elif not all(forms):
            problems.append(f"{where}: untranslated {msgid!r}")
        else:
            ids = list(entry.id) if isinstance(entry.id, tuple) else [entry.id]
            wanted = set().union(*(fields(i) for i in ids))
            for form in forms:
                if fields(form) != wanted:  # str.format would fail, or lose a value
                    problems.append(f"{where}: placeholders {sorted(fields(form))} in {form!r}, want {sorted(wanted)}")
    assert not problems, f"{language} catalog ({FIX}):\n" + "\n".join(problems)


def test_the_template_is_current():
    with (LOCALE / "selfverify.pot").open("rb") as fh:
        template = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in read_po(fh) if m.id}
    now = set(extracted())
    assert template == now, f"{FIX}: new {sorted(now - template)[:5]}, gone {sorted(template - now)[:5]}"


NOTICE = ROOT / "assets" / "notice"


def test_each_translated_notice_matches_the_english_versions_and_settings():
    english = {p.name: set(re.findall(r"\{(\w+)\}", p.read_text(encoding="utf-8"))) for p in (NOTICE / "en").glob("v*.md")}
    assert english
    for language in translated_languages():
        notices = sorted((NOTICE / language).glob("v*.md"))
        assert notices, f"no consent notice in {language}: assets/notice/{language}/v<N>.md"
        for notice in notices:
            assert notice.name in english, f"{notice}: no English {notice.name} (versions follow English)"
            used = set(re.findall(r"\{(\w+)\}", notice.read_text(encoding="utf-8")))
            assert used == english[notice.name], f"{notice}: settings {sorted(used)}, English has {sorted(english[notice.name])}"
