"""The agent console: today's appointments, open one by code, tick the document types seen,
approve or decline with a reason; record a no-show or that the agent runs late; go on duty and take
the next person from the on-demand queue. Every rule is in ``services.interview``; this only renders.

Database calls run in thread workers and report back with ``call_from_thread``; nothing here
touches a widget from a thread.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, RichLog, Static

from selfverify.services.interview import APPROVED, BOOKED, DECLINED, DOCUMENT_TYPES, NO_SHOW, AppointmentView, InterviewService
from selfverify.textcheck import printable
from selfverify.tui.widgets.checkbox import TextCheckbox


class AgentApp(App):
    CSS_PATH = "agent.tcss"
    TITLE = "selfverify agent console"
    BINDINGS = [
        Binding("ctrl+o", "focus_code", "Open", priority=True),
        Binding("f5", "refresh", "Refresh", show=False, priority=True),
        Binding("f6", "previous_day", "Prev", show=False, priority=True),
        Binding("f7", "next_day", "Next", show=False, priority=True),
        Binding("f2", "toggle_duty", "Duty", priority=True),
        Binding("f3", "take_next", "Take next", priority=True),
        Binding("f4", "no_show", "No-show", show=False, priority=True),  # its button says F4
        Binding("f8", "running_late", "Late", show=False, priority=True),  # its button says F8
        Binding("f9", "approve", "Approve", priority=True),
        Binding("f10", "decline", "Decline", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),  # as in the user's app: exit 130
    ]

    def action_interrupt(self) -> None:
        from selfverify.errors import EXIT_INTERRUPTED

        self.exit(return_code=EXIT_INTERRUPTED)

    def __init__(self, service: InterviewService):
        super().__init__()
        self.service = service
        self.day: date = service.ctx.clock.now().astimezone(service.zone).date()
        self.current: AppointmentView | None = None
        self.messages: list[str] = []  # everything said in the status log, oldest first
        self.on_duty = False
        self.sub_title = f"{service.agent} · times in {service.zone_label}"
        if not service.ctx.settings.animations:
            self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="list-pane"):
                yield Static("", id="day-title")
                yield Static("Queue: off duty (F2 to go on duty and take people from the queue).", id="queue", markup=False)
                yield DataTable(id="appointments", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="open-row"):
                    yield Input(placeholder="Confirmation code, e.g. K7QX-M4PD", id="code", max_length=12)
                    yield Button("Open", id="open")
            with VerticalScroll(id="detail-pane"):
                # handles, contact lines and reasons are what people typed: shown literally, never as markup
                yield Static("Open an appointment: pick a row or type its code.", id="details", markup=False)
                yield Static("Documents seen (types only, never images):", id="checklist-title")
                for key, label in DOCUMENT_TYPES.items():
                    yield TextCheckbox(label, id=f"doc-{key}", disabled=True)  # "[x]"/"[ ]", not "▐X▌" either way
                yield Input(placeholder="Reason (needed to decline, optional note to approve)", id="reason", max_length=500, disabled=True, compact=True)
                with Horizontal(id="decision-row"):  # compact: both fit at 80x24 without scrolling
                    yield Button("Approve (F9)", id="approve", variant="success", disabled=True, compact=True)
                    yield Button("Decline (F10)", id="decline", variant="error", disabled=True, compact=True)
                with Horizontal(id="timing-row"):
                    yield Button("No-show (F4)", id="no-show", disabled=True, compact=True)
                    yield Input(placeholder="min", id="late", max_length=3, disabled=True, compact=True, type="integer")
                    yield Button("Late (F8)", id="late-button", disabled=True, compact=True)
        yield RichLog(id="status-log", max_lines=200, wrap=True, markup=False, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        from selfverify.tui.theme import THEMES

        for theme in THEMES:
            self.register_theme(theme)
        if self.service.ctx.settings.theme in self.available_themes:
            self.theme = self.service.ctx.settings.theme
        self.query_one("#appointments", DataTable).add_columns("Time", "Code", "Handle", "Status", "Agent", "Contact")
        self.say(f"Agent {self.service.agent}. Times are shown in {self.service.zone_label}.")
        self.load_day()
        self.load_queue()
        self.set_interval(5, self.load_queue)  # the queue changes as people join and agents take them
        if self.service.email_configured:  # reminders go out while the console is open (a timer may also send them)
            self.send_notices()
            self.set_interval(NOTICE_INTERVAL, self.send_notices)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-notices")
    def send_notices(self) -> None:
        from selfverify.errors import SelfverifyError

        try:
            done = self.service.send_reminders()
        except SelfverifyError as exc:
            self.call_from_thread(self.say, f"Could not send the e-mail notices: {exc.user_message}")
            return
        for line in notice_report(done):
            self.call_from_thread(self.say, line)

    # -------------------------------------------------- messages

    def say(self, message: str) -> None:
        """A persistent status line (toasts vanish; this log stays)."""
        self.messages.append(message)
        self.query_one("#status-log", RichLog).write(message)

    # -------------------------------------------------- the day's list

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-load")
    def load_day(self) -> None:
        from selfverify.errors import SelfverifyError

        try:
            items = self.service.appointments_for_day(self.day)
        except SelfverifyError as exc:
            self.call_from_thread(self.say, f"Could not load the appointments: {exc.user_message}")
            return
        self.call_from_thread(self._show_day, items)

    def _show_day(self, items: list[AppointmentView]) -> None:
        is_today = self.day == self.service.ctx.clock.now().astimezone(self.service.zone).date()
        self.query_one("#day-title", Static).update(
            f"Appointments {'today, ' if is_today else 'on '}{self.day:%a %Y-%m-%d} ({len(items)}) · F6/F7 day · F5 refresh"
        )  # the keys the 80-column footer has no room for are named where they act
        table = self.query_one("#appointments", DataTable)
        table.clear()
        for a in items:
            local = a.starts_at.astimezone(self.service.zone)  # moved when the agent runs late
            status = a.status.replace("_", "-") + (f" +{a.late_minutes}m" if a.late_minutes and a.status == BOOKED else "")
            table.add_row(f"{local:%H:%M}", a.display_code, Text(printable(a.subject)), status,
                          Text(printable(a.slot.agent)), Text(printable(a.contact)), key=a.code)
        if not items:
            self.say(f"No appointments on {self.day:%a %Y-%m-%d}.")
        for a in items:
            if a.status == BOOKED and a.accommodations is not None and not a.accommodations.empty:
                self.say(f"{a.display_code} asks for: {printable(a.accommodations.summary())}.")

    def action_refresh(self) -> None:
        self.load_day()
        if self.current is not None:
            self.open_code(self.current.code, announce=False)

    def action_previous_day(self) -> None:
        self.day -= timedelta(days=1)
        self.load_day()

    def action_next_day(self) -> None:
        self.day += timedelta(days=1)
        self.load_day()

    # -------------------------------------------------- opening an appointment

    def action_focus_code(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    @on(Button.Pressed, "#open")
    def _open_typed(self) -> None:
        self.open_code(self.query_one("#code", Input).value)

    @on(DataTable.RowSelected, "#appointments")
    def _open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.open_code(str(event.row_key.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-open")
    def open_code(self, code: str, announce: bool = True) -> None:
        from selfverify.errors import SelfverifyError

        try:
            view = self.service.open(code) if announce else self.service.find(code)
        except SelfverifyError as exc:
            self.call_from_thread(self.say, exc.user_message)
            return
        self.call_from_thread(self._show_appointment, view, announce)

    def _show_appointment(self, a: AppointmentView, announce: bool = True) -> None:
        changed = self.current is None or self.current.id != a.id or self.current.status != a.status
        self.current = a
        lines = [f"{label:<10} {printable(text)}" for label, text in self.service.describe(a)]
        self.query_one("#details", Static).update("\n".join(lines))
        open_for_decision = a.status == BOOKED
        for key in DOCUMENT_TYPES:
            box = self.query_one(f"#doc-{key}", Checkbox)
            box.disabled = not open_for_decision
            if changed:  # an undecided booking starts unticked: only what this agent ticks is signed
                box.value = not open_for_decision and key in a.checklist
        reason = self.query_one("#reason", Input)
        reason.disabled = not open_for_decision
        if changed:
            reason.value = "" if open_for_decision else a.decision_reason or ""
        for widget in ("#approve", "#decline", "#no-show", "#late", "#late-button"):
            self.query_one(widget).disabled = not open_for_decision
        if announce:
            self.say(f"Opened {a.display_code}: {printable(a.subject)}, {self.service.when(a.slot.starts_at)}, {a.status}.")

    # -------------------------------------------------- deciding

    def _documents_ticked(self) -> list[str]:
        return [key for key in DOCUMENT_TYPES if self.query_one(f"#doc-{key}", Checkbox).value]

    @on(Button.Pressed, "#approve")
    def action_approve(self) -> None:
        self._decide(APPROVED)

    @on(Button.Pressed, "#decline")
    def action_decline(self) -> None:
        self._decide(DECLINED)

    @on(Button.Pressed, "#no-show")
    def action_no_show(self) -> None:
        self._decide(NO_SHOW)

    @on(Button.Pressed, "#late-button")
    @on(Input.Submitted, "#late")
    def action_running_late(self) -> None:
        minutes = self.query_one("#late", Input).value.strip()
        if self.current is not None and not minutes.isdigit():
            self.say("Type how many minutes late you are running (a whole number), then press F8.")
            self.query_one("#late", Input).focus()
            return
        self._decide("late", minutes)

    def _decide(self, outcome: str, value: str | None = None) -> None:
        if self.current is None:
            self.say("Open an appointment first (pick a row or type its code).")
            return
        reason = value if value is not None else self.query_one("#reason", Input).value
        self.record_decision(self.current.code, outcome, self._documents_ticked(), reason)

    # -------------------------------------------------- duty and the on-demand queue

    def action_toggle_duty(self) -> None:
        self.change_duty(not self.on_duty)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-duty")
    def change_duty(self, on: bool) -> None:
        from selfverify.errors import SelfverifyError

        try:
            on_duty = self.service.set_on_duty(on)
        except SelfverifyError as exc:
            self.call_from_thread(self.say, exc.user_message)
            return
        self.on_duty = on
        others = [a for a in on_duty if a != self.service.agent]
        with_others = f" (also on duty: {', '.join(others)})" if others else ""
        self.call_from_thread(self.say, ("On duty: F3 takes the next person from the queue" if on else "Off duty") + with_others + ".")
        self.call_from_thread(self.load_queue)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-queue")
    def load_queue(self) -> None:
        from selfverify.errors import SelfverifyError

        try:
            waiting, on_duty = self.service.waiting(), self.service.agents_on_duty()
            typical = self.service.typical_minutes()
        except SelfverifyError as exc:
            self.call_from_thread(self.say, f"Could not load the queue: {exc.user_message}")
            return
        self.on_duty = self.service.agent in on_duty
        duty = "on duty" if self.on_duty else "off duty (F2)"
        text = (f"Queue: {len(waiting)} waiting · you are {duty} · {len(on_duty)} agent(s) on duty · "
                f"typical interview {typical:.0f} min" + (" · F3 takes the next" if waiting and self.on_duty else ""))
        self.call_from_thread(self.query_one("#queue", Static).update, text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-take")
    def action_take_next(self) -> None:
        from selfverify.errors import SelfverifyError

        try:
            view = self.service.take_next()
        except SelfverifyError as exc:
            self.call_from_thread(self.say, exc.user_message)
            return
        if view is None:
            self.call_from_thread(self.say, "Nobody is waiting in the queue.")
        else:
            self.call_from_thread(self._taken, view)
        self.call_from_thread(self.load_queue)

    def _taken(self, a: AppointmentView) -> None:
        self.day = self.service.ctx.clock.now().astimezone(self.service.zone).date()
        self._show_appointment(a, announce=False)
        self.say(f"Took {printable(a.subject)} from the queue: {a.display_code}, contact {printable(a.contact)}. "
                 "The interview has started.")
        self.load_day()

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-decide")
    def record_decision(self, code: str, outcome: str, seen: list[str], reason: str) -> None:
        from selfverify.errors import SelfverifyError

        try:
            if outcome == APPROVED:
                view = self.service.approve(code, seen, reason or None)
            elif outcome == NO_SHOW:
                view = self.service.no_show(code, reason or None)
            elif outcome == "late":
                view = self.service.running_late(code, int(reason))
            else:
                view = self.service.decline(code, reason, seen)
        except SelfverifyError as exc:
            self.call_from_thread(self.say, exc.user_message)
            self.call_from_thread(self.open_code, code, False)  # show what the appointment looks like now
            return
        self.call_from_thread(self._decided, view)

    def _decided(self, a: AppointmentView) -> None:
        self._show_appointment(a, announce=False)
        if a.status == NO_SHOW:
            self.say(f"Recorded {a.display_code} ({printable(a.subject)}) as a no-show: they may book again.")
        elif a.status == BOOKED:
            self.say(f"{a.display_code} ({printable(a.subject)}) now starts at {self.service.when(a.starts_at)}: "
                     "the person sees that you are running late.")
        elif a.status == APPROVED:
            self.say(f"Approved {a.display_code} ({printable(a.subject)}). The user's app stores the credential in their keyring.")
        else:
            self.say(f"Declined {a.display_code} ({printable(a.subject)}): {printable(a.decision_reason)}")
        self.load_day()


NOTICE_INTERVAL = 300.0  # seconds between rounds of e-mail reminders while the console is open


def notice_report(done) -> list[str]:  # noqa: ANN001 - notices.Delivery
    return [f"E-mail sent: {item}." for item in done.sent] + [f"E-mail failed (retried later): {item}." for item in done.failed]


def run_agent_console(service: InterviewService) -> int:
    AgentApp(service).run()
    return 0
