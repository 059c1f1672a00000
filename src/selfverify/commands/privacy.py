"""``consent``, ``photos`` and ``data`` (and the helpers ``commands/credential.py`` shares): thin front
ends over the privacy services.

Human text by default, ``--json`` where support staff script them; errors are one line plus a
hint and an exit code (see selfverify.errors), never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click

from selfverify.cli import app_context, print_error
from selfverify.errors import EXIT_NEGATIVE, EXIT_OK, InputError, SelfverifyError
from selfverify.i18n import N_, _, ngettext
from selfverify.textcheck import printable

json_option = click.option("--json", "as_json", is_flag=True, help=N_("Print as JSON (for scripts)."))
yes_option = click.option("--yes", "-y", is_flag=True, help=N_("Do not ask for confirmation."))


def privacy_command(func: Callable) -> Callable:
    """Build the context, run start-up recovery, and turn errors into JSON when --json is given."""

    @functools.wraps(func)
    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> int:
        as_json = kwargs.get("as_json", False)
        try:
            from selfverify.services.startup import on_startup

            app = app_context(ctx)
            on_startup(app)
            rv = func(app, *args, **kwargs)
        except SelfverifyError as err:
            if not as_json:
                raise
            print_error(err, as_json=True)
            return err.exit_code
        return EXIT_OK if rv is None else rv

    return wrapper


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def confirm_or_refuse(question: str, yes: bool, nothing_done: str | None = None) -> bool:
    """True to go ahead. Never prompts without a terminal: scripts must say --yes."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise InputError(_("Not asking for confirmation: standard input is not a terminal.") + " "
                         + (nothing_done or _("Nothing was deleted.")),
                         code="confirmation_required", hint=_("Pass --yes to confirm."))
    return ask_yes_no(question)


def ask_yes_no(question: str) -> bool:
    """A yes/no question at the terminal, answered in the current language or in English (no: the default)."""
    yes_words = {"y", "yes", *_("y, yes").replace(" ", "").lower().split(",")}
    no_words = {"n", "no", "", *_("n, no").replace(" ", "").lower().split(",")}
    while True:
        answer = click.prompt(question + " " + _("[y/N]"), default="", show_default=False, prompt_suffix=" ")
        answer = answer.strip().lower()
        if answer in yes_words:
            return True
        if answer in no_words:
            return False
        click.echo(_("Answer y (yes) or n (no)."), err=True)


def _date(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC") if dt else "-"


# consent

@click.group(help=N_("Show, give or withdraw consent to the selfie check (the interview path needs none)."))
def consent() -> None:
    pass


def _consent_dict(status) -> dict:
    return {"accepted": status.accepted, "version": status.version, "current_version": status.current_version,
            "choice": status.choice, "at": status.at.isoformat() if status.at else None}


# a consent choice, as said (the JSON keeps the code)
CHOICES = {"accepted": N_("accepted"), "declined": N_("declined"), "withdrawn": N_("withdrawn")}


def _echo_consent(status) -> None:
    if status.choice is None:
        click.echo(_("Consent: not given yet (notice {version}).").format(version=status.current_version))
    elif status.accepted:
        click.echo(_("Consent: accepted notice {version} on {date}.").format(version=status.version, date=_date(status.at)))
    elif status.choice == "accepted":
        click.echo(_("Consent: you accepted notice {version}, but it has changed to {current}: please read it and "
                     "accept again.").format(version=status.version, current=status.current_version))
    else:
        choice = _(CHOICES[status.choice]) if status.choice in CHOICES else status.choice
        click.echo(_("Consent: {choice} on {date} (notice {version}).").format(
            choice=choice, date=_date(status.at), version=status.version))


def _print_consent(status, as_json: bool) -> None:
    if as_json:
        emit_json(_consent_dict(status))
    else:
        _echo_consent(status)


@consent.command("show", help=N_("Print the notice and your current choice."))
@json_option
@privacy_command
def consent_show(app, as_json: bool) -> int:
    from selfverify.services.consent import ConsentService

    service = ConsentService(app)
    notice, status = service.notice(), service.status()
    if as_json:
        emit_json({"notice": {"version": notice.version, "title": notice.title, "text": notice.text},
                   "status": _consent_dict(status)})
        return EXIT_OK
    click.echo(notice.text.rstrip())
    click.echo("")
    _echo_consent(status)
    return EXIT_OK


@consent.command("status", help=N_("Your current choice (exit 0 if accepted, 1 if not)."))
@json_option
@privacy_command
def consent_status(app, as_json: bool) -> int:
    from selfverify.services.consent import ConsentService

    status = ConsentService(app).status()
    _print_consent(status, as_json)
    return EXIT_OK if status.accepted else EXIT_NEGATIVE


@consent.command("accept", help=N_("Read the notice and accept it (--yes accepts without asking, after printing it)."))
@yes_option
@json_option
@privacy_command
def consent_accept(app, yes: bool, as_json: bool) -> int:
    from selfverify.services.consent import ConsentService

    service = ConsentService(app)
    notice = service.notice()
    if not as_json:
        click.echo(notice.text.rstrip())
        click.echo("")
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(_("Not asking for consent: standard input is not a terminal. Nothing was recorded."),
                             code="confirmation_required", hint=_("Pass --yes to accept the notice."))
        if not ask_yes_no(_("Do you accept notice {version}?").format(version=notice.version)):
            service.decline()
            click.echo(_("You declined: the camera stays off. You can book an interview with a person instead."))
            return EXIT_NEGATIVE
    _print_consent(service.accept(), as_json)
    return EXIT_OK


@consent.command("decline", help=N_("Record that you do not agree (the selfie check stays off)."))
@json_option
@privacy_command
def consent_decline(app, as_json: bool) -> int:
    from selfverify.services.consent import ConsentService

    _print_consent(ConsentService(app).decline(), as_json)
    return EXIT_OK


@consent.command("withdraw", help=N_("Take your consent back: every kept photo is deleted (crypto-shredded) and this is recorded."))
@yes_option
@json_option
@privacy_command
def consent_withdraw(app, yes: bool, as_json: bool) -> int:
    from selfverify.services.erasure import withdraw_consent
    from selfverify.services.vault import PhotoVault

    before = len(PhotoVault(app).list())
    if before:
        app.secrets.require_secure("delete")  # before asking: without a keyring nothing can be deleted
        question = ngettext("Withdraw your consent and delete your {count} kept photo? This cannot be undone.",
                            "Withdraw your consent and delete your {count} kept photos? This cannot be undone.",
                            before).format(count=before)
    else:
        question = _("Withdraw your consent? The selfie check stays off until you accept the notice again.")
    if not confirm_or_refuse(question, yes, _("Nothing was changed.")):
        click.echo(_("Nothing was changed: your consent stands."))
        return EXIT_NEGATIVE
    status = withdraw_consent(app)
    if as_json:
        emit_json({**_consent_dict(status), "photos_deleted": before})
        return EXIT_OK
    _echo_consent(status)
    click.echo(ngettext("Deleted {count} kept photo.", "Deleted {count} kept photos.", before).format(count=before) + " "
               + _("Deletion receipts: {command}").format(command="selfverify photos show-receipts"))  # i18n: ignore (a command)
    return EXIT_OK


# photos

@click.group(help=N_("Kept (encrypted) photos: by default nothing is kept; you may opt in after a selfie check."))
def photos() -> None:
    pass


@photos.command("list", help=N_("Photos kept for an appeal, with their expiry."))
@json_option
@privacy_command
def photos_list(app, as_json: bool) -> int:
    from selfverify.services.vault import PhotoVault

    items = PhotoVault(app).list()
    if as_json:
        emit_json([p.as_dict() for p in items])
        return EXIT_OK
    if not items:
        click.echo(_("No photos are kept."))
        return EXIT_OK
    for p in items:
        click.echo(f"{p.id}  {p.kind:<9}  " + _("{size} bytes  kept since {created}  will be deleted on {expires}  ({status})").format(
            size=f"{p.size:>9}", created=_date(p.created_at), expires=_date(p.expires_at), status=p.status))
    return EXIT_OK


@photos.command("show-receipts", help=N_("Deletion receipts: what was deleted, when and why (nothing biometric)."))
@json_option
@privacy_command
def photos_show_receipts(app, as_json: bool) -> int:
    from selfverify.services.vault import receipts_for

    items = receipts_for(app, app.user)
    if as_json:
        emit_json([r.as_dict() for r in items])
        return EXIT_OK
    if not items:
        click.echo(_("No deletion receipts."))
    for r in items:
        click.echo(f"{r.id}  " + _("deleted {kind} {item} on {date}  reason: {reason}").format(
            kind=r.kind, item=r.item_id, date=_date(r.deleted_at), reason=printable(r.reason)))
    return EXIT_OK


@photos.command("delete", help=N_(
    "Crypto-shred photos: the key leaves the keyring, then the encrypted file, and a receipt is "
    "written."
))
@click.argument("ids", nargs=-1)
@click.option("--all", "delete_all", is_flag=True, help=N_("Delete every kept photo."))
@yes_option
@json_option
@privacy_command
def photos_delete(app, ids: tuple[str, ...], delete_all: bool, yes: bool, as_json: bool) -> int:
    from selfverify.services.vault import PhotoVault

    vault = PhotoVault(app)
    if delete_all == bool(ids):
        raise InputError(_("Give photo ids, or --all (not both)."), code="bad_option",
                         hint=_("List them with: {command}").format(command="selfverify photos list"))  # i18n: ignore (a command)
    if delete_all:
        count = len(vault.list())
        if count:
            app.secrets.require_secure("delete")  # before asking: without a keyring nothing can be deleted
        question = ngettext("Delete the {count} kept photo? This cannot be undone.",
                            "Delete all {count} kept photos? This cannot be undone.", count).format(count=count)
        if count and not confirm_or_refuse(question, yes):
            click.echo(_("Nothing was deleted."))
            return EXIT_NEGATIVE
        receipts = vault.delete_all(reason="user")
    else:
        receipts = vault.delete(ids, reason="user")
    if as_json:
        emit_json({"deleted": [r.as_dict() for r in receipts]})
        return EXIT_OK
    if not receipts:
        click.echo(_("Nothing to delete: those photos were already deleted.") if ids else _("No photos are kept."))
    for r in receipts:
        click.echo(_("Deleted {kind} photo {item} (receipt {receipt}).").format(kind=r.kind, item=r.item_id, receipt=r.id))
    return EXIT_OK


@photos.command("purge", help=N_("Delete expired photos now (this also runs at every start)."))
@json_option
@privacy_command
def photos_purge(app, as_json: bool) -> int:
    from selfverify.services.vault import PhotoVault

    count = PhotoVault(app).purge()
    if as_json:
        emit_json({"purged": count})
    else:
        click.echo(ngettext("Purged {count} expired photo.", "Purged {count} expired photos.", count).format(count=count))
    return EXIT_OK


# data

@click.group(help=N_("Everything selfverify keeps about you."))
def data() -> None:
    pass


@data.command("delete-all", help=N_(
    "Delete your photos, credential, consent records, interview bookings and session records, and "
    "redact your audit events; only receipts and the count of failed selfie tries remain."
))
@yes_option
@json_option
@privacy_command
def data_delete_all(app, yes: bool, as_json: bool) -> int:
    from selfverify.services.erasure import ATTEMPTS_KEPT, delete_all_user_data, require_erasure_possible

    require_erasure_possible(app)
    if not confirm_or_refuse(_("Delete everything selfverify keeps about {user}? This cannot be undone.").format(
            user=repr(app.user)), yes):
        click.echo(_("Nothing was deleted."))
        return EXIT_NEGATIVE
    report = delete_all_user_data(app)
    if as_json:
        emit_json(report.as_dict())
        return EXIT_OK
    counts = [
        ngettext("{count} photo", "{count} photos", report.photos_deleted),
        ngettext("{count} credential", "{count} credentials", report.credentials_deleted),
        ngettext("{count} consent record", "{count} consent records", report.consent_records_deleted),
        ngettext("{count} interview booking", "{count} interview bookings", report.appointments_deleted),
        ngettext("{count} session record", "{count} session records", report.sessions_deleted),
    ]
    numbers = (report.photos_deleted, report.credentials_deleted, report.consent_records_deleted,
               report.appointments_deleted, report.sessions_deleted)
    deleted = ", ".join(text.format(count=n) for text, n in zip(counts, numbers))
    redacted = ngettext("{count} audit event redacted", "{count} audit events redacted", report.audit_events_redacted)
    click.echo(_("Deleted for {user}: {deleted}; {redacted}.").format(
        user=app.user, deleted=deleted, redacted=redacted.format(count=report.audit_events_redacted)))
    click.echo(ngettext("Kept: {count} deletion receipt saying what was deleted and when, and the audit log's events "
                        "reduced to their kind and time (no handle, no details).",
                        "Kept: {count} deletion receipts saying what was deleted and when, and the audit log's events "
                        "reduced to their kind and time (no handle, no details).",
                        len(report.receipts)).format(count=len(report.receipts)))
    click.echo(_("Also kept: {attempts}.").format(attempts=_(ATTEMPTS_KEPT)))
    if report.credentials_deleted:
        click.echo(_("Also kept: a revocation tombstone per deleted credential (its id and time only), so it never "
                     "verifies again here."))
    return EXIT_OK
