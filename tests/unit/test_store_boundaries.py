"""The store's boundaries: the ``SecretStore`` contract, the credential tokens' keyring rules
(pure: an in-memory store, no database), and the decision reasons' failure rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from selfverify.core.decisions import DecisionReason, is_failed_try
from selfverify.errors import KeyringUnavailable
from selfverify.services.credential_claims import LEGACY_CREDENTIAL_PREFIX
from selfverify.services.credential_keyring import CredentialKeyring
from selfverify.store.secrets import KeyringSecretStore, SecretStore
from tests.memory_secrets import MemorySecretStore


def _token(jti: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from selfverify.services.tokens import sign_token

    return sign_token({"iss": "t", "sub": "alice", "iat": 0, "nbf": 0, "exp": 1, "jti": jti}, Ed25519PrivateKey.generate())


@pytest.fixture
def tokens(plain_settings):
    store: SecretStore = MemorySecretStore()
    known = {"ours"}
    ctx = SimpleNamespace(secrets=store, settings=plain_settings)
    return CredentialKeyring(ctx, "alice", known=known.__contains__), store


def test_the_app_always_uses_the_os_keyring(plain_settings):
    from selfverify.context import AppContext

    assert type(AppContext(settings=plain_settings).secrets) is KeyringSecretStore
    for name in ("require_secure", "set", "get", "delete"):
        assert callable(getattr(KeyringSecretStore, name)) and callable(getattr(MemorySecretStore, name))


def test_no_module_of_the_package_can_reach_the_memory_store():
    import selfverify

    src = __import__("pathlib").Path(selfverify.__file__).parent
    assert not [p for p in src.rglob("*.py") if "MemorySecretStore" in p.read_text(encoding="utf-8")
                or "memory_secrets" in p.read_text(encoding="utf-8")]


def test_a_legacy_token_is_adopted_only_when_this_database_issued_it(tokens):
    keyring, store = tokens
    store.set(keyring.legacy_entry, _token("someone-elses"))
    assert keyring.read() is None
    assert keyring.legacy_entry in store.items  # another home's token: never moved, never deleted
    ours = _token("ours")
    store.set(keyring.legacy_entry, ours)
    assert keyring.read() == ours
    assert store.items == {keyring.token_entry: ours}
    assert keyring.legacy_entry.startswith(LEGACY_CREDENTIAL_PREFIX)


def test_deleting_tokens_never_touches_another_id(tokens):
    keyring, store = tokens
    keyring.write(_token("ours"), _token("ours"))
    store.set(keyring.legacy_entry, _token("theirs"))
    assert keyring.delete_of({"ours"}) == 2
    assert list(store.items) == [keyring.legacy_entry]


def test_writing_without_an_sd_jwt_removes_the_older_one(tokens):
    keyring, store = tokens
    keyring.write(_token("old"), _token("old"))
    new = _token("new")
    keyring.write(new, None)
    assert store.items == {keyring.token_entry: new}


def test_an_unusable_store_refuses_before_anything_changes(tokens):
    keyring, store = tokens
    store.usable = False
    with pytest.raises(KeyringUnavailable):
        keyring.write(_token("ours"), None)
    assert store.items == {}


@pytest.mark.parametrize(("reason", "started", "counted"), [
    ("no_match", False, True), ("not_live", False, True), ("timed_out", False, True),
    ("no_face", True, True), ("no_face", False, False), ("cancelled", False, False), ("cancelled", True, True),
    ("camera_lost", False, False), ("camera_lost", True, True), (None, True, False), ("from_a_later_version", True, False),
])
def test_which_endings_cost_an_attempt(reason, started, counted):
    assert is_failed_try(reason, started) is counted


def test_reasons_keep_their_stored_strings():
    assert {r.value for r in DecisionReason} == {"no_match", "not_live", "timed_out", "no_face", "camera_lost", "cancelled"}
    assert DecisionReason.NO_MATCH == "no_match"  # rows written by earlier versions read the same
