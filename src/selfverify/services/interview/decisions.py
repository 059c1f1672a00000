"""The agent's side: the day's appointments, opening one by code, approving or declining it."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

from selfverify.errors import InputError, NotFound, PolicyRefusal
from selfverify.i18n import N_, _
from selfverify.services.interview.base import ServiceBase
from selfverify.services.interview.codes import format_code, normalise_code
from selfverify.services.interview.views import (
    APPROVED, BOOKED, CANCELLED, DECLINED, DOCUMENT_TYPES, EXPIRED, MAX_REASON_LENGTH, NO_SHOW, AppointmentView,
)
from selfverify.services.interview.zones import check_year


# what a refused decision would have done, and what the appointment already is (in sentences above)
_VERBS = {APPROVED: N_("approved"), DECLINED: N_("declined"), NO_SHOW: N_("marked a no-show")}
_DECIDED = {APPROVED: N_("approved"), DECLINED: N_("declined"), NO_SHOW: N_("no-show")}


class DecisionsMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    def expire_overdue(self) -> int:
        """Mark booked appointments whose slot ended more than the grace period ago as expired."""
        from sqlalchemy import update
        from sqlmodel import select

        from selfverify.store.models import Appointment, InterviewSlot

        with self.ctx.db.session() as s:
            candidates = s.exec(
                select(Appointment, InterviewSlot)
                .join(InterviewSlot, InterviewSlot.id == Appointment.slot_id)
                .where(Appointment.status == BOOKED, InterviewSlot.starts_at < self._now - self._grace())
            ).all()
        expired = 0
        for row, slot in candidates:
            if slot.starts_at + timedelta(minutes=slot.duration_minutes) + self._grace() >= self._now:
                continue
            with self.ctx.db.session() as s:
                result = s.execute(
                    update(Appointment)
                    .where(Appointment.id == row.id, Appointment.status == BOOKED)
                    .values(status=EXPIRED, active_slot_id=None, active_subject=None)
                )
                if result.rowcount == 1:
                    self._session_outcome(s, row.session_id, EXPIRED, "no outcome recorded in time", final=True)  # i18n: ignore (recorded data)
                s.commit()
            if result.rowcount == 1:
                expired += 1
                self._audit("interview_expired", {"appointment_id": row.id}, row.session_id, row.subject)
        return expired

    def appointments_for_day(self, day: date | None = None, *, include_cancelled: bool = False) -> list[AppointmentView]:
        """Appointments whose slot starts on ``day`` (default today) in the viewer's zone, in time order."""
        from sqlmodel import select

        from selfverify.store.models import Appointment, InterviewSlot

        if day is not None:
            check_year(day.year, day)
        self.expire_overdue()
        day = day or self._now.astimezone(self.zone).date()
        start = datetime.combine(day, time(0), tzinfo=self.zone).astimezone(timezone.utc)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(timezone.utc)
        query = (
            select(Appointment, InterviewSlot)
            .join(InterviewSlot, InterviewSlot.id == Appointment.slot_id)
            .where(InterviewSlot.starts_at >= start, InterviewSlot.starts_at < end)
            .order_by(InterviewSlot.starts_at, Appointment.id)
        )
        if not include_cancelled:
            query = query.where(Appointment.status != CANCELLED)
        with self.ctx.db.session() as s:
            return [self._appointment_view(a, slot) for a, slot in s.exec(query).all()]

    def find(self, code: str) -> AppointmentView:
        """Any appointment by code (staff view), without recording that it was opened."""
        from sqlmodel import select

        from selfverify.store.models import Appointment

        clean = normalise_code(code)
        with self.ctx.db.session() as s:
            row = s.exec(select(Appointment).where(Appointment.code == clean)).first()
            if row is None:
                raise NotFound(
                    _("No appointment has the code {code}: check it with the user.").format(code=format_code(clean)),
                    code="code_not_found",
                )
            return self._appointment_view(row, self._slot(s, row.slot_id))

    def open(self, code: str) -> AppointmentView:
        """An agent opens an appointment by code (recorded in its timeline)."""
        self.expire_overdue()
        view = self.find(code)
        self._note_started(view)  # opening a booking whose time has come starts the interview (its length counts)
        view = self.find(code)
        self._audit("interview_opened", {"appointment_id": view.id, "agent": self.agent}, view.session_id, view.subject)
        return view

    def approve(self, code: str, documents_seen: Iterable[str], note: str | None = None) -> AppointmentView:
        """Mark the appointment approved (exactly one of several concurrent agents wins).

        The credential itself is issued by the user's own process (``pick_up_credentials``)."""
        seen = self._checklist(documents_seen)
        if not seen:
            raise InputError(
                _("Tick at least one document type you saw before approving ({types}).").format(
                    types=", ".join(DOCUMENT_TYPES)), code="checklist_empty",
            )
        return self._decide(code, APPROVED, seen, self._clean_reason(note, required=False))

    def decline(self, code: str, reason: str, documents_seen: Iterable[str] = ()) -> AppointmentView:
        return self._decide(code, DECLINED, self._checklist(documents_seen), self._clean_reason(reason, required=True))

    @staticmethod
    def _checklist(documents_seen: Iterable[str]) -> list[str]:
        seen: list[str] = []
        for item in documents_seen:
            key = str(item).strip().lower().replace("-", "_").replace(" ", "_")
            if key not in DOCUMENT_TYPES:
                raise InputError(
                    _("{item} is not a document type: use one of {types}.").format(item=repr(item), types=", ".join(DOCUMENT_TYPES)),
                    code="bad_document_type",
                )
            if key not in seen:
                seen.append(key)
        return seen

    @staticmethod
    def _clean_reason(reason: str | None, required: bool) -> str | None:
        from selfverify.textcheck import check_free_text

        text = check_free_text(reason or "", "reason", MAX_REASON_LENGTH, "bad_reason")
        if required and not text:
            raise InputError(_("Give a reason for declining (the user will see it)."), code="reason_required")
        return text or None

    def _decide(self, code: str, outcome: str, seen: list[str], reason: str | None) -> AppointmentView:
        from sqlalchemy import update

        from selfverify.services.desk import DeskService
        from selfverify.store.models import Appointment

        self.expire_overdue()
        before = self.find(code)
        desk = DeskService(self.ctx)
        signer = desk.check_decider(self.identity, before.subject)
        if before.status != BOOKED:
            raise self._not_decidable(before, outcome)
        self.require_started(before, "approved" if outcome == APPROVED else "declined")
        now = self._now
        with self.ctx.db.session() as s:
            # the compare-and-set that makes a second (or concurrent) decision a no-op
            result = s.execute(
                update(Appointment)
                .where(Appointment.id == before.id, Appointment.status == BOOKED)
                .values(
                    status=outcome, active_subject=None, decided_at=now, decided_by=signer.handle,
                    decision_reason=reason, checklist=json.dumps(seen),
                )
            )
            won = result.rowcount == 1
            if won:
                s.add(desk.decision_record(signer, before, outcome, seen, reason, now))  # signed, append-only
                self._session_outcome(s, before.session_id, outcome, reason, final=outcome == DECLINED)
            s.commit()
        if not won:
            after = self.find(code)
            self._audit(
                "interview_decision_refused",
                {"appointment_id": after.id, "agent": self.agent, "wanted": outcome, "status": after.status},
                after.session_id, after.subject,
            )
            raise self._not_decidable(after, outcome)
        self._audit(
            "interview_decision",
            {"appointment_id": before.id, "decision": outcome, "agent": self.agent, "documents_seen": seen, "reason": reason},
            before.session_id, before.subject,
        )
        return self._notify(self.find(code), "decision")  # the person hears of it by e-mail when they can

    def _not_decidable(self, view: AppointmentView, wanted: str) -> PolicyRefusal:
        verb = _(_VERBS.get(wanted, N_("changed")))
        if view.status in (APPROVED, DECLINED, NO_SHOW):
            by = _(" by {agent}").format(agent=view.decided_by) if view.decided_by else ""
            at = _(" at {when}").format(when=self.when(view.decided_at)) if view.decided_at else ""
            return PolicyRefusal(
                _("Appointment {code} was already {status}{by}{at}: nothing was changed.").format(
                    code=view.display_code, status=_(_DECIDED[view.status]), by=by, at=at),
                code="already_decided",
            )
        if view.status == EXPIRED:
            return PolicyRefusal(
                _("Appointment {code} expired (its slot was {when}): it cannot be {verb}.").format(
                    code=view.display_code, when=self.when(view.slot.starts_at), verb=verb),
                code="appointment_expired", hint=_("Ask the user to book a new interview."),
            )
        return PolicyRefusal(
            _("Appointment {code} was cancelled by the user: it cannot be {verb}.").format(code=view.display_code, verb=verb),
            code="appointment_cancelled",
        )
