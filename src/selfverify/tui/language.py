"""The language switch of the Textual app: the command palette's entries, the app's action, and the
footer's key descriptions in the current language."""

from __future__ import annotations

import dataclasses
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.widgets import Footer

from selfverify.i18n import N_, _, available_languages, current_language, language_name

# Textual's own footer entry for the command palette, in the catalog too
TEXTUAL_DESCRIPTIONS = (N_("palette"),)


def translated_bindings(bindings: dict) -> dict:
    """``Screen.active_bindings`` with each description translated (bindings are declared in English)."""
    out = {}
    for key, active in bindings.items():
        binding = active.binding
        if binding.description:
            binding = dataclasses.replace(binding, description=_(binding.description))
        out[key] = active._replace(binding=binding)
    return out


class LanguageCommands(Provider):
    """One palette entry per language, named in that language (found by typing "language" or its name)."""

    def _commands(self) -> list[tuple[str, str, str]]:
        entries = []
        for code in available_languages():
            mark = " ✓" if code == current_language() else ""
            entries.append((f"{_('Language')}: {language_name(code)}{mark}", code,
                            _("Show selfverify in {name} from now on").format(name=language_name(code))))
        return entries

    async def discover(self) -> Hits:
        for title, code, help_ in self._commands():
            yield DiscoveryHit(title, partial(self.app.action_language, code), help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, code, help_ in self._commands():
            score = max(matcher.match(title), matcher.match(f"language {language_name(code)}"))
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.action_language, code), help=help_)


class LanguageSwitch:
    """Mixed into the App: ``action_language(code)`` switches now and remembers it for the next start.

    Screens that define ``language_changed`` rebuild themselves in the new language (the welcome and
    consent screens); every screen's footer follows at once."""

    def action_language(self, code: str) -> None:
        from selfverify.i18n import switch_language
        from selfverify.plain.app import config_file_in_use

        said = switch_language(self.ctx, code, config_file_in_use(self.ctx))
        self.call_later(self._language_changed, said)

    async def _language_changed(self, said: str) -> None:
        for screen in list(self.screen_stack):
            rebuild = getattr(screen, "language_changed", None)
            if rebuild is not None:
                await rebuild()
            screen.refresh_bindings()  # a screen beneath redraws its footer when it is shown again
        for footer in self.screen.query(Footer):  # Footer skips that update while the app has no focus
            footer.call_later(footer.recompose)  # in its own context (its compose binds to it)
        self.set_status(said)
