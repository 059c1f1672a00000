"""The on-demand queue: while agents are on duty a person joins, sees the position and an estimated
wait, and the next free agent takes them. Taking creates a slot that starts now and a booked
appointment, so the decision and the credential follow exactly the booking's path."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from selfverify.errors import PolicyRefusal
from selfverify.i18n import _, ngettext
from selfverify.services.interview.base import ServiceBase, _violated
from selfverify.services.interview.views import BOOKED, DEFAULT_SLOT_MINUTES, AppointmentView

RECENT_INTERVIEWS = 20  # the estimate is the median length of this many latest interviews


@dataclass(frozen=True)
class QueueView:
    """Where a person stands: waiting (position, estimate), taken (the appointment) or not in the queue."""

    status: str  # waiting | taken | left | none
    position: int = 0
    wait_minutes: int = 0
    agents_on_duty: int = 0
    joined_at: datetime | None = None
    appointment: AppointmentView | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status, "position": self.position, "estimated_wait_minutes": self.wait_minutes,
            "agents_on_duty": self.agents_on_duty,
            "joined_at": self.joined_at.isoformat() if self.joined_at else None,
            "appointment_code": self.appointment.display_code if self.appointment else None,
        }


class QueueMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    # -------------------------------------------------- agents

    def set_on_duty(self, on: bool) -> list[str]:
        """An enrolled agent marks themselves on (or off) duty; returns who is on duty now."""
        from selfverify.services.desk import DeskService
        from selfverify.store.interviews import agents_on_duty, set_on_duty

        DeskService(self.ctx).check_decider(self.identity, "")
        with self.ctx.db.session() as s:
            set_on_duty(s, self.agent, on, self._now)
            s.commit()
            on_duty = agents_on_duty(s)
        self._audit("agent_on_duty" if on else "agent_off_duty", {"agent": self.agent}, None, self.agent)
        return on_duty

    def agents_on_duty(self) -> list[str]:
        from selfverify.store.interviews import agents_on_duty

        with self.ctx.db.session() as s:
            return agents_on_duty(s)

    def typical_minutes(self) -> float:
        """The median length of the latest interviews (started to decided), else a slot's length."""
        import statistics

        from selfverify.store.interviews import recent_interview_minutes

        with self.ctx.db.session() as s:
            lengths = recent_interview_minutes(s, RECENT_INTERVIEWS)
        return max(1.0, statistics.median(lengths)) if lengths else float(DEFAULT_SLOT_MINUTES)

    def waiting(self) -> list:
        """The people waiting, oldest first (the agent's view)."""
        from selfverify.store.interviews import waiting_entries

        with self.ctx.db.session() as s:
            return waiting_entries(s)

    def take_next(self) -> AppointmentView | None:
        """Give this agent the person who has waited longest: exactly one agent gets each person.

        Returns the appointment (booked, starting now, already started) or None if nobody waits.
        Claiming the entry, the slot and the booking are one transaction: a failure leaves the
        person waiting, never taken without an appointment."""
        from selfverify.services.desk import DeskService
        from selfverify.store.interviews import claim_entry, link_entry, waiting_entries

        signer = DeskService(self.ctx).check_decider(self.identity, "")
        with self.ctx.db.session() as s:
            candidates = [e for e in waiting_entries(s, 10) if e.subject != signer.handle]
        for entry in candidates:
            with self.ctx.db.session() as s:
                if not claim_entry(s, entry.id, self.agent, self._now):  # the compare-and-set
                    s.rollback()
                    continue  # another agent took this person first: try the next one
                row, slot = self._book_now(s, entry)
                link_entry(s, entry.id, row.id)
                s.commit()
                view = self._appointment_view(row, slot)
            self._audit("queue_taken", {"entry_id": entry.id, "agent": self.agent, "appointment_id": view.id},
                        view.session_id, view.subject)
            return self.find(view.code)
        return None

    def _book_now(self, s, entry):  # noqa: ANN001, ANN202 - (appointment row, slot row)
        """A slot that starts now for this agent and the person's booking of it, inside ``s``'s transaction."""
        from datetime import timedelta

        from sqlalchemy.exc import IntegrityError

        from selfverify.services.interview.codes import _CODE_ATTEMPTS, new_code
        from selfverify.services.interview.zones import zone_name
        from selfverify.store.models import Appointment, InterviewSlot

        now = self._now
        for attempt in range(_CODE_ATTEMPTS):
            savepoint = s.begin_nested()
            try:
                # a second later on a clash with this agent's previous take at the same instant
                slot = InterviewSlot(starts_at=now + timedelta(seconds=attempt), duration_minutes=DEFAULT_SLOT_MINUTES,
                                     agent=self.agent, timezone=zone_name(self.zone), created_at=now)
                s.add(slot)
                s.flush()
                row = Appointment(
                    slot_id=slot.id, active_slot_id=slot.id, subject=entry.subject, active_subject=entry.subject,
                    contact=entry.contact, code=new_code(self.rng), status=BOOKED, booked_at=now, started_at=now,
                    language=getattr(entry, "language", None) or "en",  # the person's, not the agent's
                )
                s.add(row)
                s.flush()
                savepoint.commit()
                return row, slot
            except IntegrityError as exc:
                savepoint.rollback()
                if _violated(exc, "active_subject"):
                    raise PolicyRefusal(_("{person} booked a time meanwhile: take the next person.").format(person=entry.subject),
                                        code="already_booked") from None
        raise PolicyRefusal(_("The person could not be given a booking: try again."), code="queue_take_failed")  # pragma: no cover

    # -------------------------------------------------- the person

    def join_queue(self, contact: str) -> QueueView:
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.interviews import agents_on_duty, waiting_entry_of
        from selfverify.store.models import InterviewQueueEntry

        contact = self._clean_contact(contact)
        self._check_no_open_booking(self.ctx.user)
        with self.ctx.db.session() as s:
            if waiting_entry_of(s, self.ctx.user) is not None:
                return self.queue_status()
            if not agents_on_duty(s):
                raise PolicyRefusal(
                    _("No agent is on duty right now, so the queue is closed: nothing was changed."), code="queue_closed",
                    hint=_("Book a time instead: selfverify interview slots"),
                )
            s.add(InterviewQueueEntry(subject=self.ctx.user, active_subject=self.ctx.user, contact=contact, joined_at=self._now))
            try:
                s.commit()
            except IntegrityError:  # the same person joined from another window at the same moment
                s.rollback()
        self._audit("queue_joined", {}, None, self.ctx.user)
        return self.queue_status()

    def leave_queue(self) -> QueueView:
        from selfverify.store.interviews import leave_entry, waiting_entry_of

        with self.ctx.db.session() as s:
            entry = waiting_entry_of(s, self.ctx.user)
            left = entry is not None and leave_entry(s, entry.id)
            s.commit()
        if not left:
            raise PolicyRefusal(_("You are not waiting in the queue: nothing was changed."), code="not_in_queue")
        self._audit("queue_left", {}, None, self.ctx.user)
        return self.queue_status()

    def queue_status(self) -> QueueView:
        """Where this person stands in the queue now (the front ends poll it)."""
        from selfverify.store.interviews import agents_on_duty, latest_entry_of, queue_position

        with self.ctx.db.session() as s:
            entry = latest_entry_of(s, self.ctx.user)
            on_duty = len(agents_on_duty(s))
            if entry is None:
                return QueueView("none", agents_on_duty=on_duty)
            if entry.status == "waiting":
                position = queue_position(s, entry, through_view=self._as_person_role())
            appointment_id = entry.appointment_id
        if entry.status == "waiting":
            wait = math.ceil(position / max(on_duty, 1)) * self.typical_minutes() if on_duty else 0
            return QueueView("waiting", position, int(math.ceil(wait)), on_duty, entry.joined_at)
        appointment = next((a for a in self.my_appointments() if a.id == appointment_id), None) if appointment_id else None
        return QueueView(entry.status, agents_on_duty=on_duty, joined_at=entry.joined_at, appointment=appointment)

    def _as_person_role(self) -> bool:
        from selfverify.services.desk import connection_role

        role = connection_role(self.ctx.db)
        return role is not None and "person" in role[1]

    def queue_line(self, q: QueueView) -> str:
        """One sentence for the plain mode, the TUI and the CLI."""
        if q.status == "waiting":
            if not q.agents_on_duty:
                return _("You are number {position} in the queue. No agent is on duty at the moment: please wait or book a "
                         "time.").format(position=q.position)
            ahead = (_("you are next") if q.position == 1 else
                     ngettext("{count} ahead of you", "{count} ahead of you", q.position - 1).format(count=q.position - 1))
            return ngettext("You are number {position} in the queue ({ahead}); estimated wait about {minutes} min with "
                            "{agents} agent on duty.",
                            "You are number {position} in the queue ({ahead}); estimated wait about {minutes} min with "
                            "{agents} agents on duty.", q.agents_on_duty).format(
                position=q.position, ahead=ahead, minutes=q.wait_minutes, agents=q.agents_on_duty)
        if q.status == "taken" and q.appointment is not None:
            a = q.appointment
            if a.status == BOOKED:
                return _("An agent ({agent}) has taken you: your interview starts now. Confirmation code {code}; the agent "
                         "contacts you on {contact}.").format(agent=a.slot.agent, code=a.display_code, contact=a.contact)
            return self.outcome_line(a)
        if q.status == "left":
            return _("You left the queue.")
        if q.agents_on_duty:
            return _("You are not in the queue.")
        return _("You are not in the queue. No agent is on duty right now.")

