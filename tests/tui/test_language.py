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


def widget_texts(app) -> list[str]:  # noqa: ANN001
    """What each visible label, button and text of the current screen means to show."""
    from textual.widgets import Button, Label, Static

    texts = []
    for widget in app.screen.query("*"):
        if not widget.display or not widget.region.area:
            continue
        if isinstance(widget, Button):
            texts.append(str(widget.label))
        elif isinstance(widget, (Static, Label)) and widget.id not in ("steps", "status-line"):
            texts.append(str(widget.render()))
    return texts


async def test_every_screen_follows_a_language_switch_and_keeps_what_was_done(
        make_app, app_ctx, keyring_service, clip_reference):
    """Screens under the current one too: each is said again in the new language (no word cut at
    80x24), the ticks, the typed path and the checked photo stay; and back again."""
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.mydata import MyDataScreen
    from selfverify.tui.screens.reference import ReferenceScreen
    from selfverify.tui.screens.result import ResultScreen
    from tests.tui.test_snapshots import _outcome

    ConsentService(app_ctx).accept()
    app = make_app(startup=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.journey.reference_path = str(clip_reference)
            await app.push_screen(ReferenceScreen())
            await settle(pilot)
            assert "OK: 1 face found" in screen_text(app)
            await app.push_screen(ResultScreen(_outcome(False, "no_match")))
            await settle(pilot)
            app.screen.query_one("#keep-reference").value = True
            await press_settled(pilot, "f2")
            app.action_language("es")
            await settle(pilot, 0.2)
            assert isinstance(app.screen, MyDataScreen)
            assert "Fotos guardadas" in screen_text(app) and "Borrarlo todo" in screen_text(app)
            assert "Estado:" in screen_text(app) and "Borrar" in footer_descriptions(app)
            assert shown_whole(app, widget_texts(app)) == [], screen_text(app)
            await press_settled(pilot, "escape")
            assert isinstance(app.screen, ResultScreen)
            assert "Guardar mi elección" in screen_text(app) and "Reintentar (t)" in screen_text(app)
            assert app.screen.query_one("#keep-reference").value  # the tick stayed
            assert "Paso 4 de 4" in screen_text(app)
            assert shown_whole(app, widget_texts(app)) == [], screen_text(app)
            await press_settled(pilot, "escape")  # Done: back to the start ...
            app.action_language("en")
            await settle(pilot, 0.2)
            app.action_language("es")
            await settle(pilot, 0.2)
            await app.push_screen(ReferenceScreen())
            await settle(pilot)
            assert "Correcto: 1 cara encontrada" in screen_text(app)
            assert shown_whole(app, widget_texts(app)) == [], screen_text(app)
            app.action_language("en")  # the screen on top, switched again: in place
            await settle(pilot, 0.2)
            text = screen_text(app)
            assert "OK: 1 face found" in text and "Next: selfie (ctrl+n)" in text and "Step 2 of 4" in text
            assert app.screen.query_one("#reference-path").value == str(clip_reference)
            assert not app.screen.query_one("#next").disabled
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("screen", ["selfie", "log"])
async def test_the_selfie_and_log_screens_in_spanish_show_every_word_whole(make_app, app_ctx, keyring_service,
                                                                           clip_reference, screen):
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.selfie import SelfieScreen

    ConsentService(app_ctx).accept()
    app = make_app(reference=str(clip_reference), camera="/dev/video9", startup=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.action_language("es")
            await settle(pilot)
            if screen == "selfie":
                await app.push_screen(SelfieScreen())
                await settle(pilot, 0.2)
                assert "Sin imagen. Pulse t para reintentarlo." in screen_text(app)
                app.action_language("en")  # the camera's placeholder follows too
                await settle(pilot, 0.1)
                assert "No preview. Press t to try again." in screen_text(app) and "Stop (esc)" in screen_text(app)
                app.action_language("es")
                await settle(pilot, 0.1)
            else:
                await press_settled(pilot, "f3")
                said = [text for _when, text in app.history.entries]
                assert any(len(text) > 2 * 80 for text in said)  # the language's long sentence, with its path
                log = app.screen.query_one("#status-log")
                shown = "".join(screen_text(app).splitlines()[log.region.y:log.region.bottom])
                shown = "".join(re.sub(r"\d\d:\d\d:\d\d", "", shown).split())  # the times out, lines joined
                assert [text for text in said if "".join(text.split()) not in shown] == [], screen_text(app)
            assert shown_whole(app, widget_texts(app) + footer_descriptions(app)) == [], screen_text(app)
    finally:
        i18n.set_language("en")


async def test_the_camera_placeholder_wraps_and_never_cuts_a_word(spanish):
    from textual.app import App

    from selfverify.tui.widgets.camera_view import CameraView

    class Narrow(App):
        def compose(self):  # noqa: ANN202
            view = CameraView()  # the default placeholder: the longest one
            view.styles.width, view.styles.height = 22, 7
            yield view

    app = Narrow()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        said = i18n._("Camera preview starts when the check begins.")
        assert len(said) > 22
        assert shown_whole(app, [said]) == [], screen_text(app)


async def test_the_step_bar_wraps_when_consent_was_withdrawn_in_spanish(make_keyless_app, spanish):
    """The longest step bar ("✗ Consentimiento retirado", on the padded result screen) wraps, whole."""
    from selfverify.tui.screens.result import ResultScreen
    from tests.tui.test_snapshots import _outcome

    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ResultScreen(_outcome(False, "no_match")))
        await settle(pilot)
        steps = app.screen.query_one("#steps")
        steps.show_consent(False)
        await pilot.pause()
        said = str(steps.render())
        assert "Consentimiento retirado" in said
        assert shown_whole(app, [said]) == [], screen_text(app)


async def test_the_wait_between_tries_in_spanish_shows_every_word_whole(make_keyless_app, keyless_ctx, clip_reference, spanish):
    """Waiting between tries: the countdown, the problem and the hint in the narrow side column."""
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.selfie import SelfieScreen

    ConsentService(keyless_ctx).accept()
    policy = AttemptPolicy(keyless_ctx)
    for _ in range(keyless_ctx.settings.max_consecutive_failures):
        policy.record_failure()
    app = make_keyless_app(reference=str(clip_reference), camera="/dev/video9", startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(SelfieScreen())
        await settle(pilot, 0.4)
        countdown = str(app.screen.query_one("#countdown").render())
        assert countdown.startswith("Podrá reintentarlo dentro de"), screen_text(app)
        assert shown_whole(app, widget_texts(app)) == [], screen_text(app)
        for wid in ("#countdown", "#guidance", "#challenge"):  # each whole in its own place
            widget = app.screen.query_one(wid)
            lines = screen_text(app).splitlines()[widget.region.y:widget.region.bottom]
            inside = " ".join(line[widget.region.x:widget.region.right] for line in lines).split()
            assert inside == str(widget.render()).split(), screen_text(app)


async def test_the_footer_follows_the_language_while_the_terminal_has_no_focus(make_keyless_app):
    """Textual's footer skips redrawing while the app has no focus (a terminal sent focus-out)."""
    app = make_keyless_app(startup=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await press_settled(pilot, "s")
            app.app_focus = False
            app.action_language("es")
            await settle(pilot, 0.2)
            assert "Salir" in screen_text(app).splitlines()[-1], screen_text(app)
    finally:
        i18n.set_language("en")


async def test_a_notice_reloaded_beneath_does_not_take_the_status_line(make_app, app_ctx, keyring_service):
    """Consent given earlier, the reference screen on top: after a switch the status line says the
    language, not the consent screen's "You accepted notice v1 earlier" (reloaded beneath)."""
    from selfverify.services.consent import ConsentService

    ConsentService(app_ctx).accept()
    app = make_app(startup=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await press_settled(pilot, "s", "1")
            assert type(app.screen).__name__ == "ReferenceScreen"
            app.action_language("es")
            await settle(pilot, 0.3)
            assert app.history.last.startswith("Idioma: Español."), app.history.entries[-3:]
    finally:
        i18n.set_language("en")


async def test_the_palette_and_its_theme_list_speak_spanish(make_keyless_app, spanish):
    """Textual's own palette entries (Theme, Quit, Keys...) and search hints are translated too."""
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot, 0.3)
        assert "Buscar comandos…" in screen_text(app)
        await pilot.press(*"tema")
        await settle(pilot, 0.3)
        assert "Cambiar el tema de colores" in screen_text(app), screen_text(app)
        await pilot.press("enter")
        await settle(pilot, 0.3)
        assert "Buscar temas…" in screen_text(app), screen_text(app)
