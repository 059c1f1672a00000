"""The language layer: which language is chosen, per-string fallback to English, plural forms,
contexts, lazy strings, the compiled-catalog cache (never stale) and locale-aware formats."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from selfverify import i18n


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("environ, expected", [
    ({}, "en"),
    ({"LANG": "es_ES.UTF-8"}, "es"),
    ({"LANG": "es_MX.UTF-8"}, "es"),  # a region without its own catalog: the language's
    ({"LANG": "fr_FR.UTF-8"}, "en"),  # no French catalog: English, quietly
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_ES.UTF-8"}, "es"),
    ({"LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "es_ES.UTF-8"}, "en"),  # LC_ALL overrides the others
    ({"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr:es:en"}, "es"),  # LANGUAGE is a list of preferences
    ({"LANG": "es_ES.UTF-8", "LANGUAGE": "en"}, "en"),
    ({"LC_ALL": "C", "LANGUAGE": "es"}, "en"),  # gettext ignores LANGUAGE under the C locale
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "POSIX"}, "en"),
])
def test_the_system_language_is_read_as_gettext_reads_it(environ, expected):
    assert i18n.system_language(environ) == expected


@pytest.mark.parametrize("tag", ["../es", "es/../../etc", "es\0", "", " ", "e", "español", "es_ES/x", "es/", "x" * 300])
def test_a_tag_that_is_not_a_language_tag_never_reaches_the_file_system(tag):
    assert i18n.match_language(tag) is None


def test_a_language_asked_for_by_name_without_a_catalog_is_one_line_and_english():
    language, problem = i18n.resolve_language("xx", "--lang", {})
    assert language == "en"
    assert problem.count("\n") == 0 and "'xx'" in problem and "--lang" in problem and "es (Español)" in problem
    language, problem = i18n.resolve_language("\x1b[31mred", "SELFVERIFY_LANG", {})
    assert language == "en" and "\x1b" not in problem  # shown, never interpreted by the terminal
    assert i18n.resolve_language("ES-mx", "--lang", {}) == ("es", None)
    assert i18n.resolve_language(None, "", {"LANG": "es_ES.UTF-8"}) == ("es", None)


def test_spanish_catalog_translates_and_falls_back_to_english_per_string(spanish):
    assert i18n._("Welcome to selfverify") == "Le damos la bienvenida a selfverify"
    assert i18n._("A sentence nobody translated.") == "A sentence nobody translated."
    assert i18n._("") == ""  # never the catalog's header
    assert i18n.pgettext("progress step", "Selfie") == "Selfi"
    assert i18n.pgettext("no such context", "Selfie") == "Selfie"


def test_spanish_plural_forms(spanish):
    def said(n: int) -> str:
        return i18n.ngettext("{count} expired photo deleted", "{count} expired photos deleted", n).format(count=n)

    assert said(1) == "1 foto caducada borrada"
    assert said(2) == "2 fotos caducadas borradas"
    assert said(0) == "0 fotos caducadas borradas"
    assert said(1_000_000) == "1000000 de fotos caducadas borradas"
    i18n.set_language("en")
    assert said(1) == "1 expired photo deleted" and said(3) == "3 expired photos deleted"


def test_a_lazy_string_is_translated_each_time_it_is_used():
    label = i18n.lazy_gettext("Main menu")
    assert str(label) == "Main menu" and f"{label}:" == "Main menu:" and label + "!" == "Main menu!"
    i18n.set_language("es")
    try:
        assert str(label) == "Menú principal" and "> " + label == "> Menú principal" and label.lower() == "menú principal"
        assert label == "Menú principal" and len(label) == len("Menú principal")
    finally:
        i18n.set_language("en")


def _catalog(folder, entries: str) -> None:
    messages = folder / "es" / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    (messages / "selfverify.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n' + entries, encoding="utf-8")


@pytest.fixture
def own_catalogs(tmp_path, monkeypatch):
    """A locale folder of the test's own, with a fresh in-process cache and a cache folder."""
    folder = tmp_path / "locale"
    monkeypatch.setattr(i18n, "locale_dir", lambda: folder)
    monkeypatch.setattr(i18n, "_loaded", {})
    monkeypatch.setattr(i18n, "cache_dir", lambda: tmp_path / "cache")
    yield folder
    i18n.set_language("en")


def test_fuzzy_and_empty_entries_show_the_english_text(own_catalogs):
    _catalog(own_catalogs, 'msgid "Yes"\nmsgstr "Sí"\n\n#, fuzzy\nmsgid "No"\nmsgstr "Nein"\n\nmsgid "Maybe"\nmsgstr ""\n')
    assert i18n.set_language("es") == "es"
    assert [i18n._(m) for m in ("Yes", "No", "Maybe")] == ["Sí", "No", "Maybe"]


def test_an_edited_po_is_never_shadowed_by_a_stale_compiled_catalog(own_catalogs, tmp_path):
    _catalog(own_catalogs, 'msgid "Yes"\nmsgstr "Vale"\n')
    po = own_catalogs / "es" / "LC_MESSAGES" / "selfverify.po"
    first = i18n.compiled_catalog(po)
    assert len(list((tmp_path / "cache").iterdir())) == 1  # compiled once, into the cache
    assert i18n.compiled_catalog(po) == first  # and read from there
    # a .mo beside the .po (an old `pybabel compile`) and an edit of the .po: the .po wins
    (po.parent / "selfverify.mo").write_bytes(first)
    _catalog(own_catalogs, 'msgid "Yes"\nmsgstr "Sí"\n')
    i18n.set_language("es")
    assert i18n._("Yes") == "Sí"
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_without_a_writable_cache_the_catalog_is_compiled_in_memory(own_catalogs, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setattr(i18n, "cache_dir", lambda: blocker / "locale")
    _catalog(own_catalogs, 'msgid "Yes"\nmsgstr "Sí"\n')
    i18n.set_language("es")
    assert i18n._("Yes") == "Sí"


def test_a_wheel_without_po_uses_its_compiled_catalog(own_catalogs):
    _catalog(own_catalogs, 'msgid "Yes"\nmsgstr "Sí"\n')
    po = own_catalogs / "es" / "LC_MESSAGES" / "selfverify.po"
    (po.parent / "selfverify.mo").write_bytes(i18n.compile_po(po.read_bytes()))
    po.unlink()
    assert i18n.available_languages() == ["en", "es"]
    i18n.set_language("es")
    assert i18n._("Yes") == "Sí"


def test_dates_times_and_numbers_follow_the_language(spanish):
    moment = datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc)
    assert i18n.format_date(moment, "long") == "5 de marzo de 2026"
    assert i18n.format_time(moment, tzinfo=timezone.utc) == "14:30"
    assert i18n.format_number(1234567.5) == "1.234.567,5"
    assert "marzo" in i18n.format_datetime(moment, "long", tzinfo=timezone.utc)
    i18n.set_language("en")
    assert i18n.format_date(moment, "long") == "March 5, 2026"
    assert i18n.format_number(1234567.5) == "1,234,567.5"
    assert i18n.format_time(moment, tzinfo=timezone.utc).replace("\u202f", " ") == "2:30 PM"


def test_language_names_are_each_languages_own():
    assert i18n.language_name("es") == "Español" and i18n.language_name("en") == "English"
    assert i18n.language_name("fr") == "Français"  # Babel names a language without a catalog yet
