"""The interview path: pick a slot, get a confirmation code, follow the status. No image is taken."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from selfverify.errors import SelfverifyError
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.checkbox import TextCheckbox
from selfverify.tui.widgets.confirm import ConfirmDialog

ACTIVE = {"booked", "approved"}


def booking_text(a, when: str, deadline: str = "") -> str:  # noqa: ANN001
    if a.status == "booked":
        late = f" The agent is running {a.late_minutes} min late: it now starts at {when}." if a.late_minutes else ""
        grace = f"\nIf nobody has joined by {deadline}, the booking expires and you may book again." if deadline else ""
        return f"Booked: {when}. Confirmation code {a.display_code}. Status: booked, waiting for the interview.{late}{grace}"
    if a.status == "no_show":
        return f"Interview {a.display_code} ({when}) was recorded as a no-show: nobody joined. You may book again."
    if a.status == "approved":
        issued = f"Credential {a.credential_id} is in your keyring." if a.credential_id else "Your credential is stored as soon as your keyring can be used."
        return f"Approved. Code {a.display_code}. {issued}"
    if a.status == "declined":
        from selfverify.textcheck import printable

        return f"Declined: {printable(a.decision_reason or 'no reason given')}. You may book again."
    if a.status == "cancelled":
        return "Your last booking was cancelled. You may book again."
    if a.status == "expired":
        return "Your last booking expired (the time passed). You may book again."
    return f"Status: {a.status}."


QUEUE_POLL_SECONDS = 3.0


def details_text(slot, full: bool = False) -> str:  # noqa: ANN001
    """How the interview happens and what to bring: two lines for a slot in the table, every row once booked."""
    rows = slot.detail_rows
    if not full:
        rows = [r for r in rows if r[0] in ("How", "Bring")]
    return "\n".join(f"{label}: {text}" for label, text in rows)


class CalendarDialog(ModalScreen[None]):
    """Save the booking as an .ics file (new file, 0600, never a device: outfile.write_output)."""

    BINDINGS = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    CalendarDialog { align: center middle; }
    CalendarDialog > Vertical { width: 70; max-width: 98%; height: auto; border: thick $primary; padding: 0 1; background: $surface; }
    CalendarDialog Horizontal { height: auto; }
    CalendarDialog Input { width: 1fr; }
    CalendarDialog Label { width: 100%; }
    """

    def __init__(self, data: bytes, default_path: str):
        super().__init__()
        self.data, self.default_path = data, default_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save your interview as a calendar file (.ics) and open it with your calendar app:")
            with Horizontal():
                yield Input(self.default_path, id="ics-path", compact=True)
                yield Button("Save", id="ics-save", variant="primary", compact=True)
                yield Button("Close (esc)", id="ics-close", compact=True)
            yield Label("", id="ics-result", markup=False)

    def on_mount(self) -> None:
        self.query_one("#ics-path", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ics-save":
            self.save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.save()

    def save(self) -> None:
        from pathlib import Path

        from selfverify.errors import SelfverifyError
        from selfverify.outfile import write_output

        typed = self.query_one("#ics-path", Input).value.strip()
        try:
            message = f"Saved to {write_output(Path(typed).expanduser(), self.data)}: open it with your calendar app." if typed else "Type a file name first."
        except SelfverifyError as exc:
            message = exc.user_message
        self.query_one("#ics-result", Label).update(message)
        self.app.set_status(message)

    def action_close(self) -> None:
        self.dismiss(None)


class InterviewScreen(AppScreen):
    # f5 refreshes from anywhere, the contact field too; r only outside it (there it types an r)
    BINDINGS = [Binding("f5", "refresh", "Refresh"), Binding("r", "refresh", "Refresh", show=False), Binding("ctrl+b", "book", "Book"),
                Binding("ctrl+e", "calendar", "Calendar file")]
    DEFAULT_CSS = """
    #slot-details { height: auto; max-height: 4; color: $text-muted; }
    #interview-needs { height: auto; }
    #interview-needs Input { width: 1fr; margin-right: 1; }
    #interview-needs TextCheckbox { width: auto; margin-right: 1; }
    """

    def __init__(self):
        super().__init__()
        self.current = None  # AppointmentView of the user's active booking
        self.approved = None  # AppointmentView of an approved interview: no further booking is offered
        self.queue = None  # QueueView: where the person stands in the on-demand queue
        self.slots: dict[str, object] = {}  # row key -> SlotView (its details are shown when it is highlighted)

    def body(self) -> ComposeResult:
        with Vertical(id="interview-layout"):
            yield Static("Interview with a person: no photos, no face data. An agent checks your documents live.", id="interview-help")
            yield Static("Loading your bookings…", id="booking", markup=False)  # holds the agent's reason
            yield Static("", id="queue-line", markup=False)
            yield Static("", id="zone")
            yield DataTable(id="slots", cursor_type="row", zebra_stripes=True)
            yield Static("", id="slot-details", markup=False)
            with Horizontal(id="interview-form"):
                yield Input(placeholder="How the agent reaches you (e-mail for notices, or phone)", id="contact", max_length=200, compact=True)
                yield Button("Book (ctrl+b)", id="book", variant="primary", compact=True)
            with Horizontal(id="interview-needs"):
                yield Input(placeholder="Interpreter (language)", id="interpreter", max_length=60, compact=True)
                yield TextCheckbox("Captions", id="captions")
                yield TextCheckbox("Phone, not video", id="phone-instead")
                yield Input(placeholder="Anything else the agent should know", id="need", max_length=300, compact=True)
            with Horizontal(id="interview-nav"):
                yield Button("Reschedule to selected", id="reschedule", disabled=True, compact=True)
                yield Button("Cancel booking", id="cancel-booking", variant="error", disabled=True, compact=True)
                yield Button("Join the queue", id="join-queue", compact=True)
                yield Button("Leave the queue", id="leave-queue", disabled=True, compact=True)
                yield Button("Calendar file (ctrl+e)", id="calendar", disabled=True, compact=True)
            with Horizontal(id="interview-zone"):
                yield Input(placeholder="Your time zone, e.g. Europe/Paris", id="tz", max_length=64, compact=True)
                yield Button("Use this time zone", id="set-zone", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#slots", DataTable)
        table.add_columns("When (your time)", "Length", "Slot")
        self.action_refresh()
        table.focus()
        self.set_interval(QUEUE_POLL_SECONDS, self._poll_queue)  # the place in the queue, live

    def _poll_queue(self) -> None:
        if self.queue is not None and self.queue.status == "waiting":
            self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-load")
    def load(self) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.services.interview import InterviewService

        from selfverify.errors import KeyringUnavailable
        from selfverify.store.secrets import without_interview_alternative

        pickup_problem = None
        try:
            service = InterviewService(self.app.ctx)
            try:
                picked = service.pick_up_credentials()
            except KeyringUnavailable as exc:  # bookings and slots need no keyring: show them anyway
                picked = []
                hint = without_interview_alternative(exc.hint)
                pickup_problem = f"Your credential cannot be stored yet: {exc.user_message}" + (f" Fix: {hint}" if hint else "")
            mine = service.my_appointments()
            slots = service.available_slots()
            zone = service.zone_label
            rows = [(service.when(s.starts_at), f"{s.duration_minutes} min", str(s.id), s) for s in slots]
            mine_text = [(a, service.when(a.starts_at), service.when(service.deadline(a))) for a in mine]
            queue = service.queue_status()
            queue_text = service.queue_line(queue) if queue.status in ("waiting", "taken") or queue.agents_on_duty else ""
            past = [service.outcome_line(a) for a in service.history()[:3]]
            from selfverify.services.credentials import CredentialService

            holding = CredentialService(self.app.ctx).holds_one()
        except SelfverifyError as exc:
            self.app.call_from_thread(self.query_one("#booking", Static).update, f"Could not load your bookings: {exc.user_message}")
            self.app.call_from_thread(self.set_status, exc.user_message)
            return
        def show() -> None:  # one update of the screen, not two
            self._show_queue(queue, queue_text, zone, past)
            self._show(rows, mine_text, zone, picked, holding, pickup_problem)

        self.app.call_from_thread(show)
        if pickup_problem:
            self.app.call_from_thread(self.set_status, pickup_problem)

    def _show_queue(self, queue, text: str, zone: str, past: list[str]) -> None:  # noqa: ANN001
        self.queue = queue
        lines = [text] if text else []
        if past and queue.status != "waiting":
            lines.append("Past: " + " | ".join(past))
        self.query_one("#queue-line", Static).update("\n".join(lines))
        waiting = queue.status == "waiting"
        self.query_one("#join-queue", Button).disabled = waiting or not queue.agents_on_duty
        self.query_one("#leave-queue", Button).disabled = not waiting
        tz = self.query_one("#tz", Input)
        if not tz.has_focus and not tz.value:
            tz.value = zone

    def _show(self, rows, mine, zone, picked, holding: bool = False, problem: str | None = None) -> None:  # noqa: ANN001
        from selfverify.services.interview import format_when
        table = self.query_one("#slots", DataTable)
        table.clear()
        self.slots = {slot_id: slot for _, _, slot_id, slot in rows}
        for when, length, slot_id, _slot in rows:
            table.add_row(when, length, slot_id, key=slot_id)
        self._show_slot_details()
        self.query_one("#zone", Static).update(
            f"Free slots, shown in your time zone {zone}:" if rows else f"No free slots at the moment (time zone {zone}). Try again later."
        )
        active = [entry for entry in mine if entry[0].status in ACTIVE]
        latest = active[0] if active else (mine[0] if mine else None)
        booking = self.query_one("#booking", Static)
        self.current = latest[0] if latest and latest[0].status == "booked" else None
        approved = latest[0] if latest and latest[0].status == "approved" else None
        self.approved = approved if approved is not None and (approved.waiting_for_pickup or holding) else None
        if latest is None:
            booking.update("You have no booking yet. Choose a slot below and book it.")
        else:
            a, when, deadline = latest
            text = booking_text(a, when, deadline)
            if a.status == "booked":
                text += "\n" + details_text(a.slot, full=True)
                if a.accommodations is not None and not a.accommodations.empty:
                    text += f"\nYou asked for: {a.accommodations.summary()}"
            booking.update(Content(f"{text}\n{problem}" if problem and a.waiting_for_pickup else text))
        for cred in picked or []:
            self.set_status(f"Interview approved: credential {cred.id} stored in your keyring, valid until {format_when(cred.expires_at, zone)}.")
        self.query_one("#reschedule", Button).disabled = self.current is None or not rows
        self.query_one("#cancel-booking", Button).disabled = self.current is None
        waiting = self.queue is not None and self.queue.status == "waiting"
        self.query_one("#book", Button).disabled = self.current is not None or self.approved is not None or not rows or waiting
        if self.current is not None or self.approved is not None:
            self.query_one("#join-queue", Button).disabled = True
        self.query_one("#calendar", Button).disabled = self.current is None

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

    def action_calendar(self) -> None:
        if self.current is None:
            self.set_status("Book an interview first: then you can save it to your calendar.")
            return
        self.calendar(self.current.code, self.current.display_code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-calendar")
    def calendar(self, code: str, shown: str) -> None:
        from pathlib import Path

        from selfverify.errors import SelfverifyError
        from selfverify.services.interview import InterviewService

        try:
            data = InterviewService(self.app.ctx).calendar_file(code)
        except SelfverifyError as exc:
            self.app.call_from_thread(self.set_status, exc.user_message)
            return
        default = str(Path.home() / f"interview-{shown}.ics")
        self.app.call_from_thread(self.app.push_screen, CalendarDialog(data, default))

    def _selected_slot(self) -> int | None:
        table = self.query_one("#slots", DataTable)
        if table.row_count == 0:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

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
                self.act("reschedule", slot, None if needs.empty else needs)  # empty fields keep what was asked
        elif event.button.id == "calendar":
            self.action_calendar()
        elif event.button.id == "cancel-booking" and self.current is not None:
            code = self.current.display_code

            def answered(yes: bool | None) -> None:
                if yes:
                    self.act("cancel", None)

            self.app.push_screen(ConfirmDialog(f"Cancel your interview {code}?", "Cancel the interview", "Keep my interview"), answered)
        elif event.button.id == "join-queue":
            self.act("join", None)
        elif event.button.id == "leave-queue":
            self.act("leave", None)
        elif event.button.id == "set-zone":
            self.act("zone", None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "tz":
            self.act("zone", None)
        else:
            self.action_book()

    def action_book(self) -> None:
        slot = self._selected_slot()
        if slot is None:
            self.set_status("Choose a slot in the table first.")
            return
        if self.current is not None:
            self.set_status(f"You already have booking {self.current.display_code}: reschedule or cancel it.")
            return
        if self.approved is not None:
            self.set_status(f"Interview {self.approved.display_code} was approved: you need no other booking.")
            return
        try:
            needs = self._needs()
        except SelfverifyError as exc:
            self.set_status(exc.user_message)
            return
        self.act("book", slot, needs)

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-act")
    def act(self, op: str, slot_id: int | None, needs=None) -> None:  # noqa: ANN001
        from selfverify.errors import SelfverifyError
        from selfverify.services.interview import InterviewService

        service = InterviewService(self.app.ctx)
        try:
            if op == "book":
                contact = self.app.call_from_thread(lambda: self.query_one("#contact", Input).value)
                a = service.book(slot_id, contact, needs)
                msg = f"Booked for {service.when(a.slot.starts_at)}. Your confirmation code is {a.display_code}. {a.notice}"
            elif op == "join":
                contact = self.app.call_from_thread(lambda: self.query_one("#contact", Input).value)
                msg = service.queue_line(service.join_queue(contact))
            elif op == "leave":
                msg = service.queue_line(service.leave_queue())
            elif op == "zone":
                from selfverify.plain.app import config_file_in_use
                from selfverify.services.interview.zones import remember_zone

                name = self.app.call_from_thread(lambda: self.query_one("#tz", Input).value)
                path = remember_zone(service, name, config_file_in_use(self.app.ctx))
                msg = f"Times are now shown in {service.zone_label} (remembered in {path})."
            elif op == "reschedule":
                a = service.reschedule(self.current.code, slot_id, needs)
                msg = f"Moved to {service.when(a.slot.starts_at)}. Your confirmation code is {a.display_code}. {a.notice}"
            else:
                a = service.cancel(self.current.code)
                msg = f"Booking {a.display_code} cancelled."
        except SelfverifyError as exc:
            msg = exc.user_message
        self.app.call_from_thread(self.set_status, msg)
        self.app.call_from_thread(self.load)
