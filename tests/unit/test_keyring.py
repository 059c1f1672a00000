from __future__ import annotations

import pytest

from selfverify.errors import KeyringUnavailable
from selfverify.store.secrets import KeyringSecretStore, backend_status
from tests.conftest import keyring_items


@pytest.fixture
def fail_backend():
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def plaintext_backend(tmp_path):
    """A plaintext file backend (like keyrings.alt's): must be refused just the same."""
    import keyring
    from keyring.backend import KeyringBackend

    class PlaintextKeyring(KeyringBackend):
        priority = 1
        store: dict = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_fail_backend_is_refused_with_a_fix(fail_backend):
    status = backend_status()
    assert not status.usable
    assert "gnome-keyring" in status.fix or "Keychain" in status.fix
    store = KeyringSecretStore("selfverify-refusal")
    with pytest.raises(KeyringUnavailable) as err:
        store.set("issuer-key", "secret")
    assert err.value.exit_code == 3
    assert "Nothing was stored" in err.value.user_message


def test_refusal_words_what_did_not_happen_for_reads_and_deletes(fail_backend):
    store = KeyringSecretStore("selfverify-refusal")
    with pytest.raises(KeyringUnavailable) as read:
        store.get("credential:alice")
    assert read.value.user_message.startswith("Could not read the keyring:")
    assert "stored" not in read.value.user_message and "deleted" not in read.value.user_message
    with pytest.raises(KeyringUnavailable) as delete:
        store.delete("credential:alice")
    assert delete.value.user_message.endswith("Nothing was deleted.")
    assert "stored" not in delete.value.user_message
    assert read.value.exit_code == delete.value.exit_code == 3


def test_plaintext_backend_is_refused_and_stores_nothing(plaintext_backend):
    with pytest.raises(KeyringUnavailable):
        KeyringSecretStore("selfverify-refusal").set("k", "v")
    assert plaintext_backend.store == {}


def test_real_secret_service_round_trip(keyring_service):
    status = backend_status()
    assert status.usable and "SecretService" in status.name
    store = KeyringSecretStore(keyring_service)
    assert store.get("greeting") is None
    store.set("greeting", "hello")
    assert store.get("greeting") == "hello"
    assert keyring_items(keyring_service) == {"greeting": "hello"}  # really in the Secret Service
    store.set("greeting", "again")
    assert store.get("greeting") == "again"
    assert store.delete("greeting") is True
    assert store.delete("greeting") is False  # idempotent
    assert store.get("greeting") is None
    assert keyring_items(keyring_service) == {}
