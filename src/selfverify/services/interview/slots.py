"""Slots: staff publish, list and remove the times they can interview."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from selfverify.errors import InputError, NotFound, PolicyRefusal
from selfverify.i18n import _
from selfverify.services.interview.base import ServiceBase, _slot_end
from selfverify.services.interview.hours import RecurringHours
from selfverify.services.interview.views import DEFAULT_SLOT_MINUTES, SlotView
from selfverify.services.interview.zones import zone_name


class SlotsMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    def add_slot(self, starts_at: datetime, duration_minutes: int = DEFAULT_SLOT_MINUTES,
                 details: Mapping[str, Any] | None = None) -> SlotView:
        return self.add_slots([starts_at], duration_minutes, details=details)[0][0]

    def add_slots(
        self, starts: Iterable[datetime], duration_minutes: int = DEFAULT_SLOT_MINUTES, *, skip_existing: bool = False,
        details: Mapping[str, Any] | None = None,
    ) -> tuple[list[SlotView], int]:
        """Publish slots for this agent; returns (added, skipped because they already exist).

        ``details`` override the desk's defaults (channel, link, phone, caller, address, instructions,
        documents, not_accepted); the merged details are stored with each slot."""
        from sqlalchemy.exc import IntegrityError

        from selfverify.services.interview.details import SlotDetails
        from selfverify.store.interviews import slots_near
        from selfverify.store.models import InterviewSlot

        if not 5 <= duration_minutes <= 240:
            raise InputError(_("A slot lasts from 5 to 240 minutes."), code="bad_duration")
        stored_details = SlotDetails.from_settings(self.ctx.settings).merged(details).to_json()
        starts = sorted({s.astimezone(timezone.utc) for s in starts})
        past = [s for s in starts if s <= self._now]
        if past and not skip_existing:
            raise PolicyRefusal(_("{when} has already passed: slots must be in the future.").format(when=self.when(past[0])),
                                code="slot_in_past")
        starts = [s for s in starts if s > self._now]
        if not starts:
            return [], 0
        length = timedelta(minutes=duration_minutes)
        longest = timedelta(minutes=240)
        with self.ctx.db.session() as s:
            nearby = slots_near(s, self.agent, starts[0] - longest, starts[-1] + longest)
            by_start = {r.starts_at: r for r in nearby}
            busy = [r for r in nearby if r.status == "open"]
            added, clashes = [], []
            for t in starts:
                overlap = next((r for r in busy if r.starts_at < t + length and t < _slot_end(r)), None)
                if overlap is not None:
                    clashes.append((t, overlap))
                    continue
                row = by_start.get(t)
                if row is not None:  # a removed slot at that time comes back
                    row.status, row.duration_minutes, row.details = "open", duration_minutes, stored_details
                else:
                    row = InterviewSlot(
                        starts_at=t, duration_minutes=duration_minutes, agent=self.agent,
                        timezone=zone_name(self.zone), created_at=self._now, details=stored_details,
                    )
                s.add(row)
                added.append(row)
                busy.append(row)
            if clashes and not skip_existing:
                t, overlap = clashes[0]
                raise PolicyRefusal(
                    _("{agent} already has a slot at {when} ({minutes} min), which {new} would overlap: nothing was added.").format(
                        agent=self.agent, when=self.when(overlap.starts_at), minutes=overlap.duration_minutes, new=self.when(t)),
                    code="slot_exists",
                )
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raise PolicyRefusal(
                    _("Another agent added the same slots at the same moment: nothing was added."),
                    code="slot_exists", hint=_("Run the command again."),
                ) from None
            views = [self._slot_view(r) for r in added]
        self._audit("slots_added", {"agent": self.agent, "count": len(views), "skipped": len(clashes)}, None, self.agent)
        return views, len(clashes)

    def add_recurring(self, hours: RecurringHours, days: int = 14) -> tuple[list[SlotView], int]:
        if not 1 <= days <= 366:
            raise InputError(_("--days must be from 1 to 366."), code="bad_days")
        today = self._now.astimezone(hours.zone).date()
        starts = [t for t in hours.starts_between(today, days) if t > self._now]
        service = self if not hours.agent or hours.agent == self.agent else type(self)(self.ctx, agent=hours.agent)
        return service.add_slots(starts, hours.duration_minutes, skip_existing=True, details=hours.details)

    def remove_slot(self, slot_id: int) -> SlotView:
        """Remove an open slot nobody holds, or one whose appointment is over (decided, cancelled,
        expired, no-show); a slot with an active booking is never removed."""
        from selfverify.store.interviews import remove_unbooked_slot, slot_with_booking
        from selfverify.textcheck import check_id

        slot_id = check_id(slot_id, "slot number")  # i18n: ignore (a key of textcheck.FIELDS)
        with self.ctx.db.session() as s:
            slot, _booking = slot_with_booking(s, slot_id)
            if slot is None or slot.status == "removed":
                raise NotFound(_("There is no slot {id}.").format(id=slot_id), code="slot_not_found")
            removed = remove_unbooked_slot(s, slot_id)
            s.commit()
            if not removed:
                raise PolicyRefusal(
                    _("Slot {id} ({when}) has an active booking: it was not removed.").format(id=slot_id, when=self.when(slot.starts_at)),
                    code="slot_booked", hint=_("Decide the appointment (or let the person cancel it) first."),
                )
            slot.status = "removed"
            view = self._slot_view(slot)
        self._audit("slot_removed", {"slot_id": slot_id, "agent": self.agent}, None, self.agent)
        return view

    def list_slots(self, *, include_past: bool = False, only_free: bool = False, agent: str | None = None) -> list[SlotView]:
        from sqlmodel import select

        from selfverify.services.desk import booked_slots
        from selfverify.store.models import InterviewSlot

        query = select(InterviewSlot).where(InterviewSlot.status == "open").order_by(InterviewSlot.starts_at, InterviewSlot.id)
        if not include_past:
            query = query.where(InterviewSlot.starts_at > self._now)
        if agent:
            query = query.where(InterviewSlot.agent == agent)
        with self.ctx.db.session() as s:
            slots = s.exec(query).all()
            ids = [r.id for r in slots]
            taken = booked_slots(self.ctx, s, ids)
        views = [self._slot_view(r, booked=r.id in taken) for r in slots]
        return [v for v in views if not v.booked] if only_free else views

    def available_slots(self) -> list[SlotView]:
        """Future slots nobody has booked inside the desk's booking window, soonest first (what a user may book)."""
        return [v for v in self.list_slots(only_free=True) if self.in_window(v.starts_at)]
