"""The interview path in the accessible mode: book, reschedule or cancel a time with a person,
and follow the status. Every rule is InterviewService's; this module only asks and says."""

from __future__ import annotations

from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _, ngettext
from selfverify.plain.flow import Flow
from selfverify.plain.interview_details import ask_needs, save_calendar, say_booked_details, say_details
from selfverify.plain.terminal import GoBack
from selfverify.wording.speech import clock, day, minutes, phonetic

INTRO = N_("Interview with a person: an agent checks your identity document on a call. No photos, no face data.")
PAGE_SIZE = 9  # a short list is easier to hold in mind when it is read aloud
CONTACT_QUESTION = N_("How can the agent reach you? Type a phone number or an e-mail address:")
CONTACT_HELP = N_("Only a phone number or e-mail address: never a photo or a document number.")
EXPIRES = N_("If nobody has joined by {time}, the booking expires and you may book again.")


class InterviewFlow(Flow):
    def __init__(self, app):  # noqa: ANN001 - plain.app.PlainApp
        from selfverify.services.interview import InterviewService

        super().__init__(app)
        self.service = InterviewService(app.ctx)
        self.verified = False  # holds the credential of an approved interview: no booking is offered

    def run(self) -> None:
        self.out.line(_(INTRO))
        current = self.show_status()
        heard = False
        while True:
            if current is None and self.waiting():
                choices = [("queue", _("Check my place in the queue")), ("leave", _("Leave the queue")),
                           ("status", _("Check the status again")), ("menu", _("Main menu"))]
            elif current is None and self.verified:  # a credential from an approved interview: nothing to book
                choices = [("history", _("Past interviews")), ("status", _("Check the status again")), ("menu", _("Main menu"))]
            elif current is None:
                choices = [("book", _("Book an interview")), ("queue", _("Wait for the next free agent (the queue)")),
                           ("history", _("Past interviews")), ("zone", _("Change the time zone")),
                           ("status", _("Check the status again")), ("menu", _("Main menu"))]
            else:
                choices = [("reschedule", _("Move this interview to another time")), ("cancel", _("Cancel this interview")),
                           ("calendar", _("Save it to your calendar")), ("status", _("Check the status again")),
                           ("menu", _("Main menu"))]
            choice = self.dialogue.choose(_("What would you like to do?"), choices,
                                          _("Booking needs a free time and a contact line; the code you get is needed to change it."),
                                          brief=_("Interview menu") if heard else None)
            heard = True
            if choice == "menu":
                return
            if choice == "status":
                current = self.show_status()
                continue
            try:
                if choice == "book":
                    self.book()
                elif choice == "reschedule":
                    self.reschedule(current)
                elif choice == "cancel":
                    self.cancel(current)
                elif choice == "queue":
                    self.queue()
                elif choice == "leave":
                    self.out.status(self.service.queue_line(self.service.leave_queue()))
                elif choice == "history":
                    self.history()
                elif choice == "zone":
                    self.choose_zone()
                elif choice == "calendar":
                    save_calendar(self.service, self.dialogue, self.out, current)
            except GoBack:
                continue
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)
            current = self.open_booking(self.service.my_appointments())

    @property
    def zone(self):  # noqa: ANN201 - tzinfo
        return self.service.zone

    def say_code(self, display_code: str) -> None:
        """The confirmation code last, on its own line, spelled with the phonetic alphabet."""
        self.out.line(_("Confirmation code {code}: {spelled}.").format(code=display_code, spelled=phonetic(display_code)))

    @staticmethod
    def open_booking(appointments):  # noqa: ANN001, ANN205
        return next((a for a in appointments if a.status == "booked"), None)

    def show_status(self):  # -> AppointmentView of the open booking, or None
        """Pick up an approved interview's credential, then say where the user stands."""
        try:
            picked = self.service.pick_up_credentials()
        except SelfverifyError as exc:  # e.g. no keyring: the booking can still be seen and changed
            self.out.problem(_("an approved interview's credential could not be stored: {problem}").format(
                problem=exc.user_message), exc.hint)
            picked = []
        for credential in picked:
            self.out.result(_("your interview was approved. Your credential is now in your keyring, valid until {time}.").format(
                time=self.when(credential.expires_at)))
        mine = self.service.my_appointments()
        self.verified = bool(mine) and mine[0].status == "approved" and mine[0].credential_id is not None
        booked = self.open_booking(mine)
        if booked is not None:
            say_details(self.out, booked.slot)  # how it happens and what to bring, on every return
            self.out.status(_("interview booked for {time}, {zone}.").format(time=self.when(booked.starts_at), zone=self.zone_name))
            if booked.late_minutes:
                self.out.status(_("the agent is running {minutes} late: the interview now starts at {time}.").format(
                    minutes=minutes(booked.late_minutes), time=self.when(booked.starts_at)))
            self.out.line(_(EXPIRES).format(time=self.when(self.service.deadline(booked))))
            self.say_code(booked.display_code)
            return booked
        queue = self.service.queue_status()
        if queue.status == "waiting":
            self.out.status(self.service.queue_line(queue))
            return None
        latest = mine[0] if mine else None
        if latest is None:
            self.out.status(_("you have no interview booked."))
        elif latest.status in ("no_show", "expired", "cancelled"):
            self.out.status(self.service.outcome_line(latest))
        elif latest.status == "approved":
            if not picked:  # just picked up: the Result line above said it
                if latest.credential_id:
                    self.out.status(_("your last interview was approved; your credential is in your keyring."))
                else:
                    self.out.status(_("your last interview was approved; your credential is being issued."))
        elif latest.status == "declined":
            self.out.status(_("your last interview was declined: {reason}. You may book again.").format(
                reason=_(latest.decision_reason) if latest.decision_reason else _("no reason given")))
        else:
            self.out.status(_("your last interview is {status}. You may book again.").format(status=latest.status))
        return None

    def waiting(self) -> bool:
        return self.service.queue_status().status == "waiting"

    def queue(self) -> None:
        """Join the queue (or check the place in it) and say the place and the wait as one line each time."""
        q = self.service.queue_status()
        if q.status != "waiting":
            if not q.agents_on_duty:
                self.out.status(_("no agent is on duty right now, so the queue is closed. You can book a time instead."))
                return
            contact = self.ask_contact()
            q = self.service.join_queue(contact)
        while True:
            self.out.status(self.service.queue_line(q))
            if q.status != "waiting":
                return
            choice = self.dialogue.choose(_("While you wait:"), [
                ("check", _("Check my place again")), ("leave", _("Leave the queue")),
                ("menu", _("Back to the interview menu (you stay in the queue)"))],
                _("Your place moves up as agents take the people before you."))
            if choice == "menu":
                return
            q = self.service.leave_queue() if choice == "leave" else self.service.queue_status()

    def history(self) -> None:
        past = self.service.history()
        if not past:
            self.out.status(_("you have no past interviews."))
        for a in past:
            self.out.line(f"{self.when(a.starts_at)}: {self.service.outcome_line(a)}")

    def choose_zone(self) -> None:
        from selfverify.services.interview.zones import remember_zone

        while True:
            name = self.dialogue.ask(_("Type your time zone, for example Europe/Paris or America/New_York:"),
                                     _("Times of interviews are shown and typed in this zone; back keeps the current one."))
            try:
                path = remember_zone(self.service, name, self.app.config_file or self.ctx.paths.config_file)
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)
                continue
            self.out.status(_("times are now shown in {zone} (remembered in {path}).").format(zone=self.service.zone_label, path=path))
            return

    def confirm_zone(self) -> None:
        """Before the first booking, the person confirms the zone the times are shown in (or picks another)."""
        if self.ctx.settings.timezone:
            return  # chosen before (config, environment or flag)
        zone = self.service.zone_label
        keep = self.dialogue.choose(_("Times are shown in {zone}. Is that your time zone?").format(zone=zone),
                                    [("keep", _("Yes, {zone}").format(zone=zone)), ("change", _("No, choose another"))],
                                    _("Your answer is remembered for the next time."))
        if keep == "change":
            self.choose_zone()
            return
        from selfverify.services.interview.zones import remember_zone

        try:
            remember_zone(self.service, self.service.zone_label, self.app.config_file or self.ctx.paths.config_file)
        except SelfverifyError as exc:
            self.out.problem(_("the time zone could not be remembered: {problem}").format(problem=exc.user_message))

    def ask_contact(self) -> str:
        while True:
            contact = self.dialogue.ask(_(CONTACT_QUESTION), _(CONTACT_HELP))
            if contact:
                return contact
            self.out.problem(_("Please type a phone number or an e-mail address, or back."))

    def pick_slot(self, purpose: str):  # -> SlotView | None
        slots = self.service.available_slots()
        if not slots:
            self.out.status(_("no free interview times at the moment. Please try again later."))
            return None
        self.out.line(ngettext("{count} free time.", "{count} free times.", len(slots)).format(count=len(slots)))
        start = 0
        while True:
            page = slots[start:start + PAGE_SIZE]
            choices = self.slot_choices(page)
            if start + PAGE_SIZE < len(slots):
                choices.append(("more", _("Later times")))
            if start:
                choices.append(("earlier", _("Earlier times")))
            picked = self.dialogue.choose(self.page_title(page, purpose), choices,
                                          _("Choose a time by its number; back returns to the interview menu."))
            if picked == "more":
                start += PAGE_SIZE
            elif picked == "earlier":
                start = max(0, start - PAGE_SIZE)
            else:
                return next(s for s in page if str(s.id) == picked)

    def page_title(self, page, question: str) -> str:  # noqa: ANN001
        """The question, with what every time of the page shares said once: the day, the length, the zone."""
        days = {day(s.starts_at, self.service.zone) for s in page}
        lengths = {s.duration_minutes for s in page}
        shared = [days.pop()] if len(days) == 1 else []
        if len(lengths) == 1:
            shared.append(_("{minutes} each").format(minutes=minutes(lengths.pop())))
        shared.append(self.zone_name)
        return _("{question} {shared}.").format(question=question, shared=", ".join(shared))

    def slot_choices(self, page) -> list[tuple[str, str]]:  # noqa: ANN001
        """One short label per time: its day only where the day changes, its length only if they differ."""
        zone, lengths = self.service.zone, {s.duration_minutes for s in page}
        choices, last_day = [], None
        one_day = len({day(s.starts_at, zone) for s in page}) == 1
        for slot in page:
            this_day = day(slot.starts_at, zone)
            label = clock(slot.starts_at, zone) if one_day or this_day == last_day else self.when(slot.starts_at)
            if len(lengths) > 1:
                label += ", " + minutes(slot.duration_minutes)
            choices.append((str(slot.id), label))
            last_day = this_day
        return choices

    def book(self) -> None:
        self.confirm_zone()
        slot = self.pick_slot(_("Which time would you like?"))
        if slot is None:
            return
        say_details(self.out, slot)
        contact = self.ask_contact()
        needs = ask_needs(self.dialogue)
        booked = self.service.book(slot.id, contact, needs)
        self.out.result(_("booked for {time}, {zone}.").format(time=self.when(booked.slot.starts_at), zone=self.zone_name))
        say_booked_details(self.out, booked)
        self.out.line(_(EXPIRES).format(time=self.when(self.service.deadline(booked))))
        self.out.line(_("Keep this code: you need it to move or cancel the interview, and the agent asks for it."))
        self.say_code(booked.display_code)

    def reschedule(self, current) -> None:  # noqa: ANN001
        """A new time, and the needs asked once more (Enter keeps what was asked for at booking)."""
        slot = self.pick_slot(_("Which time should the interview move to?"))
        if slot is None:
            return
        needs = ask_needs(self.dialogue, earlier=current.accommodations)
        moved = self.service.reschedule(current.code, slot.id, needs)
        self.out.result(_("interview moved to {time}, {zone}.").format(time=self.when(moved.slot.starts_at), zone=self.zone_name))
        say_booked_details(self.out, moved)

    def cancel(self, current) -> None:  # noqa: ANN001
        if not self.dialogue.confirm(_("Cancel your interview on {time}?").format(time=self.when(current.slot.starts_at))):
            self.out.status(_("nothing was changed."))
            return
        self.service.cancel(current.code)
        self.out.result(_("interview cancelled; its time is free again."))
