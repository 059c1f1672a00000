"""The language menu of the accessible mode: each language named in itself; the choice applies at
once and is remembered in the config file for the next start."""

from __future__ import annotations

from selfverify.i18n import _, available_languages, current_language, language_name, switch_language
from selfverify.plain.flow import Flow


def menu_label() -> str:
    """The main menu's entry: in the current language, with every language's own name, so a person
    who cannot read the current one still finds theirs."""
    names = ", ".join(language_name(code) for code in available_languages())
    return _("Language ({names})").format(names=names)


class LanguageFlow(Flow):
    def run(self) -> None:
        current = current_language()
        choices = [(code, _("{name} (current)").format(name=language_name(code)) if code == current else language_name(code))
                   for code in available_languages()]
        choices.append(("menu", _("Main menu")))
        choice = self.dialogue.choose(_("Language:"), choices, _("Choose the language selfverify speaks; it is kept for the next start."),
                                      default=current)
        if choice in ("menu", current):
            return
        self.out.status(switch_language(self.ctx, choice, self.app.config_file))
