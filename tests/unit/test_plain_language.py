"""The accessible mode's language menu: listed in the main menu under every language's own name,
applied at once and remembered in the config file."""

from __future__ import annotations

from selfverify import i18n
from selfverify.context import AppContext
from tests.unit.test_plain_flows import MAIN_QUIT, drive


def test_the_main_menu_entry_switches_to_spanish_and_remembers_it(plain_settings, tmp_path):
    ctx = AppContext(settings=plain_settings, front_end="plain")
    config = tmp_path / "config.toml"
    try:
        code, text = drive(ctx, ["language", "2", MAIN_QUIT], config_file=config)
        assert code == 0
        lines = text.splitlines()
        assert "5. Language (English, Español)" in lines  # after Quit: "4" quits, as it always did
        assert "1. English (current)" in lines and "2. Español" in lines
        assert any(line.startswith(f"Estado: Idioma: Español. Guardado en {config} ") for line in lines)
        assert "5. Idioma (English, Español)" in lines  # the menu read again, in Spanish
        assert 'lang = "es"' in config.read_text() and i18n.current_language() == "es"
        # Spanish chosen: the same entry, found by its Spanish word, goes back to English
        code, text = drive(ctx, ["idioma", "english", MAIN_QUIT], config_file=config)
        assert "1. English" in text.splitlines() and "2. Español (el actual)" in text.splitlines()
        assert 'lang = "en"' in config.read_text() and i18n.current_language() == "en"
    finally:
        i18n.set_language("en")


def test_choosing_the_current_language_or_the_main_menu_changes_nothing(plain_settings, tmp_path):
    ctx = AppContext(settings=plain_settings, front_end="plain")
    config = tmp_path / "config.toml"
    _, text = drive(ctx, ["5", "1", "5", "3", MAIN_QUIT], config_file=config)
    assert not config.exists() and "Idioma" not in text and i18n.current_language() == "en"
