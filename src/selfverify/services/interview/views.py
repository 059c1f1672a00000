"""What the front ends see of slots and appointments, and the vocabulary they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from selfverify.i18n import pgettext
from selfverify.services.interview.codes import format_code
from selfverify.services.interview.details import DOCUMENT_TYPES, SlotDetails  # noqa: F401 (DOCUMENT_TYPES: re-exported)
from selfverify.services.interview.zones import format_when


MAX_CONTACT_LENGTH = 200
MAX_REASON_LENGTH = 500
DEFAULT_SLOT_MINUTES = 20

BOOKED, CANCELLED, APPROVED, DECLINED, EXPIRED = "booked", "cancelled", "approved", "declined", "expired"
NO_SHOW = "no_show"  # the agent recorded that the person did not come (i21-timing)
ENDED = (CANCELLED, APPROVED, DECLINED, EXPIRED, NO_SHOW)


def status_word(status: str) -> str:
    """An appointment's status as a person reads it, in the current language (``booked`` -> ``reservada``)."""
    words = {
        BOOKED: pgettext("appointment status", "booked"),
        CANCELLED: pgettext("appointment status", "cancelled"),
        APPROVED: pgettext("appointment status", "approved"),
        DECLINED: pgettext("appointment status", "declined"),
        EXPIRED: pgettext("appointment status", "expired"),
        NO_SHOW: pgettext("appointment status", "no-show (nobody joined)"),
    }
    return words.get(status, status)


@dataclass(frozen=True)
class SlotView:
    id: int
    starts_at: datetime  # aware UTC
    duration_minutes: int
    agent: str
    timezone: str
    status: str
    booked: bool = False
    details: Any = None  # SlotDetails: how the interview happens and what to bring

    @property
    def detail_rows(self) -> list[tuple[str, str]]:
        return (self.details or SlotDetails.from_json(None)).rows(self.duration_minutes)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def as_dict(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "starts_at": self.starts_at.isoformat(),
            "local": format_when(self.starts_at, zone),
            "duration_minutes": self.duration_minutes,
            "agent": self.agent,
            "status": self.status,
            "booked": self.booked,
            "details": self.details.as_dict() if self.details is not None else None,
        }


@dataclass(frozen=True)
class AppointmentView:
    id: int
    code: str
    subject: str
    contact: str
    status: str
    slot: SlotView
    booked_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    checklist: tuple[str, ...]
    credential_id: str | None
    session_id: str | None
    started_at: datetime | None = None  # when the agent started the interview
    late_minutes: int = 0  # the agent is running late: the interview starts this much after the slot
    accommodations: Any = None  # Accommodations the person asked for
    notice: str | None = None  # what happened to the e-mail notice of the action that made this view
    language: str = "en"  # the language the person booked in (staff call in it)

    @property
    def starts_at(self) -> datetime:
        """When the interview starts: the slot's start, moved when the agent runs late."""
        return self.slot.starts_at + timedelta(minutes=self.late_minutes)

    @property
    def display_code(self) -> str:
        return format_code(self.code)

    @property
    def waiting_for_pickup(self) -> bool:
        return self.status == APPROVED and self.credential_id is None

    def as_dict(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.display_code,
            "subject": self.subject,
            "contact": self.contact,
            "status": self.status,
            "slot": self.slot.as_dict(zone),
            "booked_at": self.booked_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by,
            "decision_reason": self.decision_reason,
            "documents_seen": list(self.checklist),
            "credential_id": self.credential_id,
            "session_id": self.session_id,
            "starts_at": self.starts_at.isoformat(),
            "late_minutes": self.late_minutes,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "accommodations": self.accommodations.as_dict() if self.accommodations is not None else None,
            "language": self.language,
        }
