"""Consent to the selfie check: the versioned plain-language notice and the user's choice.

The notice texts are ``assets/notice/<language>/v<N>.md``; the highest N in English is current, and
accepting an older version does not count (a changed notice must be read again). A notice is shown
in the current language when that language has the current version, else in English. A consent
record holds the notice version and language, the choice and the time: nothing biometric. Withdrawing crypto-shreds every retained photo
first: that is ``services/erasure.withdraw_consent``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from selfverify.errors import ConsentRequired, StorageError
from selfverify.i18n import _
from selfverify.paths import assets_dir
from selfverify.services.audit import AuditLog

_NOTICE_FILE = re.compile(r"^v(\d+)\.md$")


@dataclass(frozen=True)
class Notice:
    version: str  # "v1", "v2", ...
    title: str
    text: str  # Markdown, settings already filled in
    language: str = "en"  # the language of ``text``


@dataclass(frozen=True)
class ConsentStatus:
    accepted: bool
    version: str | None  # the notice version of the latest choice (None: never asked)
    at: datetime | None
    choice: str | None = None  # accepted | declined | withdrawn
    current_version: str | None = None
    language: str | None = None  # the language of the notice the latest choice was made on


def notice_dir() -> Path:
    return assets_dir() / "notice"


def notice_files(language: str = "en") -> dict[int, Path]:
    folder = notice_dir() / language
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = _NOTICE_FILE.match(path.name)
            if match:
                found[int(match.group(1))] = path
    return found


def load_notice(settings, version: str | None = None, language: str | None = None) -> Notice:
    from selfverify.i18n import SOURCE_LANGUAGE, current_language

    files = notice_files(SOURCE_LANGUAGE)
    if not files:
        raise StorageError(_("The consent notice is missing from {folder}.").format(folder=notice_dir()),
                           code="notice_missing", hint=_("Reinstall selfverify."))
    number = max(files) if version is None else int(version.lstrip("v"))
    if number not in files:
        raise StorageError(_("Notice version {version} does not exist.").format(version=version), code="notice_missing")
    language = language or current_language()
    translated = notice_files(language) if language != SOURCE_LANGUAGE else {}
    language = language if number in translated else SOURCE_LANGUAGE  # never an older translation
    text = (translated.get(number) or files[number]).read_text(encoding="utf-8")
    for item in dataclasses.fields(settings):  # "{retention_days}" etc. show this installation's values
        value = getattr(settings, item.name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = text.replace("{" + item.name + "}", str(value))
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return Notice(version=f"v{number}", title=first.lstrip("# ").strip(), text=text, language=language)


class ConsentService:
    def __init__(self, ctx):
        self.ctx = ctx

    def notice(self) -> Notice:
        return load_notice(self.ctx.settings)

    def _records(self):
        from selfverify.store.repositories.consent import ConsentRepository

        return ConsentRepository(self.ctx.db, self.ctx.user)

    def status(self) -> ConsentStatus:
        current = self.notice().version
        latest = self._records().latest()
        if latest is None:
            return ConsentStatus(False, None, None, None, current)
        accepted = latest.choice == "accepted" and latest.notice_version == current
        return ConsentStatus(accepted, latest.notice_version, latest.at, latest.choice, current, latest.notice_language)

    def accept(self) -> ConsentStatus:
        return self._record("accepted")

    def decline(self) -> ConsentStatus:
        return self._record("declined")

    def record_withdrawal(self, photos_deleted: int) -> ConsentStatus:
        """Record a withdrawal once its photos are shredded: only ``erasure.withdraw_consent`` calls it."""
        return self._record("withdrawn", photos_deleted=photos_deleted)

    def require(self) -> None:
        status = self.status()
        if status.accepted:
            return
        if status.choice == "accepted":
            message = _("The notice changed ({old} -> {new}): please read it and accept it again.").format(
                old=status.version, new=status.current_version)
        else:
            message = _("You have not accepted the notice for the selfie check, so the camera stays off.")
        raise ConsentRequired(message, hint=_("Read it with 'selfverify consent show', accept with 'selfverify consent "
                                              "accept', or choose an interview with a person (no biometrics)."))

    def forget(self) -> int:
        """Delete this user's consent records (``data delete-all``); returns how many."""
        return self._records().delete_all()

    def _record(self, choice: str, **extra) -> ConsentStatus:
        notice = self.notice()
        self._records().add(notice_version=notice.version, notice_language=notice.language, choice=choice,
                            at=self.ctx.clock.now())
        AuditLog(self.ctx).record("consent", {"choice": choice, "notice_version": notice.version,
                                              "notice_language": notice.language, **extra})
        return self.status()
