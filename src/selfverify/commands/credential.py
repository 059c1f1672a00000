"""``credential``: show, verify, revoke, export and present the signed credential (a thin front end
over ``services/credentials.py``, with the helpers of ``commands/privacy.py``)."""

from __future__ import annotations

import json
import sys

import click

from selfverify.commands.privacy import _date, confirm_or_refuse, emit_json, json_option, privacy_command, yes_option
from selfverify.errors import EXIT_NEGATIVE, EXIT_OK, InputError
from selfverify.i18n import N_, _, ngettext
from selfverify.textcheck import printable


@click.group(help=N_("Show, verify, revoke or export your signed credential (kept in the OS keyring)."))
def credential() -> None:
    pass


SIGNER_KINDS = {"device": N_("device"), "kiosk": N_("kiosk"), "agent": N_("agent")}
SIGNER_STATES = {"current": N_("current"), "rotated": N_("rotated: this installation signs with another key now"),
                 "retired": N_("retired: no longer enrolled at the desk"), "unknown": N_("unknown here")}


def _check_dict(check) -> dict:
    return {"valid": check.valid, "reason": check.reason, "message": check.message, "claims": check.claims,
            "format": check.format, "hidden_claims": check.hidden}


def _echo_claims(claims: dict, hidden: int = 0) -> None:
    # every value comes from a token: control and bidi characters are shown escaped, never sent to the terminal
    hidden_text = _("(not disclosed)")
    click.echo(_("Credential:  {value}").format(value=printable(claims.get("jti"))))
    click.echo(_("Issuer:      {value}").format(value=printable(claims.get("iss", "-"))))
    click.echo(_("Subject:     {value}").format(value=printable(claims.get("sub", hidden_text))))
    click.echo(_("Method:      {value}").format(value=printable(claims.get("method", hidden_text))))
    click.echo(_("Issued:      {value}").format(value=_date(_from_epoch_safe(claims.get("iat")))))
    click.echo(_("Expires:     {value}").format(value=_date(_from_epoch_safe(claims.get("exp")))))
    assurance = claims.get("assurance")
    for key, value in sorted(assurance.items() if isinstance(assurance, dict) else ()):
        click.echo(f"  {printable(key)}: {printable(value)}")
    if hidden:
        click.echo(ngettext("Hidden:      {count} claim not disclosed", "Hidden:      {count} claims not disclosed",
                            hidden).format(count=hidden))


@credential.command("show", help=N_("Decode your credential and check its signature and expiry (exit 0 valid, 1 not)."))
@json_option
@privacy_command
def credential_show(app, as_json: bool) -> int:
    from selfverify.errors import NotFound
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    service.reconcile(full=True)
    current = service.current()
    if current is None:
        raise NotFound(_("You have no credential."), hint=_("Pass a selfie check or an interview to get one."))
    check = service.verify_token(current.token)
    signer = service.signer_of(service.rows.get(current.id))
    if as_json:
        emit_json({**current.as_dict(), "check": _check_dict(check), "signer": signer})
    else:
        _echo_claims(check.claims or {"jti": current.id, "iss": current.issuer, "sub": current.subject,
                                      "method": current.method, "iat": int(current.issued_at.timestamp()),
                                      "exp": int(current.expires_at.timestamp())})
        if signer is not None:
            click.echo(_("Signed by:   {kind} key {kid} ({state})").format(
                kind=_(SIGNER_KINDS.get(signer["kind"], signer["kind"])), kid=signer["kid"],
                state=_(SIGNER_STATES.get(signer["state"], signer["state"]))))
        click.echo(_("Status:      {value}").format(value=check.message))
    return EXIT_OK if check.valid else EXIT_NEGATIVE


@credential.command("verify", help=N_(
    "Check a token or an SD-JWT presentation from FILE or standard input: exit 0 valid, 1 invalid.\n\n"
    "Without --jwks or --public-key it is checked against this installation's own key (and, on a desk's "
    "database, against the desk's keys and decisions)."))
@click.argument("source", default="-", metavar="[FILE]")
@click.option("--jwks", "jwks_file", type=click.Path(dir_okay=False),
              help=N_("The issuer's JWK Set (from 'credential public-key' or a desk's 'desk jwks')."))
@click.option("--public-key", "public_key_file", type=click.Path(dir_okay=False),
              help=N_("The issuer's public key (PEM), instead of a JWK Set."))
@json_option
@privacy_command
def credential_verify(app, source: str, jwks_file: str | None, public_key_file: str | None, as_json: bool) -> int:
    from selfverify.services.credentials import CredentialService, load_public_key

    if jwks_file and public_key_file:
        raise InputError(_("Give --jwks or --public-key, not both."), code="bad_option")
    token = _read_text(source, _("token")).strip()
    if not token:
        raise InputError(_("The token is empty."), code="empty_token")
    public_key = load_public_key(_read_text(public_key_file, _("public key"))) if public_key_file else None
    key_set = _read_text(jwks_file, _("key set")) if jwks_file else None
    check = CredentialService(app).verify_token(token, public_key=public_key, key_set=key_set)
    if as_json:
        emit_json(_check_dict(check))
    elif check.valid:
        claims = check.claims or {}
        old = _(" (old sv1 format: ask for a new credential)") if check.format == "sv1" else ""
        who = _("for {subject}").format(subject=printable(claims["sub"])) if "sub" in claims else _("subject not disclosed")
        click.echo(_("valid{old}: credential {id} {who} ({method}), issued by {issuer}, expires {expires}").format(
            old=old, id=printable(claims.get("jti")), who=who,
            method=printable(claims.get("method", _("method not disclosed"))), issuer=printable(claims.get("iss", "-")),
            expires=_date(_from_epoch_safe(claims.get("exp")))))
    else:
        click.echo(check.message)
    return EXIT_OK if check.valid else EXIT_NEGATIVE


def _from_epoch_safe(value):
    from selfverify.services.credentials import from_epoch

    try:
        return from_epoch(int(value)) if value is not None else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _read_text(source: str, what: str) -> str:
    if source == "-":
        if sys.stdin.isatty():
            raise InputError(_("Give the {what} on standard input or as a file.").format(what=what), code="no_input",
                             hint=_("For example: selfverify credential export | selfverify credential verify"))
        return sys.stdin.read(1_000_000)
    from selfverify.outfile import read_input_file

    return read_input_file(source, what)


@credential.command("revoke", help=N_("Remove your credential from the keyring and mark it revoked (seen only by this "
                                       "installation)."))
@yes_option
@json_option
@privacy_command
def credential_revoke(app, yes: bool, as_json: bool) -> int:
    from selfverify.errors import NotFound
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    if not any(row.status == "issued" for row in service.records()):
        raise NotFound(_("You have no credential to revoke."))
    app.secrets.require_secure("delete")  # before asking: without a keyring nothing can be revoked
    if not confirm_or_refuse(_("Revoke your credential? It stops verifying and a new one needs a new check."), yes,
                             _("Nothing was revoked.")):
        click.echo(_("Nothing was revoked."))
        return EXIT_NEGATIVE
    revoked = service.revoke()
    if as_json:
        emit_json({"revoked": revoked.id})
    else:
        click.echo(_("Revoked credential {id}: it is gone from your keyring and no longer verifies here.").format(id=revoked.id))
    return EXIT_OK


def _key_set_path(token_path: str) -> str:
    from pathlib import Path

    return str(Path(token_path).with_suffix(".jwks.json"))


@credential.command("export", help=N_("Print or write your token for a relying party (it names you: hand it only to "
                                       "whom you mean to)."))
@click.option("--output", "-o", default="-", metavar="FILE", help=N_("Write the token to FILE ('-', the default: standard output)."))
@click.option("--jwks", "with_jwks", is_flag=True, help=N_("Also write the issuer's JWK Set beside it (FILE with .jwks.json)."))
@click.option("--force", is_flag=True, help=N_("Replace existing files."))
@privacy_command
def credential_export(app, output: str, with_jwks: bool, force: bool) -> int:
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    token = service.export()
    if output == "-":
        if with_jwks:
            raise InputError(_("--jwks writes the key set beside the token file: give --output FILE."), code="bad_option")
        click.echo(token)
        return EXIT_OK
    jwks_path = _key_set_path(output) if with_jwks else None
    if jwks_path == output:
        raise InputError(_("Give the token file another name than *.jwks.json."), code="bad_option")
    from selfverify.outfile import check_output_target, write_output

    jwks_text = json.dumps(service.issuer_key_set(), indent=2) + "\n" if with_jwks else None
    for path in (output, jwks_path):  # both checked before either is written: nothing half-done
        if path:
            check_output_target(path, force=force)
    where = write_output(output, (token + "\n").encode(), force=force)
    click.echo(_("Wrote your credential to {path}.").format(path=where))
    if jwks_path:
        where = write_output(jwks_path, jwks_text.encode(), force=force)
        click.echo(_("Wrote the issuer's key set to {path}.").format(path=where))
    return EXIT_OK


@credential.command("present", help=N_("Print an SD-JWT presentation showing only the claims you name (e.g. --disclose "
                                        "method,exp hides your name)."))
@click.option("--disclose", required=True, metavar="CLAIMS",
              help=N_("Comma-separated claims to show: sub, method, assurance (iss, iat, nbf, exp, jti are always shown)."))
@privacy_command
def credential_present(app, disclose: str) -> int:
    from selfverify.services.credentials import CredentialService

    click.echo(CredentialService(app).present(disclose.split(",")))
    return EXIT_OK


@credential.command("public-key", help=N_("Print this installation's public key so a relying party can verify its "
                                           "credentials."))
@click.option("--format", "fmt", type=click.Choice(["jwks", "pem"]), default="jwks", show_default=True,
              help=N_("A JWK Set (for JOSE libraries) or a PEM public key."))
@privacy_command
def credential_public_key(app, fmt: str) -> int:
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    if fmt == "pem":
        click.echo(service.issuer_public_key().rstrip())
    else:
        click.echo(json.dumps(service.issuer_key_set(), indent=2))
    return EXIT_OK
