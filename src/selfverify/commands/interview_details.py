"""The interview commands' parts about how an interview happens and what the person receives: a
slot's details (agent slots add), the needs a person asks for (book, reschedule), what a booking
shows, the calendar file and the e-mail notices. ``commands/interview.py`` registers them."""

from __future__ import annotations

from typing import Any, Callable

import click

from selfverify.services.interview.views import DOCUMENT_TYPES
from selfverify.commands.interview_common import TZ_HELP, _run, _service, when
from selfverify.i18n import N_, _, ngettext
from selfverify.textcheck import MAX_ID

_DOCUMENT_CHOICES = tuple(DOCUMENT_TYPES)


def _needs_options(fn: Callable) -> Callable:
    """What the person may ask for at booking (and change when rescheduling)."""
    for option in reversed((
        click.option("--interpreter", metavar="LANGUAGE", help=N_("Ask for an interpreter for LANGUAGE.")),
        click.option("--captions", is_flag=True, default=None, help=N_("Ask for captions on a video call.")),
        click.option("--phone-instead", is_flag=True, default=None, help=N_("Ask for a phone call instead of video.")),
        click.option("--need", metavar="TEXT", help=N_("Anything else the agent should know (one line).")),
    )):
        fn = option(fn)
    return fn


def _accommodations(options: dict[str, Any], keep_if_unset: bool = False):  # noqa: ANN202
    from selfverify.services.interview import Accommodations

    keys = ("interpreter", "captions", "phone_instead", "need")
    if keep_if_unset and all(options.get(k) is None for k in keys):
        return None
    return Accommodations.build(options.get("interpreter"), bool(options.get("captions")),
                                bool(options.get("phone_instead")), options.get("need"))


def _detail_options(fn: Callable) -> Callable:
    """A slot's details, overriding the desk's defaults (interview_channel, interview_link...)."""
    for option in reversed((
        click.option("--channel", type=click.Choice(["video", "phone", "in_person"]), help=N_("How the interview happens.")),
        click.option("--link", help=N_("Join link of a video interview (https://...).")),
        click.option("--phone", help=N_("Phone number: the one the person calls (--caller person) or the desk calls from.")),
        click.option("--caller", type=click.Choice(["agent", "person"]), help=N_("Who calls whom on a phone interview.")),
        click.option("--address", help=N_("Address of an in-person interview.")),
        click.option("--instructions", help=N_("What the person should know (one line).")),
        click.option("--document", "documents", multiple=True, type=click.Choice(_DOCUMENT_CHOICES, case_sensitive=False),
                     help=N_("An accepted document (repeat for several).")),
        click.option("--not-accepted", help=N_("What is not accepted (e.g. photocopies).")),
    )):
        fn = option(fn)
    return fn


def _details(options: dict[str, Any]) -> dict[str, Any]:
    from selfverify.services.interview.details import OVERRIDES

    return {k: options.get(k) for k in OVERRIDES if options.get(k) not in (None, ())}


def _booking_lines(svc, a) -> list[str]:  # noqa: ANN001
    """What a person sees right after booking or moving: the time, the code, how, what to bring, notices."""
    lines = [f"{label + ':':<17}{text}" for label, text in a.slot.detail_rows]
    if a.accommodations is not None and not a.accommodations.empty:
        lines.append(f"{_('You asked for:'):<17}{a.accommodations.summary()}")
    if a.notice:
        lines.append(a.notice)
    lines.append(_("Save it to your calendar: {command}").format(
        command=f"selfverify interview calendar {a.display_code} --output interview.ics"))
    return lines


@click.command("reschedule", help=N_(
    "Move the interview with confirmation CODE to slot SLOT_ID, and/or change what you asked for "
    "(--interpreter, --captions, --phone-instead, --need replace the earlier requests)."
))
@click.argument("code")
@click.argument("slot_id", type=click.IntRange(1, MAX_ID), required=False)
@_needs_options
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.option("--tz", help=TZ_HELP)
@click.pass_context
def interview_reschedule(ctx: click.Context, code: str, slot_id: int | None, as_json: bool, **options: Any) -> int:
    from selfverify.errors import InputError

    def action():
        svc = _service(ctx)
        needs = _accommodations(options, keep_if_unset=True)
        if slot_id is None and needs is None:
            raise InputError(_("Give a new SLOT, or what you need (--interpreter, --captions, --phone-instead, --need)."),
                             code="nothing_to_change")
        a = svc.reschedule(code, slot_id, needs)
        said = (_("Moved: interview {code} is now {when}.") if slot_id is not None
                else _("Changed: interview {code} ({when})."))
        first = said.format(code=a.display_code, when=when(svc, a.slot.starts_at))
        return {**a.as_dict(svc.zone), "notice": a.notice}, [first, *_booking_lines(svc, a)]

    return _run(as_json, action)


@click.command("calendar", help=N_("Save the interview with confirmation CODE as a calendar file (.ics) for any calendar app."))
@click.argument("code")
@click.option("--output", "-o", required=True, help=N_("The .ics file to write ('-' for standard output)."))
@click.option("--force", is_flag=True, help=N_("Replace the file if it exists."))
@click.option("--tz", help=TZ_HELP)
@click.pass_context
def interview_calendar(ctx: click.Context, code: str, output: str, force: bool, **_options: Any) -> int:
    from selfverify.outfile import STDOUT, write_output

    svc = _service(ctx)
    where = write_output(output, svc.calendar_file(code), force=force)
    if output != STDOUT:
        click.echo(_("Saved the interview to {path}: open it with your calendar app.").format(path=where), err=True)
    return 0


@click.command("send-reminders", help=N_(
    "Send owed e-mail notices: reminders before interviews, and confirmations or decisions whose "
    "sending failed. Each is sent once. Run it from a timer (cron, systemd) on the desk."
))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.pass_context
def interview_send_reminders(ctx: click.Context, as_json: bool) -> int:
    from selfverify.errors import EnvironmentProblem

    def action():
        svc = _service(ctx)
        done = svc.send_reminders()
        data = {"configured": done.configured, "queued_reminders": done.queued_reminders, "sent": done.sent, "failed": done.failed}
        if not done.configured:
            problem = EnvironmentProblem(_("No mail server is configured: nothing was sent."), code="no_smtp",
                                         hint=_("Set smtp_host (and smtp_sender, smtp_port, smtp_security) in the desk's config."))
            return data, [], problem
        sent = ngettext("Sent {count} notice", "Sent {count} notices", len(done.sent)).format(count=len(done.sent))
        lines = [_("{sent}; {failed} failed (retried next time).").format(sent=sent, failed=len(done.failed))]
        lines += ["  " + _("sent: {notice}").format(notice=item) for item in done.sent]
        lines += ["  " + _("failed: {notice}").format(notice=item) for item in done.failed]
        problem = None
        if done.failed:
            problem = EnvironmentProblem(ngettext("{count} notice could not be sent: it is kept and retried.",
                                                  "{count} notices could not be sent: they are kept and retried.",
                                                  len(done.failed)).format(count=len(done.failed)), code="notice_failed")
        return data, lines, problem

    return _run(as_json, action)
