"""All keyring access goes through a ``SecretStore``.

Secrets (the issuer's signing key, credentials, photo keys) are only ever stored in a real OS
keyring: Secret Service (GNOME Keyring, KWallet), macOS Keychain or Windows Credential Locker.
The ``fail`` and ``null`` backends and every plaintext/file backend (keyrings.alt) are refused.
``KeyringSecretStore`` is the only implementation shipped, and ``AppContext.secrets`` the only
place one is made: an in-memory store for pure unit tests lives in tests/, where no setting can
reach it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

from selfverify.errors import KeyringUnavailable
from selfverify.i18n import N_, _

_REFUSED_MODULE_PREFIXES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


INTERVIEW_ALTERNATIVE = N_("Or choose the interview path.")


def without_interview_alternative(hint: str | None) -> str | None:
    """The keyring fix for a user already on the interview path (who needs no other path)."""
    return hint.replace(" " + _(INTERVIEW_ALTERNATIVE), "").replace(" " + INTERVIEW_ALTERNATIVE, "") if hint else hint


def _fix_hint() -> str:
    if sys.platform.startswith("linux"):
        return _("Start a Secret Service: install gnome-keyring (or KWallet) and unlock it in your desktop session; on a "
                 "headless machine run inside 'dbus-run-session' and start "
                 "'gnome-keyring-daemon --unlock --components=secrets'.") + " " + _(INTERVIEW_ALTERNATIVE)
    return _("Unlock your system keychain (macOS Keychain or Windows Credential Locker) and try again.")


@dataclass(frozen=True)
class BackendStatus:
    name: str
    usable: bool
    reason: str
    fix: str


def _leaf_backends(backend) -> list:  # noqa: ANN001
    inner = getattr(backend, "backends", None)
    if inner is not None and type(backend).__name__ == "ChainerBackend":
        return list(inner)
    return [backend]


def _describe(backend) -> str:  # noqa: ANN001
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _refused(backend) -> bool:  # noqa: ANN001
    module = type(backend).__module__
    name = type(backend).__name__
    return module.startswith(_REFUSED_MODULE_PREFIXES) or "plaintext" in name.lower()


# jeepney gives D-Bus authentication 1 s, and secretstorage opens a new connection for every keyring
# call (the backend choice included): on a busy machine the bus answers later than that now and then,
# and the Secret Service looked absent for one run. A missing bus still fails at once (no socket).
DBUS_AUTH_TIMEOUT_S = 10.0


def patient_dbus() -> None:
    """Give the Secret Service's D-Bus connections ``DBUS_AUTH_TIMEOUT_S`` to authenticate (once per
    process, before keyring first chooses its backend)."""
    try:
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:  # no Secret Service library (macOS, Windows): nothing to do
        return
    if getattr(secretstorage.open_dbus_connection, "patient", False):
        return

    def patient(bus: str = "SESSION", enable_fds: bool = False, auth_timeout: float = DBUS_AUTH_TIMEOUT_S):  # noqa: ANN202
        return open_dbus_connection(bus, enable_fds, max(auth_timeout, DBUS_AUTH_TIMEOUT_S))

    patient.patient = True  # type: ignore[attr-defined]
    secretstorage.open_dbus_connection = patient


def backend_status(probe: bool = True) -> BackendStatus:
    """Which keyring backend is active, and whether secrets may be stored in it."""
    try:
        patient_dbus()
        import keyring
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration
        return BackendStatus("unknown", False, _("the keyring could not be loaded ({detail})").format(detail=exc), _fix_hint())
    leaves = _leaf_backends(backend)
    usable = [b for b in leaves if not _refused(b)]
    name = ", ".join(_describe(b) for b in leaves) or _describe(backend)
    if not usable:
        return BackendStatus(name, False, _("no secure keyring is available (only a failing, null or plaintext backend)"), _fix_hint())
    if probe:
        try:
            keyring.get_password("selfverify-probe", "probe")
        except Exception as exc:
            return BackendStatus(name, False, _explain(exc), _fix_hint())
    return BackendStatus(name, True, "ok", "")


def _explain(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".lower()
    if "locked" in text or "prompt" in text or "dismissed" in text:
        return _("the keyring is locked")
    if "dbus" in text or "secret service" in text or "org.freedesktop" in text:
        return _("the Secret Service is not running or not reachable on D-Bus")
    return _("the keyring failed ({detail})").format(detail=f"{type(exc).__name__}: {exc}")


_UNUSABLE = {
    "write": N_("Cannot use the keyring: {reason}. Nothing was stored."),
    "read": N_("Could not read the keyring: {reason}."),
    "delete": N_("Cannot use the keyring: {reason}. Nothing was deleted."),
}


class SecretStore(Protocol):
    """The contract: secrets by key under one ``service`` name.

    ``require_secure(purpose)`` raises KeyringUnavailable (exit 3) when secrets cannot be kept (a
    ``purpose`` of write | read | delete only words the message); ``set`` stores or replaces; ``get``
    returns None for a missing key; ``delete`` is idempotent and says whether the key existed. Every
    method raises KeyringUnavailable, never a backend's own exception, when the store fails."""

    service: str

    def require_secure(self, purpose: str = "write") -> None: ...

    def set(self, key: str, value: str) -> None: ...

    def get(self, key: str) -> str | None: ...

    def delete(self, key: str) -> bool: ...


class KeyringSecretStore:
    """The OS keyring: get / set / delete secrets under one service name, refusing insecure backends."""

    def __init__(self, service: str = "selfverify"):
        self.service = service
        self._checked = False

    def require_secure(self, purpose: str = "write") -> None:
        """Raise KeyringUnavailable unless secrets can be kept here; ``purpose`` (write | read | delete)
        only words the message, so it never claims "nothing was stored" for a read or a delete."""
        if self._checked:
            return
        status = backend_status(probe=True)
        if not status.usable:
            raise KeyringUnavailable(_(_UNUSABLE[purpose]).format(reason=status.reason), hint=status.fix)
        self._checked = True

    def set(self, key: str, value: str) -> None:
        self.require_secure("write")
        import keyring
        try:
            keyring.set_password(self.service, key, value)
        except Exception as exc:
            raise KeyringUnavailable(_("Could not write to the keyring: {reason}. Nothing was stored.").format(reason=_explain(exc)),
                                     hint=_fix_hint()) from None

    def get(self, key: str) -> str | None:
        self.require_secure("read")
        import keyring
        try:
            return keyring.get_password(self.service, key)
        except Exception as exc:
            raise KeyringUnavailable(_("Could not read the keyring: {reason}.").format(reason=_explain(exc)), hint=_fix_hint()) from None

    def delete(self, key: str) -> bool:
        """Delete ``key``; True if it existed. Idempotent: a missing key is not an error."""
        self.require_secure("delete")
        import keyring
        from keyring.errors import PasswordDeleteError
        try:
            keyring.delete_password(self.service, key)
            return True
        except PasswordDeleteError:
            return False
        except Exception as exc:
            raise KeyringUnavailable(_("Could not delete from the keyring: {reason}. Nothing was deleted.").format(reason=_explain(exc)),
                                     hint=_fix_hint()) from None
