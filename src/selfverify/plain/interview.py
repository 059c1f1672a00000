"""The interview path in the accessible mode: book, reschedule or cancel a time with a person,
and follow the status. Every rule is InterviewService's; this module only asks and says."""

from __future__ import annotations

from selfverify.errors import SelfverifyError
from selfverify.plain.flow import Flow
from selfverify.plain.interview_details import ask_needs, save_calendar, say_booked_details, say_details
from selfverify.plain.terminal import GoBack
from selfverify.plain.wording import local_time, spell_code

INTRO = "Interview with a person: no photos and no face data. An agent checks your identity document on a call."
PAGE_SIZE = 9  # a short list is easier to hold in mind when it is read aloud
CONTACT_QUESTION = "How can the agent reach you? Type a phone number or an e-mail address:"
CONTACT_HELP = "Only a phone number or e-mail address: never a photo or a document number."


class InterviewFlow(Flow):
    def __init__(self, app):  # noqa: ANN001 - plain.app.PlainApp
        from selfverify.services.interview import InterviewService

        super().__init__(app)
        self.service = InterviewService(app.ctx)

    def run(self) -> None:
        self.out.line(INTRO)
        self.out.line(f"Times are shown in your time zone, {self.service.zone_label}.")
        current = self.show_status()
        while True:
            if current is None:
                choices = [("book", "Book an interview"), ("status", "Check the status again"), ("menu", "Main menu")]
            else:
                choices = [("reschedule", "Move this interview to another time"), ("cancel", "Cancel this interview"),
                           ("calendar", "Save it to your calendar"), ("status", "Check the status again"), ("menu", "Main menu")]
            choice = self.dialogue.choose("What would you like to do?", choices,
                                          "Booking needs a free time and a contact line; the code you get is needed to change it.")
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
                elif choice == "calendar":
                    save_calendar(self.service, self.dialogue, self.out, current)
            except GoBack:
                continue
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)
            current = self.open_booking(self.service.my_appointments())

    @staticmethod
    def open_booking(appointments):  # noqa: ANN001, ANN205
        return next((a for a in appointments if a.status == "booked"), None)

    def show_status(self):  # -> AppointmentView of the open booking, or None
        """Pick up an approved interview's credential, then say where the user stands."""
        try:
            picked = self.service.pick_up_credentials()
        except SelfverifyError as exc:  # e.g. no keyring: the booking can still be seen and changed
            self.out.problem(f"an approved interview's credential could not be stored: {exc.user_message}", exc.hint)
            picked = []
        for credential in picked:
            self.out.result(f"your interview was approved. Credential {credential.id} is now in your keyring, "
                            f"valid until {local_time(credential.expires_at)}.")
        mine = self.service.my_appointments()
        booked = self.open_booking(mine)
        if booked is not None:
            self.out.status(f"interview booked for {self.service.when(booked.slot.starts_at)}, "
                            f"confirmation code {booked.display_code} (spelled {spell_code(booked.display_code)}).")
            return booked
        latest = mine[0] if mine else None
        if latest is None:
            self.out.status("you have no interview booked.")
        elif latest.status == "approved":
            held = f"credential {latest.credential_id} is in your keyring." if latest.credential_id else "your credential is being issued."
            self.out.status(f"your interview {latest.display_code} was approved; {held}")
        elif latest.status == "declined":
            self.out.status(f"your interview {latest.display_code} was declined: {latest.decision_reason or 'no reason given'}. You may book again.")
        else:
            self.out.status(f"your last interview {latest.display_code} is {latest.status}. You may book again.")
        return None

    def pick_slot(self, purpose: str):  # -> SlotView | None
        slots = self.service.available_slots()
        if not slots:
            self.out.status("no free interview times at the moment. Please try again later.")
            return None
        self.out.line(f"{len(slots)} free time{'s' if len(slots) != 1 else ''}.")
        start = 0
        while True:
            page = slots[start:start + PAGE_SIZE]
            choices = [(str(s.id), f"{self.service.when(s.starts_at)}, {s.duration_minutes} minutes") for s in page]
            if start + PAGE_SIZE < len(slots):
                choices.append(("more", "Later times"))
            if start:
                choices.append(("earlier", "Earlier times"))
            picked = self.dialogue.choose(f"Which time {purpose}?", choices, "Choose a time by its number; back returns to the interview menu.")
            if picked == "more":
                start += PAGE_SIZE
            elif picked == "earlier":
                start = max(0, start - PAGE_SIZE)
            else:
                return next(s for s in page if str(s.id) == picked)

    def book(self) -> None:
        slot = self.pick_slot("would you like")
        if slot is None:
            return
        say_details(self.out, slot)
        while True:
            contact = self.dialogue.ask(CONTACT_QUESTION, CONTACT_HELP)
            if contact:
                break
            self.out.problem("Please type a phone number or an e-mail address, or back.")
        needs = ask_needs(self.dialogue)
        booked = self.service.book(slot.id, contact, needs)
        self.out.result(f"booked for {self.service.when(booked.slot.starts_at)}. "
                        f"Your confirmation code is {booked.display_code} (spelled {spell_code(booked.display_code)}).")
        self.out.line("Keep the code: you need it to move or cancel the interview, and the agent asks for it.")
        say_booked_details(self.out, booked)

    def reschedule(self, current) -> None:  # noqa: ANN001
        slot = self.pick_slot("should the interview move to")
        if slot is None:
            return
        moved = self.service.reschedule(current.code, slot.id)
        self.out.result(f"interview {moved.display_code} moved to {self.service.when(moved.slot.starts_at)}.")

    def cancel(self, current) -> None:  # noqa: ANN001
        if not self.dialogue.confirm(f"Cancel your interview on {self.service.when(current.slot.starts_at)}?"):
            self.out.status("nothing was changed.")
            return
        cancelled = self.service.cancel(current.code)
        self.out.result(f"interview {cancelled.display_code} cancelled; its time is free again.")
