"""The interview path: pick a slot, get a confirmation code, follow the status. No image is taken.

Workers read the database and post typed messages (``tui.messages``: ``InterviewLoaded``,
``InterviewActed``, ``CalendarReady``); a worker that raises is reported by ``worker_failed``.

Layout, from the top: one line of what this is; the booking (scrolls when the slot's details are
long, so the rest stays on a small screen); the queue and past interviews; the time zone with the
field to change it; the free slots; the highlighted slot's details; the contact line and Book; the
needs; then only the actions that apply now (reschedule, cancel, calendar file, join or leave the
queue). Every row fits 80 columns in English and Spanish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Static

from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _
from selfverify.tui.messages import CalendarReady, InterviewActed, InterviewLoaded
from selfverify.tui.screens.base import AppScreen, failure_text
from selfverify.tui.screens.calendar_dialog import CalendarDialog
from selfverify.tui.widgets.checkbox import TextCheckbox
from selfverify.tui.widgets.confirm import ConfirmDialog

ACTIVE = {"booked", "approved"}

# the labels of a slot's detail rows (services.interview.details.SlotDetails.rows), shown in the
# current language; a label without a translation is shown as the service wrote it
DETAIL_LABELS = {"How": N_("How"), "Length": N_("Length"), "Bring": N_("Bring"), "Not accepted": N_("Not accepted"),
                 "Prepare": N_("Prepare"), "Instructions": N_("Instructions"), "If nobody comes": N_("If nobody comes")}


def booking_text(a, when: str, deadline: str = "") -> str:  # noqa: ANN001
    from selfverify.textcheck import printable

    code = a.display_code
    if a.status == "booked":
        text = _("Booked: {when}. Confirmation code {code}. Status: booked, waiting for the interview.").format(when=when, code=code)
        if a.late_minutes:
            text += " " + _("The agent is running {minutes} min late: it now starts at {when}.").format(minutes=a.late_minutes, when=when)
        if deadline:
            text += "\n" + _("If nobody has joined by {deadline}, the booking expires and you may book again.").format(deadline=deadline)
        return text
    if a.status == "no_show":
        return _("Interview {code} ({when}) was recorded as a no-show: nobody joined. You may book again.").format(code=code, when=when)
    if a.status == "approved":
        issued = (_("Credential {id} is in your keyring.").format(id=a.credential_id) if a.credential_id
                  else _("Your credential is stored as soon as your keyring can be used."))
        return _("Approved. Code {code}.").format(code=code) + " " + issued
    if a.status == "declined":
        reason = printable(a.decision_reason) if a.decision_reason else _("no reason given")
        return _("Declined: {reason}. You may book again.").format(reason=reason)
    if a.status == "cancelled":
        return _("Your last booking was cancelled. You may book again.")
    if a.status == "expired":
        return _("Your last booking expired (the time passed). You may book again.")
    return _("Status: {status}.").format(status=a.status)


QUEUE_POLL_SECONDS = 3.0


def details_text(slot, full: bool = False) -> str:  # noqa: ANN001
    """How the interview happens and what to bring: two lines for a slot in the table, every row once booked."""
    rows = slot.detail_rows
    if not full:
        rows = [r for r in rows if r[0] in ("How", "Bring")]
    return "\n".join(f"{_(DETAIL_LABELS.get(label, label))}: {text}" for label, text in rows)


@dataclass
class Loaded:
    """What one run of ``InterviewScreen.load`` read (already formatted in the viewer's zone)."""

    rows: list[tuple[str, str, str, Any]]  # (when, length, slot id, SlotView)
    mine: list[tuple[Any, str, str]]  # (AppointmentView, when, grace deadline), newest first
    zone: str
    picked: list[str]  # a sentence per credential picked up just now
    holding: bool  # a credential is in the keyring already
    queue: Any  # QueueView
    queue_text: str
    past: list[str] = field(default_factory=list)
    problem: str | None = None  # the credential cannot be stored yet (no keyring): why and the fix


# the form fields a language switch keeps (the screen is composed again in the new language)
TYPED_FIELDS = ("#contact", "#interpreter", "#need", "#tz")


class InterviewScreen(AppScreen):
    # f5 refreshes from anywhere, the contact field too; r only outside it (there it types an r).
    # ctrl+b and ctrl+e are named on their buttons: the 80-column footer keeps room for every other key
    BINDINGS = [Binding("f5", "refresh", N_("Refresh")),
                Binding("r", "refresh", N_("Refresh"), show=False),
                Binding("ctrl+b", "book", N_("Book"), show=False), Binding("ctrl+e", "calendar", N_("Calendar file"), show=False)]
    DEFAULT_CSS = (  # i18n: ignore (Textual CSS, not text)
        """
    #interview-layout { height: 1fr; padding: 0 1; }
    #interview-help { height: auto; color: $text-muted; }
    #booking-box { height: auto; max-height: 35%; margin-top: 1; }
    #booking { height: auto; }
    #queue-line { height: auto; max-height: 3; }
    #zone-row { height: auto; margin-top: 1; }
    #zone { width: 1fr; height: auto; }
    #tz { width: 20; margin-right: 1; }
    #slots { height: 1fr; min-height: 3; }
    #slot-details { height: auto; max-height: 4; color: $text-muted; }
    #contact-row, #needs-row, #actions-row { height: auto; margin-top: 1; }
    #needs-row { margin-top: 0; }
    #contact { width: 1fr; margin-right: 1; }
    #interpreter { width: 18; margin-right: 1; }
    #need { width: 1fr; }
    #needs-row TextCheckbox { width: auto; padding: 0; margin-right: 2; }
    #actions-row Button { margin-right: 2; }
    /* a short terminal (24 rows): no blank line above the zone and the contact rows */
    InterviewScreen.-short #zone-row, InterviewScreen.-short #contact-row { margin-top: 0; }
    """
    )
    SHORT_ROWS = 30  # below this many rows the screen drops its spacing lines

    def __init__(self):
        super().__init__()
        self.current = None  # AppointmentView of the user's active booking
        self.approved = None  # AppointmentView of an approved interview: no further booking is offered
        self.queue = None  # QueueView: where the person stands in the on-demand queue
        self.slots: dict[str, object] = {}  # row key -> SlotView (its details are shown when it is highlighted)
        self.loaded: Loaded | None = None

    def body(self) -> ComposeResult:
        with Vertical(id="interview-layout"):
            yield Static(_("A live interview with a person: no photos, no face data."), id="interview-help")
            with VerticalScroll(id="booking-box"):  # focusable: the keys scroll long details
                yield Static(_("Loading your bookings…"), id="booking", markup=False)  # holds the agent's reason
            yield Static("", id="queue-line", markup=False)
            with Horizontal(id="zone-row"):
                yield Static("", id="zone", markup=False)
                yield Input(placeholder=_("e.g. Europe/Paris"), id="tz", max_length=64, compact=True)
                yield Button(_("Use this zone"), id="set-zone", compact=True)
            yield DataTable(id="slots", cursor_type="row", zebra_stripes=True)
            yield Static("", id="slot-details", markup=False)
            with Horizontal(id="contact-row"):
                yield Input(placeholder=_("How the agent reaches you (e-mail for notices, or phone)"), id="contact",
                            max_length=200, compact=True)
                yield Button(_("Book (ctrl+b)"), id="book", variant="primary", compact=True)
            with Horizontal(id="needs-row"):
                yield Input(placeholder=_("Interpreter in:"), id="interpreter", max_length=60, compact=True)
                yield TextCheckbox(_("Captions"), id="captions")
                yield TextCheckbox(_("Phone, not video"), id="phone-instead")
                yield Input(placeholder=_("Other needs"), id="need", max_length=300, compact=True)
            with Horizontal(id="actions-row"):
                yield Button(_("Reschedule to selected"), id="reschedule", disabled=True, compact=True)
                yield Button(_("Cancel booking"), id="cancel-booking", variant="error", disabled=True, compact=True)
                yield Button(_("Calendar file (ctrl+e)"), id="calendar", disabled=True, compact=True)
                yield Button(_("Join the queue"), id="join-queue", compact=True)
                yield Button(_("Leave the queue"), id="leave-queue", disabled=True, compact=True)

    def on_mount(self) -> None:
        self._columns()
        self._relevant_actions()
        self.action_refresh()
        self.query_one("#slots", DataTable).focus()
        self.set_interval(QUEUE_POLL_SECONDS, self._poll_queue)  # the place in the queue, live

    def on_resize(self) -> None:
        self.set_class(self.size.height < self.SHORT_ROWS, "-short")

    def _columns(self) -> None:
        self.query_one("#slots", DataTable).add_columns(_("When (your time)"), _("Length"), _("Slot"))

    async def language_changed(self) -> None:
        """Composed again in the new language; what the person typed stays, the data is read again."""
        typed = {name: self.query_one(name, Input).value for name in TYPED_FIELDS}
        ticked = {name: self.query_one(name, TextCheckbox).value for name in ("#captions", "#phone-instead")}
        await self.recompose()
        for name, value in typed.items():
            self.query_one(name, Input).value = value
        for name, value in ticked.items():
            self.query_one(name, TextCheckbox).value = value
        self._columns()
        self._relevant_actions()
        self.action_refresh()
        self.query_one("#slots", DataTable).focus()

    def _poll_queue(self) -> None:
        if self.queue is not None and self.queue.status == "waiting":
            self.load()

    def action_refresh(self) -> None:
        self.load()

    # -------------------------------------------------- reading (a worker) and showing (the event loop)

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-load")
    def load(self) -> None:
        from selfverify.errors import KeyringUnavailable
        from selfverify.services.credentials import CredentialService
        from selfverify.services.interview import InterviewService
        from selfverify.services.interview.zones import shown_zone_name
        from selfverify.store.secrets import without_interview_alternative

        problem = None
        service = InterviewService(self.app.ctx)
        try:
            picked = service.pick_up_credentials()
        except KeyringUnavailable as exc:  # bookings and slots need no keyring: show them anyway
            picked = []
            hint = without_interview_alternative(exc.hint)
            problem = _("Your credential cannot be stored yet: {problem}").format(problem=exc.user_message)
            if hint:
                problem += " " + _("Fix: {hint}").format(hint=hint)
        mine = service.my_appointments()
        slots = service.available_slots()
        queue = service.queue_status()
        self.post_message(InterviewLoaded(Loaded(
            rows=[(service.when(s.starts_at), _("{minutes} min").format(minutes=s.duration_minutes), str(s.id), s) for s in slots],
            mine=[(a, service.when(a.starts_at), service.when(service.deadline(a))) for a in mine],
            zone=shown_zone_name(service.zone),
            picked=[_("Interview approved: credential {id} stored in your keyring, valid until {when}.").format(
                id=cred.id, when=service.when(cred.expires_at)) for cred in picked], holding=CredentialService(self.app.ctx).holds_one(),
            queue=queue,
            queue_text=service.queue_line(queue) if queue.status in ("waiting", "taken") or queue.agents_on_duty else "",
            past=[service.outcome_line(a) for a in service.history()[:3]], problem=problem,
        )))

    def on_interview_loaded(self, message: InterviewLoaded) -> None:
        view = self.loaded = message.view
        self._show_queue(view)
        self._show(view)
        if view.problem:
            self.set_status(view.problem)

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group == "interview-load":
            self.query_one("#booking", Static).update(_("Could not load your bookings: {problem}").format(problem=failure_text(error)))
        super().worker_failed(group, error)
        if group == "interview-act":
            self.load()  # show what the booking looks like now

    def _show_queue(self, view: Loaded) -> None:
        queue = self.queue = view.queue
        lines = [view.queue_text] if view.queue_text else []
        if view.past and queue.status != "waiting":
            lines.append(_("Past: {outcomes}").format(outcomes=" | ".join(view.past)))
        line = self.query_one("#queue-line", Static)
        line.update("\n".join(lines))
        line.display = bool(lines)
        waiting = queue.status == "waiting"
        self.query_one("#join-queue", Button).disabled = waiting or not queue.agents_on_duty
        self.query_one("#leave-queue", Button).disabled = not waiting
        self.query_one("#zone", Static).update(
            _("Free slots in your time zone {zone}:").format(zone=view.zone) if view.rows
            else _("No free slots at the moment (time zone {zone}). Try again later.").format(zone=view.zone))

    def _show(self, view: Loaded) -> None:
        table = self.query_one("#slots", DataTable)
        table.clear()
        self.slots = {slot_id: slot for _when, _length, slot_id, slot in view.rows}
        for when, length, slot_id, _slot in view.rows:
            table.add_row(when, length, slot_id, key=slot_id)
        table.styles.max_height = max(3, table.row_count + 1)  # a tall screen: no empty rows between the slots and their details
        self._show_slot_details()
        mine = view.mine
        active = [entry for entry in mine if entry[0].status in ACTIVE]
        latest = active[0] if active else (mine[0] if mine else None)
        booking = self.query_one("#booking", Static)
        self.current = latest[0] if latest and latest[0].status == "booked" else None
        approved = latest[0] if latest and latest[0].status == "approved" else None
        self.approved = approved if approved is not None and (approved.waiting_for_pickup or view.holding) else None
        if latest is None:
            booking.update(_("You have no booking yet. Choose a slot below and book it."))
        else:
            a, when, deadline = latest
            text = booking_text(a, when, deadline)
            if a.status == "booked":
                text += "\n" + details_text(a.slot, full=True)
                if a.accommodations is not None and not a.accommodations.empty:
                    text += "\n" + _("You asked for: {needs}").format(needs=a.accommodations.summary())
            problem = view.problem
            booking.update(Content(f"{text}\n{problem}" if problem and a.waiting_for_pickup else text))
        for line in view.picked:
            self.set_status(line)
        self.query_one("#reschedule", Button).disabled = self.current is None or not view.rows
        self.query_one("#cancel-booking", Button).disabled = self.current is None
        waiting = self.queue is not None and self.queue.status == "waiting"
        self.query_one("#book", Button).disabled = self.current is not None or self.approved is not None or not view.rows or waiting
        if self.current is not None or self.approved is not None:
            self.query_one("#join-queue", Button).disabled = True
        self.query_one("#calendar", Button).disabled = self.current is None
        # booked or approved: Book does not apply, its row gives its room to the booking
        self.query_one("#contact-row").display = self.current is None and self.approved is None
        self.query_one("#needs-row").display = self.approved is None  # the needs also go with a reschedule
        self._relevant_actions()

    def _relevant_actions(self) -> None:
        """Only the actions that apply now take room on the actions row (a booking's three, or the
        queue's one); Book stays in its row, greyed out when it does not apply."""
        shown = False
        for button in self.query("#actions-row Button").results(Button):
            button.display = not button.disabled
            shown = shown or button.display
        self.query_one("#actions-row").display = shown

    def run_palette_action(self, op: str) -> None:
        """The command palette's interview entries: the same path (and confirmation) as the buttons."""
        if op == "refresh":
            self.action_refresh()
        elif op == "book":
            self.action_book()
        else:
            self.on_button_pressed(Button.Pressed(self.query_one("#cancel-booking", Button)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_slot_details()

    def _show_slot_details(self) -> None:
        slot_id = self._selected_slot()
        slot = self.slots.get(str(slot_id)) if slot_id is not None else None
        self.query_one("#slot-details", Static).update(details_text(slot) if slot is not None else "")

    def _needs(self):  # -> Accommodations (checked by the service's rules)
        from selfverify.services.interview import Accommodations

        return Accommodations.build(self.query_one("#interpreter", Input).value, self.query_one("#captions", TextCheckbox).value,
                                    self.query_one("#phone-instead", TextCheckbox).value, self.query_one("#need", Input).value)

    # -------------------------------------------------- the calendar file

    def action_calendar(self) -> None:
        if self.current is None:
            self.set_status(_("Book an interview first: then you can save it to your calendar."))
            return
        self.calendar(self.current.code, self.current.display_code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-calendar")
    def calendar(self, code: str, shown: str) -> None:
        from pathlib import Path

        from selfverify.services.interview import InterviewService

        data = InterviewService(self.app.ctx).calendar_file(code)
        self.post_message(CalendarReady(data, str(Path.home() / f"interview-{shown}.ics")))

    def on_calendar_ready(self, message: CalendarReady) -> None:
        self.app.push_screen(CalendarDialog(message.data, message.default_path))

    # -------------------------------------------------- acting

    def _selected_slot(self) -> int | None:
        table = self.query_one("#slots", DataTable)
        if table.row_count == 0:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _contact(self) -> str:
        return self.query_one("#contact", Input).value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "book":
            self.action_book()
        elif event.button.id == "reschedule":
            slot = self._selected_slot()
            if slot is not None and self.current is not None:
                try:
                    needs = self._needs()
                except SelfverifyError as exc:
                    self.set_status(exc.user_message)
                    return
                self.act("reschedule", slot, None if needs.empty else needs, code=self.current.code)  # empty fields keep what was asked
        elif event.button.id == "calendar":
            self.action_calendar()
        elif event.button.id == "cancel-booking" and self.current is not None:
            code, shown = self.current.code, self.current.display_code

            def answered(yes: bool | None) -> None:
                if yes:
                    self.act("cancel", None, code=code)

            self.app.push_screen(ConfirmDialog(_("Cancel your interview {code}?").format(code=shown), _("Cancel the interview"),
                                               _("Keep my interview")), answered)
        elif event.button.id == "join-queue":
            self.act("join", None, text=self._contact())
        elif event.button.id == "leave-queue":
            self.act("leave", None)
        elif event.button.id == "set-zone":
            self._set_zone()

    def _set_zone(self) -> None:
        self.act("zone", None, text=self.query_one("#tz", Input).value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "tz":
            self._set_zone()
        else:
            self.action_book()

    def action_book(self) -> None:
        slot = self._selected_slot()
        if slot is None:
            self.set_status(_("Choose a slot in the table first."))
            return
        if self.current is not None:
            self.set_status(_("You already have booking {code}: reschedule or cancel it.").format(code=self.current.display_code))
            return
        if self.approved is not None:
            self.set_status(_("Interview {code} was approved: you need no other booking.").format(code=self.approved.display_code))
            return
        try:
            needs = self._needs()
        except SelfverifyError as exc:
            self.set_status(exc.user_message)
            return
        self.act("book", slot, needs, text=self._contact())

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-act")
    def act(self, op: str, slot_id: int | None, needs=None, code: str = "", text: str = "") -> None:  # noqa: ANN001
        """One action; ``text`` is what was typed for it (the contact line, the time zone), read on the
        event loop before the worker started. A refused action raises: ``worker_failed`` says why."""
        from selfverify.services.interview import InterviewService

        service = InterviewService(self.app.ctx)
        if op == "book":
            a = service.book(slot_id, text, needs)
            msg = _("Booked for {when}. Your confirmation code is {code}.").format(when=service.when(a.slot.starts_at), code=a.display_code)
        elif op == "join":
            msg = service.queue_line(service.join_queue(text))
        elif op == "leave":
            msg = service.queue_line(service.leave_queue())
        elif op == "zone":
            from selfverify.plain.app import config_file_in_use
            from selfverify.services.interview.zones import remember_zone, shown_zone_name

            path = remember_zone(service, text, config_file_in_use(self.app.ctx))
            msg = _("Times are now shown in {zone} (remembered in {path}).").format(zone=shown_zone_name(service.zone), path=path)
        elif op == "reschedule":
            a = service.reschedule(code, slot_id, needs)
            msg = _("Moved to {when}. Your confirmation code is {code}.").format(when=service.when(a.slot.starts_at), code=a.display_code)
        else:
            a = service.cancel(code)
            msg = _("Booking {code} cancelled.").format(code=a.display_code)
        if op in ("book", "reschedule") and a.notice:
            msg += " " + a.notice
        self.post_message(InterviewActed(msg))

    def on_interview_acted(self, message: InterviewActed) -> None:
        self.set_status(message.text)
        self.load()
