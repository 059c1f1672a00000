"""The interview service's shared helpers (the mixins in this package build on them)."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from typing import Any

from selfverify.i18n import _
from selfverify.services.interview.codes import format_code  # noqa: F401 (used by the mixins through this module)
from selfverify.services.interview.details import document_name
from selfverify.services.interview.views import APPROVED, BOOKED, AppointmentView, SlotView, status_word
from selfverify.services.interview.zones import format_when, resolve_zone, zone_name

def _slot_end(row) -> datetime:  # noqa: ANN001
    return row.starts_at + timedelta(minutes=row.duration_minutes)


def _violated(exc: BaseException, column: str) -> bool:
    """Whether a unique violation names ``column`` (SQLite names the column, PostgreSQL the key)."""
    text = str(getattr(exc, "orig", exc))
    return re.search(rf"(?<![a-z_]){re.escape(column)}(?![a-z_])", text) is not None or f"_{column}_key" in text


class ServiceBase:
    """What every part of the interview service shares: the context, the viewer's zone, views, audit."""

    def __init__(self, ctx, agent: str | None = None, rng: random.Random | None = None):
        from selfverify.textcheck import check_handle

        self.ctx = ctx
        self.agent = check_handle(agent, "staff handle") if agent else ctx.user  # i18n: ignore (a key of textcheck.FIELDS)
        self.zone = resolve_zone(ctx.settings.timezone)
        self.rng = rng  # None: codes come from the OS's CSPRNG; tests inject a seeded one
        self.identity = None  # the enrolled agent's key (services.desk_agent.agent_service): deciding needs it

    # -------------------------------------------------- helpers

    @property
    def _now(self) -> datetime:
        return self.ctx.clock.now()

    def when(self, moment: datetime) -> str:
        return format_when(moment, self.zone)

    @property
    def zone_label(self) -> str:
        return zone_name(self.zone)

    def _audit(self, kind: str, data: dict[str, Any], session_id: str | None, subject: str) -> None:
        from selfverify.services.audit import AuditLog

        AuditLog(self.ctx).record(kind, data, session_id, subject=subject)

    @staticmethod
    def _slot_view(row, booked: bool = False) -> SlotView:  # noqa: ANN001
        from selfverify.services.interview.details import SlotDetails

        return SlotView(row.id, row.starts_at, row.duration_minutes, row.agent, row.timezone, row.status, booked,
                        SlotDetails.from_json(row.details))

    def describe(self, a: AppointmentView) -> list[tuple[str, str]]:
        """(label, text) rows for showing one appointment, the same in every front end."""
        rows = [
            (_("Code"), a.display_code),
            (_("When"), _("{when}, {minutes} min").format(when=self.when(a.starts_at), minutes=a.slot.duration_minutes)),
            (_("Handle"), a.subject),
            (_("Contact"), a.contact),
            (_("Status"), status_word(a.status)),
        ]
        rows += self.timing_rows(a)
        if a.decided_by:
            rows.append((_("Decided"), _("{status} by {agent} at {when}").format(
                status=status_word(a.status), agent=a.decided_by, when=self.when(a.decided_at))))
        if a.checklist and a.status != BOOKED:  # only a decision says what was seen (never a booking's own row)
            rows.append((_("Seen"), ", ".join(document_name(d) for d in a.checklist)))
        if a.accommodations is not None and not a.accommodations.empty:
            rows.append((_("Needs"), a.accommodations.summary()))
        if a.decision_reason and a.status != BOOKED:
            rows.append((_("Reason"), a.decision_reason))
        if a.status == APPROVED:
            rows.append((_("Credential"), _("issued ({id})").format(id=a.credential_id) if a.credential_id
                         else _("waiting for the user's app")))
        return rows

    def _appointment_view(self, row, slot) -> AppointmentView:  # noqa: ANN001
        from selfverify.services.interview.details import Accommodations

        return AppointmentView(
            id=row.id, code=row.code, subject=row.subject, contact=row.contact, status=row.status,
            slot=self._slot_view(slot, booked=row.active_slot_id is not None),
            booked_at=row.booked_at, decided_at=row.decided_at, decided_by=row.decided_by,
            decision_reason=row.decision_reason, checklist=tuple(json.loads(row.checklist or "[]")),
            credential_id=row.credential_id, session_id=row.session_id,
            started_at=getattr(row, "started_at", None), late_minutes=getattr(row, "late_minutes", 0) or 0,
            accommodations=Accommodations.from_json(row.accommodations), language=getattr(row, "language", None) or "en",
        )

    def deadline(self, a: AppointmentView) -> datetime:
        """The end of the grace period: after it, a booking nobody decided expires."""
        return a.slot.ends_at + self._grace()

    def timing_rows(self, a: AppointmentView) -> list[tuple[str, str]]:
        """Running late and the grace deadline, for a booked interview."""
        if a.status != BOOKED:
            return []
        rows = []
        if a.late_minutes:
            rows.append((_("Late"), _("the agent is running {minutes} min late (the slot was {when})").format(
                minutes=a.late_minutes, when=self.when(a.slot.starts_at))))
        rows.append((_("Deadline"), _("an outcome is due by {when} (the grace period); after that the booking expires and "
                                      "a new one can be made").format(when=self.when(self.deadline(a)))))
        return rows

    def _grace(self) -> timedelta:
        return timedelta(hours=self.ctx.settings.interview_grace_hours)

    def _session_outcome(self, session, session_id: str | None, outcome: str, reason: str | None, final: bool) -> None:  # noqa: ANN001
        """Keep the interview's session row in step with the appointment (same transaction)."""
        if not session_id:
            return
        from sqlalchemy import update

        from selfverify.store.models import VerificationSession

        values: dict[str, Any] = {"outcome": outcome, "reason": reason}
        if final:
            values["ended_at"] = self._now
        session.execute(update(VerificationSession).where(VerificationSession.id == session_id).values(**values))
