"""An appointment as an iCalendar file (RFC 5545) a person can add to their calendar.

The UID is the appointment's (its id and the desk's database id), so saving the file again after a
reschedule updates the same calendar entry instead of adding a second one; SEQUENCE counts the
moves. Times are written in UTC (``DTSTART:...Z``), which every calendar converts to its own zone.
"""

from __future__ import annotations

from datetime import timedelta

from selfverify.i18n import _, in_language
from selfverify.services.interview.base import ServiceBase
from selfverify.services.interview.views import AppointmentView

PRODID = "-//selfverify//interview//EN"


def appointment_uid(a: AppointmentView, database_id: str) -> str:
    return f"appointment-{a.id}-{database_id[:16]}@selfverify"


def ics_bytes(a: AppointmentView, database_id: str, sequence: int = 0) -> bytes:
    """The .ics, its words in the language the person booked in (if there is a catalog for it)."""
    with in_language(a.language):
        return _ics_bytes(a, database_id, sequence)


def _ics_bytes(a: AppointmentView, database_id: str, sequence: int) -> bytes:
    from icalendar import Alarm, Calendar, Event

    details = a.slot.details
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", appointment_uid(a, database_id))
    event.add("dtstamp", a.booked_at)  # stable: re-exporting the same booking gives the same file
    event.add("dtstart", a.slot.starts_at)
    event.add("duration", timedelta(minutes=a.slot.duration_minutes))
    event.add("sequence", sequence)
    event.add("summary", _("Identity interview (code {code})").format(code=a.display_code))
    where = details.where if details is not None else None
    if where:
        event.add("location", where)
    if details is not None and details.channel == "video" and details.link:
        event.add("url", details.link)
    lines = [_("Confirmation code: {code} (the agent asks for it).").format(code=a.display_code)]
    lines += [f"{label}: {text}" for label, text in a.slot.detail_rows]
    if a.accommodations is not None and not a.accommodations.empty:
        lines.append(_("You asked for: {needs}").format(needs=a.accommodations.summary()))
    lines.append(_("To move or cancel it: selfverify interview reschedule / cancel with the code."))
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _("Identity interview in 30 minutes: have your document at hand."))
    alarm.add("trigger", timedelta(minutes=-30))
    event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()


def ics_name(a: AppointmentView) -> str:
    return f"interview-{a.display_code}.ics"


class CalendarMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    def calendar_file(self, code: str) -> bytes:
        """The .ics of the user's own interview ``code`` (someone else's code is not found)."""
        from selfverify.store.interviews import notices_of

        with self.ctx.db.session() as s:
            row, slot = self._own_appointment(s, code)
            view = self._appointment_view(row, slot)
            moves = sum(1 for n in notices_of(s, row.id) if n.kind == "confirmation") - 1
        return ics_bytes(view, self.ctx.db.database_id, sequence=max(moves, 0))
