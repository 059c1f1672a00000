"""E-mail notices about an interview: a confirmation at booking (with the .ics attached), a reminder
before the slot, the decision. Sent through the desk's SMTP server when one is configured.

Each notice is a row in ``interview_notice`` before anything is sent: a failed or refused send
never loses the booking or the notice; it stays owed and the next sender retries it (the booking
process itself, ``selfverify interview send-reminders`` from a timer, or the agent console while it
is open). A sender claims a notice with a compare-and-set, so two never send the same one, and a
reminder is queued once per appointment and slot. The SMTP password comes from
``SELFVERIFY_SMTP_PASSWORD`` or the keyring entry ``smtp:<username>``; never from the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import timedelta

from selfverify.i18n import _, in_language
from selfverify.services.interview.base import ServiceBase
from selfverify.services.interview.views import APPROVED, DECLINED, AppointmentView, status_word
from selfverify.textcheck import _EMAIL

PASSWORD_ENV = "SELFVERIFY_SMTP_PASSWORD"


def email_address(contact: str | None) -> str | None:
    """The e-mail address in a contact line, or None (a phone number cannot receive e-mail)."""
    found = _EMAIL.search(contact or "")
    return found.group() if found else None


@dataclass
class Delivery:
    """What one round of sending did."""

    configured: bool
    sent: list[str] = field(default_factory=list)  # "reminder ABCD-EFGH"
    failed: list[str] = field(default_factory=list)  # "reminder ABCD-EFGH: why"
    queued_reminders: int = 0


class NoticesMixin(ServiceBase):
    # one part of InterviewService (see the package's __init__)

    @property
    def email_configured(self) -> bool:
        return bool(self.ctx.settings.smtp_host)

    def _notify(self, view: AppointmentView, kind: str) -> AppointmentView:
        """Queue ``kind`` for this appointment and try to send it now; the view carries what to tell the person."""
        from selfverify.store import interviews

        address = email_address(view.contact)
        with self.ctx.db.session() as s:
            interviews.queue_notice(s, view.id, view.slot.id, kind, self._now, "pending" if address else "unsendable")
        decision = kind == "decision"
        if address is None:
            line = (_("No decision or reminder can be e-mailed: your contact line is not an e-mail address. Note the time "
                      "and the code.") if decision else
                    _("No confirmation or reminder can be e-mailed: your contact line is not an e-mail address. Note the "
                      "time and the code."))
        elif not self.email_configured:
            line = (_("No mail server is configured here: the decision e-mail to {address} is sent only when the desk sends "
                      "its notices. Note the time and the code, or save the calendar file.") if decision else
                    _("No mail server is configured here: the confirmation e-mail to {address} is sent only when the desk "
                      "sends its notices. Note the time and the code, or save the calendar file.")).format(address=address)
        else:
            delivery = self.deliver_notices(only=view.id)
            if delivery.sent:
                line = (_("A decision e-mail was sent to {address}.") if decision else
                        _("A confirmation e-mail was sent to {address}.")).format(address=address)
            else:
                line = (_("The decision e-mail to {address} could not be sent now ({reason}); it is retried later. Your "
                          "booking is kept.") if decision else
                        _("The confirmation e-mail to {address} could not be sent now ({reason}); it is retried later. "
                          "Your booking is kept.")).format(address=address, reason=_first_reason(delivery))
        return replace(view, notice=line)

    def send_reminders(self) -> Delivery:
        """Queue a reminder for each booking within ``interview_reminder_hours`` of its start (once
        each), then send whatever is owed. Safe to run from a timer as often as you like."""
        from selfverify.store import interviews

        lead = timedelta(hours=self.ctx.settings.interview_reminder_hours)
        queued = 0
        with self.ctx.db.session() as s:
            due = [(row.id, slot.id, row.contact) for row, slot in interviews.reminders_due(s, self._now, lead)]
            for appointment_id, slot_id, contact in due:
                status = "pending" if email_address(contact) else "unsendable"
                queued += interviews.queue_notice(s, appointment_id, slot_id, "reminder", self._now, status)
        delivery = self.deliver_notices()
        delivery.queued_reminders = queued
        return delivery

    def deliver_notices(self, only: int | None = None) -> Delivery:
        """Send every owed notice (of one appointment with ``only``); failures are recorded and retried."""
        from selfverify.store import interviews

        delivery = Delivery(configured=self.email_configured)
        if not delivery.configured:
            return delivery
        with self.ctx.db.session() as s:
            owed = [(n, a, sl) for n, a, sl in interviews.owed_notices(s, self._now) if only is None or a.id == only]
        for notice, row, slot in owed:
            label = f"{notice.kind} {self._appointment_view(row, slot).display_code}"
            with self.ctx.db.session() as s:
                claimed = interviews.claim_notice(s, notice.id, notice.attempts, self._now)
                s.commit()
            if not claimed:
                continue  # another sender has it
            error = None
            try:
                self._send(self._message(notice.kind, self._appointment_view(row, slot)))
            except Exception as exc:  # noqa: BLE001 - any SMTP/network failure is recorded, never raised
                error = _reason(exc)
            with self.ctx.db.session() as s:
                interviews.finish_notice(s, notice.id, "failed" if error else "sent", error, self._now)
                s.commit()
            if error:
                delivery.failed.append(f"{label}: {error}")
            else:
                delivery.sent.append(label)
            self._audit(f"notice_{'failed' if error else 'sent'}", {"appointment_id": row.id, "kind": notice.kind},
                        row.session_id, row.subject)
        return delivery

    def upcoming_line(self) -> str | None:
        """One line about the user's next booked interview (for a front end's start), or None."""
        booked = [a for a in self.my_appointments() if a.status == "booked"]
        if not booked:
            return None
        a = booked[0]
        line = _("Your interview: {when}, code {code}.").format(when=self.when(a.slot.starts_at), code=a.display_code)
        line += f" {a.slot.detail_rows[0][1]}"
        if not self.email_configured:
            line += " " + _("(No e-mail reminder is sent from this computer.)")
        return line

    def notice_states(self, appointment_id: int) -> list[tuple[str, str]]:
        """(kind, status) of each notice of an appointment, oldest first."""
        from selfverify.store import interviews

        with self.ctx.db.session() as s:
            return [(n.kind, n.status) for n in interviews.notices_of(s, appointment_id)]

    # ------------------------------------------------------------ the message

    def _message(self, kind: str, a: AppointmentView):  # -> EmailMessage
        """The e-mail, in the language the person booked in (if there is a catalog for it, else this process's)."""
        with in_language(a.language):
            return self._compose(kind, a)

    def _compose(self, kind: str, a: AppointmentView):  # -> EmailMessage
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        from selfverify.services.interview.zones import format_when, resolve_zone

        settings = self.ctx.settings
        zone = resolve_zone(a.slot.timezone)  # the desk's zone; UTC alongside for anyone elsewhere
        when = _("{when} ({utc} UTC)").format(when=format_when(a.slot.starts_at, zone), utc=f"{a.slot.starts_at:%H:%M}")
        msg = EmailMessage()
        msg["From"] = settings.smtp_sender or f"selfverify@{settings.smtp_host}"
        msg["To"] = email_address(a.contact)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="selfverify")
        rows = [f"{label}: {text}" for label, text in a.slot.detail_rows]
        code = _("Confirmation code: {code}").format(code=a.display_code)
        if kind == "confirmation":
            msg["Subject"] = _("Interview booked: {when}, code {code}").format(when=when, code=a.display_code)
            body = [_("Your identity interview is booked for {when}.").format(when=when), code, "", *rows]
        elif kind == "reminder":
            msg["Subject"] = _("Reminder: interview {when}, code {code}").format(when=when, code=a.display_code)
            body = [_("Reminder: your identity interview is at {when}.").format(when=when), code, "", *rows]
        elif a.status == APPROVED:
            msg["Subject"] = _("Interview {code} approved").format(code=a.display_code)
            body = [_("Your identity interview was approved."),
                    _("Open selfverify (or run 'selfverify status') to store your credential in your keyring.")]
        else:
            reason = a.decision_reason or _("no reason given")
            if a.status == DECLINED:
                msg["Subject"] = _("Interview {code} declined").format(code=a.display_code)
                said = _("Your identity interview was declined: {reason}.").format(reason=reason)
            else:
                msg["Subject"] = _("Interview {code}: {status}").format(code=a.display_code, status=status_word(a.status))
                said = _("Your identity interview was not approved ({status}): {reason}.").format(
                    status=status_word(a.status), reason=reason)
            body = [said, _("You may book another time: selfverify interview slots")]
        body += ["", _("This message holds no photo or document. Do not reply with one.")]
        msg.set_content("\n".join(body))
        if kind == "confirmation":
            from selfverify.services.interview.calendar import ics_bytes, ics_name

            msg.add_attachment(ics_bytes(a, self.ctx.db.database_id), maintype="text", subtype="calendar",
                               filename=ics_name(a), params={"method": "PUBLISH", "charset": "utf-8"})  # words may not be ASCII
        return msg

    def _send(self, msg) -> None:  # noqa: ANN001
        import smtplib
        import ssl

        settings = self.ctx.settings
        timeout = settings.smtp_timeout
        context = ssl.create_default_context()
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
            if settings.smtp_username:
                client.login(settings.smtp_username, self._smtp_password())
            client.send_message(msg)

    def _smtp_password(self) -> str:
        from selfverify.errors import ConfigError
        from selfverify.store.secrets import SecretStore

        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            password = SecretStore(self.ctx.settings.keyring_service).get(f"smtp:{self.ctx.settings.smtp_username}")
        if not password:
            raise ConfigError(_("no SMTP password: set {variable} or the keyring entry smtp:{user}").format(
                variable=PASSWORD_ENV, user=self.ctx.settings.smtp_username))
        return password


def _reason(exc: BaseException) -> str:
    from selfverify.errors import SelfverifyError

    if isinstance(exc, SelfverifyError):
        return exc.user_message
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


def _first_reason(delivery: Delivery) -> str:
    return delivery.failed[0].split(": ", 1)[1] if delivery.failed else _("the mail server did not answer")
