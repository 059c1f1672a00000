"""The selfie path's rules, shared by the Textual app, the accessible mode and the headless CLI.

Order of a run: consent is checked before the camera opens; attempt limits are checked (liveness
runs only); the core SelfieRun analyses frames and emits events, which go to the session timeline
(never preview frames) and to the front end; the result is counted (success resets the consecutive
failures; no match / not live / timed out count as failures; a face that was there but never did
the challenge, such as a photo held up, is not live; a run cancelled, interrupted or whose camera was
lost after a face started a challenge step is a failed try too); a credential is issued only when
``decision.can_issue_credential``: verified, liveness passed, at a camera device that is not a
virtual one, under a challenge the run drew itself. Files, folders and stills never earn one, and a
user cannot choose the seed (only ``replay``, which counts and records nothing). A
``liveness=False`` run (a replay of a recording; refused on a camera device) counts nothing and
issues nothing. Ctrl+C ends the session as cancelled. The best frame stays in memory, in the
outcome, until the user opts in to keep it (``retain``) or the outcome is dropped.

``replay`` runs on a recording only (refused at a camera device before it opens) and counts,
records and issues nothing: with liveness, a support replay of a seed's challenge; without, the
match alone. Both take the reference photo's path or the Reference a front end already checked
(``load_reference``), so a journey decodes and encodes its reference once.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from selfverify.core.decisions import DecisionReason, is_failed_try  # noqa: F401  (is_failed_try re-exported)
from selfverify.errors import InputError, NotFound, SelfverifyError
from selfverify.i18n import N_, _

def refuse_chosen_seed() -> None:
    raise InputError(
        _("A challenge seed can only be chosen for a support replay of a recording: a live check draws its own, "
          "so that nobody can prepare a recording for it."),
        code="seed_needs_replay",
        hint=_("Remove the chosen seed, or replay a recording with it (a support replay)."),
    )


def refuse_replay_of_device(label: str) -> None:
    raise InputError(_("A replay runs on a recording, not on the camera {label}.").format(label=label),
                     code="replay_needs_recording", hint=_("Replay a video file, an image folder or a photo."))


def refuse_replay_without_seed() -> None:
    raise InputError(_("A replay needs the seed of the run to replay."), code="replay_needs_seed",
                     hint=_("The seed of a selfie session is in its details (support: sessions)."))


def refuse_at_camera(camera_spec: str, *, liveness: bool, replay: bool = False) -> None:
    """A run that can never earn (liveness off, a support replay) runs on a recording only: checked on
    the camera's name, before it is opened (``SelfieRun`` checks the opened source again)."""
    from selfverify.core.camera import is_device_spec

    if not is_device_spec(camera_spec):
        return
    if not liveness:
        from selfverify.core.flow import refuse_liveness_off_with_camera

        refuse_liveness_off_with_camera(str(camera_spec))
    if replay:
        refuse_replay_of_device(str(camera_spec))


@dataclass(frozen=True)
class Preflight:
    consent_ok: bool
    attempts: Any  # AttemptStatus
    keyring_ok: bool
    reason: str | None  # None when a run may start; else consent_required | locked_out | attempt_wait
    message: str  # a sentence for the user ("" when there is nothing to say)

    @property
    def ready(self) -> bool:
        return self.reason is None


@dataclass(eq=False)
class SelfieOutcome:
    decision: Any  # core.events.Decision
    session_id: str
    credential: Any  # IssuedCredential | None
    attempts: Any  # AttemptStatus after this run
    best_frame_available: bool
    credential_error: str | None = None  # why a verified live run got no credential (e.g. no keyring)
    reference_path: str | None = field(default=None, repr=False)
    best_frame: Any = field(default=None, repr=False)  # BGR array, memory only, for an opted-in retain
    seed: int | None = None  # the challenge seed (support replay)
    steps: tuple[str, ...] = ()  # the challenge drawn from it
    credential_hint: str | None = None  # how to fix what stopped the credential (e.g. start a keyring)

    def discard_best_frame(self) -> None:
        self.best_frame = None
        self.best_frame_available = False


# what a recorded run_started event holds that a replay must judge with
REPLAYED_SETTINGS = ("challenge_steps", "challenge_timeout", "verify_timeout", "decision_frames", "tolerance")
NO_CREDENTIAL_FROM_RECORDING = N_("this check ran on a recording (a video file, images, a photo or a virtual camera), "
                                   "and only a live camera can earn a credential.")


class SelfieService:
    def __init__(self, ctx):
        self.ctx = ctx

    def preflight(self) -> Preflight:
        """Can a selfie run start now, and what should the user be told first."""
        from selfverify.services.attempts import AttemptPolicy
        from selfverify.services.consent import ConsentService
        from selfverify.store.secrets import backend_status

        consent = ConsentService(self.ctx).status()
        attempts = AttemptPolicy(self.ctx).status()
        keyring = backend_status(probe=True)
        reason, message = None, attempts.message
        if not consent.accepted:
            reason, message = "consent_required", _("Please read and accept the notice before the camera turns on.")
        elif attempts.locked:
            reason = "locked_out"
        elif not attempts.allowed:
            reason = "attempt_wait"
        elif not keyring.usable:
            message = (_("Your keyring cannot be used ({reason}): the check can run, but no credential can be stored.").format(
                reason=keyring.reason) + f" {keyring.fix}").strip()
        return Preflight(consent.accepted, attempts, keyring.usable, reason, message)

    def load_reference(self, reference, *, encoder=None):
        """The reference face (``core.faces.Reference``), decoded and encoded once: a front end that
        checked the photo passes its Reference to ``run``/``replay``, which then use it as it is."""
        from selfverify.core.faces import Reference, load_reference

        if isinstance(reference, Reference):
            return reference
        return load_reference(reference, encoder=encoder)

    def run(self, reference, camera_spec: str, *, on_event: Callable | None = None, cancel=None,
            liveness: bool = True, realtime: bool | None = None, encoder=None) -> SelfieOutcome:
        """``reference``: the photo's path, or the Reference ``load_reference`` made of it.
        ``realtime``: None = the source's default (files replay every frame in order; the app
        passes True so a recording plays like a live camera, at its own speed). ``encoder``: a
        ``core.encoder.EncoderProcess`` computing the encodings (the app's, so its event loop is
        not held up); None encodes in this process. The decision is the same either way."""
        from selfverify.services.attempts import AttemptPolicy
        from selfverify.services.consent import ConsentService

        ConsentService(self.ctx).require()  # before any camera frame is read
        policy = AttemptPolicy(self.ctx)
        # a live run reserves its try first (atomic: parallel runs cannot share the last one) and
        # settles it with its result; a run ending with no try releases it (the finally below)
        attempts = policy.reserve() if liveness else policy.status()
        settled = [not liveness]
        try:
            return self._run_reserved(reference, camera_spec, policy, attempts, settled, on_event=on_event,
                                      cancel=cancel, liveness=liveness, realtime=realtime, encoder=encoder)
        finally:
            if not settled[0]:
                policy.release()

    def _run_reserved(self, reference, camera_spec, policy, attempts, settled, *, on_event, cancel, liveness,  # noqa: ANN001
                      realtime, encoder) -> SelfieOutcome:
        from selfverify.services.audit import SessionRecorder

        refuse_at_camera(camera_spec, liveness=liveness)
        if liveness and self.ctx.settings.seed is not None:
            refuse_chosen_seed()

        from selfverify.core.camera import open_source
        from selfverify.core.flow import SelfieRun

        reference = self.load_reference(reference, encoder=encoder)
        source = open_source(str(camera_spec), realtime=realtime)
        with source:
            # the run draws its own seed; made before the session so its row holds the seed a support replay needs
            flow = SelfieRun(self.ctx.settings, reference, source, clock=self.ctx.clock, cancel=cancel,
                             liveness=liveness, encoder=encoder)
            recorder = SessionRecorder(self.ctx, "selfie", seed=flow.seed)
            recorder.note("preflight", liveness=liveness, consent="accepted", live_source=flow.live_source,
                          tries_left_before_wait=attempts.tries_left_before_wait, total_failures=attempts.total_failures)

            def forward(ev) -> None:
                if getattr(ev, "in_timeline", True):
                    recorder.event(ev)
                if on_event is not None:
                    on_event(ev)

            flow.on_event = forward
            try:
                result = flow.run()
            except (SelfverifyError, KeyboardInterrupt) as exc:  # Ctrl+C: the user stopped the check
                if liveness and flow.challenge_started:  # the challenge was shown: a try, however it ended
                    policy.record_failure()
                    settled[0] = True
                if isinstance(exc, SelfverifyError):
                    recorder.finish("error", exc.code)
                    raise
                recorder.finish("cancelled", "interrupted")
                raise
            except BaseException:
                recorder.finish("error", "internal")
                raise
        decision = result.decision
        if not any(getattr(ev, "kind", None) == "decision" for ev in (result.events or ())):
            recorder.event(decision)  # a flow that did not emit its decision still leaves it in the timeline
        if liveness and decision.verified:
            attempts, settled[0] = policy.record_success(), True
        elif liveness and is_failed_try(decision.reason, decision.challenge_started):
            attempts, settled[0] = policy.record_failure(), True
        credential, credential_error, credential_hint = None, None, None
        if liveness and decision.can_issue_credential:
            credential, credential_error, credential_hint = self._issue(decision, recorder)
        elif liveness and decision.verified:
            credential_error = _(NO_CREDENTIAL_FROM_RECORDING)
            recorder.note("credential_refused", code="not_a_live_camera", message=credential_error)
        outcome = "verified" if decision.verified else ("cancelled" if decision.reason == DecisionReason.CANCELLED else "rejected")
        recorder.finish(outcome, decision.reason)
        best = getattr(result, "best_frame", None)
        return SelfieOutcome(decision, recorder.id, credential, attempts, best is not None, credential_error,
                             reference.path, best, seed=flow.seed, steps=tuple(getattr(result, "steps", ())),
                             credential_hint=credential_hint)

    def replay(self, reference, camera_spec: str, seed: int | None = None, *, liveness: bool = True,
               on_event: Callable | None = None, recorded: dict[str, Any] | None = None):
        """A run on a recording that counts no attempt, records no session and never issues a
        credential. ``liveness`` on (a support replay): ``seed``'s challenge, judged exactly as a
        live run would be (liveness and matching, frame-time deadlines); the decision says
        ``replay`` and carries the match distance whatever ended the run. ``recorded``: the settings
        the recorded run used (its ``run_started`` event: step count, deadlines, tolerance, frames).
        ``liveness`` off: the match alone (liveness ``skipped``), no seed. Returns the core ``RunResult``."""
        from selfverify.core.camera import open_source
        from selfverify.core.flow import SelfieRun

        if liveness and seed is None:
            refuse_replay_without_seed()
        refuse_at_camera(camera_spec, liveness=liveness, replay=liveness)
        settings = self.ctx.settings
        if liveness:
            changes: dict[str, Any] = {k: v for k, v in (recorded or {}).items() if k in REPLAYED_SETTINGS and v}
            settings = settings.replace(**changes, seed=seed, liveness=True)
        reference = self.load_reference(reference)
        source = open_source(str(camera_spec), realtime=False if liveness else None)
        with source:
            return SelfieRun(settings, reference, source, clock=self.ctx.clock, on_event=on_event,
                             liveness=liveness, replay=liveness).run()

    def _issue(self, decision, recorder):
        from selfverify.services.credentials import CredentialService

        try:
            credential = CredentialService(self.ctx).issue("selfie", decision)
        except SelfverifyError as exc:
            recorder.note("credential_refused", code=exc.code, message=exc.user_message)
            return None, exc.user_message, exc.hint
        recorder.note("credential_issued", credential_id=credential.id, expires_at=credential.expires_at)
        return credential, None, None

    def retain(self, outcome: SelfieOutcome, keep_reference: bool, keep_selfie: bool) -> list:
        """Opt-in after the result: keep the reference file and/or the best frame (JPEG made in memory), encrypted."""
        from selfverify.services.audit import AuditLog
        from selfverify.services.vault import PhotoVault

        photos: list[tuple[str, bytes, str]] = []
        if keep_reference:
            photos.append(("reference", *self._reference_bytes(outcome)))
        if keep_selfie:
            if outcome.best_frame is None:
                raise NotFound(_("No selfie frame is available to keep (it was not captured or was already discarded)."))
            photos.append(("selfie", encode_jpeg(outcome.best_frame), "image/jpeg"))
        vault = PhotoVault(self.ctx)
        kept = [vault.retain(kind, data, content_type=content_type) for kind, data, content_type in photos]
        if kept:
            AuditLog(self.ctx).record("retention_opt_in", {"photo_ids": [p.id for p in kept],
                                                           "kinds": [p.kind for p in kept]}, outcome.session_id)
        if keep_selfie:
            outcome.discard_best_frame()
        return kept

    @staticmethod
    def _reference_bytes(outcome: SelfieOutcome) -> tuple[bytes, str]:
        if not outcome.reference_path:
            raise NotFound(_("The reference photo of this check is not known, so it cannot be kept."))
        path = Path(outcome.reference_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(_("The reference photo {path} cannot be read any more: {reason}.").format(
                path=path, reason=exc.strerror)) from None
        return data, mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def encode_jpeg(frame) -> bytes:
    """A BGR frame as JPEG bytes, in memory (no temp file)."""
    import cv2

    ok, buffer = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), 92])
    if not ok:
        raise InputError(_("The selfie frame could not be encoded as JPEG."))
    return buffer.tobytes()
