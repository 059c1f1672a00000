"""The interview path: staff publish slots, a user books one (a handle and a contact line, never a
photo or document image), staff record what they saw and approve or decline.

Rules the database enforces, so two processes on a shared PostgreSQL desk cannot break them:
- one open booking per slot (``appointment.active_slot_id`` UNIQUE) and per person
  (``active_subject`` UNIQUE); confirmation codes are UNIQUE;
- a decision is a compare-and-set (``UPDATE ... WHERE status = 'booked'``): of two agents approving
  at once exactly one wins;
- one credential per appointment (``credential_record.appointment_id`` UNIQUE).

The agent's approval only marks the appointment approved. The user's own process (``selfverify
status``, the interview screen) calls ``pick_up_credentials`` which issues the credential into the
user's keyring on the user's machine.

Times are stored in UTC and shown in the viewer's zone (``--timezone`` / ``SELFVERIFY_TIMEZONE``,
else this computer's) with the zone's name.
"""

from __future__ import annotations

from selfverify.services.interview.base import ServiceBase, _slot_end, _violated
from selfverify.services.interview.bookings import BookingsMixin
from selfverify.services.interview.calendar import CalendarMixin
from selfverify.services.interview.codes import CODE_ALPHABET, CODE_LENGTH, format_code, new_code, normalise_code
from selfverify.services.interview.decisions import DecisionsMixin
from selfverify.services.interview.details import Accommodations, SlotDetails
from selfverify.services.interview.hours import RecurringHours, load_recurring_hours
from selfverify.services.interview.notices import NoticesMixin
from selfverify.services.interview.pickup import PickupMixin
from selfverify.services.interview.queue import QueueMixin, QueueView
from selfverify.services.interview.slots import SlotsMixin
from selfverify.services.interview.timing import BookingWindow, TimingMixin
from selfverify.services.interview.views import (
    APPROVED, BOOKED, CANCELLED, DECLINED, DEFAULT_SLOT_MINUTES, DOCUMENT_TYPES, EXPIRED,
    MAX_CONTACT_LENGTH, MAX_REASON_LENGTH, NO_SHOW, AppointmentView, SlotView,
)
from selfverify.services.interview.zones import YEARS, check_year, format_when, parse_local_time, resolve_zone, zone_name

__all__ = [
    "APPROVED",
    "Accommodations",
    "SlotDetails",
    "BOOKED",
    "CANCELLED",
    "DECLINED",
    "DEFAULT_SLOT_MINUTES",
    "DOCUMENT_TYPES",
    "EXPIRED",
    "NO_SHOW",
    "BookingWindow",
    "QueueView",
    "MAX_CONTACT_LENGTH",
    "MAX_REASON_LENGTH",
    "YEARS",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "AppointmentView",
    "InterviewService",
    "RecurringHours",
    "ServiceBase",
    "SlotView",
    "check_year",
    "format_code",
    "format_when",
    "load_recurring_hours",
    "new_code",
    "normalise_code",
    "parse_local_time",
    "resolve_zone",
    "zone_name",
    "_slot_end",
    "_violated",
]


class InterviewService(
    SlotsMixin, BookingsMixin, DecisionsMixin, TimingMixin, QueueMixin, PickupMixin, NoticesMixin, CalendarMixin,
    ServiceBase,
):
    """Every interview rule, for the Textual app, the accessible mode, the agent console and the CLI.

    One class for the front ends; its parts live in this package by concern: ``slots`` (staff publish
    times), ``bookings`` (a user's own interview), ``decisions`` (the agent), ``pickup`` (the
    credential), ``timing`` (booking window, running late, no-show, history), ``queue`` (on demand),
    ``notices`` (e-mail), on the shared helpers of ``base``; ``details`` says how a slot's interview
    happens and ``calendar`` writes it as an .ics file."""
