"""When: the desk's booking window (minimum lead time, horizon), the agent's timing outcomes
(started, running late, no-show), the rule that nothing is decided before the interview starts,
and a person's past appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from selfverify.errors import InputError, PolicyRefusal
from selfverify.i18n import _
from selfverify.services.interview.base import ServiceBase
from selfverify.services.interview.views import BOOKED, ENDED, NO_SHOW, AppointmentView

DEFAULT_MIN_LEAD_MINUTES = 60
DEFAULT_HORIZON_DAYS = 90
LEAD_LIMITS = (0, 7 * 24 * 60)  # minutes
HORIZON_LIMITS = (1, 366)  # days
MAX_LATE_MINUTES = 240


@dataclass(frozen=True)
class BookingWindow:
    min_lead_minutes: int
    horizon_days: int

    def as_dict(self) -> dict[str, int]:
        return {"min_lead_minutes": self.min_lead_minutes, "horizon_days": self.horizon_days}


def _setting(stored: dict[str, str], key: str, default: int) -> int:
    try:
        return int(stored.get(key, default))
    except ValueError:  # a hand-edited row: the safe default, never no limit
        return default


class TimingMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    # -------------------------------------------------- the desk's booking window

    def booking_window(self) -> BookingWindow:
        """The desk's rules (stored in the database, so a person's own config cannot loosen them)."""
        from selfverify.store.interviews import desk_settings

        with self.ctx.db.session() as s:
            stored = desk_settings(s)
        return BookingWindow(_setting(stored, "min_lead_minutes", DEFAULT_MIN_LEAD_MINUTES),
                             _setting(stored, "horizon_days", DEFAULT_HORIZON_DAYS))

    def set_booking_window(self, min_lead_minutes: int | None = None, horizon_days: int | None = None) -> BookingWindow:
        """The desk admin changes the window (refused to anyone without the desk's admin key)."""
        from selfverify.services.desk import DeskService
        from selfverify.store.interviews import put_desk_setting

        desk = DeskService(self.ctx)
        info = desk.info()
        try:
            desk._admin_key(info)  # only the desk admin sets desk rules
        except PolicyRefusal as exc:
            if exc.code != "not_admin":
                raise
            raise PolicyRefusal(_("Only the desk admin sets the booking rules: this keyring does not hold the desk's admin key."),
                                code="not_admin", hint=_("Ask the desk admin ({admin}).").format(admin=info.admin)) from None
        changes = {}
        if min_lead_minutes is not None:
            if not LEAD_LIMITS[0] <= min_lead_minutes <= LEAD_LIMITS[1]:
                raise InputError(_("The minimum lead time is from {least} to {most} minutes.").format(
                    least=LEAD_LIMITS[0], most=LEAD_LIMITS[1]), code="bad_lead")
            changes["min_lead_minutes"] = min_lead_minutes
        if horizon_days is not None:
            if not HORIZON_LIMITS[0] <= horizon_days <= HORIZON_LIMITS[1]:
                raise InputError(_("The booking horizon is from {least} to {most} days.").format(
                    least=HORIZON_LIMITS[0], most=HORIZON_LIMITS[1]), code="bad_horizon")
            changes["horizon_days"] = horizon_days
        if changes:
            with self.ctx.db.session() as s:
                for key, value in changes.items():
                    put_desk_setting(s, key, str(value), self.ctx.user, self._now)
                s.commit()
            self._audit("desk_settings_changed", changes, None, self.ctx.user)
        return self.booking_window()

    def _bookable_window(self) -> tuple[datetime, datetime]:
        window = self.booking_window()
        now = self._now
        return now + timedelta(minutes=window.min_lead_minutes), now + timedelta(days=window.horizon_days)

    def check_window(self, starts_at: datetime) -> None:
        """Refuse a slot that starts sooner than the lead time or later than the horizon."""
        earliest, latest = self._bookable_window()
        window = self.booking_window()
        if starts_at < earliest:
            raise PolicyRefusal(
                _("The slot {when} starts too soon: bookings close {minutes} minutes before the start. Nothing was "
                  "booked.").format(when=self.when(starts_at), minutes=window.min_lead_minutes),
                code="too_soon", hint=_("Pick a later slot, or join the queue if an agent is on duty."),
            )
        if starts_at > latest:
            raise PolicyRefusal(
                _("The slot {when} is too far ahead: you can book up to {days} days ahead (until {until}). Nothing was "
                  "booked.").format(when=self.when(starts_at), days=window.horizon_days, until=self.when(latest)),
                code="too_far", hint=_("Pick an earlier slot."),
            )

    def in_window(self, starts_at: datetime) -> bool:
        earliest, latest = self._bookable_window()
        return earliest <= starts_at <= latest

    # -------------------------------------------------- the agent's timing outcomes

    def require_started(self, a: AppointmentView, verb: str) -> None:
        """Nothing is decided about an interview that has not started yet (issue 17). ``verb``: approved |
        declined | no_show (what is refused)."""
        if self._now < a.starts_at:
            sentences = {
                "approved": _("Appointment {code} starts at {when}: it cannot be approved before then. Nothing was changed."),
                "declined": _("Appointment {code} starts at {when}: it cannot be declined before then. Nothing was changed."),
                NO_SHOW: _("Appointment {code} starts at {when}: it cannot be marked a no-show before then. Nothing was "
                           "changed."),
            }
            message = sentences.get(verb, _("Appointment {code} starts at {when}: no outcome can be recorded before then. "
                                            "Nothing was changed."))
            raise PolicyRefusal(message.format(code=a.display_code, when=self.when(a.starts_at)),
                                code="not_started", hint=_("Open it again when the interview has started."))

    def _note_started(self, a: AppointmentView) -> None:
        """The agent opened a booked interview whose time has come: that is when it started."""
        from selfverify.store.interviews import mark_started

        if a.status != BOOKED or a.started_at is not None or self._now < a.starts_at:
            return
        with self.ctx.db.session() as s:
            mark_started(s, a.id, self._now)
            s.commit()

    def running_late(self, code: str, minutes: int) -> AppointmentView:
        """Move the start ``minutes`` after the slot's start (within the grace period); the person sees it."""
        from selfverify.services.desk import DeskService
        from selfverify.store.interviews import set_appointment_fields

        self.expire_overdue()
        before = self.find(code)
        DeskService(self.ctx).check_decider(self.identity, before.subject)
        if before.status != BOOKED:
            raise self._not_decidable(before, "late")
        if not 1 <= minutes <= MAX_LATE_MINUTES:
            raise InputError(_("Running late is from 1 to {most} minutes.").format(most=MAX_LATE_MINUTES), code="bad_late")
        new_start = before.slot.starts_at + timedelta(minutes=minutes)
        if new_start + timedelta(minutes=before.slot.duration_minutes) > self.deadline(before):
            raise PolicyRefusal(
                _("{minutes} minutes late would end the interview after its grace period ({when}): nothing was changed.").format(
                    minutes=minutes, when=self.when(self.deadline(before))),
                code="beyond_grace", hint=_("Record a no-show or ask the person to book again."),
            )
        if new_start < self._now:
            raise PolicyRefusal(_("{when} has already passed: give a later time. Nothing was changed.").format(
                when=self.when(new_start)), code="late_in_past")
        with self.ctx.db.session() as s:
            won = set_appointment_fields(s, before.id, BOOKED, late_minutes=minutes)
            s.commit()
        if not won:
            raise self._not_decidable(self.find(code), "late")
        self._audit("interview_running_late", {"appointment_id": before.id, "agent": self.agent, "minutes": minutes},
                    before.session_id, before.subject)
        return self.find(code)

    def no_show(self, code: str, note: str | None = None) -> AppointmentView:
        """The person did not come: the booking ends (no credential) and they may book again."""
        from selfverify.services.desk import DeskService
        from selfverify.store.interviews import set_appointment_fields

        self.expire_overdue()
        before = self.find(code)
        signer = DeskService(self.ctx).check_decider(self.identity, before.subject)
        if before.status != BOOKED:
            raise self._not_decidable(before, NO_SHOW)
        self.require_started(before, NO_SHOW)
        reason = self._clean_reason(note, required=False) or "nobody joined the interview"  # i18n: ignore (stored reason)
        with self.ctx.db.session() as s:
            won = set_appointment_fields(
                s, before.id, BOOKED, status=NO_SHOW, active_subject=None, active_slot_id=None,
                decided_at=self._now, decided_by=signer.handle, decision_reason=reason,
            )
            if won:
                self._session_outcome(s, before.session_id, NO_SHOW, reason, final=True)
            s.commit()
        if not won:
            raise self._not_decidable(self.find(code), NO_SHOW)
        self._audit("interview_no_show", {"appointment_id": before.id, "agent": self.agent},
                    before.session_id, before.subject)
        return self.find(code)

    # -------------------------------------------------- a person's past appointments

    def history(self) -> list[AppointmentView]:
        """This person's appointments that are over (decided, cancelled, expired, no-show), newest first."""
        return [a for a in self.my_appointments() if a.status in ENDED]

    def outcome_line(self, a: AppointmentView) -> str:
        """One sentence saying where an interview stands, the same in every front end."""
        from selfverify.textcheck import printable

        code = a.display_code
        when = self.when(a.starts_at)
        if a.status == BOOKED:
            booked = _("Interview {code} is booked for {when}.").format(code=code, when=when)
            late = _("The agent is running {minutes} min late.").format(minutes=a.late_minutes) if a.late_minutes else ""
            expires = _("If nobody has joined by {deadline}, it expires and you may book again.").format(
                deadline=self.when(self.deadline(a)))
            return " ".join(part for part in (booked, late, expires) if part)
        if a.status == NO_SHOW:
            return _("Interview {code} ({when}) was recorded as a no-show: nobody joined. Book a new interview: "
                     "selfverify interview slots").format(code=code, when=when)
        if a.status == "expired":
            return _("Interview {code} ({when}) expired: no outcome was recorded by {deadline}. Book a new interview: "
                     "selfverify interview slots").format(code=code, when=when, deadline=self.when(self.deadline(a)))
        if a.status == "cancelled":
            return _("Interview {code} ({when}) was cancelled. Book a new one: selfverify interview slots").format(code=code, when=when)
        if a.status == "declined":
            reason = printable(a.decision_reason) if a.decision_reason else _("no reason given")
            return _("Interview {code} was declined: {reason}. You may book again.").format(code=code, reason=reason)
        return _("Interview {code} was approved.").format(code=code)
