"""The language switch of the Textual app (welcome screen and command palette), the welcome and
consent screens in Spanish at 80x24 (every word shown whole: wrapped, never cut), and the
language of the notice recorded with the consent."""

from __future__ import annotations

import re

import pytest

from selfverify import i18n
from tests.tui.conftest import press_settled, settle


def screen_text(app) -> str:  # noqa: ANN001
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def shown_whole(app, texts) -> list[str]:  # noqa: ANN001
    """The words of ``texts`` that do not appear whole on the screen (cut by a border, a button or the edge)."""
    screen = screen_text(app)
    words = {w for text in texts for w in re.findall(r"[\w’'/.:-]+", text.replace("**", "")) if len(w) > 1}
    return sorted(w.strip(".:") for w in words if w.strip(".:") and w.strip(".:") not in screen)


def footer_descriptions(app) -> list[str]:  # noqa: ANN001
    return [active.binding.description for active in app.screen.active_bindings.values()
            if active.binding.show and active.binding.description]


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


async def test_welcome_and_consent_in_spanish_fit_80x24_without_a_cut_word(make_keyless_app, spanish):
    from selfverify.tui.screens import consent, welcome

    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        texts = [i18n._(welcome.INTRO), i18n._("Welcome to selfverify"), i18n._("Start (s)"), i18n._("My data (d)"),
                 i18n._("Language (l):"), "English", "Español", *footer_descriptions(app)]
        assert "Le damos la bienvenida a selfverify" in screen_text(app)
        assert shown_whole(app, texts) == [], screen_text(app)
        await press_settled(pilot, "s")
        await settle(pilot, 0.2)
        texts = [i18n._(consent.SELFIE_TEXT), i18n._(consent.INTERVIEW_TEXT), i18n._("Selfie check (1)"),
                 i18n._("Interview (2)"), i18n._(consent.TICK_TO_ENABLE), i18n._("No consent to biometrics needed."),
                 i18n._("I have read the notice and agree to the selfie check (a)"), *footer_descriptions(app),
                 "Paso 1 de 4", "Consentimiento", "Referencia", "Resultado"]
        assert shown_whole(app, texts) == [], screen_text(app)
        assert "Antes de la comprobación con selfi" in screen_text(app)  # the Spanish notice


async def test_the_welcome_screen_switches_the_language_and_remembers_it(make_keyless_app, keyless_ctx):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "Welcome to selfverify" in screen_text(app)
        await pilot.press("l")  # to the language buttons: the first one not in use
        assert app.focused.id == "lang-es"
        await pilot.press("enter")
        await settle(pilot, 0.1)
        text = screen_text(app)
        assert "Le damos la bienvenida a selfverify" in text and "✓ Español" in text
        assert "Empezar" in footer_descriptions(app) and "Salir" in footer_descriptions(app)
        config = keyless_ctx.paths.config_file
        assert 'lang = "es"' in config.read_text()
        assert app.history.last.startswith("Idioma: Español. Guardado en ")
        assert app.focused.id == "lang-es"
        # the palette's entry, found by the language's own name, goes back to English
        await pilot.press("ctrl+p")
        await pilot.press(*"English")
        await settle(pilot, 0.3)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert "Welcome to selfverify" in screen_text(app) and "✓ English" in screen_text(app)
        assert 'lang = "en"' in config.read_text()
        assert i18n.current_language() == "en"


async def test_a_consent_given_in_spanish_records_the_spanish_notice(make_keyless_app, keyless_ctx, spanish):
    from sqlmodel import select

    from selfverify.store.models import ConsentRecord

    app = make_keyless_app(startup=False)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        await press_settled(pilot, "s")
        await settle(pilot, 0.2)
        await pilot.press("a")
        # switching the language on the consent screen: the notice again, and the tick is gone
        app.action_language("en")
        await settle(pilot, 0.3)
        assert "Before your selfie check" in screen_text(app) and "[ ] I have read the notice" in screen_text(app)
        app.action_language("es")
        await settle(pilot, 0.3)
        await pilot.press("a")
        await press_settled(pilot, "1")
        await settle(pilot, 0.2)
    with keyless_ctx.db.session() as s:
        [record] = s.exec(select(ConsentRecord)).all()
    assert (record.choice, record.notice_version, record.notice_language) == ("accepted", "v1", "es")
