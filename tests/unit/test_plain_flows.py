"""The accessible mode's flows in process: typed answers through a real pipe, a real SQLite file
and (for My data) the real Secret Service. The selfie run itself is in tests/functional."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from selfverify.context import AppContext
from selfverify.errors import EXIT_OK
from selfverify.plain.app import PlainApp, plain_settings
from selfverify.services.erasure import withdraw_consent
from selfverify.store.signing_keys import DEVICE_KEY, keyring_entry
from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.plain_support import assert_plain_transcript, labelled_lines, piped_dialogue
from tests.privacy_support import live_decision

MAIN_QUIT = "4"


def drive(ctx, lines: list[str], **options) -> tuple[int, str]:  # noqa: ANN001
    dialogue, output = piped_dialogue(lines)
    code = PlainApp(ctx, dialogue, **options).run()
    text = output.getvalue()
    assert_plain_transcript(text)
    return code, text


@pytest.fixture
def pctx(plain_settings):
    return AppContext(settings=plain_settings, front_end="plain")


def _add_slots(ctx, count: int) -> list:  # noqa: ANN001
    from selfverify.services.interview import InterviewService

    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=2)
    agent = InterviewService(AppContext(settings=ctx.settings.replace(user="agent-ann")))
    agent.ctx.db.init()
    return [agent.add_slot(start + timedelta(minutes=30 * i)) for i in range(count)]


def test_quit_and_end_of_input_end_cleanly(pctx):
    code, text = drive(pctx, [MAIN_QUIT])
    assert code == EXIT_OK and text.rstrip().endswith("Goodbye.")
    assert "1. Selfie check (your face is compared on this computer)\n2. Interview with a person (no photos, no face data)\n" in text
    code, text = drive(pctx, [])
    assert code == EXIT_OK and text.rstrip().endswith("Input ended: goodbye.")


def test_interview_book_reschedule_cancel(pctx):
    from selfverify.services.interview import InterviewService

    slots = _add_slots(pctx, 3)
    code, text = drive(pctx, [
        "2",                      # interview
        "1", "1",                 # book; confirm the time zone the times are shown in (remembered)
        "1", "", "alice@example.org",  # the first time; an empty contact is refused
        "",                       # no interpreter, captions, phone call or note
        "1", "2", "",             # reschedule to the second free time (slot 3); still no needs (Enter)
        "2", "no",                # cancel, but say no
        "2", "yes",               # cancel
        "6", MAIN_QUIT,
    ])
    assert code == EXIT_OK
    service = InterviewService(pctx)
    [appointment] = service.my_appointments()
    assert appointment.status == "cancelled" and appointment.slot.id == slots[2].id
    assert appointment.contact == "alice@example.org"
    labelled = labelled_lines(text)
    code_shown = appointment.display_code
    from selfverify.wording.speech import phonetic, when, zone_words

    zone = zone_words(service.zone)
    assert labelled == [  # times in words, the zone said with them once; the code never in a Result line
        "Status: you have no interview booked.",
        "Problem: Please type a phone number or an e-mail address, or back.",
        f"Result: booked for {when(slots[0].starts_at, service.zone)}, {zone}.",
        f"Result: interview moved to {when(slots[2].starts_at, service.zone)}, {zone}.",
        "Status: nothing was changed.",
        "Result: interview cancelled; its time is free again.",
    ]
    # the confirmation code comes last, on its own line, spelled with the phonetic alphabet
    booked = text.split(labelled[2], 1)[1].split("\n")
    code_at = booked.index(f"Confirmation code {code_shown}: {phonetic(code_shown)}.")
    assert booked[code_at - 1].startswith("Keep this code") and booked[code_at - 2].startswith("If nobody has joined by ")
    assert booked[code_at + 1].startswith("Interview menu")  # nothing said after the code but the menu


def test_reschedule_asks_the_needs_once_with_the_earlier_ones_as_the_default(pctx):
    """Issue 21's leftover: a new time may need new needs. One question, Enter keeps what was asked for."""
    from selfverify.services.interview import Accommodations, InterviewService

    _add_slots(pctx, 4)
    code, text = drive(pctx, [
        "2", "1", "1", "1", "alice@example.org",
        "yes", "Spanish", "yes", "", "",   # an interpreter (Spanish) and captions
        "1", "1", "",                      # move it; Enter keeps the needs
        "1", "1", "2", "", "no", "yes", "",  # move it again; change them: no interpreter or captions, a phone call
        "5", MAIN_QUIT,
    ])
    assert code == EXIT_OK
    [appointment] = InterviewService(pctx).my_appointments()
    assert appointment.accommodations == Accommodations(phone_instead=True)
    asked = [line for line in text.split("\n") if line.startswith("You asked for: ")]
    print("\n".join(asked))
    assert asked[:4] == ["You asked for: interpreter (Spanish); captions",  # said after booking
                         "You asked for: interpreter (Spanish); captions.",  # the question at the first move
                         "You asked for: interpreter (Spanish); captions",  # kept: said with the new time
                         "You asked for: interpreter (Spanish); captions."]  # the question at the second move
    assert asked[4:] == ["You asked for: phone instead of video"]
    assert text.count("Do you need an interpreter, captions") == 1  # asked at booking only: after, the summary asks
    assert text.count("Result: interview moved to ") == 2


def test_interview_refusals_are_one_line_problems(pctx, monkeypatch):
    from selfverify.services.interview import InterviewService

    slots = _add_slots(pctx, 1)
    # someone else books the only slot between the list being read and the answer: the service refuses
    bob = InterviewService(AppContext(settings=pctx.settings.replace(user="bob")))
    listed = InterviewService.available_slots

    def list_then_lose_it(self):  # noqa: ANN001
        found = listed(self)
        bob.book(slots[0].id, "bob@example.org")
        return found

    monkeypatch.setattr(InterviewService, "available_slots", list_then_lose_it)
    code, text = drive(pctx, ["2", "1", "1", "1", "alice@example.org", "", "6", MAIN_QUIT])
    assert code == EXIT_OK
    assert "Problem: The slot" in text and "is already booked: nothing was booked." in text
    assert "Run 'selfverify interview slots' and pick another one." in text
    assert InterviewService(pctx).my_appointments() == []


def test_choosing_the_selfie_check_reads_the_notice_and_a_no_keeps_the_camera_off(pctx):
    from selfverify.services.consent import ConsentService

    code, text = drive(pctx, ["1", "2", MAIN_QUIT])
    assert code == EXIT_OK
    assert "Before your selfie check: what happens to your face\n" in text and "## " not in text
    assert "Do you agree to the selfie check?\n1. I agree: go on to the selfie check\n" in text
    assert "Status: you did not agree: the camera stays off." in text
    assert ConsentService(pctx).status().choice == "declined"


def test_back_from_a_question_returns_to_the_main_menu(pctx):
    code, text = drive(pctx, ["1", "back", "back", MAIN_QUIT])
    assert "Status: back at the main menu." in text
    assert "This is the main menu. Type quit to leave." in text


@pytest.fixture
def kctx(settings):
    return AppContext(settings=settings, front_end="plain")


def _seed_my_data(ctx) -> tuple[list, object]:  # noqa: ANN001
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault

    ctx.db.init()
    ConsentService(ctx).accept()
    vault = PhotoVault(ctx)
    photos = [vault.retain("reference", b"reference image bytes"), vault.retain("selfie", b"selfie image bytes")]
    return photos, CredentialService(ctx).issue("selfie", live_decision())


def test_my_data_lists_deletes_shows_and_erases(kctx):
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault, receipts_for
    from tests.conftest import keyring_items

    photos, credential = _seed_my_data(kctx)
    code, text = drive(kctx, [
        "3",
        "1",                 # list
        "2", "2", "yes",     # delete the second photo (the selfie)
        "5",                 # show the credential
        "6", "no",           # export: refuse to print the secret
        "9", "yes",          # delete everything
        "10", MAIN_QUIT,
    ])
    assert code == EXIT_OK
    assert "Status: 2 kept photos." in text
    assert "1. reference photo, kept since" in text and photos[0].id not in text  # no machine id read out
    assert "Result: deleted the camera picture; a deletion receipt was kept." in text
    assert "Credential for alice, from the selfie path." in text and credential.id not in text
    assert "Result: the credential's signature and expiry are valid." in text
    assert credential.token not in text
    assert "Status: the token was not shown or saved." in text
    assert "Result: deleted 1 photo, 1 credential, and 1 consent record; the count of failed tries is kept." in text
    assert PhotoVault(kctx).list() == [] and CredentialService(kctx).current() is None
    assert ConsentService(kctx).status().choice is None
    assert keyring_items(kctx.settings.keyring_service).keys() <= {keyring_entry(kctx.settings, DEVICE_KEY)}
    receipts = receipts_for(kctx, "alice")
    assert sorted(r.kind for r in receipts) == ["audit_events", "consent_records", "credential", "reference", "selfie"]
    _, listing = drive(kctx, ["3", "4", "10", MAIN_QUIT])
    for receipt in receipts:
        assert receipt.id not in listing
    listed = [line for line in listing.split("\n") if ", deleted " in line and ", because " in line]
    assert len(listed) == 5 and sum(line.endswith(", because you deleted everything.") for line in listed) == 4
    assert "consent records" in listing and "event records" in listing


def test_my_data_revoke_and_withdraw(kctx):
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault

    _, credential = _seed_my_data(kctx)
    code, text = drive(kctx, ["3", "7", "yes", "8", "yes", "8", "10", MAIN_QUIT])
    assert "Result: credential revoked and removed from your keyring." in text and credential.id not in text
    assert "Result: consent withdrawn; 2 kept photos deleted." in text
    assert "Status: you have not given consent, so there is nothing to withdraw." in text
    assert CredentialService(kctx).current() is None and PhotoVault(kctx).list() == []
    assert ConsentService(kctx).status().choice == "withdrawn"


def test_mode_is_remembered_once_in_the_config_file(home, plain_settings):
    from selfverify.config import load_settings

    config_file = plain_settings.paths.config_file
    config_file.parent.mkdir(parents=True)
    config_file.write_text("# my settings\n[matching]\ntolerance = 0.45\n")
    ctx = AppContext(settings=plain_settings.replace(accessible=True))
    _, first = drive(ctx, [MAIN_QUIT], config_file=config_file)
    assert f"Status: accessible mode remembered for the next start, in {config_file.name}." in first
    assert config_file.read_text() == "accessible = true\n# my settings\n[matching]\ntolerance = 0.45\n"
    assert config_file.stat().st_mode & 0o777 == 0o600
    again = load_settings({"keyring_service": plain_settings.keyring_service})
    assert again.accessible is True and again.tolerance == 0.45
    _, second = drive(ctx, [MAIN_QUIT], config_file=config_file)
    assert "remembered" not in second


def test_a_broken_config_file_is_left_alone(plain_settings):
    config_file = plain_settings.paths.config_file
    config_file.parent.mkdir(parents=True)
    config_file.write_text("tolerance = = 1\n")
    ctx = AppContext(settings=plain_settings.replace(accessible=True))
    code, text = drive(ctx, [MAIN_QUIT], config_file=config_file)
    assert code == EXIT_OK and "Problem: the accessible mode could not be remembered: The config file" in text
    assert config_file.read_text() == "tolerance = = 1\n"


def test_plain_settings_remove_step_deadlines_but_keep_a_run_limit(plain_settings):
    relaxed = plain_settings_for(plain_settings)
    assert relaxed.challenge_timeout == 0 and relaxed.verify_timeout == 300  # each step waits; the whole run has 5 minutes
    longer = plain_settings_for(plain_settings.replace(plain_step_timeout=45.0, plain_run_timeout=300.0))
    assert longer.challenge_timeout == 45.0 and longer.verify_timeout == 300.0


plain_settings_for = plain_settings


def test_retention_keeps_nothing_by_default_and_says_why_when_it_cannot_keep(kctx, tmp_path):
    from selfverify.plain.selfie import SelfieFlow
    from selfverify.services.consent import ConsentService
    from selfverify.services.selfie import SelfieOutcome
    from selfverify.services.vault import PhotoVault

    kctx.db.init()
    ConsentService(kctx).accept()
    reference = tmp_path / "reference.jpg"
    reference.write_bytes(b"reference photo bytes")
    outcome = SelfieOutcome(decision=live_decision(), session_id="s1", credential=None, attempts=None,
                            best_frame_available=False, reference_path=str(reference))
    dialogue, output = piped_dialogue(["", "2", "2"])
    flow = SelfieFlow(PlainApp(kctx, dialogue))
    flow.retention(outcome)  # Enter: the default, keep nothing
    assert PhotoVault(kctx).list() == []
    flow.retention(outcome)
    assert [p.kind for p in PhotoVault(kctx).list()] == ["reference"]
    withdraw_consent(kctx)  # without consent the vault refuses to keep anything
    flow.retention(outcome)
    text = output.getvalue()
    assert_plain_transcript(text)
    assert "Keep photos for an appeal?\n1. Keep nothing\n2. Keep my reference photo\nChoose 1 to 2 (Enter: 1): \n" in text
    assert labelled_lines(text)[:2] == ["Status: nothing kept.", "Result: kept 1 photo, encrypted, for 30 days."]
    assert labelled_lines(text)[2].startswith("Problem: nothing was kept: You have not accepted the notice")
    assert PhotoVault(kctx).list() == []


def test_interview_approved_by_an_enrolled_agent_is_picked_up_and_verified(settings, time_travel):  # noqa: F811
    """The plain mode fetches the credential the agent signed, checks it against the desk's keys and
    keeps it in the keyring."""
    from selfverify.services.credentials import CredentialService
    from selfverify.services.interview import InterviewService
    from tests.desk_support import enrol_services

    ctx = AppContext(settings=settings, front_end="plain")
    admin = AppContext(settings=settings.replace(user="desk-admin"))
    [agent] = enrol_services(admin, AppContext(settings=settings.replace(user="agent-ann")))
    slot = agent.add_slot(datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=2))
    booked = InterviewService(ctx).book(slot.id, "alice@example.org")
    time_travel.to(slot.starts_at)  # an agent decides once the interview has started
    agent.approve(booked.code, ["passport"])
    code, text = drive(ctx, ["2"])
    current = CredentialService(ctx).current()
    assert current is not None and current.method == "interview" and current.issuer.startswith("selfverify:desk:")
    assert "Result: your interview was approved. Your credential is now in your keyring" in text
    assert current.id not in text
