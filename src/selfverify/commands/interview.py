"""``selfverify interview`` (the user books, moves, cancels, queues) and ``selfverify status`` (and
credential pickup). Every rule lives in ``selfverify.services.interview``; these commands only parse
and print (shared parts: commands/interview_common.py)."""

from __future__ import annotations

from typing import Any

import click

from selfverify.commands.interview_common import (
    _appointment_lines, _run, _service, _slot_lines, _TZ_HELP, _tz_option, SLOT_ID, status_word, when,
)
from selfverify.commands.interview_details import (
    _accommodations, _booking_lines, _needs_options, interview_calendar, interview_reschedule, interview_send_reminders,
)
from selfverify.i18n import N_, _


# ---------------------------------------------------------------- interview (the user)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=N_(
    "Book, reschedule or cancel an interview with a person (no photo, no face data)."
    "\n\nYou give a handle (--user) and a contact line only. At the interview an agent looks at an "
    "official document; once approved, 'selfverify status' stores your credential in your keyring."
))
@click.option("--tz", help=_TZ_HELP)
def interview(tz: str | None) -> None:
    pass


@interview.command("slots", help=N_("List the free interview slots."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_slots(ctx: click.Context, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _service(ctx)
        slots = svc.available_slots()
        hint = _("No free slots at the moment: try again later or ask support to add some.")
        book = _("Book one: {command}").format(command=_('selfverify interview book SLOT --contact "phone or e-mail"'))
        return (
            {"timezone": svc.zone_label, "slots": [s.as_dict(svc.zone) for s in slots]},
            _slot_lines(svc, slots, hint) + ([book] if slots else []),
        )

    return _run(as_json, action)


@interview.command("book", help=N_("Book slot SLOT_ID; prints your confirmation code, how the interview happens and what to bring."))
@click.argument("slot_id", type=SLOT_ID)
@click.option("--contact", required=True, help=N_("A phone number or e-mail address the agent can reach you on (notices need an e-mail address)."))
@_needs_options
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_book(ctx: click.Context, slot_id: int, contact: str, as_json: bool, **options: Any) -> int:
    def action():
        svc = _service(ctx)
        a = svc.book(slot_id, contact, _accommodations(options))
        return {**a.as_dict(svc.zone), "notice": a.notice}, [
            _("Booked: {when}.").format(when=when(svc, a.slot.starts_at)),
            _("Your confirmation code is {code}. Keep it: you need it to reschedule or cancel, and the agent asks for "
              "it at the interview.").format(code=a.display_code),
            _("If nobody has joined by {deadline} (the grace period), the booking expires and you may book again.").format(
                deadline=when(svc, svc.deadline(a))),
            *_booking_lines(svc, a),
        ]

    return _run(as_json, action)


@interview.command("cancel", help=N_("Cancel the interview with confirmation CODE (its slot becomes free again)."))
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_cancel(ctx: click.Context, code: str, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _service(ctx)
        a = svc.cancel(code)
        return a.as_dict(svc.zone), [_("Cancelled: interview {code} ({when}).").format(code=a.display_code, when=when(svc, a.slot.starts_at))]

    return _run(as_json, action)


@interview.command("show", help=N_("Show your interviews (newest first)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_show(ctx: click.Context, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _service(ctx)
        items = svc.my_appointments()
        lines: list[str] = [] if items else [_("You have no interviews. See the free slots: selfverify interview slots")]
        for a in items:
            details = [f"{label + ':':<10}{text}" for label, text in a.slot.detail_rows] if a.status == "booked" else []
            lines += _appointment_lines(svc, a) + details + [""]
        return {"timezone": svc.zone_label, "appointments": [a.as_dict(svc.zone) for a in items]}, lines

    return _run(as_json, action)


@interview.command("history", help=N_("Your past interviews (approved, declined, cancelled, expired, no-show), newest first."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_history(ctx: click.Context, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _service(ctx)
        items = svc.history()
        lines = [_("Times are shown in {zone}.").format(zone=svc.zone_label)] if items else [_("You have no past interviews.")]
        for a in items:
            lines.append(f"  {when(svc, a.starts_at)}  {a.display_code}  {status_word(a.status):<9}  {svc.outcome_line(a)}")
        return {"timezone": svc.zone_label, "appointments": [a.as_dict(svc.zone) for a in items]}, lines

    return _run(as_json, action)


@interview.group("queue", invoke_without_command=True, help=N_(
    "The on-demand queue, while agents are on duty: join, see your place, leave (no subcommand: your "
    "place)."
))
@click.pass_context
def interview_queue(ctx: click.Context) -> int:
    if ctx.invoked_subcommand is None:
        return ctx.invoke(interview_queue_status)
    return 0


def _queue_result(svc, q) -> tuple:  # noqa: ANN001
    return {**q.as_dict(), "line": svc.queue_line(q)}, [svc.queue_line(q)]


@interview_queue.command("status", help=N_("Your place in the queue and the estimated wait."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_queue_status(ctx: click.Context, as_json: bool = False, **_options: Any) -> int:
    def action():
        svc = _service(ctx)
        return _queue_result(svc, svc.queue_status())

    return _run(as_json, action)


@interview_queue.command("join", help=N_("Wait for the next free agent instead of booking a time."))
@click.option("--contact", required=True, help=N_("A phone number or e-mail address the agent can reach you on."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@_tz_option
@click.pass_context
def interview_queue_join(ctx: click.Context, contact: str, as_json: bool, **_options: Any) -> int:
    def action():
        svc = _service(ctx)
        return _queue_result(svc, svc.join_queue(contact))

    return _run(as_json, action)


@interview_queue.command("leave", help=N_("Leave the queue."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.pass_context
def interview_queue_leave(ctx: click.Context, as_json: bool) -> int:
    def action():
        svc = _service(ctx)
        return _queue_result(svc, svc.leave_queue())

    return _run(as_json, action)


# ---------------------------------------------------------------- status (the user's app picks up credentials)


@click.command(help=N_("Your verification status. An approved interview's credential is stored in your keyring now."))
@click.option("--tz", help=_TZ_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON."))
@click.pass_context
def status(ctx: click.Context, tz: str | None, as_json: bool) -> int:
    def action():
        from selfverify.errors import KeyringUnavailable, PolicyRefusal
        from selfverify.services.credentials import CredentialService
        from selfverify.services.startup import on_startup

        svc = _service(ctx)
        on_startup(svc.ctx)  # finish interrupted work first, so the status shown is the settled one
        problem = None
        try:
            picked = svc.pick_up_credentials()
            current = CredentialService(svc.ctx).current()
        except (KeyringUnavailable, PolicyRefusal) as exc:
            # the interview state is still worth showing; the credential waits for a usable keyring,
            # and one that does not verify against the desk's keys is never stored
            picked, current, problem = [], None, exc
        interviews = svc.my_appointments()
        lines = [_("Verification status for {user}").format(user=svc.ctx.user)]
        for cred in picked:
            lines.append(_("New: your interview was approved; credential {id} is now in your keyring.").format(id=cred.id))
        if current is not None:
            lines.append(_("Credential: valid, method {method}, issued {issued}, expires {expires}.").format(
                method=method_word(current.method), issued=when(svc, current.issued_at), expires=when(svc, current.expires_at)))
        elif isinstance(problem, KeyringUnavailable):
            lines.append(_("Credential: cannot be read or stored until your keyring works (see below)."))
        elif problem is not None:
            lines.append(_("Credential: not stored (see below)."))
        else:
            lines.append(_("Credential: none. Verify with a selfie ('selfverify') or book an interview "
                           "('selfverify interview slots')."))
        for a in interviews:
            if a.status == "booked":
                lines.append(_("Interview: {code} booked for {when}.").format(code=a.display_code, when=when(svc, a.starts_at)))
                if a.late_minutes:
                    lines.append(_("The agent is running {minutes} min late: the interview now starts at {when}.").format(
                        minutes=a.late_minutes, when=when(svc, a.starts_at)))
                lines.append(_("If nobody has joined by {deadline}, it expires and you may book again.").format(
                    deadline=when(svc, svc.deadline(a))))
            elif a.waiting_for_pickup:
                lines.append(_("Interview {code} was approved: the credential is stored once your keyring can be used.").format(
                    code=a.display_code))
        if problem is not None and interviews:  # already on the interview path: only the keyring fix
            from selfverify.store.secrets import without_interview_alternative

            problem.hint = without_interview_alternative(problem.hint)
        latest = interviews[0] if interviews else None
        if latest is not None and latest.status == "declined":
            lines.append(_("Interview {code} was declined: {reason}").format(code=latest.display_code, reason=latest.decision_reason))
        elif latest is not None and latest.status in ("expired", "cancelled", "no_show") and current is None:
            lines.append(svc.outcome_line(latest))  # says what happened and invites a new booking
        queue = svc.queue_status()
        if queue.status == "waiting":
            lines.append(svc.queue_line(queue))
        data = {
            "subject": svc.ctx.user,
            "credential": _credential_dict(current),
            "picked_up": [_credential_dict(c) for c in picked],
            "interviews": [a.as_dict(svc.zone) for a in interviews],
            "queue": queue.as_dict(),
        }
        return data, lines, problem

    return _run(as_json, action)


# a credential's method, as said (the JSON keeps the code)
METHODS = {"selfie": N_("selfie"), "interview": N_("interview")}


def method_word(method: str) -> str:
    return _(METHODS[method]) if method in METHODS else method


def _credential_dict(cred) -> dict[str, Any] | None:  # noqa: ANN001
    if cred is None:
        return None
    # the token is a secret: it stays in the keyring and is never printed here
    return {
        "id": cred.id, "subject": cred.subject, "method": cred.method,
        "issued_at": cred.issued_at.isoformat(), "expires_at": cred.expires_at.isoformat(),
    }


# moving, the calendar file and the e-mail notices live in commands/interview_details.py
for _command in (interview_reschedule, interview_calendar, interview_send_reminders):
    interview.add_command(_command)
