"""The interview path: pick a slot, get a confirmation code, follow the status. No image is taken."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Static

from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.confirm import ConfirmDialog

ACTIVE = {"booked", "approved"}


def booking_text(a, when: str) -> str:  # noqa: ANN001
    if a.status == "booked":
        return f"Booked: {when}. Confirmation code {a.display_code}. Status: booked, waiting for the interview."
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


class InterviewScreen(AppScreen):
    # f5 refreshes from anywhere, the contact field too; r only outside it (there it types an r)
    BINDINGS = [Binding("f5", "refresh", "Refresh"), Binding("r", "refresh", "Refresh", show=False), Binding("ctrl+b", "book", "Book")]

    def __init__(self):
        super().__init__()
        self.current = None  # AppointmentView of the user's active booking
        self.approved = None  # AppointmentView of an approved interview: no further booking is offered

    def body(self) -> ComposeResult:
        with Vertical(id="interview-layout"):
            yield Static("Interview with a person: no photos, no face data. An agent checks your documents live.", id="interview-help")
            yield Static("Loading your bookings…", id="booking", markup=False)  # holds the agent's reason
            yield Static("", id="zone")
            yield DataTable(id="slots", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="interview-form"):
                yield Input(placeholder="How the agent reaches you (phone or e-mail)", id="contact", max_length=200, compact=True)
                yield Button("Book (ctrl+b)", id="book", variant="primary", compact=True)
            with Horizontal(id="interview-nav"):
                yield Button("Reschedule to selected", id="reschedule", disabled=True, compact=True)
                yield Button("Cancel booking", id="cancel-booking", variant="error", disabled=True, compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#slots", DataTable)
        table.add_columns("When (your time)", "Length", "Slot")
        self.action_refresh()
        table.focus()

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
            rows = [(service.when(s.starts_at), f"{s.duration_minutes} min", str(s.id)) for s in slots]
            mine_text = [(a, service.when(a.slot.starts_at)) for a in mine]
            from selfverify.services.credentials import CredentialService

            holding = CredentialService(self.app.ctx).holds_one()
        except SelfverifyError as exc:
            self.app.call_from_thread(self.query_one("#booking", Static).update, f"Could not load your bookings: {exc.user_message}")
            self.app.call_from_thread(self.set_status, exc.user_message)
            return
        self.app.call_from_thread(self._show, rows, mine_text, zone, picked, holding, pickup_problem)
        if pickup_problem:
            self.app.call_from_thread(self.set_status, pickup_problem)

    def _show(self, rows, mine, zone, picked, holding: bool = False, problem: str | None = None) -> None:  # noqa: ANN001
        from selfverify.services.interview import format_when
        table = self.query_one("#slots", DataTable)
        table.clear()
        for when, length, slot_id in rows:
            table.add_row(when, length, slot_id, key=slot_id)
        self.query_one("#zone", Static).update(
            f"Free slots, shown in your time zone {zone}:" if rows else f"No free slots at the moment (time zone {zone}). Try again later."
        )
        active = [(a, when) for a, when in mine if a.status in ACTIVE]
        latest = active[0] if active else (mine[0] if mine else None)
        booking = self.query_one("#booking", Static)
        self.current = latest[0] if latest and latest[0].status == "booked" else None
        approved = latest[0] if latest and latest[0].status == "approved" else None
        self.approved = approved if approved is not None and (approved.waiting_for_pickup or holding) else None
        if latest is None:
            booking.update("You have no booking yet. Choose a slot below and book it.")
        else:
            a, when = latest
            text = booking_text(a, when)
            booking.update(Content(f"{text}\n{problem}" if problem and a.waiting_for_pickup else text))
        for cred in picked or []:
            self.set_status(f"Interview approved: credential {cred.id} stored in your keyring, valid until {format_when(cred.expires_at, zone)}.")
        self.query_one("#reschedule", Button).disabled = self.current is None or not rows
        self.query_one("#cancel-booking", Button).disabled = self.current is None
        self.query_one("#book", Button).disabled = self.current is not None or self.approved is not None or not rows

    def run_palette_action(self, op: str) -> None:
        """The command palette's interview entries: the same path (and confirmation) as the buttons."""
        if op == "refresh":
            self.action_refresh()
        elif op == "book":
            self.action_book()
        else:
            self.on_button_pressed(Button.Pressed(self.query_one("#cancel-booking", Button)))

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
                self.act("reschedule", slot)
        elif event.button.id == "cancel-booking" and self.current is not None:
            code = self.current.display_code

            def answered(yes: bool | None) -> None:
                if yes:
                    self.act("cancel", None)

            self.app.push_screen(ConfirmDialog(f"Cancel booking {code}?", "Cancel booking"), answered)

    def on_input_submitted(self, event: Input.Submitted) -> None:
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
        self.act("book", slot)

    @work(thread=True, exclusive=True, exit_on_error=False, group="interview-act")
    def act(self, op: str, slot_id: int | None) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.services.interview import InterviewService

        service = InterviewService(self.app.ctx)
        try:
            if op == "book":
                contact = self.app.call_from_thread(lambda: self.query_one("#contact", Input).value)
                a = service.book(slot_id, contact)
                msg = f"Booked for {service.when(a.slot.starts_at)}. Your confirmation code is {a.display_code}."
            elif op == "reschedule":
                a = service.reschedule(self.current.code, slot_id)
                msg = f"Moved to {service.when(a.slot.starts_at)}. Your confirmation code is {a.display_code}."
            else:
                a = service.cancel(self.current.code)
                msg = f"Booking {a.display_code} cancelled."
        except SelfverifyError as exc:
            msg = exc.user_message
        self.app.call_from_thread(self.set_status, msg)
        self.app.call_from_thread(self.load)
