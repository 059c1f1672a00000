"""Signing keys in the real keyring, namespaced by an installation id kept in the home."""

from __future__ import annotations

import subprocess
import sys

import pytest

from selfverify.errors import KeyringUnavailable, StorageError
from selfverify.store.signing_keys import (
    DEVICE_KEY,
    LEGACY_ISSUER_KEY,
    installation_id,
    keyring_entry,
    legacy_issuer_key,
    load_signing_key,
)
from tests.conftest import keyring_items
from tests.privacy_support import fail_keyring  # noqa: F401


def test_installation_id_is_created_once_private_and_stable(settings):
    first = installation_id(settings)
    path = settings.paths.data_dir / "installation-id"
    assert len(first) == 32 and int(first, 16) >= 0
    assert (path.stat().st_mode & 0o777) == 0o600
    assert installation_id(settings) == first
    assert keyring_entry(settings, DEVICE_KEY) == f"{first}:{DEVICE_KEY}"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_two_homes_get_two_ids(settings, tmp_path):
    other = settings.replace(home=str(tmp_path / "other-home"))
    assert installation_id(settings) != installation_id(other)


def test_concurrent_first_starts_agree_on_one_id(settings):
    code = ("import sys; from selfverify.config import load_settings; from selfverify.store.signing_keys import "
            "installation_id; print(installation_id(load_settings({'user': 'alice'})))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(6)]
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert ids == {installation_id(settings)}


@pytest.mark.parametrize("content", ["", "not-an-id\n", "0" * 31, "Z" * 32])
def test_a_damaged_installation_id_is_reported_not_replaced(settings, content):
    path = settings.paths.data_dir / "installation-id"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(StorageError) as err:
        installation_id(settings)
    assert err.value.exit_code == 4 and "damaged" in err.value.user_message
    assert path.read_text() == content


@pytest.mark.keyring
def test_keys_are_created_on_request_and_namespaced(settings, tmp_path):
    assert load_signing_key(settings, DEVICE_KEY, create=False) is None
    key = load_signing_key(settings, DEVICE_KEY, create=True)
    again = load_signing_key(settings, DEVICE_KEY, create=False)
    assert again.private_bytes_raw() == key.private_bytes_raw()
    assert set(keyring_items(settings.keyring_service)) == {f"{installation_id(settings)}:{DEVICE_KEY}"}

    other = settings.replace(home=str(tmp_path / "other-home"))  # same keyring service, another home
    assert load_signing_key(other, DEVICE_KEY, create=False) is None
    other_key = load_signing_key(other, DEVICE_KEY, create=True)
    assert other_key.private_bytes_raw() != key.private_bytes_raw()
    assert load_signing_key(settings, DEVICE_KEY, create=False).private_bytes_raw() == key.private_bytes_raw()
    assert len(keyring_items(settings.keyring_service)) == 2


@pytest.mark.keyring
def test_a_damaged_key_is_reported(settings):
    from selfverify.store.secrets import KeyringSecretStore

    KeyringSecretStore(settings.keyring_service).set(keyring_entry(settings, DEVICE_KEY), "ed25519:not a key")
    with pytest.raises(StorageError) as err:
        load_signing_key(settings, DEVICE_KEY, create=True)
    assert err.value.code == "signing_key_damaged"
    assert keyring_items(settings.keyring_service)[keyring_entry(settings, DEVICE_KEY)] == "ed25519:not a key"


@pytest.mark.keyring
def test_the_legacy_issuer_key_is_read_only(settings):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from selfverify.store.secrets import KeyringSecretStore
    from selfverify.store.signing_keys import encode_private_key

    assert legacy_issuer_key(settings) is None
    old = Ed25519PrivateKey.generate()
    KeyringSecretStore(settings.keyring_service).set(LEGACY_ISSUER_KEY, encode_private_key(old))
    assert legacy_issuer_key(settings).private_bytes_raw() == old.private_bytes_raw()
    device = load_signing_key(settings, DEVICE_KEY, create=True)
    assert device.private_bytes_raw() != old.private_bytes_raw()  # a new installation never inherits a shared key
    assert keyring_items(settings.keyring_service)[LEGACY_ISSUER_KEY] == encode_private_key(old)


def test_no_keyring_refuses_to_create_a_key(settings, fail_keyring):
    with pytest.raises(KeyringUnavailable) as err:
        load_signing_key(settings, DEVICE_KEY, create=True)
    assert err.value.exit_code == 3
