"""SelfieService rules that need no camera: preflight wording, credential refusal without a keyring."""

from __future__ import annotations

import pytest

from selfverify.services.attempts import AttemptPolicy
from selfverify.services.audit import SessionRecorder, timeline
from selfverify.services.selfie import SelfieOutcome, SelfieService
from selfverify.store.models import CredentialRecord
from tests.privacy_support import accept_consent, fail_keyring, kctx, live_decision, pctx, row_counts  # noqa: F401


def test_preflight_names_what_blocks_a_run(pctx, fake_clock):
    service = SelfieService(pctx)
    assert service.preflight().reason == "consent_required"
    accept_consent(pctx)
    for _ in range(5):
        AttemptPolicy(pctx).record_failure()
    pre = service.preflight()
    assert (pre.ready, pre.reason) == (False, "attempt_wait")
    assert "wait 30 s" in pre.message and pre.attempts.wait_seconds == pytest.approx(30)
    fake_clock.advance(30)
    assert service.preflight().ready


def test_without_a_keyring_the_run_may_start_but_no_credential_is_stored(pctx, fail_keyring):
    accept_consent(pctx)
    pre = SelfieService(pctx).preflight()
    assert pre.ready and not pre.keyring_ok and "no credential" in pre.message

    recorder = SessionRecorder(pctx, "selfie")
    credential, error, hint = SelfieService(pctx)._issue(live_decision(), recorder)
    assert credential is None and "Nothing was stored" in error and "keyring" in hint  # the fix travels to the result
    assert timeline(pctx, recorder.id)[-1]["kind"] == "credential_refused"
    assert row_counts(pctx, CredentialRecord) == {"credential_record": 0}


def test_retaining_a_frame_that_was_never_captured_is_refused(pctx):
    from selfverify.errors import NotFound

    accept_consent(pctx)
    outcome = SelfieOutcome(live_decision(), "s1", None, AttemptPolicy(pctx).status(), False)
    with pytest.raises(NotFound):
        SelfieService(pctx).retain(outcome, keep_reference=False, keep_selfie=True)
    assert SelfieService(pctx).retain(outcome, keep_reference=False, keep_selfie=False) == []


@pytest.mark.keyring
def test_a_live_verified_decision_gets_its_credential_noted_in_the_timeline(kctx):
    recorder = SessionRecorder(kctx, "selfie")
    credential, error, _hint = SelfieService(kctx)._issue(live_decision(), recorder)
    assert error is None and credential.method == "selfie"
    last = timeline(kctx, recorder.id)[-1]
    assert last["kind"] == "credential_issued" and last["data"]["credential_id"] == credential.id
