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
from selfverify.textcheck import printable

json_option = click.option("--json", "as_json", is_flag=True, help="Print as JSON (for scripts).")
yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


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


def confirm_or_refuse(question: str, yes: bool, nothing_done: str = "Nothing was deleted.") -> bool:
    """True to go ahead. Never prompts without a terminal: scripts must say --yes."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise InputError(f"Not asking for confirmation: standard input is not a terminal. {nothing_done}",
                         code="confirmation_required", hint="Pass --yes to confirm.")
    return click.confirm(question, default=False)


def _date(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC") if dt else "-"


# consent

@click.group()
def consent() -> None:
    """Show, give or withdraw consent to the selfie check (the interview path needs none)."""


def _consent_dict(status) -> dict:
    return {"accepted": status.accepted, "version": status.version, "current_version": status.current_version,
            "choice": status.choice, "at": status.at.isoformat() if status.at else None}


def _echo_consent(status) -> None:
    if status.choice is None:
        click.echo(f"Consent: not given yet (notice {status.current_version}).")
    elif status.accepted:
        click.echo(f"Consent: accepted notice {status.version} on {_date(status.at)}.")
    elif status.choice == "accepted":
        click.echo(f"Consent: you accepted notice {status.version}, but it has changed to {status.current_version}: "
                   "please read it and accept again.")
    else:
        click.echo(f"Consent: {status.choice} on {_date(status.at)} (notice {status.version}).")


def _print_consent(status, as_json: bool) -> None:
    if as_json:
        emit_json(_consent_dict(status))
    else:
        _echo_consent(status)


@consent.command("show")
@json_option
@privacy_command
def consent_show(app, as_json: bool) -> int:
    """Print the notice and your current choice."""
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


@consent.command("status")
@json_option
@privacy_command
def consent_status(app, as_json: bool) -> int:
    """Your current choice (exit 0 if accepted, 1 if not)."""
    from selfverify.services.consent import ConsentService

    status = ConsentService(app).status()
    _print_consent(status, as_json)
    return EXIT_OK if status.accepted else EXIT_NEGATIVE


@consent.command("accept")
@yes_option
@json_option
@privacy_command
def consent_accept(app, yes: bool, as_json: bool) -> int:
    """Read the notice and accept it (--yes accepts without asking, after printing it)."""
    from selfverify.services.consent import ConsentService

    service = ConsentService(app)
    notice = service.notice()
    if not as_json:
        click.echo(notice.text.rstrip())
        click.echo("")
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("Not asking for consent: standard input is not a terminal. Nothing was recorded.",
                             code="confirmation_required", hint="Pass --yes to accept the notice.")
        if not click.confirm(f"Do you accept notice {notice.version}?", default=False):
            service.decline()
            click.echo("You declined: the camera stays off. You can book an interview with a person instead.")
            return EXIT_NEGATIVE
    _print_consent(service.accept(), as_json)
    return EXIT_OK


@consent.command("decline")
@json_option
@privacy_command
def consent_decline(app, as_json: bool) -> int:
    """Record that you do not agree (the selfie check stays off)."""
    from selfverify.services.consent import ConsentService

    _print_consent(ConsentService(app).decline(), as_json)
    return EXIT_OK


@consent.command("withdraw")
@yes_option
@json_option
@privacy_command
def consent_withdraw(app, yes: bool, as_json: bool) -> int:
    """Take your consent back: every kept photo is deleted (crypto-shredded) and this is recorded."""
    from selfverify.services.erasure import withdraw_consent
    from selfverify.services.vault import PhotoVault

    before = len(PhotoVault(app).list())
    if before:
        app.secrets.require_secure("delete")  # before asking: without a keyring nothing can be deleted
        question = f"Withdraw your consent and delete your {before} kept photo(s)? This cannot be undone."
    else:
        question = "Withdraw your consent? The selfie check stays off until you accept the notice again."
    if not confirm_or_refuse(question, yes, "Nothing was changed."):
        click.echo("Nothing was changed: your consent stands.")
        return EXIT_NEGATIVE
    status = withdraw_consent(app)
    if as_json:
        emit_json({**_consent_dict(status), "photos_deleted": before})
        return EXIT_OK
    _echo_consent(status)
    click.echo(f"Deleted {before} kept photo(s). Deletion receipts: selfverify photos show-receipts")
    return EXIT_OK


# photos

@click.group()
def photos() -> None:
    """Kept (encrypted) photos: by default nothing is kept; you may opt in after a selfie check."""


@photos.command("list")
@json_option
@privacy_command
def photos_list(app, as_json: bool) -> int:
    """Photos kept for an appeal, with their expiry."""
    from selfverify.services.vault import PhotoVault

    items = PhotoVault(app).list()
    if as_json:
        emit_json([p.as_dict() for p in items])
        return EXIT_OK
    if not items:
        click.echo("No photos are kept.")
        return EXIT_OK
    for p in items:
        click.echo(f"{p.id}  {p.kind:<9}  {p.size:>9} bytes  kept since {_date(p.created_at)}  "
                   f"will be deleted on {_date(p.expires_at)}  ({p.status})")
    return EXIT_OK


@photos.command("show-receipts")
@json_option
@privacy_command
def photos_show_receipts(app, as_json: bool) -> int:
    """Deletion receipts: what was deleted, when and why (nothing biometric)."""
    from selfverify.services.vault import receipts_for

    items = receipts_for(app, app.user)
    if as_json:
        emit_json([r.as_dict() for r in items])
        return EXIT_OK
    if not items:
        click.echo("No deletion receipts.")
    for r in items:
        click.echo(f"{r.id}  deleted {r.kind} {r.item_id} on {_date(r.deleted_at)}  reason: {printable(r.reason)}")
    return EXIT_OK


@photos.command("delete")
@click.argument("ids", nargs=-1)
@click.option("--all", "delete_all", is_flag=True, help="Delete every kept photo.")
@yes_option
@json_option
@privacy_command
def photos_delete(app, ids: tuple[str, ...], delete_all: bool, yes: bool, as_json: bool) -> int:
    """Crypto-shred photos: the key leaves the keyring, then the encrypted file, and a receipt is written."""
    from selfverify.services.vault import PhotoVault

    vault = PhotoVault(app)
    if delete_all == bool(ids):
        raise InputError("Give photo ids, or --all (not both).", code="bad_option",
                         hint="List them with: selfverify photos list")
    if delete_all:
        count = len(vault.list())
        if count:
            app.secrets.require_secure("delete")  # before asking: without a keyring nothing can be deleted
        if count and not confirm_or_refuse(f"Delete all {count} kept photo(s)? This cannot be undone.", yes):
            click.echo("Nothing was deleted.")
            return EXIT_NEGATIVE
        receipts = vault.delete_all(reason="user")
    else:
        receipts = vault.delete(ids, reason="user")
    if as_json:
        emit_json({"deleted": [r.as_dict() for r in receipts]})
        return EXIT_OK
    if not receipts:
        click.echo("Nothing to delete: those photos were already deleted." if ids else "No photos are kept.")
    for r in receipts:
        click.echo(f"Deleted {r.kind} photo {r.item_id} (receipt {r.id}).")
    return EXIT_OK


@photos.command("purge")
@json_option
@privacy_command
def photos_purge(app, as_json: bool) -> int:
    """Delete expired photos now (this also runs at every start)."""
    from selfverify.services.vault import PhotoVault

    count = PhotoVault(app).purge()
    if as_json:
        emit_json({"purged": count})
    else:
        click.echo(f"Purged {count} expired photo(s).")
    return EXIT_OK


# data

@click.group()
def data() -> None:
    """Everything selfverify keeps about you."""


@data.command("delete-all")
@yes_option
@json_option
@privacy_command
def data_delete_all(app, yes: bool, as_json: bool) -> int:
    """Delete your photos, credential, consent records, interview bookings and session records, and
    redact your audit events; only receipts and the count of failed selfie tries remain."""
    from selfverify.services.erasure import ATTEMPTS_KEPT, delete_all_user_data, require_erasure_possible

    require_erasure_possible(app)
    if not confirm_or_refuse(f"Delete everything selfverify keeps about {app.user!r}? This cannot be undone.", yes):
        click.echo("Nothing was deleted.")
        return EXIT_NEGATIVE
    report = delete_all_user_data(app)
    if as_json:
        emit_json(report.as_dict())
        return EXIT_OK
    click.echo(f"Deleted for {app.user}: {report.photos_deleted} photo(s), {report.credentials_deleted} credential(s), "
               f"{report.consent_records_deleted} consent record(s), "
               f"{report.appointments_deleted} interview booking(s), {report.sessions_deleted} session record(s); "
               f"{report.audit_events_redacted} audit event(s) redacted.")
    click.echo(f"Kept: {len(report.receipts)} deletion receipt(s) saying what was deleted and when, and the "
               "audit log's events reduced to their kind and time (no handle, no details).")
    click.echo(f"Also kept: {ATTEMPTS_KEPT}.")
    if report.credentials_deleted:
        click.echo("Also kept: a revocation tombstone per deleted credential (its id and time only), so it never "
                   "verifies again here.")
    return EXIT_OK
