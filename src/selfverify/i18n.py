"""Languages: gettext catalogs, the choice of language, and locale-aware dates and numbers.

Strings are written in English in the code and marked: ``_("...")``, ``ngettext(one, many, n)``,
``pgettext(context, "...")``; ``N_("...")`` marks a string kept in a module-level constant and
translated where it is shown (``_(CONSTANT)``), and ``lazy_gettext`` gives an object that
translates each time it is turned into text. A string with no translation (missing, empty or
fuzzy in the catalog) is shown in English: never a key.

Catalogs: ``locale/<lang>/LC_MESSAGES/selfverify.po`` beside this file is the source. A wheel
carries the ``.mo`` compiled by the build hook (``hatch_build.py``) and no ``.po``. In a checkout
the ``.po`` wins: it is compiled once into the cache folder under a name holding the hash of its
bytes, so an edited ``.po`` is never shadowed by a stale ``.mo`` (without a writable cache it is
compiled in memory at each start).

Which language: ``--lang`` > ``SELFVERIFY_LANG`` > the config file's ``lang`` > the system's
(``LANGUAGE`` list, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as GNU gettext reads them) >
English. A language asked for by name that has no catalog gives one line and English; a system
locale with no catalog gives English quietly.

Babel (dates, numbers, plural rules when compiling) is imported only when used: ``--help`` never
pays for it.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar  # a C module: well under a millisecond
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # gettext and pathlib cost --help ~10 ms: imported when a catalog is loaded
    from gettext import NullTranslations
    from pathlib import Path

DOMAIN = "selfverify"
SOURCE_LANGUAGE = "en"
# each language's own name for itself: a person who cannot read the current language finds theirs
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # i18n: ignore (each in its own language)
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*$")

_current = SOURCE_LANGUAGE
_translations: NullTranslations | None = None  # None: English, the strings as written
_loaded: dict[str, NullTranslations] = {}
# (code, translations) while ``in_language`` holds, in that thread or task only; None: the process's
_override: ContextVar[tuple[str, NullTranslations | None] | None] = ContextVar("selfverify_language", default=None)


def locale_dir() -> str | os.PathLike[str]:
    return os.path.join(os.path.dirname(__file__), "locale")  # os.path: pathlib would cost --help ~10 ms


def available_languages() -> list[str]:
    """English first, then every language with a catalog (``.po`` or compiled ``.mo``)."""
    found = set()
    try:
        entries = list(os.scandir(locale_dir()))
    except OSError:
        entries = []
    for entry in entries:
        messages = os.path.join(entry.path, "LC_MESSAGES", DOMAIN)
        if _TAG.match(entry.name) and (os.path.isfile(messages + ".po") or os.path.isfile(messages + ".mo")):
            found.add(entry.name)
    found.discard(SOURCE_LANGUAGE)
    return [SOURCE_LANGUAGE, *sorted(found)]


def language_name(code: str) -> str:
    """``es`` -> ``Español``: the language's name in that language."""
    if code in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[code]
    try:
        from babel import Locale

        return Locale.parse(code).get_display_name(code).capitalize()
    except Exception:  # not a locale Babel knows: the code is the best name there is
        return code


def match_language(tag: str | None) -> str | None:
    """The available language for a tag such as ``es``, ``es-MX``, ``es_MX.UTF-8@euro``, or None.

    Only well-formed tags are looked up (a tag never becomes a path of its own)."""
    if not tag:
        return None
    base = tag.strip().split(".", 1)[0].split("@", 1)[0]
    if not _TAG.match(base):
        return None
    parts = re.split(r"[_-]", base)
    available = available_languages()
    for size in range(len(parts), 0, -1):
        candidate = "_".join([parts[0].lower(), *parts[1:size]])
        if candidate in available:
            return candidate
    return None


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the system asks for, as GNU gettext reads it, among those available."""
    environ = os.environ if environ is None else environ
    locale_name = ""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            locale_name = environ[name]
            break
    if locale_name.split(".", 1)[0] in ("", "C", "POSIX"):
        return SOURCE_LANGUAGE  # LANGUAGE is ignored under the C locale, as gettext does
    for tag in environ.get("LANGUAGE", "").split(":"):
        found = match_language(tag)
        if found:
            return found
    return match_language(locale_name) or SOURCE_LANGUAGE


def resolve_language(asked: str | None, source: str, environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """(language, problem): ``asked`` (from ``source``: --lang, SELFVERIFY_LANG, the config file) if
    it has a catalog, else English and a one-line message; nothing asked: the system's language."""
    if asked is None or not str(asked).strip():
        return system_language(environ), None
    found = match_language(str(asked))
    if found:
        return found, None
    choices = ", ".join(f"{code} ({language_name(code)})" for code in available_languages())
    return SOURCE_LANGUAGE, _("selfverify: no translation for language {language} ({source}); using English. "
                              "Available: {choices}.").format(language=repr(_printable(str(asked))[:40]), source=source,
                                                              choices=choices)


def _printable(text: str) -> str:
    """What was typed, made printable for a message (textcheck.shown, which imports this module)."""
    return text[:40].encode("unicode_escape").decode("ascii")


def set_language(code: str) -> str:
    """Make ``code`` (an available language) the current one; returns it."""
    global _current, _translations
    if code != SOURCE_LANGUAGE and code not in available_languages():
        code = SOURCE_LANGUAGE
    _translations = _load(code)
    _current = code
    return code


def current_language() -> str:
    return _current


def _load(code: str) -> NullTranslations | None:
    if code == SOURCE_LANGUAGE:
        return None
    if code not in _loaded:
        import gettext
        from pathlib import Path

        messages = Path(locale_dir()) / code / "LC_MESSAGES"
        po, mo = messages / f"{DOMAIN}.po", messages / f"{DOMAIN}.mo"
        if po.is_file():
            data = compiled_catalog(po)
        else:
            data = mo.read_bytes()
        import io

        _loaded[code] = gettext.GNUTranslations(io.BytesIO(data))
    return _loaded[code]


def cache_dir() -> Path:
    from pathlib import Path

    home = os.environ.get("SELFVERIFY_HOME")
    if home:
        return Path(home) / "cache" / "locale"
    import platformdirs

    return Path(platformdirs.user_cache_dir("selfverify", appauthor=False)) / "locale"


def compile_po(po_bytes: bytes, name: str = DOMAIN) -> bytes:
    """The ``.mo`` bytes for a ``.po`` (fuzzy entries left out: they show in English)."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po_bytes), domain=name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compiled_catalog(po: Path) -> bytes:
    """The compiled form of ``po``, from the cache when this exact ``.po`` was compiled before."""
    import hashlib

    source = po.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:32]
    cached = cache_dir() / f"{po.parent.parent.name}-{digest}.mo"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    data = compile_po(source)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f".{cached.name}.{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, cached)
    except OSError:  # no writable cache: the catalog is compiled again next time
        pass
    return data


class in_language:  # noqa: N801 - used as ``with in_language(code):``
    """Translate into ``code`` within the block, in this thread (or asyncio task) only, whatever the
    process's language: an e-mail in the language its booking chose, composed by a console in
    another. A ``code`` with no catalog (or None) keeps the process's language."""

    def __init__(self, code: str | None):
        self.code = code if code == SOURCE_LANGUAGE or (code and code in available_languages()) else None

    def __enter__(self) -> str:
        code = self.code or _active_language()
        self._token = _override.set((code, _load(code)))
        return code

    def __exit__(self, *exc_info: object) -> None:
        _override.reset(self._token)


def _active() -> NullTranslations | None:
    held = _override.get()
    return _translations if held is None else held[1]


def _active_language() -> str:
    held = _override.get()
    return _current if held is None else held[0]


# marking and translating
def gettext(message: str) -> str:
    translations = _active()
    if not message or translations is None:  # gettext("") is the catalog's header, never a user's text
        return message
    return translations.gettext(message)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    translations = _active()
    if translations is None:
        return singular if n == 1 else plural
    return translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    translations = _active()
    if not message or translations is None:
        return message
    return translations.pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    translations = _active()
    if translations is None:
        return singular if n == 1 else plural
    return translations.npgettext(context, singular, plural, n)


class LazyString:
    """A marked string translated each time it is used as text (for values built at import time)."""

    __slots__ = ("message", "context")

    def __init__(self, message: str, context: str | None = None):
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return pgettext(self.context, self.message) if self.context else gettext(self.message)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, LazyString) else other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __getattr__(self, name: str) -> Any:  # lower(), split(), ... act on the translation
        return getattr(str(self), name)


def lazy_gettext(message: str) -> LazyString:
    return LazyString(message)


def lazy_pgettext(context: str, message: str) -> LazyString:
    return LazyString(message, context)


# locale-aware dates, times and numbers (Babel, imported on first use)
def babel_locale() -> str:
    return _active_language()


def format_datetime(value, format: str = "medium", tzinfo=None) -> str:  # noqa: A002, ANN001
    from babel.dates import format_datetime as babel_format

    return babel_format(value, format=format, tzinfo=tzinfo, locale=babel_locale())


def format_date(value, format: str = "medium") -> str:  # noqa: A002, ANN001
    from babel.dates import format_date as babel_format

    return babel_format(value, format=format, locale=babel_locale())


def format_time(value, format: str = "short", tzinfo=None) -> str:  # noqa: A002, ANN001
    from babel.dates import format_time as babel_format

    return babel_format(value, format=format, tzinfo=tzinfo, locale=babel_locale())


def format_number(value: float | int) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale())


def format_timedelta(seconds: float, threshold: float = 0.85) -> str:
    from babel.dates import format_timedelta as babel_format

    return babel_format(seconds, threshold=threshold, locale=babel_locale())


def switch_language(ctx, code: str, config_file: Path | None) -> str:  # noqa: ANN001
    """Make ``code`` the language now and remember it in the config file for the next start; returns
    the sentence to show, in the new language (the TUI, the plain mode and their tests share it)."""
    code = set_language(code)
    ctx.settings = ctx.settings.replace(lang=code)
    said = _("Language: {name}.").format(name=language_name(code))
    if config_file is None:
        return said
    from selfverify.errors import ConfigError

    try:  # through the context: every module imports i18n, so i18n imports none of theirs (config here)
        path = ctx.remember_setting(config_file, "lang", code)
    except (ConfigError, OSError) as exc:
        problem = getattr(exc, "user_message", None) or str(exc)
        return said + " " + _("It could not be remembered for the next start: {problem}").format(problem=problem)
    return said + " " + _("Remembered in {path} for the next start (--lang and SELFVERIFY_LANG still come first).").format(path=path)
