"""Ed25519 signing keys kept in the OS keyring, namespaced by this installation.

Every keyring entry of an installation is named ``<installation id>:<name>``; the id is random,
created once in the data folder (``installation-id``), so two ``SELFVERIFY_HOME`` folders on one
machine never read, overwrite or delete each other's entries.

Key names: ``device-key`` (selfie credentials of this machine), ``agent-key:<handle>`` (an enrolled
agent's key, in that agent's own keyring), ``desk-key`` if the desk uses one. Before installation
ids existed, every home shared one entry ``issuer-key``: it is only ever read now, to verify old
``sv1.`` tokens (``legacy_issuer_key``); nothing writes or deletes it.
"""

from __future__ import annotations

import os
import re
import secrets

from selfverify.errors import StorageError
from selfverify.i18n import _
from selfverify.paths import FILE_MODE, ensure_private_dir
from selfverify.store.crashsafe import interprocess_lock
from selfverify.codec import b64url_decode_strict, b64url_encode
from selfverify.store.secrets import KeyringSecretStore

INSTALLATION_ID_FILE = "installation-id"
LEGACY_ISSUER_KEY = "issuer-key"
DEVICE_KEY = "device-key"
_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
_KEY_PREFIX = "ed25519:"


def installation_id(settings) -> str:
    """This installation's random id (created once, atomically, in the data folder)."""
    path = settings.paths.data_dir / INSTALLATION_ID_FILE
    if not path.exists():
        ensure_private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(16) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # never replaces: a process that lost the race reads the winner's id
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise StorageError(_("Cannot read the installation id {path}: {reason}.").format(path=path, reason=exc.strerror),
                           code="installation_id_unreadable") from None
    if not _ID_PATTERN.fullmatch(text):
        raise StorageError(_("The installation id file {path} is damaged.").format(path=path), code="installation_id_damaged",
                           hint=_("Restore it from a backup: its keyring entries (keys, credentials) are named after it."))
    return text


def keyring_entry(settings, name: str) -> str:
    """The keyring entry name of ``name`` for this installation."""
    return f"{installation_id(settings)}:{name}"


def _store(settings, secrets_store):
    if secrets_store is not None:
        return secrets_store
    return KeyringSecretStore(settings.keyring_service)


def decode_private_key(stored: str, entry: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        return Ed25519PrivateKey.from_private_bytes(b64url_decode_strict(stored.removeprefix(_KEY_PREFIX)))
    except ValueError:
        raise StorageError(_("The signing key {entry!r} in the keyring is damaged.").format(entry=entry), code="signing_key_damaged",
                           hint=_("Remove the keyring item {entry!r}; credentials signed with it will stop verifying.").format(
                               entry=entry)) from None


def encode_private_key(key) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return _KEY_PREFIX + b64url_encode(raw)


def load_signing_key(settings, name: str, *, create: bool, secrets_store=None):
    """The Ed25519 private key ``name`` of this installation (None if absent and not ``create``).

    Raises KeyringUnavailable when the keyring is unusable: nothing is ever signed without it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    store = _store(settings, secrets_store)
    entry = keyring_entry(settings, name)
    stored = store.get(entry)
    if stored:
        return decode_private_key(stored, entry)
    if not create:
        return None
    store.require_secure("write")
    with interprocess_lock(settings.paths.data_dir / "locks" / "signing-keys.lock"):
        stored = store.get(entry)  # another process may have created it while we waited
        if stored:
            return decode_private_key(stored, entry)
        key = Ed25519PrivateKey.generate()
        store.set(entry, encode_private_key(key))
    return key


def legacy_issuer_key(settings, secrets_store=None):
    """The pre-installation-id ``issuer-key`` (shared by every home), read-only: verifies old sv1 tokens."""
    store = _store(settings, secrets_store)
    stored = store.get(LEGACY_ISSUER_KEY)
    return decode_private_key(stored, LEGACY_ISSUER_KEY) if stored else None
