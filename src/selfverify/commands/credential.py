"""``credential``: show, verify, revoke, export and present the signed credential (a thin front end
over ``services/credentials.py``, with the helpers of ``commands/privacy.py``)."""

from __future__ import annotations

import json
import sys

import click

from selfverify.commands.privacy import _date, confirm_or_refuse, emit_json, json_option, privacy_command, yes_option
from selfverify.errors import EXIT_NEGATIVE, EXIT_OK, InputError
from selfverify.textcheck import printable


@click.group()
def credential() -> None:
    """Show, verify, revoke or export your signed credential (kept in the OS keyring)."""


def _check_dict(check) -> dict:
    return {"valid": check.valid, "reason": check.reason, "message": check.message, "claims": check.claims,
            "format": check.format, "hidden_claims": check.hidden}


def _echo_claims(claims: dict, hidden: int = 0) -> None:
    # every value comes from a token: control and bidi characters are shown escaped, never sent to the terminal
    click.echo(f"Credential:  {printable(claims.get('jti'))}")
    click.echo(f"Issuer:      {printable(claims.get('iss', '-'))}")
    click.echo(f"Subject:     {printable(claims.get('sub', '(not disclosed)'))}")
    click.echo(f"Method:      {printable(claims.get('method', '(not disclosed)'))}")
    click.echo(f"Issued:      {_date(_from_epoch_safe(claims.get('iat')))}")
    click.echo(f"Expires:     {_date(_from_epoch_safe(claims.get('exp')))}")
    assurance = claims.get("assurance")
    for key, value in sorted(assurance.items() if isinstance(assurance, dict) else ()):
        click.echo(f"  {printable(key)}: {printable(value)}")
    if hidden:
        click.echo(f"Hidden:      {hidden} claim(s) not disclosed")


@credential.command("show")
@json_option
@privacy_command
def credential_show(app, as_json: bool) -> int:
    """Decode your credential and check its signature and expiry (exit 0 valid, 1 not)."""
    from selfverify.errors import NotFound
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    service.reconcile(full=True)
    current = service.current()
    if current is None:
        raise NotFound("You have no credential.", hint="Pass a selfie check or an interview to get one.")
    check = service.verify_token(current.token)
    signer = service.signer_of(service.rows.get(current.id))
    if as_json:
        emit_json({**current.as_dict(), "check": _check_dict(check), "signer": signer})
    else:
        _echo_claims(check.claims or {"jti": current.id, "iss": current.issuer, "sub": current.subject,
                                      "method": current.method, "iat": int(current.issued_at.timestamp()),
                                      "exp": int(current.expires_at.timestamp())})
        if signer is not None:
            click.echo(f"Signed by:   {signer['kind']} key {signer['kid']} ({signer['state']})")
        click.echo(f"Status:      {check.message}")
    return EXIT_OK if check.valid else EXIT_NEGATIVE


@credential.command("verify")
@click.argument("source", default="-", metavar="[FILE]")
@click.option("--jwks", "jwks_file", type=click.Path(dir_okay=False),
              help="The issuer's JWK Set (from 'credential public-key' or a desk's 'desk jwks').")
@click.option("--public-key", "public_key_file", type=click.Path(dir_okay=False),
              help="The issuer's public key (PEM), instead of a JWK Set.")
@json_option
@privacy_command
def credential_verify(app, source: str, jwks_file: str | None, public_key_file: str | None, as_json: bool) -> int:
    """Check a token or an SD-JWT presentation from FILE or standard input: exit 0 valid, 1 invalid.

    Without --jwks or --public-key it is checked against this installation's own key."""
    from selfverify.services.credentials import CredentialService, load_public_key

    if jwks_file and public_key_file:
        raise InputError("Give --jwks or --public-key, not both.", code="bad_option")
    token = _read_text(source, "token").strip()
    if not token:
        raise InputError("The token is empty.", code="empty_token")
    public_key = load_public_key(_read_text(public_key_file, "public key")) if public_key_file else None
    key_set = _read_text(jwks_file, "key set") if jwks_file else None
    check = CredentialService(app).verify_token(token, public_key=public_key, key_set=key_set)
    if as_json:
        emit_json(_check_dict(check))
    elif check.valid:
        claims = check.claims or {}
        old = " (old sv1 format: ask for a new credential)" if check.format == "sv1" else ""
        who = f"for {printable(claims['sub'])}" if "sub" in claims else "subject not disclosed"
        click.echo(f"valid{old}: credential {printable(claims.get('jti'))} {who} "
                   f"({printable(claims.get('method', 'method not disclosed'))}), "
                   f"issued by {printable(claims.get('iss', '-'))}, expires {_date(_from_epoch_safe(claims.get('exp')))}")
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
            raise InputError(f"Give the {what} on standard input or as a file.", code="no_input",
                             hint="For example: selfverify credential export | selfverify credential verify")
        return sys.stdin.read(1_000_000)
    from selfverify.outfile import read_input_file

    return read_input_file(source, what)


@credential.command("revoke")
@yes_option
@json_option
@privacy_command
def credential_revoke(app, yes: bool, as_json: bool) -> int:
    """Remove your credential from the keyring and mark it revoked (seen only by this installation)."""
    from selfverify.errors import NotFound
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    if not any(row.status == "issued" for row in service.records()):
        raise NotFound("You have no credential to revoke.")
    app.secrets.require_secure("delete")  # before asking: without a keyring nothing can be revoked
    if not confirm_or_refuse("Revoke your credential? It stops verifying and a new one needs a new check.", yes,
                             "Nothing was revoked."):
        click.echo("Nothing was revoked.")
        return EXIT_NEGATIVE
    revoked = service.revoke()
    if as_json:
        emit_json({"revoked": revoked.id})
    else:
        click.echo(f"Revoked credential {revoked.id}: it is gone from your keyring and no longer verifies here.")
    return EXIT_OK


def _key_set_path(token_path: str) -> str:
    from pathlib import Path

    return str(Path(token_path).with_suffix(".jwks.json"))


@credential.command("export")
@click.option("--output", "-o", default="-", metavar="FILE", help="Write the token to FILE ('-', the default: standard output).")
@click.option("--jwks", "with_jwks", is_flag=True, help="Also write the issuer's JWK Set beside it (FILE with .jwks.json).")
@click.option("--force", is_flag=True, help="Replace existing files.")
@privacy_command
def credential_export(app, output: str, with_jwks: bool, force: bool) -> int:
    """Print or write your token for a relying party (it names you: hand it only to whom you mean to)."""
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    token = service.export()
    if output == "-":
        if with_jwks:
            raise InputError("--jwks writes the key set beside the token file: give --output FILE.", code="bad_option")
        click.echo(token)
        return EXIT_OK
    jwks_path = _key_set_path(output) if with_jwks else None
    if jwks_path == output:
        raise InputError("Give the token file another name than *.jwks.json.", code="bad_option")
    from selfverify.outfile import check_output_target, write_output

    jwks_text = json.dumps(service.issuer_key_set(), indent=2) + "\n" if with_jwks else None
    for path in (output, jwks_path):  # both checked before either is written: nothing half-done
        if path:
            check_output_target(path, force=force)
    where = write_output(output, (token + "\n").encode(), force=force)
    click.echo(f"Wrote your credential to {where}.")
    if jwks_path:
        where = write_output(jwks_path, jwks_text.encode(), force=force)
        click.echo(f"Wrote the issuer's key set to {where}.")
    return EXIT_OK


@credential.command("present")
@click.option("--disclose", required=True, metavar="CLAIMS",
              help="Comma-separated claims to show: sub, method, assurance (iss, iat, nbf, exp, jti are always shown).")
@privacy_command
def credential_present(app, disclose: str) -> int:
    """Print an SD-JWT presentation showing only the claims you name (e.g. --disclose method,exp hides your name)."""
    from selfverify.services.credentials import CredentialService

    click.echo(CredentialService(app).present(disclose.split(",")))
    return EXIT_OK


@credential.command("public-key")
@click.option("--format", "fmt", type=click.Choice(["jwks", "pem"]), default="jwks", show_default=True,
              help="A JWK Set (for JOSE libraries) or a PEM public key.")
@privacy_command
def credential_public_key(app, fmt: str) -> int:
    """Print this installation's public key so a relying party can verify its credentials."""
    from selfverify.services.credentials import CredentialService

    service = CredentialService(app)
    if fmt == "pem":
        click.echo(service.issuer_public_key().rstrip())
    else:
        click.echo(json.dumps(service.issuer_key_set(), indent=2))
    return EXIT_OK
