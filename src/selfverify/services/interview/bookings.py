"""Bookings: a user books, reschedules and cancels their own interview."""

from __future__ import annotations

from selfverify.errors import NotFound, PolicyRefusal, StorageError
from selfverify.services.interview.base import ServiceBase, _violated
from selfverify.services.interview.details import Accommodations
from selfverify.services.interview.codes import _CODE_ATTEMPTS, format_code, new_code, normalise_code
from selfverify.services.interview.views import BOOKED, CANCELLED, MAX_CONTACT_LENGTH, AppointmentView
from selfverify.services.interview.zones import zone_name


class BookingsMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    def book(self, slot_id: int, contact: str, accommodations: Accommodations | None = None) -> AppointmentView:
        """Book a slot; ``accommodations`` are what the person asks for (an interpreter, captions...).
        The returned view's ``notice`` says whether a confirmation e-mail went out."""
        from sqlalchemy.exc import IntegrityError

        from selfverify.services.audit import SessionRecorder
        from selfverify.store.models import Appointment

        subject = self.ctx.user
        contact = self._clean_contact(contact)
        needs = (accommodations or Accommodations()).to_json()
        self._check_no_open_booking(subject)
        self._check_not_queued(subject)
        with self.ctx.db.session() as s:
            slot = self._bookable_slot(s, slot_id)
        recorder = SessionRecorder(self.ctx, "interview")
        for _ in range(_CODE_ATTEMPTS):
            with self.ctx.db.session() as s:
                row = Appointment(
                    slot_id=slot.id, active_slot_id=slot.id, subject=subject, active_subject=subject, contact=contact,
                    code=new_code(self.rng), status=BOOKED, booked_at=self._now, session_id=recorder.id,
                    accommodations=needs,
                )
                s.add(row)
                try:
                    s.flush()  # the UNIQUE columns decide here, before anything else is written
                    self._session_outcome(s, recorder.id, BOOKED, None, final=False)
                    s.commit()
                except IntegrityError as exc:
                    s.rollback()
                    if _violated(exc, "code"):
                        continue  # a fresh random code collided: draw another
                    reason = self._booking_conflict(exc, slot)
                    recorder.finish("refused", reason.code)
                    raise reason from None
                view = self._appointment_view(row, slot)
                break
        else:  # pragma: no cover - 31**8 codes make this practically impossible
            recorder.finish("error", "code_space_exhausted")
            raise StorageError("Could not find a free confirmation code: nothing was booked. Try again.")
        recorder.note(
            "interview_booked", appointment_id=view.id, slot_id=slot.id, slot_starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes, agent=slot.agent, shown_zone=zone_name(self.zone),
            accommodations=needs is not None,
        )
        return self._notify(view, "confirmation")

    def _booking_conflict(self, exc: BaseException, slot) -> PolicyRefusal:  # noqa: ANN001
        if _violated(exc, "active_slot_id"):
            return PolicyRefusal(
                f"The slot {self.when(slot.starts_at)} was just booked by someone else: nothing was booked.",
                code="slot_taken", hint="Run 'selfverify interview slots' and pick another one.",
            )
        if _violated(exc, "active_subject"):
            return PolicyRefusal(
                "You already have an interview booked: nothing was booked.",
                code="already_booked", hint="Reschedule or cancel it instead ('selfverify interview show').",
            )
        raise exc

    def _clean_contact(self, contact: str) -> str:
        from selfverify.textcheck import check_contact

        return check_contact(contact or "", MAX_CONTACT_LENGTH)

    def _check_no_open_booking(self, subject: str) -> None:
        current = [a for a in self.my_appointments(subject) if a.status == BOOKED]
        if current:
            a = current[0]
            raise PolicyRefusal(
                f"You already have an interview booked ({self.when(a.slot.starts_at)}, code {a.display_code}): "
                "nothing was booked.",
                code="already_booked", hint=f"Reschedule or cancel it: selfverify interview reschedule {a.display_code} SLOT",
            )

    def _check_not_queued(self, subject: str) -> None:
        from selfverify.store.interviews import waiting_entry_of

        with self.ctx.db.session() as s:
            if waiting_entry_of(s, subject) is not None:
                raise PolicyRefusal("You are waiting in the queue for the next agent: nothing was booked.",
                                    code="in_queue", hint="Leave the queue first: selfverify interview queue --leave")

    def _bookable_slot(self, s, slot_id: int):  # noqa: ANN001
        from selfverify.services.desk import booked_slots
        from selfverify.store.models import InterviewSlot
        from selfverify.textcheck import check_id

        slot = s.get(InterviewSlot, check_id(slot_id, "slot number"))
        if slot is None or slot.status != "open":
            raise NotFound(
                f"There is no slot {slot_id}.", code="slot_not_found",
                hint="Run 'selfverify interview slots' to see the free slots.",
            )
        if slot.starts_at <= self._now:
            raise PolicyRefusal(
                f"The slot {self.when(slot.starts_at)} has already started: it can no longer be booked.",
                code="slot_expired", hint="Run 'selfverify interview slots' and pick a later one.",
            )
        self.check_window(slot.starts_at)  # the desk's minimum lead time and horizon
        if booked_slots(self.ctx, s, [slot_id]):
            raise PolicyRefusal(
                f"The slot {self.when(slot.starts_at)} is already booked: nothing was booked.",
                code="slot_taken", hint="Run 'selfverify interview slots' and pick another one.",
            )
        return slot

    def _own_appointment(self, s, code: str):  # noqa: ANN001
        """The user's appointment with ``code`` (someone else's code is reported as not found)."""
        from selfverify.store.interviews import appointment_by_code
        from selfverify.store.models import InterviewSlot

        clean = normalise_code(code)
        row = appointment_by_code(s, clean)
        if row is None or row.subject != self.ctx.user:
            raise NotFound(
                f"No interview of yours has the code {format_code(clean)}: check the code and try again.",
                code="code_not_found",
            )
        return row, s.get(InterviewSlot, row.slot_id)

    def _require_changeable(self, row, slot, action: str) -> None:  # noqa: ANN001
        if row.status != BOOKED:
            raise PolicyRefusal(
                f"Interview {format_code(row.code)} is {row.status}: it can no longer be {action}.", code=f"already_{row.status}"
            )
        if slot.starts_at <= self._now:
            raise PolicyRefusal(
                f"Interview {format_code(row.code)} started at {self.when(slot.starts_at)}: it can no longer be {action}.",
                code="slot_expired",
            )

    def reschedule(self, code: str, new_slot_id: int | None, accommodations: Accommodations | None = None) -> AppointmentView:
        """Move the interview to ``new_slot_id`` and/or change its accommodations (None keeps them)."""
        from sqlalchemy import update
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.models import Appointment

        with self.ctx.db.session() as s:
            row, old_slot = self._own_appointment(s, code)
            self._require_changeable(row, old_slot, "rescheduled")
            if new_slot_id is None:
                return self._change_accommodations(s, row, old_slot, accommodations)
            if new_slot_id == row.slot_id and accommodations is None:
                raise PolicyRefusal(f"Interview {format_code(row.code)} is already at that slot.", code="same_slot")
            if new_slot_id == row.slot_id:
                return self._change_accommodations(s, row, old_slot, accommodations)
            new_slot = self._bookable_slot(s, new_slot_id)
        with self.ctx.db.session() as s:
            try:
                # moving the active marker in one statement frees the old slot and takes the new one atomically
                moved = {"slot_id": new_slot.id, "active_slot_id": new_slot.id}
                if accommodations is not None:
                    moved["accommodations"] = accommodations.to_json()
                result = s.execute(
                    update(Appointment).where(Appointment.id == row.id, Appointment.status == BOOKED).values(**moved)
                )
                s.commit()
            except IntegrityError as exc:
                s.rollback()
                raise self._booking_conflict(exc, new_slot) from None
            if result.rowcount != 1:
                raise PolicyRefusal(f"Interview {format_code(row.code)} changed meanwhile: nothing was changed.", code="changed")
            row = s.get(Appointment, row.id)
            view = self._appointment_view(row, new_slot)
        self._audit(
            "interview_rescheduled",
            {"appointment_id": row.id, "from_slot_id": old_slot.id, "to_slot_id": new_slot.id, "slot_starts_at": new_slot.starts_at},
            row.session_id, row.subject,
        )
        return self._notify(view, "confirmation")  # a new time earns a new confirmation (and reminder)

    def _change_accommodations(self, s, row, slot, accommodations: Accommodations | None) -> AppointmentView:  # noqa: ANN001
        from selfverify.store.interviews import set_accommodations

        set_accommodations(s, row.id, (accommodations or Accommodations()).to_json())
        s.commit()
        s.refresh(row)
        self._audit("interview_needs_changed", {"appointment_id": row.id}, row.session_id, row.subject)
        return self._appointment_view(row, slot)

    def cancel(self, code: str) -> AppointmentView:
        from sqlalchemy import update

        from selfverify.store.models import Appointment

        with self.ctx.db.session() as s:
            row, slot = self._own_appointment(s, code)
            self._require_changeable(row, slot, "cancelled")
            result = s.execute(
                update(Appointment)
                .where(Appointment.id == row.id, Appointment.status == BOOKED)
                .values(status=CANCELLED, active_slot_id=None, active_subject=None)
            )
            if result.rowcount != 1:
                s.rollback()
                raise PolicyRefusal(f"Interview {format_code(row.code)} changed meanwhile: nothing was changed.", code="changed")
            self._session_outcome(s, row.session_id, CANCELLED, "cancelled by the user", final=True)
            s.commit()
            s.refresh(row)
            view = self._appointment_view(row, slot)
        self._audit("interview_cancelled", {"appointment_id": row.id, "by": "user"}, row.session_id, row.subject)
        return view

    def my_appointments(self, subject: str | None = None) -> list[AppointmentView]:
        """This user's appointments, newest booking first (expired ones are marked so)."""
        from selfverify.store.interviews import appointments_with_slots

        self.expire_overdue()
        with self.ctx.db.session() as s:
            return [self._appointment_view(r, slot) for r, slot in appointments_with_slots(s, subject or self.ctx.user)]

    @staticmethod
    def _slot(s, slot_id: int):  # noqa: ANN001
        from selfverify.store.models import InterviewSlot

        return s.get(InterviewSlot, slot_id)
