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

import json
import os
import random
import re
import secrets
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Iterable

from selfverify.errors import ConfigError, InputError, NotFound, PolicyRefusal, StorageError

# no 0/O, 1/I/L: a code read aloud or copied by hand survives
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE_ATTEMPTS = 5
_SYSTEM_RANDOM = secrets.SystemRandom()

DOCUMENT_TYPES: dict[str, str] = {
    "passport": "Passport",
    "id_card": "National identity card",
    "driving_licence": "Driving licence",
    "residence_permit": "Residence permit",
    "other_official": "Other official document",
}

MAX_CONTACT_LENGTH = 200
MAX_REASON_LENGTH = 500
DEFAULT_SLOT_MINUTES = 20
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

BOOKED, CANCELLED, APPROVED, DECLINED, EXPIRED = "booked", "cancelled", "approved", "declined", "expired"


# ---------------------------------------------------------------- codes


def new_code(rng: random.Random | None = None) -> str:
    """An unguessable code (the OS's CSPRNG unless a test injects a seeded ``rng``)."""
    pick = (rng or _SYSTEM_RANDOM).choice
    return "".join(pick(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``K7QXM4PD`` -> ``K7QX-M4PD`` (how codes are shown)."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(typed: str) -> str:
    """Accept a code in any case, with or without the dash or spaces; raise InputError if malformed."""
    cleaned = re.sub(r"[\s\-]", "", str(typed or "")).upper()
    shape = "8 letters and digits, like K7QX-M4PD"
    if not cleaned:
        raise InputError(f"Type the confirmation code ({shape}).", code="bad_code")
    if len(cleaned) != CODE_LENGTH:
        raise InputError(f"{typed.strip()!r} is not a confirmation code: it should be {shape}.", code="bad_code")
    wrong = sorted({ch for ch in cleaned if ch not in CODE_ALPHABET})
    if wrong:
        raise InputError(
            f"{typed.strip()!r} is not a confirmation code: codes never contain {', '.join(wrong)} "
            "(they use 2-9 and A-Z without 0, 1, I, L and O).",
            code="bad_code",
        )
    return cleaned


# ---------------------------------------------------------------- time zones


def resolve_zone(name: str | None) -> tzinfo:
    """The named zone, else this computer's (TZ, /etc/localtime, /etc/timezone), else UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    candidates: list[str] = []
    if name:
        candidates.append(name)
    else:
        if os.environ.get("TZ"):
            candidates.append(os.environ["TZ"].lstrip(":"))
        try:
            target = os.path.realpath("/etc/localtime")
            if "zoneinfo/" in target:
                candidates.append(target.split("zoneinfo/", 1)[1])
        except OSError:
            pass
        try:
            candidates.append(Path("/etc/timezone").read_text().strip())
        except OSError:
            pass
    for candidate in candidates:
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            if name:
                raise ConfigError(f"Unknown time zone {name!r}.", hint="Use a name like Europe/Paris or UTC.") from None
    return timezone.utc


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def format_when(moment: datetime, zone: tzinfo) -> str:
    """``Mon 2026-01-05 09:00 CET (Europe/Paris)``: the zone is always shown."""
    local = moment.astimezone(zone)
    abbreviation = local.tzname() or ""
    key = zone_name(zone)
    suffix = abbreviation if abbreviation == key or not key else f"{abbreviation} ({key})"
    return f"{local:%a %Y-%m-%d %H:%M} {suffix}".strip()


def parse_local_time(text: str, zone: tzinfo) -> datetime:
    """``2026-01-05 09:00`` (in ``zone``) or ISO 8601 with an offset -> aware UTC."""
    raw = str(text).strip()
    try:
        parsed = datetime.fromisoformat(raw.replace(" ", "T", 1) if " " in raw and "T" not in raw else raw)
    except ValueError:
        raise InputError(
            f"{raw!r} is not a date and time: use YYYY-MM-DD HH:MM (in {zone_name(zone)}).", code="bad_time"
        ) from None
    check_year(parsed.year, raw)
    try:
        if parsed.tzinfo is None:
            parsed = _attach_zone(parsed, zone, raw)
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise InputError(f"{raw!r} is too far from today.", code="bad_time") from None


# dates people may type: anything outside is a typo or an attack, and would overflow date arithmetic
YEARS = (2000, 2199)


def check_year(year: int, shown: object) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(f"{str(shown)[:40]!r} is outside the years {YEARS[0]} to {YEARS[1]}.", code="bad_time")


def _attach_zone(naive: datetime, zone: tzinfo, shown: str) -> datetime:
    aware = naive.replace(tzinfo=zone)
    # a wall time skipped by a daylight-saving change does not round-trip through UTC
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
        raise InputError(f"{shown} does not exist in {zone_name(zone)} (the clocks change then).", code="bad_time")
    return aware


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class SlotView:
    id: int
    starts_at: datetime  # aware UTC
    duration_minutes: int
    agent: str
    timezone: str
    status: str
    booked: bool = False

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
        }


@dataclass(frozen=True)
class RecurringHours:
    """Weekly opening hours from a TOML file (see ``load_recurring_hours``)."""

    zone: tzinfo
    duration_minutes: int
    agent: str | None
    blocks: tuple[tuple[frozenset[int], time, time], ...]  # (weekdays, from, to)

    def starts_between(self, first_day: date, days: int) -> list[datetime]:
        """Every slot start (aware UTC) on ``days`` days from ``first_day``, in order."""
        out: list[datetime] = []
        step = timedelta(minutes=self.duration_minutes)
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for weekdays, start, end in self.blocks:
                if day.weekday() not in weekdays:
                    continue
                moment = datetime.combine(day, start)
                while moment + step <= datetime.combine(day, end):
                    try:
                        out.append(_attach_zone(moment, self.zone, moment.isoformat(" ", "minutes")).astimezone(timezone.utc))
                    except InputError:
                        pass  # skipped by a daylight-saving change
                    moment += step
        return sorted(set(out))


def load_recurring_hours(path: str | os.PathLike[str], default_zone: tzinfo) -> RecurringHours:
    """Read a TOML file of weekly hours::

        timezone = "Europe/Paris"        # optional, default: the agent's zone
        duration_minutes = 20            # optional
        [[hours]]
        days = ["mon", "tue", "wed", "thu", "fri"]
        from = "09:00"
        to = "12:00"
    """
    from selfverify.outfile import read_input_file

    path = Path(path)
    text = read_input_file(path, "hours")  # a regular file only: a FIFO or /dev/zero is refused unread
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise InputError(f"The hours file {path} nests too deeply to read.", code="bad_hours") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"The hours file {path} is not valid TOML: {exc}.", code="bad_hours") from None

    def bad(detail: str) -> InputError:
        return InputError(f"The hours file {path}: {detail}.", code="bad_hours")

    zone = resolve_zone(raw["timezone"]) if raw.get("timezone") else default_zone
    duration = raw.get("duration_minutes", DEFAULT_SLOT_MINUTES)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 5 <= duration <= 240:
        raise bad("duration_minutes must be a whole number from 5 to 240")
    blocks = []
    entries = raw.get("hours")
    if not isinstance(entries, list) or not entries:
        raise bad("add at least one [[hours]] table with days, from and to")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise bad(f"[[hours]] number {number} must be a table")
        names = entry.get("days")
        if not isinstance(names, list) or not names:
            raise bad(f"[[hours]] number {number} needs days, e.g. [\"mon\", \"tue\"]")
        unknown = [d for d in names if str(d).lower()[:3] not in _WEEKDAYS]
        if unknown:
            raise bad(f"[[hours]] number {number}: unknown day {unknown[0]!r} (use mon, tue, wed, thu, fri, sat, sun)")
        start, end = _clock_time(entry.get("from"), number, "from", bad), _clock_time(entry.get("to"), number, "to", bad)
        if end <= start:
            raise bad(f"[[hours]] number {number}: 'to' must be after 'from'")
        blocks.append((frozenset(_WEEKDAYS[str(d).lower()[:3]] for d in names), start, end))
    agent = raw.get("agent")
    return RecurringHours(zone=zone, duration_minutes=duration, agent=str(agent) if agent else None, blocks=tuple(blocks))


def _clock_time(value: Any, number: int, key: str, bad) -> time:  # noqa: ANN001
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise bad(f"[[hours]] number {number}: {key} must be a time like \"09:00\", not {value!r}") from None


# ---------------------------------------------------------------- the service


def _slot_end(row) -> datetime:  # noqa: ANN001
    return row.starts_at + timedelta(minutes=row.duration_minutes)


def _violated(exc: BaseException, column: str) -> bool:
    """Whether a unique violation names ``column`` (SQLite names the column, PostgreSQL the key)."""
    text = str(getattr(exc, "orig", exc))
    return re.search(rf"(?<![a-z_]){re.escape(column)}(?![a-z_])", text) is not None or f"_{column}_key" in text


class InterviewService:
    """Every interview rule, for the Textual app, the accessible mode, the agent console and the CLI."""

    def __init__(self, ctx, agent: str | None = None, rng: random.Random | None = None):
        from selfverify.textcheck import check_handle

        self.ctx = ctx
        self.agent = check_handle(agent, "staff handle") if agent else ctx.user
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
        return SlotView(row.id, row.starts_at, row.duration_minutes, row.agent, row.timezone, row.status, booked)

    def describe(self, a: AppointmentView) -> list[tuple[str, str]]:
        """(label, text) rows for showing one appointment, the same in every front end."""
        rows = [
            ("Code", a.display_code),
            ("When", f"{self.when(a.slot.starts_at)}, {a.slot.duration_minutes} min"),
            ("Handle", a.subject),
            ("Contact", a.contact),
            ("Status", a.status),
        ]
        if a.decided_by:
            rows.append(("Decided", f"{a.status} by {a.decided_by} at {self.when(a.decided_at)}"))
        if a.checklist:
            rows.append(("Seen", ", ".join(DOCUMENT_TYPES.get(d, d) for d in a.checklist)))
        if a.decision_reason:
            rows.append(("Reason", a.decision_reason))
        if a.status == APPROVED:
            rows.append(("Credential", f"issued ({a.credential_id})" if a.credential_id else "waiting for the user's app"))
        return rows

    def _appointment_view(self, row, slot) -> AppointmentView:  # noqa: ANN001
        return AppointmentView(
            id=row.id, code=row.code, subject=row.subject, contact=row.contact, status=row.status,
            slot=self._slot_view(slot, booked=row.active_slot_id is not None),
            booked_at=row.booked_at, decided_at=row.decided_at, decided_by=row.decided_by,
            decision_reason=row.decision_reason, checklist=tuple(json.loads(row.checklist or "[]")),
            credential_id=row.credential_id, session_id=row.session_id,
        )

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

    # -------------------------------------------------- slots (staff)

    def add_slot(self, starts_at: datetime, duration_minutes: int = DEFAULT_SLOT_MINUTES) -> SlotView:
        return self.add_slots([starts_at], duration_minutes)[0][0]

    def add_slots(
        self, starts: Iterable[datetime], duration_minutes: int = DEFAULT_SLOT_MINUTES, *, skip_existing: bool = False
    ) -> tuple[list[SlotView], int]:
        """Publish slots for this agent; returns (added, skipped because they already exist)."""
        from sqlalchemy.exc import IntegrityError
        from sqlmodel import select

        from selfverify.store.models import InterviewSlot

        if not 5 <= duration_minutes <= 240:
            raise InputError("A slot lasts from 5 to 240 minutes.", code="bad_duration")
        starts = sorted({s.astimezone(timezone.utc) for s in starts})
        past = [s for s in starts if s <= self._now]
        if past and not skip_existing:
            raise PolicyRefusal(f"{self.when(past[0])} has already passed: slots must be in the future.", code="slot_in_past")
        starts = [s for s in starts if s > self._now]
        if not starts:
            return [], 0
        length = timedelta(minutes=duration_minutes)
        longest = timedelta(minutes=240)
        with self.ctx.db.session() as s:
            nearby = s.exec(
                select(InterviewSlot).where(
                    InterviewSlot.agent == self.agent,
                    InterviewSlot.starts_at >= starts[0] - longest,
                    InterviewSlot.starts_at <= starts[-1] + longest,
                )
            ).all()
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
                    row.status, row.duration_minutes = "open", duration_minutes
                else:
                    row = InterviewSlot(
                        starts_at=t, duration_minutes=duration_minutes, agent=self.agent,
                        timezone=zone_name(self.zone), created_at=self._now,
                    )
                s.add(row)
                added.append(row)
                busy.append(row)
            if clashes and not skip_existing:
                t, overlap = clashes[0]
                raise PolicyRefusal(
                    f"{self.agent} already has a slot at {self.when(overlap.starts_at)} ({overlap.duration_minutes} min), "
                    f"which {self.when(t)} would overlap: nothing was added.",
                    code="slot_exists",
                )
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raise PolicyRefusal(
                    "Another agent added the same slots at the same moment: nothing was added.",
                    code="slot_exists", hint="Run the command again.",
                ) from None
            views = [self._slot_view(r) for r in added]
        self._audit("slots_added", {"agent": self.agent, "count": len(views), "skipped": len(clashes)}, None, self.agent)
        return views, len(clashes)

    def add_recurring(self, hours: RecurringHours, days: int = 14) -> tuple[list[SlotView], int]:
        if not 1 <= days <= 366:
            raise InputError("--days must be from 1 to 366.", code="bad_days")
        today = self._now.astimezone(hours.zone).date()
        starts = [t for t in hours.starts_between(today, days) if t > self._now]
        service = self if not hours.agent or hours.agent == self.agent else InterviewService(self.ctx, agent=hours.agent)
        return service.add_slots(starts, hours.duration_minutes, skip_existing=True)

    def remove_slot(self, slot_id: int) -> SlotView:
        from sqlalchemy import exists, update
        from sqlmodel import select

        from selfverify.store.models import Appointment, InterviewSlot
        from selfverify.textcheck import check_id

        slot_id = check_id(slot_id, "slot number")

        with self.ctx.db.session() as s:
            slot = s.get(InterviewSlot, slot_id)
            if slot is None or slot.status == "removed":
                raise NotFound(f"There is no slot {slot_id}.", code="slot_not_found")
            booked = select(Appointment.id).where(Appointment.active_slot_id == slot_id)
            result = s.execute(
                update(InterviewSlot)
                .where(InterviewSlot.id == slot_id, InterviewSlot.status == "open", ~exists(booked))
                .values(status="removed")
            )
            s.commit()
            if result.rowcount != 1:
                raise PolicyRefusal(
                    f"Slot {slot_id} ({self.when(slot.starts_at)}) is booked: it was not removed.",
                    code="slot_booked", hint="Decide or let the user cancel the appointment first.",
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
        """Future slots nobody has booked, soonest first (what a user may book)."""
        return self.list_slots(only_free=True)

    # -------------------------------------------------- bookings (user)

    def book(self, slot_id: int, contact: str) -> AppointmentView:
        from sqlalchemy.exc import IntegrityError

        from selfverify.services.audit import SessionRecorder
        from selfverify.store.models import Appointment

        subject = self.ctx.user
        contact = self._clean_contact(contact)
        self._check_no_open_booking(subject)
        with self.ctx.db.session() as s:
            slot = self._bookable_slot(s, slot_id)
        recorder = SessionRecorder(self.ctx, "interview")
        for _ in range(_CODE_ATTEMPTS):
            with self.ctx.db.session() as s:
                row = Appointment(
                    slot_id=slot.id, active_slot_id=slot.id, subject=subject, active_subject=subject, contact=contact,
                    code=new_code(self.rng), status=BOOKED, booked_at=self._now, session_id=recorder.id,
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
        )
        return view

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
        if booked_slots(self.ctx, s, [slot_id]):
            raise PolicyRefusal(
                f"The slot {self.when(slot.starts_at)} is already booked: nothing was booked.",
                code="slot_taken", hint="Run 'selfverify interview slots' and pick another one.",
            )
        return slot

    def _own_appointment(self, s, code: str):  # noqa: ANN001
        """The user's appointment with ``code`` (someone else's code is reported as not found)."""
        from sqlmodel import select

        from selfverify.store.models import Appointment, InterviewSlot

        clean = normalise_code(code)
        row = s.exec(select(Appointment).where(Appointment.code == clean)).first()
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

    def reschedule(self, code: str, new_slot_id: int) -> AppointmentView:
        from sqlalchemy import update
        from sqlalchemy.exc import IntegrityError

        from selfverify.store.models import Appointment

        with self.ctx.db.session() as s:
            row, old_slot = self._own_appointment(s, code)
            self._require_changeable(row, old_slot, "rescheduled")
            if new_slot_id == row.slot_id:
                raise PolicyRefusal(f"Interview {format_code(row.code)} is already at that slot.", code="same_slot")
            new_slot = self._bookable_slot(s, new_slot_id)
        with self.ctx.db.session() as s:
            try:
                # moving the active marker in one statement frees the old slot and takes the new one atomically
                result = s.execute(
                    update(Appointment)
                    .where(Appointment.id == row.id, Appointment.status == BOOKED)
                    .values(slot_id=new_slot.id, active_slot_id=new_slot.id)
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
        return view

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
        from sqlmodel import select

        from selfverify.store.models import Appointment

        self.expire_overdue()
        with self.ctx.db.session() as s:
            rows = s.exec(
                select(Appointment).where(Appointment.subject == (subject or self.ctx.user)).order_by(Appointment.id.desc())
            ).all()
            return [self._appointment_view(r, self._slot(s, r.slot_id)) for r in rows]

    @staticmethod
    def _slot(s, slot_id: int):  # noqa: ANN001
        from selfverify.store.models import InterviewSlot

        return s.get(InterviewSlot, slot_id)

    # -------------------------------------------------- agent

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
                    self._session_outcome(s, row.session_id, EXPIRED, "no outcome recorded in time", final=True)
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
                    f"No appointment has the code {format_code(clean)}: check it with the user.", code="code_not_found"
                )
            return self._appointment_view(row, self._slot(s, row.slot_id))

    def open(self, code: str) -> AppointmentView:
        """An agent opens an appointment by code (recorded in its timeline)."""
        self.expire_overdue()
        view = self.find(code)
        self._audit("interview_opened", {"appointment_id": view.id, "agent": self.agent}, view.session_id, view.subject)
        return view

    def approve(self, code: str, documents_seen: Iterable[str], note: str | None = None) -> AppointmentView:
        """Mark the appointment approved (exactly one of several concurrent agents wins).

        The credential itself is issued by the user's own process (``pick_up_credentials``)."""
        seen = self._checklist(documents_seen)
        if not seen:
            raise InputError(
                "Tick at least one document type you saw before approving "
                f"({', '.join(DOCUMENT_TYPES)}).", code="checklist_empty",
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
                    f"{item!r} is not a document type: use one of {', '.join(DOCUMENT_TYPES)}.", code="bad_document_type"
                )
            if key not in seen:
                seen.append(key)
        return seen

    @staticmethod
    def _clean_reason(reason: str | None, required: bool) -> str | None:
        from selfverify.textcheck import check_free_text

        text = check_free_text(reason or "", "reason", MAX_REASON_LENGTH, "bad_reason")
        if required and not text:
            raise InputError("Give a reason for declining (the user will see it).", code="reason_required")
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
        return self.find(code)

    def _not_decidable(self, view: AppointmentView, wanted: str) -> PolicyRefusal:
        verb = "approved" if wanted == APPROVED else "declined"
        if view.status in (APPROVED, DECLINED):
            by = f" by {view.decided_by}" if view.decided_by else ""
            at = f" at {self.when(view.decided_at)}" if view.decided_at else ""
            return PolicyRefusal(
                f"Appointment {view.display_code} was already {view.status}{by}{at}: nothing was changed.",
                code="already_decided",
            )
        if view.status == EXPIRED:
            return PolicyRefusal(
                f"Appointment {view.display_code} expired (its slot was {self.when(view.slot.starts_at)}): "
                f"it cannot be {verb}.",
                code="appointment_expired", hint="Ask the user to book a new interview.",
            )
        return PolicyRefusal(
            f"Appointment {view.display_code} was cancelled by the user: it cannot be {verb}.", code="appointment_cancelled"
        )

    # -------------------------------------------------- credential pickup (user's process)

    def pick_up_credentials(self):  # -> list[IssuedCredential]
        """Store the credential of each approved appointment of this user that has none yet.

        Runs in the user's process: the credential, signed by the deciding agent's key, is fetched
        from the desk, verified against the desk's key set and stored in the user's own keyring."""
        from selfverify.services.desk import pick_up_credentials

        return pick_up_credentials(self)

    def _link_existing_credential(self, row) -> None:  # noqa: ANN001
        from sqlmodel import select

        from selfverify.store.models import CredentialRecord

        with self.ctx.db.session() as s:
            credential_id = s.exec(select(CredentialRecord.id).where(CredentialRecord.appointment_id == row.id)).first()
        if credential_id:
            self._link_credential(row, credential_id, announce=False)

    def _link_credential(self, row, credential_id: str, announce: bool = True) -> None:  # noqa: ANN001
        from sqlalchemy import update

        from selfverify.store.models import Appointment

        with self.ctx.db.session() as s:
            result = s.execute(
                update(Appointment)
                .where(Appointment.id == row.id, Appointment.credential_id.is_(None))
                .values(credential_id=credential_id)
            )
            if result.rowcount == 1:
                self._session_outcome(s, row.session_id, APPROVED, "credential issued", final=True)
            s.commit()
        if announce:
            self._audit(
                "credential_issued", {"appointment_id": row.id, "credential_id": credential_id, "method": "interview"},
                row.session_id, row.subject,
            )
