"""The credential as a relying party meets it: a JOSE token checked by JOSE libraries that know nothing
of selfverify, forgeries refused by ``credential verify`` with their reason and exit 1, SD-JWT
presentations, and revocation that survives ``data delete-all``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from selfverify.core.liveness import CHALLENGE_VERSION
from selfverify.services.credentials import CredentialService, decode_claims
from selfverify.services.tokens import TOKEN_TYP, key_set, public_jwk, sign_token, thumbprint
from selfverify.store.signing_keys import DEVICE_KEY, load_signing_key
from tests.privacy_support import cli_env, live_decision, sv  # noqa: F401 - fixture

pytestmark = pytest.mark.keyring


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def exported(ctx, cli_env, tmp_path):
    """An issued credential written by ``credential export --jwks`` (token file and key set beside it)."""
    issued = CredentialService(ctx).issue("selfie", live_decision())
    token_file = tmp_path / "credential.jwt"
    done = sv("credential", "export", "--output", str(token_file), "--jwks")
    assert done.returncode == 0, done.stderr
    jwks_file = tmp_path / "credential.jwks.json"
    assert token_file.read_text().strip() == issued.token
    return issued, token_file, jwks_file


def readme_examples() -> dict[str, str]:
    """The Python examples of the README's "For relying parties" section, by library."""
    from tests.conftest import ROOT

    section = (ROOT / "README.md").read_text().split("## For relying parties", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]
    named = {}
    for block in blocks:
        name = "pyjwt" if "import json, jwt" in block else "kinds" if "selfverify_kind" in block else "joserfc"
        named[name] = block
    return named


# what a relying party writes: only the JOSE library, nothing of selfverify
_EXAMPLES = readme_examples()
VERIFIERS = {
    "pyjwt": _EXAMPLES["pyjwt"],
    "joserfc": _EXAMPLES["joserfc"] + _EXAMPLES["kinds"],  # the kind-of-key check after joserfc's signature check
    "jwcrypto": """
import json
from jwcrypto import jwk, jwt
keys = jwk.JWKSet.from_json(open("credential.jwks.json").read())
claims = json.loads(jwt.JWT(jwt=open("credential.jwt").read().strip(), key=keys, algs=["Ed25519"]).claims)
""",
}


def run_verifier(library: str, folder) -> subprocess.CompletedProcess:
    script = (VERIFIERS[library] + "\nimport json, sys\nclaims = claims if 'claims' in dir() else token.claims\n"
              "assert not [m for m in sys.modules if m.startswith('selfverify')]\nprint(json.dumps(claims))\n")
    return subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60, cwd=folder)


def test_the_readme_has_six_line_examples_for_joserfc_and_pyjwt():
    examples = readme_examples()
    assert sorted(examples) == ["joserfc", "kinds", "pyjwt"]
    assert all(len(examples[name].strip().splitlines()) == 6 for name in ("joserfc", "pyjwt"))


@pytest.mark.parametrize("library", sorted(VERIFIERS))
def test_a_jose_library_alone_verifies_the_exported_token(ctx, exported, library, tmp_path):
    issued, token_file, jwks_file = exported
    ok = run_verifier(library, tmp_path)
    assert ok.returncode == 0, ok.stderr
    claims = json.loads(ok.stdout)
    assert (claims["sub"], claims["jti"], claims["method"]) == ("alice", issued.id, "selfie")
    assert claims["assurance"] == {"liveness": True, "liveness_version": CHALLENGE_VERSION, "self_asserted": True}

    header, payload, signature = issued.token.split(".")
    token_file.write_text(f"{header}.{b64(json.dumps({**claims, 'sub': 'mallory'}).encode())}.{signature}")
    refused = run_verifier(library, tmp_path)
    assert refused.returncode != 0 and "mallory" not in refused.stdout
    key = load_signing_key(ctx.settings, DEVICE_KEY, create=False)
    for late in ({"exp": int(time.time()) - 3600}, {"nbf": int(time.time()) + 3600}):  # beyond any leeway
        token_file.write_text(sign_token({**claims, **late}, key))
        assert run_verifier(library, tmp_path).returncode != 0, late


def test_the_key_set_and_pem_printed_by_public_key(exported, cli_env):
    issued, _, jwks_file = exported
    printed = json.loads(sv("credential", "public-key").stdout)
    assert printed == json.loads(jwks_file.read_text())
    [jwk] = printed["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"} and jwk["alg"] == "Ed25519"
    assert json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))["kid"] == jwk["kid"]
    pem = sv("credential", "public-key", "--format", "pem").stdout
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")


def _forgeries(ctx, issued) -> dict[str, str]:
    key = load_signing_key(ctx.settings, DEVICE_KEY, create=False)
    claims = decode_claims(issued.token)
    now = int(time.time())
    head = {"alg": "Ed25519", "typ": TOKEN_TYP, "kid": thumbprint(key)}

    def raw(header: dict, payload: dict, signer=None, secret: bytes | None = None) -> str:
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
        if secret is not None:
            sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        else:
            sig = signer.sign(signing_input.encode()) if signer else b""
        return f"{signing_input}.{b64(sig)}"

    def signed(header_segment: str, payload_text: str, signer) -> str:
        signing_input = f"{header_segment}.{b64(payload_text.encode())}"
        return f"{signing_input}.{b64(signer.sign(signing_input.encode()))}"

    header, payload, signature = issued.token.split(".")
    at = len(signature) // 2
    return {
        "header byte": f"{header[:5]}{chr(ord(header[5]) ^ 1)}{header[6:]}.{payload}.{signature}",
        "payload byte": f"{header}.{payload[:20]}{chr(ord(payload[20]) ^ 1)}{payload[21:]}.{signature}",
        "signature byte": f"{header}.{payload}.{signature[:at]}{chr(ord(signature[at]) ^ 1)}{signature[at + 1:]}",
        "alg none": raw({**head, "alg": "none"}, claims),
        "hs256 with the public key": raw({**head, "alg": "HS256"}, claims,
                                         secret=json.dumps(public_jwk(key.public_key())).encode()),
        "another key": sign_token(claims, Ed25519PrivateKey.generate()),
        "another key, our kid": raw(head, claims, Ed25519PrivateKey.generate()),
        "wrong typ": raw({**head, "typ": "JWT"}, claims, key),
        "expired": sign_token({**claims, "exp": now - 1, "jti": "1" * 32}, key),
        "not yet valid": sign_token({**claims, "nbf": now + 3600, "jti": "2" * 32}, key),
        "sub twice": signed(header, json.dumps(claims)[:-1] + ', "sub": "mallory"}', key),
        "exp 10^20": sign_token({**claims, "exp": 10**20}, key),  # used to overflow into exit 70
    }


EXPECTED = {
    "header byte": ("malformed", "bad_signature", "wrong_type", "unknown_key", "alg_refused"),
    "payload byte": ("malformed", "bad_signature"),
    "signature byte": ("bad_signature", "malformed"),  # a flip may leave the base64url alphabet
    "alg none": ("alg_refused",),
    "hs256 with the public key": ("alg_refused",),
    "another key": ("unknown_key",),
    "another key, our kid": ("bad_signature",),
    "wrong typ": ("wrong_type",),
    "expired": ("expired",),
    "not yet valid": ("not_yet_valid",),
    "sub twice": ("duplicate_member",),
    "exp 10^20": ("malformed",),
}


def test_credential_verify_refuses_each_forgery_with_its_reason_and_exit_1(ctx, exported, tmp_path):
    issued, _, jwks_file = exported
    for name, token in _forgeries(ctx, issued).items():
        path = tmp_path / "forged.jwt"
        path.write_text(token)
        for extra in ((), ("--jwks", str(jwks_file))):
            result = sv("credential", "verify", str(path), "--json", *extra)
            check = json.loads(result.stdout)
            assert result.returncode == 1 and check["valid"] is False, (name, extra, check)
            assert check["reason"] in EXPECTED[name], (name, check)
            plain = sv("credential", "verify", str(path), *extra)
            assert plain.returncode == 1 and plain.stdout.startswith("invalid: "), (name, plain.stdout)
    assert sv("credential", "revoke", "--yes").returncode == 0
    revoked = sv("credential", "verify", str(tmp_path / "credential.jwt"))
    assert (revoked.returncode, revoked.stdout.strip()) == (1, "invalid: revoked")


def test_revoked_then_deleted_everything_still_does_not_verify(exported, cli_env):
    """Issue 20: revoke, then data delete-all, and the same token verified as valid (exit 0)."""
    _, token_file, jwks_file = exported
    assert sv("credential", "verify", str(token_file)).returncode == 0
    assert sv("credential", "revoke", "--yes").returncode == 0
    assert sv("data", "delete-all", "--yes").returncode == 0
    for extra in ((), ("--jwks", str(jwks_file))):
        after = sv("credential", "verify", str(token_file), *extra)
        assert (after.returncode, after.stdout.strip()) == (1, "invalid: revoked")


def test_two_homes_on_one_keyring_keep_their_own_tokens(ctx, cli_env, settings, tmp_path):
    """Issue 20: issue in home A, then in B: `credential show` in A deleted B's token as an orphan."""
    home_b = ["--home", str(tmp_path / "home-b")]
    CredentialService(ctx).issue("selfie", live_decision())
    from selfverify.context import AppContext

    CredentialService(AppContext(settings=settings.replace(home=str(tmp_path / "home-b")))).issue("selfie", live_decision())
    assert sv("credential", "show").returncode == 0
    shown_b = sv(*home_b, "credential", "show")
    assert shown_b.returncode == 0 and "Status:      valid" in shown_b.stdout, shown_b.stdout + shown_b.stderr
    assert sv("credential", "show").returncode == 0


def test_a_presentation_hides_the_name_and_verifies_elsewhere(exported, cli_env, tmp_path, settings):
    issued, _, jwks_file = exported
    presented = sv("credential", "present", "--disclose", "method,exp")
    assert presented.returncode == 0, presented.stderr
    presentation = presented.stdout.strip()
    assert "alice" not in json.dumps([base64.urlsafe_b64decode(p + "==").decode("latin-1")
                                      for p in presentation.replace("~", ".").split(".") if p])
    path = tmp_path / "presentation.txt"
    path.write_text(presentation)
    elsewhere = ["--home", str(tmp_path / "relying-party"), "--keyring-service", settings.keyring_service + "-rp"]
    ok = sv(*elsewhere, "credential", "verify", str(path), "--jwks", str(jwks_file))
    assert ok.returncode == 0 and "subject not disclosed (selfie)" in ok.stdout and "alice" not in ok.stdout, ok.stdout
    checked = json.loads(sv(*elsewhere, "credential", "verify", str(path), "--jwks", str(jwks_file), "--json").stdout)
    assert checked["format"] == "sd-jwt" and checked["hidden_claims"] == 2 and "sub" not in checked["claims"]

    jwt_part, method, _ = presentation.split("~")
    salt = json.loads(base64.urlsafe_b64decode(method + "=="))[0]
    for bad in (b64(json.dumps([salt, "method", "interview"]).encode()),
                f"{method}~{b64(json.dumps(['c2FsdA', 'sub', 'mallory']).encode())}"):
        path.write_text(f"{jwt_part}~{bad}~")
        refused = sv(*elsewhere, "credential", "verify", str(path), "--jwks", str(jwks_file))
        assert (refused.returncode, refused.stdout.strip()) == (1, "invalid: a disclosure was altered, repeated or added")
    unknown = sv("credential", "present", "--disclose", "method,face")
    assert unknown.returncode == 2 and "Cannot disclose face" in unknown.stderr


def test_verify_with_any_issuers_key_set(ctx, cli_env, tmp_path):
    desk = Ed25519PrivateKey.generate()
    now = int(time.time())
    token = sign_token({"iss": "selfverify:desk:d1", "sub": "bob", "iat": now, "nbf": now, "exp": now + 60,
                        "jti": "9" * 32, "method": "interview", "assurance": {"agent": "sam"}}, desk)
    (tmp_path / "t.jwt").write_text(token)
    tagged = {**key_set([desk.public_key()])["keys"][0], "selfverify_kind": "agent", "selfverify_handle": "sam"}
    from selfverify.services.tokens import token_digest

    listed = {"9" * 32: {"decision": "d" * 32, "kid": tagged["kid"], "digests": [token_digest(token)]}}
    (tmp_path / "desk.json").write_text(json.dumps({"selfverify_desk": "d1", "keys": [tagged], "selfverify_credentials": listed}))
    (tmp_path / "unlisted.json").write_text(json.dumps({"selfverify_desk": "d1", "keys": [tagged]}))
    unlisted = sv("credential", "verify", str(tmp_path / "t.jwt"), "--jwks", str(tmp_path / "unlisted.json"))
    assert unlisted.returncode == 1 and "no decision of the desk issued" in unlisted.stdout
    (tmp_path / "junk.json").write_text('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}]}')
    ok = sv("credential", "verify", str(tmp_path / "t.jwt"), "--jwks", str(tmp_path / "desk.json"))
    assert ok.returncode == 0 and "for bob (interview), issued by selfverify:desk:d1" in ok.stdout
    junk = sv("credential", "verify", str(tmp_path / "t.jwt"), "--jwks", str(tmp_path / "junk.json"))
    assert junk.returncode == 2 and "PRIVATE key" in junk.stderr
    both = sv("credential", "verify", str(tmp_path / "t.jwt"), "--jwks", str(tmp_path / "desk.json"),
              "--public-key", str(tmp_path / "desk.json"))
    assert both.returncode == 2


def test_export_writes_files_carefully(exported, cli_env, tmp_path):
    _, token_file, _ = exported
    again = sv("credential", "export", "--output", str(token_file))
    assert again.returncode == 2 and "--force" in again.stderr
    assert sv("credential", "export", "--output", str(token_file), "--force").returncode == 0
    assert sv("credential", "export", "--jwks").returncode == 2


def test_an_old_sv1_token_still_verifies_at_the_command_line_and_says_so(ctx, cli_env, tmp_path):
    from selfverify.store.signing_keys import LEGACY_ISSUER_KEY, encode_private_key
    from tests.privacy_support import sign_sv1

    old_key = Ed25519PrivateKey.generate()
    ctx.secrets.set(LEGACY_ISSUER_KEY, encode_private_key(old_key))
    now = int(time.time())
    claims = {"jti": "c" * 32, "sub": "alice", "mth": "selfie", "iat": now, "exp": now + 3600, "iss": "x",
              "asr": {"liveness": "passed"}}
    service = CredentialService(ctx)
    service._insert_pending("c" * 32, "selfie", now, now + 3600, None)
    service._finish("c" * 32)
    path = tmp_path / "old.txt"
    path.write_text(sign_sv1(old_key, claims))
    ok = sv("credential", "verify", str(path))
    assert ok.returncode == 0 and ok.stdout.startswith("valid (old sv1 format: ask for a new credential): credential cccc")
    path.write_text(sign_sv1(old_key, {**claims, "exp": now - 1}))
    late = sv("credential", "verify", str(path))
    assert (late.returncode, late.stdout.strip()) == (1, "invalid: expired (old sv1 format)")
    path.write_text(sign_sv1(Ed25519PrivateKey.generate(), claims))
    assert sv("credential", "verify", str(path)).stdout.strip() == "invalid: bad signature: the token was altered or signed by another key (old sv1 format)"
