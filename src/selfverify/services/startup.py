"""What every front end runs at start: finish or roll back interrupted work, purge expired photos.

Cheap when there is nothing to do (a few queries; the keyring is touched only when a row is
mid-change or a photo has expired). Never loads face models. A missing keyring does not stop
the start (the interview path needs none): the work waits for the next start and is reported.
Sessions left running by a process that died are closed as ``interrupted`` (and an abandoned
selfie run with liveness on counts as a failed attempt) before anything checks the attempt limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selfverify.errors import KeyringUnavailable
from selfverify.i18n import _
from selfverify.services.credentials import CredentialService
from selfverify.services.recovery import close_interrupted_sessions
from selfverify.services.vault import PhotoVault


@dataclass
class StartupReport:
    credentials: dict[str, int] = field(default_factory=dict)
    vault: dict[str, int] = field(default_factory=dict)
    photos_purged: int = 0
    sessions_interrupted: list = field(default_factory=list)  # recovery.InterruptedSession
    postponed: list[str] = field(default_factory=list)  # why some work waits for a later start

    @property
    def changed_anything(self) -> bool:
        return bool(self.photos_purged or any(self.credentials.values()) or any(self.vault.values())
                    or self.sessions_interrupted)


def on_startup(ctx) -> StartupReport:
    report = StartupReport()
    ctx.db.init()
    report.sessions_interrupted = close_interrupted_sessions(ctx)
    try:
        report.credentials = CredentialService(ctx).reconcile(full=False)
    except KeyringUnavailable as exc:
        report.postponed.append(_("credential recovery: {problem}").format(problem=exc.user_message))
    vault = PhotoVault(ctx)
    foreign = vault.foreign_reason()
    if foreign is not None:  # another database's photos: neither reconciled nor purged from here
        report.postponed.append(_("photo clean-up: {problem}").format(problem=foreign))
        return report
    try:
        report.vault = vault.reconcile()
        report.photos_purged = vault.purge()
    except KeyringUnavailable as exc:
        report.postponed.append(_("photo clean-up: {problem}").format(problem=exc.user_message))
    return report
