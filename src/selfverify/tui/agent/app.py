"""The agent console: today's appointments, open one by code, tick the document types seen,
approve or decline with a reason; record a no-show or that the agent runs late; go on duty and take
the next person from the on-demand queue. Every rule is in ``services.interview``; this only renders.

Database calls run in thread workers that post typed messages (``tui.messages``: ``DayLoaded``,
``AppointmentLoaded``, ``QueueLoaded``, ``QueueTaken``, ``DutyChanged``, ``StatusChanged``); the
handlers lay them out on the event loop. A worker that raises is reported in one place
(``on_worker_state_changed``); nothing here touches a widget or the app's state from a thread.

Language: the console speaks its own user's language (the staff member's ``--lang``,
``SELFVERIFY_LANG`` or config, set before it starts), never the person's; each booking shows the
language the person chose when the booking records it, and how the interview happens (the slot's
channel), so the agent knows how to reach whom in which language.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, RichLog, Static
from textual.worker import Worker, WorkerState

from selfverify.i18n import N_, _, language_name, ngettext, pgettext
from selfverify.services.interview import APPROVED, BOOKED, DECLINED, DOCUMENT_TYPES, NO_SHOW, AppointmentView, InterviewService
from selfverify.services.interview.zones import format_day, shown_zone_name
from selfverify.textcheck import printable
from selfverify.tui.messages import AppointmentLoaded, DayLoaded, DutyChanged, QueueLoaded, QueueTaken, StatusChanged
from selfverify.tui.widgets.checkbox import TextCheckbox

# the labels of InterviewService.describe()'s rows, shown in the console's language (a label the
# service already translated, or a new one, is shown as it comes)
DETAIL_LABELS = {"Code": N_("Code"), "When": N_("When"), "Handle": N_("Handle"), "Contact": N_("Contact"),
                 "Status": N_("Status"), "Late": N_("Late"), "Deadline": N_("Deadline"), "Decided": N_("Decided"),
                 "Seen": N_("Seen"), "Needs": N_("Needs"), "Reason": N_("Reason"), "Credential": N_("Credential")}
LABEL_WIDTH = 10  # the details pane's label column


def status_name(status: str) -> str:
    """An appointment's status in the console's language (the database keeps the English code)."""
    names = {"booked": pgettext("interview status", "booked"), "approved": pgettext("interview status", "approved"),
             "declined": pgettext("interview status", "declined"), "cancelled": pgettext("interview status", "cancelled"),
             "expired": pgettext("interview status", "expired"), "no_show": pgettext("interview status", "no-show")}
    return names.get(status, status)


def channel_name(a: AppointmentView) -> str:
    """How the interview happens, in one or two words (the slot's channel), for the list."""
    channel = getattr(a.slot.details, "channel", None)
    names = {"video": pgettext("interview channel", "video"), "phone": pgettext("interview channel", "phone"),
             "in_person": pgettext("interview channel", "in person")}
    return names.get(channel, pgettext("interview channel", "not set"))


def booking_language(a: AppointmentView) -> str | None:
    """The language the person chose for this booking (recorded since schema 7), or None."""
    return getattr(a, "language", None) or None


class ConsoleScreen(Screen):
    """The console's one screen: its footer describes the keys in the console's language."""

    @property
    def active_bindings(self):  # noqa: ANN201
        from selfverify.tui.language import translated_bindings

        return translated_bindings(super().active_bindings)


class AgentApp(App):
    CSS_PATH = "agent.tcss"
    BINDINGS = [  # descriptions in English, shown translated (ConsoleScreen)
        Binding("ctrl+o", "focus_code", N_("Open"), priority=True),
        Binding("f5", "refresh", N_("Refresh"), show=False, priority=True),
        Binding("f6", "previous_day", N_("Prev"), show=False, priority=True),
        Binding("f7", "next_day", N_("Next"), show=False, priority=True),
        Binding("f2", "toggle_duty", N_("Duty"), priority=True),
        Binding("f3", "take_next", N_("Take next"), priority=True),
        Binding("f4", "no_show", N_("No-show"), show=False, priority=True),  # its button says F4
        Binding("f8", "running_late", N_("Late"), show=False, priority=True),  # its button says F8
        Binding("f9", "approve", N_("Approve"), priority=True),
        Binding("f10", "decline", N_("Decline"), priority=True),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
        Binding("ctrl+c", "interrupt", N_("Quit"), show=False, priority=True),  # as in the user's app: exit 130
    ]

    def get_default_screen(self) -> Screen:
        return ConsoleScreen()

    def action_interrupt(self) -> None:
        from selfverify.errors import EXIT_INTERRUPTED

        self.exit(return_code=EXIT_INTERRUPTED)

    def __init__(self, service: InterviewService):
        super().__init__()
        self.service = service
        self.day: date = service.ctx.clock.now().astimezone(service.zone).date()
        self.current: AppointmentView | None = None
        self.deciding: str | None = None  # the code of the last decision sent (shown again if it is refused)
        self.messages: list[str] = []  # everything said in the status log, oldest first
        self.on_duty = False
        self.title = _("selfverify agent console")
        self.sub_title = _("{agent} · times in {zone}").format(agent=service.agent, zone=shown_zone_name(service.zone))
        if not service.ctx.settings.animations:
            self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="list-pane"):
                yield Static("", id="day-title")
                yield Static(_("Queue: off duty (F2 to go on duty and take people from the queue)."), id="queue", markup=False)
                yield DataTable(id="appointments", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="open-row"):
                    yield Input(placeholder=_("Confirmation code, e.g. K7QX-M4PD"), id="code", max_length=12)
                    yield Button(_("Open"), id="open")
            with VerticalScroll(id="detail-pane"):
                # handles, contact lines and reasons are what people typed: shown literally, never as markup
                yield Static(_("Open an appointment: pick a row or type its code."), id="details", markup=False)
                yield Static(_("Documents seen (types only, never images):"), id="checklist-title")
                for key, label in DOCUMENT_TYPES.items():
                    yield TextCheckbox(_(label), id=f"doc-{key}", disabled=True)  # "[x]"/"[ ]", not "▐X▌" either way
                yield Input(placeholder=_("Reason (to decline) or note"), id="reason", max_length=500, disabled=True, compact=True)
                with Horizontal(id="decision-row"):  # compact: both fit at 80x24 without scrolling
                    yield Button(_("Approve (F9)"), id="approve", variant="success", disabled=True, compact=True)
                    yield Button(_("Decline (F10)"), id="decline", variant="error", disabled=True, compact=True)
                with Horizontal(id="timing-row"):
                    yield Button(_("No-show (F4)"), id="no-show", disabled=True, compact=True)
                    yield Input(placeholder=_("min"), id="late", max_length=3, disabled=True, compact=True, type="integer")
                    yield Button(_("Late (F8)"), id="late-button", disabled=True, compact=True)
        yield RichLog(id="status-log", max_lines=200, wrap=True, markup=False, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        from selfverify.tui.theme import THEMES

        for theme in THEMES:
            self.register_theme(theme)
        if self.service.ctx.settings.theme in self.available_themes:
            self.theme = self.service.ctx.settings.theme
        # the language the person chose before the channel: whom to call in which language, at a glance
        self.query_one("#appointments", DataTable).add_columns(_("Time"), _("Code"), _("Handle"), _("Status"), _("Language"),
                                                               _("How"), _("Agent"), _("Contact"))
        self.say(_("Agent {agent}. Times are shown in {zone}.").format(agent=self.service.agent, zone=shown_zone_name(self.service.zone)))
        self.load_day()
        self.load_queue()
        self.set_interval(5, self.load_queue)  # the queue changes as people join and agents take them
        if self.service.email_configured:  # reminders go out while the console is open (a timer may also send them)
            self.send_notices()
            self.set_interval(NOTICE_INTERVAL, self.send_notices)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-notices")
    def send_notices(self) -> None:
        for line in notice_report(self.service.send_reminders()):
            self.post_message(StatusChanged(line))

    # -------------------------------------------------- messages

    def say(self, message: str) -> None:
        """A persistent status line (toasts vanish; this log stays)."""
        self.messages.append(message)
        self.query_one("#status-log", RichLog).write(message)

    def on_status_changed(self, message: StatusChanged) -> None:
        self.say(message.text)

    # the one place a worker's failure is reported: what it was doing, then the error's own line
    FAILED = {"agent-notices": N_("Could not send the e-mail notices: {problem}"),
              "agent-load": N_("Could not load the appointments: {problem}"),
              "agent-queue": N_("Could not load the queue: {problem}")}

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        from selfverify.tui.screens.base import failure_text

        group, problem = event.worker.group, failure_text(event.worker.error)
        self.say(_(self.FAILED[group]).format(problem=problem) if group in self.FAILED else problem)
        if group == "agent-decide" and self.deciding is not None:
            self.open_code(self.deciding, False)  # show what the appointment looks like now

    # -------------------------------------------------- the day's list

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-load")
    def load_day(self) -> None:
        self.post_message(DayLoaded(self.service.appointments_for_day(self.day)))

    def on_day_loaded(self, message: DayLoaded) -> None:
        self._show_day(message.items)

    def _show_day(self, items: list[AppointmentView]) -> None:
        is_today = self.day == self.service.ctx.clock.now().astimezone(self.service.zone).date()
        title = _("Appointments today, {day} ({count})") if is_today else _("Appointments on {day} ({count})")
        self.query_one("#day-title", Static).update(
            title.format(day=format_day(self.day), count=len(items)) + " · " + _("F6/F7 day · F5 refresh")
        )  # the keys the 80-column footer has no room for are named where they act
        table = self.query_one("#appointments", DataTable)
        table.clear()
        for a in items:
            local = a.starts_at.astimezone(self.service.zone)  # moved when the agent runs late
            status = status_name(a.status) + (f" +{a.late_minutes}m" if a.late_minutes and a.status == BOOKED else "")
            language = booking_language(a)
            table.add_row(f"{local:%H:%M}", a.display_code, Text(printable(a.subject)), status,
                          Text(printable(language)) if language else "-", channel_name(a),
                          Text(printable(a.slot.agent)), Text(printable(a.contact)), key=a.code)
        if not items:
            self.say(_("No appointments on {day}.").format(day=format_day(self.day)))
        for a in items:
            if a.status == BOOKED and a.accommodations is not None and not a.accommodations.empty:
                self.say(_("{code} asks for: {needs}.").format(code=a.display_code, needs=printable(a.accommodations.summary())))

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
        view = self.service.open(code) if announce else self.service.find(code)
        self.post_message(AppointmentLoaded(view, announce))

    def on_appointment_loaded(self, message: AppointmentLoaded) -> None:
        if message.decided:
            self._decided(message.view)
        else:
            self._show_appointment(message.view, message.announce)

    def _show_appointment(self, a: AppointmentView, announce: bool = True) -> None:
        changed = self.current is None or self.current.id != a.id or self.current.status != a.status
        self.current = a
        rows = [(_(DETAIL_LABELS[label]) if label in DETAIL_LABELS else label, text) for label, text in self.service.describe(a)]
        rows.insert(2, (_("How"), channel_name(a)))
        language = booking_language(a)
        if language:
            rows.insert(5, (_("Language"), f"{language_name(language)} ({language})"))  # after the contact: whom to call, in which language
        lines = [f"{label:<{LABEL_WIDTH}} {printable(text)}" for label, text in rows]
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
            self.say(_("Opened {code}: {handle}, {when}, {status}.").format(
                code=a.display_code, handle=printable(a.subject), when=self.service.when(a.slot.starts_at), status=status_name(a.status)))

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
            self.say(_("Type how many minutes late you are running (a whole number), then press F8."))
            self.query_one("#late", Input).focus()
            return
        self._decide("late", minutes)

    def _decide(self, outcome: str, value: str | None = None) -> None:
        if self.current is None:
            self.say(_("Open an appointment first (pick a row or type its code)."))
            return
        reason = value if value is not None else self.query_one("#reason", Input).value
        self.deciding = self.current.code
        self.record_decision(self.current.code, outcome, self._documents_ticked(), reason)

    # -------------------------------------------------- duty and the on-demand queue

    def action_toggle_duty(self) -> None:
        self.change_duty(not self.on_duty)

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-duty")
    def change_duty(self, on: bool) -> None:
        self.post_message(DutyChanged(on, self.service.set_on_duty(on)))

    def on_duty_changed(self, message: DutyChanged) -> None:
        self.on_duty = message.on
        others = [a for a in message.on_duty if a != self.service.agent]
        said = _("On duty: F3 takes the next person from the queue") if message.on else _("Off duty")
        if others:
            said += " " + _("(also on duty: {agents})").format(agents=", ".join(others))
        self.say(said + ".")
        self.load_queue()

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-queue")
    def load_queue(self) -> None:
        waiting, on_duty = self.service.waiting(), self.service.agents_on_duty()
        self.post_message(QueueLoaded(len(waiting), on_duty, self.service.typical_minutes()))

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        on_duty = message.on_duty
        self.on_duty = self.service.agent in on_duty
        parts = [_("Queue: {count} waiting").format(count=message.waiting),
                 _("you are on duty") if self.on_duty else _("you are off duty (F2)"),
                 ngettext("{count} agent on duty", "{count} agents on duty", len(on_duty)).format(count=len(on_duty)),
                 _("typical interview {minutes} min").format(minutes=f"{message.typical:.0f}")]
        if message.waiting and self.on_duty:
            parts.append(_("F3 takes the next"))
        self.query_one("#queue", Static).update(" · ".join(parts))

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-take")
    def action_take_next(self) -> None:
        self.post_message(QueueTaken(self.service.take_next()))

    def on_queue_taken(self, message: QueueTaken) -> None:
        if message.view is None:
            self.say(_("Nobody is waiting in the queue."))
        else:
            self._taken(message.view)
        self.load_queue()

    def _taken(self, a: AppointmentView) -> None:
        self.day = self.service.ctx.clock.now().astimezone(self.service.zone).date()
        self._show_appointment(a, announce=False)
        self.say(_("Took {handle} from the queue: {code}, contact {contact}. The interview has started.").format(
            handle=printable(a.subject), code=a.display_code, contact=printable(a.contact)))
        self.load_day()

    @work(thread=True, exclusive=True, exit_on_error=False, group="agent-decide")
    def record_decision(self, code: str, outcome: str, seen: list[str], reason: str) -> None:
        """Refused (decided already, not started yet...): raises; the failure handler says why and
        shows the appointment as it is now."""
        if outcome == APPROVED:
            view = self.service.approve(code, seen, reason or None)
        elif outcome == NO_SHOW:
            view = self.service.no_show(code, reason or None)
        elif outcome == "late":
            view = self.service.running_late(code, int(reason))
        else:
            view = self.service.decline(code, reason, seen)
        self.post_message(AppointmentLoaded(view, decided=True))

    def _decided(self, a: AppointmentView) -> None:
        self._show_appointment(a, announce=False)
        code, handle = a.display_code, printable(a.subject)
        if a.status == NO_SHOW:
            self.say(_("Recorded {code} ({handle}) as a no-show: they may book again.").format(code=code, handle=handle))
        elif a.status == BOOKED:
            self.say(_("{code} ({handle}) now starts at {when}: the person sees that you are running late.").format(
                code=code, handle=handle, when=self.service.when(a.starts_at)))
        elif a.status == APPROVED:
            self.say(_("Approved {code} ({handle}). The user's app stores the credential in their keyring.").format(code=code, handle=handle))
        else:
            self.say(_("Declined {code} ({handle}): {reason}").format(code=code, handle=handle, reason=printable(a.decision_reason)))
        self.load_day()


NOTICE_INTERVAL = 300.0  # seconds between rounds of e-mail reminders while the console is open


def notice_report(done) -> list[str]:  # noqa: ANN001 - notices.Delivery
    return ([_("E-mail sent: {notice}.").format(notice=item) for item in done.sent]
            + [_("E-mail failed (retried later): {notice}.").format(notice=item) for item in done.failed])


def run_agent_console(service: InterviewService) -> int:
    AgentApp(service).run()
    return 0
