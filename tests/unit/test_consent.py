"""Consent: the versioned notice, the recorded choice, and withdrawal crypto-shredding photos."""

from __future__ import annotations

import re

import pytest

from selfverify.errors import ConsentRequired
from selfverify.services import consent as consent_module
from selfverify.services.audit import events
from selfverify.services.consent import ConsentService, notice_files
from selfverify.services.erasure import withdraw_consent
from selfverify.store.models import ConsentRecord
from tests.conftest import keyring_items
from tests.privacy_support import accept_consent, kctx, pctx  # noqa: F401 - fixtures


def test_the_shipped_notice_covers_what_the_issue_requires(pctx):
    notice = ConsentService(pctx).notice()
    assert notice.version == f"v{max(notice_files())}"
    text = notice.text.lower()
    for topic in ("captured", "on this computer only", "kept", "30 days", "365 days", "delete", "interview",
                  "no biometric"):
        assert topic in text, topic
    assert "{" not in notice.text  # every setting placeholder was filled in
    assert notice.title.startswith("Before your selfie check")


def test_every_command_the_notice_tells_users_to_run_parses_as_written(pctx):
    import shlex

    import click

    from selfverify.cli import cli

    commands = re.findall(r"`(selfverify [^`]+)`", ConsentService(pctx).notice().text)
    assert "selfverify interview slots" in commands
    for command in commands:
        words = shlex.split(command.replace("SLOT_ID", "7"))[1:]
        target: click.Command = cli
        while isinstance(target, click.Group):
            target = target.get_command(click.Context(cli), words.pop(0))
            assert target is not None, command
        target.make_context(command, words)  # raises UsageError when a required argument is missing


def test_retention_days_in_the_notice_follow_the_setting(plain_settings):
    from selfverify.context import AppContext

    text = ConsentService(AppContext(settings=plain_settings.replace(retention_days=7, failure_wait_seconds=45.0))).notice().text
    assert "for 7 days" in text and re.search(r"wait\s+45 seconds", text)


def test_choices_are_recorded_with_version_and_time_only(pctx, fake_clock):
    service = ConsentService(pctx)
    assert not service.status().accepted and service.status().choice is None
    with pytest.raises(ConsentRequired) as err:
        service.require()
    assert err.value.exit_code == 5 and "interview" in err.value.hint

    service.decline()
    assert service.status().choice == "declined"
    fake_clock.advance(60)
    status = service.accept()
    assert status.accepted and status.version == "v1" and status.at == fake_clock.now()
    service.require()
    assert set(ConsentRecord.model_fields) == {"id", "subject", "notice_version", "choice", "at"}
    assert [e["data"]["choice"] for e in events(pctx, kind="consent")] == ["declined", "accepted"]


def test_a_new_notice_version_must_be_accepted_again(pctx, tmp_path, monkeypatch):
    folder = tmp_path / "notice"
    folder.mkdir()
    (folder / "v1.md").write_text("# Notice one\nfirst text\n")
    monkeypatch.setattr(consent_module, "notice_dir", lambda: folder)
    service = ConsentService(pctx)
    service.accept()
    assert service.status().accepted

    (folder / "v2.md").write_text("# Notice two\nchanged text\n")
    status = service.status()
    assert not status.accepted and status.version == "v1" and status.current_version == "v2"
    with pytest.raises(ConsentRequired, match="changed"):
        service.require()
    assert service.accept().version == "v2"
    assert service.notice().title == "Notice two"


@pytest.mark.keyring
def test_withdrawing_shreds_every_kept_photo_and_is_recorded(kctx, settings):
    from selfverify.services.vault import PhotoVault

    accept_consent(kctx)
    vault = PhotoVault(kctx)
    kept = [vault.retain("reference", b"reference photo bytes"), vault.retain("selfie", b"selfie frame bytes")]
    assert len(keyring_items(settings.keyring_service)) == 2

    status = withdraw_consent(kctx)
    assert status.choice == "withdrawn" and not status.accepted
    assert vault.list() == []
    assert keyring_items(settings.keyring_service) == {}
    assert [p.name for p in kctx.paths.vault_dir.iterdir()] in ([], [".database-id"])
    assert {(r.item_id, r.reason) for r in vault.receipts()} == {(p.id, "consent_withdrawn") for p in kept}
    assert events(kctx, kind="consent")[-1]["data"] == {"choice": "withdrawn", "notice_version": "v1",
                                                         "photos_deleted": 2}
