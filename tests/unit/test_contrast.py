"""The high-contrast theme reaches WCAG AAA (7:1) for every colour text is drawn in."""

from __future__ import annotations

import pytest

from selfverify.tui.theme import HIGH_CONTRAST


def luminance(hex_colour: str) -> float:
    from textual.color import Color

    c = Color.parse(hex_colour)

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


TEXT_ON_BACKGROUND = ["foreground", "primary", "secondary", "accent", "success", "warning", "error"]


@pytest.mark.parametrize("name", TEXT_ON_BACKGROUND)
@pytest.mark.parametrize("surface", ["background", "surface", "panel"])
def test_text_colours_reach_7_to_1(name, surface):
    theme = HIGH_CONTRAST
    ratio = contrast(getattr(theme, name), getattr(theme, surface))
    assert ratio >= 7.0, f"{name} on {surface}: {ratio:.2f}:1"


@pytest.mark.parametrize("var", ["text-muted", "footer-key-foreground", "footer-description-foreground"])
def test_variables_used_for_text_reach_7_to_1(var):
    theme = HIGH_CONTRAST
    assert contrast(theme.variables[var], theme.background) >= 7.0
    assert contrast(theme.variables[var], theme.panel) >= 7.0


@pytest.mark.parametrize("name", ["primary", "success", "warning", "error", "accent", "secondary"])
def test_button_labels_on_coloured_buttons_reach_7_to_1(name):
    theme = HIGH_CONTRAST
    assert contrast(theme.variables["button-color-foreground"], getattr(theme, name)) >= 7.0


def test_text_is_fully_opaque():
    assert HIGH_CONTRAST.text_alpha == 1.0


def test_theme_is_registered_and_selectable():
    import asyncio

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.tui.app import SelfverifyApp

    async def run():
        app = SelfverifyApp(AppContext(load_settings({"theme": "selfverify-high-contrast"})), startup=False)
        async with app.run_test(size=(80, 24)):
            assert app.theme == "selfverify-high-contrast"

    asyncio.run(run())
