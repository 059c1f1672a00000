"""What the accessible mode says and asks about an interview's details: how it happens, what to
bring, the needs a person asks for, and the calendar file. Separate from plain/interview.py's
sentences so each can change on its own; the rules stay in InterviewService."""

from __future__ import annotations

from pathlib import Path

from selfverify.i18n import N_, _

NEEDS_HELP = N_("The agent sees what you ask for before the interview. Press Enter to skip a question; "
                "back returns to the interview menu.")


def say_details(out, slot) -> None:  # noqa: ANN001 - LineWriter, SlotView
    """Each detail as one labelled line (how, length, what to bring, what is not accepted...)."""
    for label, text in slot.detail_rows:
        out.labelled(_(label), _(text))


def ask_needs(dialogue, earlier=None):  # noqa: ANN001, ANN201 - Dialogue, Accommodations | None -> Accommodations
    """An interpreter, captions, a phone call instead of video, anything else: each optional, behind one
    yes/no question. ``earlier`` (a reschedule): what was asked for before, kept by Enter."""
    from selfverify.errors import InputError
    from selfverify.services.interview import Accommodations

    help_text = _(NEEDS_HELP)
    if earlier is not None and not earlier.empty:
        keep = dialogue.choose(_("You asked for: {needs}.").format(needs=earlier.summary()),
                               [("keep", _("Keep that")), ("change", _("Change it"))], help_text, default="keep")
        if keep == "keep":
            return earlier
    elif not dialogue.confirm(_("Do you need an interpreter, captions, a phone call instead of video, or anything else?"),
                              help_text):
        return Accommodations.build(None, False, False, None)
    while True:
        language = dialogue.ask(_("Do you need an interpreter? Type the language, or press Enter for no:"), help_text)
        captions = dialogue.confirm(_("Do you need captions on a video call?"), help_text)
        phone = dialogue.confirm(_("Would you rather have a phone call than a video call?"), help_text)
        note = dialogue.ask(_("Anything else the agent should know? Type one line, or press Enter for nothing:"), help_text)
        try:
            return Accommodations.build(language, captions, phone, note)
        except InputError as exc:
            dialogue.out.problem(exc.user_message, _("Please answer again."))


def say_booked_details(out, booked) -> None:  # noqa: ANN001 - LineWriter, AppointmentView
    """After booking: what was asked for and the e-mail notice (the slot's details were said just before
    booking, and "Check the status again" says them again: heard once, not twice in a row)."""
    if booked.accommodations is not None and not booked.accommodations.empty:
        out.labelled(_("You asked for"), booked.accommodations.summary())
    if booked.notice:
        out.line(_(booked.notice))


def save_calendar(service, dialogue, out, current) -> None:  # noqa: ANN001
    """Ask for a file name and write the .ics there (a new 0600 file, never a device)."""
    from selfverify.outfile import write_output

    default = Path.home() / f"interview-{current.display_code}.ics"
    typed = dialogue.ask(_("Where should the calendar file go? Press Enter for {file}:").format(file=default),
                         _("A new file is created; an existing file is never replaced."))
    where = write_output(Path(typed).expanduser() if typed else default, service.calendar_file(current.code))
    out.result(_("saved the interview to {file}. Open it with your calendar app.").format(file=where))
