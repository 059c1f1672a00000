"""Bookings: a user books, reschedules and cancels their own interview."""

from __future__ import annotations

from selfverify.errors import NotFound, PolicyRefusal, StorageError
from selfverify.i18n import _
from selfverify.services.interview.base import ServiceBase, _violated
from selfverify.services.interview.details import Accommodations
from selfverify.services.interview.codes import _CODE_ATTEMPTS, format_code, new_code, normalise_code
from selfverify.services.interview.views import BOOKED, CANCELLED, MAX_CONTACT_LENGTH, AppointmentView, status_word
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
        for _attempt in range(_CODE_ATTEMPTS):
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
            raise StorageError(_("Could not find a free confirmation code: nothing was booked. Try again."))
        recorder.note(
            "interview_booked", appointment_id=view.id, slot_id=slot.id, slot_starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes, agent=slot.agent, shown_zone=zone_name(self.zone),
            accommodations=needs is not None,
        )
        return self._notify(view, "confirmation")

    def _booking_conflict(self, exc: BaseException, slot) -> PolicyRefusal:  # noqa: ANN001
        if _violated(exc, "active_slot_id"):
            return PolicyRefusal(
                _("The slot {when} was just booked by someone else: nothing was booked.").format(when=self.when(slot.starts_at)),
                code="slot_taken", hint=_("Run 'selfverify interview slots' and pick another one."),
            )
        if _violated(exc, "active_subject"):
            return PolicyRefusal(
                _("You already have an interview booked: nothing was booked."),
                code="already_booked", hint=_("Reschedule or cancel it instead ('selfverify interview show')."),
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
                _("You already have an interview booked ({when}, code {code}): nothing was booked.").format(
                    when=self.when(a.slot.starts_at), code=a.display_code),
                code="already_booked",
                hint=_("Reschedule or cancel it: selfverify interview reschedule {code} SLOT").format(code=a.display_code),
            )

    def _check_not_queued(self, subject: str) -> None:
        from selfverify.store.interviews import waiting_entry_of

        with self.ctx.db.session() as s:
            if waiting_entry_of(s, subject) is not None:
                raise PolicyRefusal(_("You are waiting in the queue for the next agent: nothing was booked."),
                                    code="in_queue", hint=_("Leave the queue first: selfverify interview queue --leave"))

    def _bookable_slot(self, s, slot_id: int):  # noqa: ANN001
        from selfverify.services.desk import booked_slots
        from selfverify.store.models import InterviewSlot
        from selfverify.textcheck import check_id

        slot = s.get(InterviewSlot, check_id(slot_id, "slot number"))  # i18n: ignore (a key of textcheck.FIELDS)
        if slot is None or slot.status != "open":
            raise NotFound(
                _("There is no slot {id}.").format(id=slot_id), code="slot_not_found",
                hint=_("Run 'selfverify interview slots' to see the free slots."),
            )
        if slot.starts_at <= self._now:
            raise PolicyRefusal(
                _("The slot {when} has already started: it can no longer be booked.").format(when=self.when(slot.starts_at)),
                code="slot_expired", hint=_("Run 'selfverify interview slots' and pick a later one."),
            )
        self.check_window(slot.starts_at)  # the desk's minimum lead time and horizon
        if booked_slots(self.ctx, s, [slot_id]):
            raise PolicyRefusal(
                _("The slot {when} is already booked: nothing was booked.").format(when=self.when(slot.starts_at)),
                code="slot_taken", hint=_("Run 'selfverify interview slots' and pick another one."),
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
                _("No interview of yours has the code {code}: check the code and try again.").format(code=format_code(clean)),
                code="code_not_found",
            )
        return row, s.get(InterviewSlot, row.slot_id)

    def _require_changeable(self, row, slot, action: str) -> None:  # noqa: ANN001
        """``action``: rescheduled | cancelled (what is refused)."""
        code, when = format_code(row.code), self.when(slot.starts_at)
        if row.status != BOOKED:
            message = (_("Interview {code} is {status}: it can no longer be cancelled.") if action == CANCELLED
                       else _("Interview {code} is {status}: it can no longer be rescheduled."))
            raise PolicyRefusal(message.format(code=code, status=status_word(row.status)), code=f"already_{row.status}")
        if slot.starts_at <= self._now:
            message = (_("Interview {code} started at {when}: it can no longer be cancelled.") if action == CANCELLED
                       else _("Interview {code} started at {when}: it can no longer be rescheduled."))
            raise PolicyRefusal(message.format(code=code, when=when), code="slot_expired")

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
                raise PolicyRefusal(_("Interview {code} is already at that slot.").format(code=format_code(row.code)), code="same_slot")
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
                raise PolicyRefusal(_("Interview {code} changed meanwhile: nothing was changed.").format(code=format_code(row.code)),
                                    code="changed")
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
                raise PolicyRefusal(_("Interview {code} changed meanwhile: nothing was changed.").format(code=format_code(row.code)),
                                    code="changed")
            self._session_outcome(s, row.session_id, CANCELLED, "cancelled by the user", final=True)  # i18n: ignore (stored reason)
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
