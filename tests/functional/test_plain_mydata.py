"""My data in the accessible mode, end to end on a pseudo-terminal with the real Secret Service:
deleting a kept photo (crypto-shredded, with a receipt) and showing the credential."""

from __future__ import annotations

import pytest

from tests.plain_support import assert_plain_transcript, converse, finish, labelled_lines, spawn_plain
from tests.privacy_support import live_decision

pytestmark = pytest.mark.keyring


@pytest.fixture
def seeded(settings):
    """Consent, two kept photos and a selfie credential for alice, made through the services."""
    from selfverify.context import AppContext
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault

    ctx = AppContext(settings=settings)
    ctx.db.init()
    ConsentService(ctx).accept()
    vault = PhotoVault(ctx)
    photos = [vault.retain("reference", b"reference photo bytes"), vault.retain("selfie", b"camera picture bytes")]
    return ctx, photos, CredentialService(ctx).issue("selfie", live_decision())


def _my_data(keyring_service: str, answers: list[tuple[str, str]]) -> str:
    child, log = spawn_plain({"SELFVERIFY_USER": "alice", "SELFVERIFY_KEYRING_SERVICE": keyring_service}, "--accessible")
    converse(child, [("Choose 1 to 5:", "3"), *answers, ("Choose 1 to 10:", "10"), ("Choose 1 to 5:", "4")])
    assert finish(child) == 0
    text = log.getvalue().replace("\r\n", "\n")
    assert_plain_transcript(text)
    return text


def test_delete_one_kept_photo(seeded, keyring_service):
    from selfverify.services.vault import PhotoVault, photo_key_name
    from tests.conftest import keyring_items

    ctx, (reference, selfie), _ = seeded
    text = _my_data(keyring_service, [
        ("Choose 1 to 10:", "1"),
        ("Choose 1 to 10:", "2"),
        ("Which photo should be deleted?", ""),
        ("Choose 1 to 2:", "1"),
        ("Type yes or no:", "yes"),
    ])
    assert "Status: 2 kept photos." in text
    assert "1. reference photo, kept since" in text and ", deleted automatically on" in text
    [receipt] = PhotoVault(ctx).receipts()
    assert receipt.item_id == reference.id
    assert "Result: deleted the reference photo; a deletion receipt was kept." in labelled_lines(text)
    assert reference.id not in text and receipt.id not in text  # no machine id is read out
    assert [p.id for p in PhotoVault(ctx).list()] == [selfie.id]
    assert photo_key_name("alice", reference.id) not in keyring_items(keyring_service)
    assert not PhotoVault(ctx).path_for(reference.id).exists()


def test_show_the_credential(seeded, keyring_service):
    _, _, credential = seeded
    text = _my_data(keyring_service, [("Choose 1 to 10:", "5")])
    assert "Credential for alice, from the selfie path." in text and credential.id not in text
    assert "liveness: yes" in text and "self asserted: yes" in text
    assert "Result: the credential's signature and expiry are valid." in labelled_lines(text)
    assert credential.token not in text  # the secret is printed only through Export, after a yes
