"""The high-contrast theme: every text colour reaches at least 7:1 against the background
(WCAG AAA), checked by tests/unit/test_contrast.py."""

from __future__ import annotations

from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="selfverify-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFB000",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    success="#00FF66",
    warning="#FFD400",
    error="#FF8080",
    dark=True,
    text_alpha=1.0,
    luminosity_spread=0.0,
    variables={
        "text-muted": "#E0E0E0",
        "border": "#FFFFFF",
        "border-blurred": "#C0C0C0",
        "footer-key-foreground": "#FFFF00",
        "footer-description-foreground": "#FFFFFF",
        "footer-background": "#000000",
        "input-selection-background": "#FFFF00 50%",
        "button-color-foreground": "#000000",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#FFFF00",
        "block-cursor-text-style": "bold",
    },
)

THEMES = [HIGH_CONTRAST]
