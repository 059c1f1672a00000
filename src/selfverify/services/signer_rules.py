"""Which kind of key may sign which credential (second review, finding 3).

A desk's key set tags every key with what the admin enrolled it as: ``"selfverify_kind"``
(``agent`` | ``kiosk``) and ``"selfverify_handle"``, and names the desk at the top
(``"selfverify_desk"``). A key set without tags (a person's ``credential export --jwks``, a PEM,
this installation's own key) holds device keys. Verification then asks of the key that verified
the signature (never of a ``kid`` string):

- ``method: interview`` only from an agent key whose handle is ``assurance.agent``, and never for
  ``sub`` equal to that agent (no self-approval); an agent key signs nothing else;
- kiosk and device keys never sign interview credentials; a kiosk's credential says it is not
  self-asserted and names the agent who admitted the person (``assurance.admitted_by``);
- ``iss``: an agent key's is ``selfverify:desk:<the desk id the key set names>``; a kiosk's or
  device's is ``selfverify:device:<its key's thumbprint>``.

A desk's key set also lists the interview credentials its decisions issued
(``"selfverify_credentials": {<jti>: {"decision", "kid", "digests"}}``): an interview credential
verifies against it only if its ``jti`` is listed and its issuer-signed JWS hashes to a listed
digest (``tokens.token_digest``), so a token an agent signed outside the decide path, or one
re-signed with another subject, agent or method under a real id, is refused (``no_decision``).
"""

from __future__ import annotations

from typing import Any

KIND_MEMBER, HANDLE_MEMBER, DESK_MEMBER = "selfverify_kind", "selfverify_handle", "selfverify_desk"
CREDENTIALS_MEMBER = "selfverify_credentials"
DEVICE, AGENT, KIOSK = "device", "agent", "kiosk"


class SignerRoles:
    """Raw public key -> (kind, handle), and the desk id a key set names (None: not a desk's set)."""

    def __init__(self, roles: dict[bytes, tuple[str, str]] | None = None, desk_id: str | None = None,
                 decided: dict[str, Any] | None = None):
        self.roles, self.desk_id = roles or {}, desk_id
        self.decided = decided or {}  # the desk's list of interview credentials (jti -> entry)

    @classmethod
    def of_key_set(cls, text_or_dict) -> SignerRoles:  # noqa: ANN001 - JSON text or a dict, already checked
        from selfverify.services.tokens import _jwk_to_key, raw_public, strict_json

        data = strict_json(text_or_dict) if isinstance(text_or_dict, (str, bytes)) else text_or_dict
        if not isinstance(data, dict):
            return cls()
        members = data.get("keys") if isinstance(data.get("keys"), list) else [data]
        roles: dict[bytes, tuple[str, str]] = {}
        for position, jwk in enumerate(members, 1):
            key = _jwk_to_key(jwk, position)
            kind, handle = jwk.get(KIND_MEMBER), jwk.get(HANDLE_MEMBER)
            if key is not None and kind in (AGENT, KIOSK) and isinstance(handle, str) and handle:
                roles[raw_public(key)] = (kind, handle)
        desk = data.get(DESK_MEMBER)
        listed = data.get(CREDENTIALS_MEMBER)
        return cls(roles, desk if isinstance(desk, str) and desk else None, listed if isinstance(listed, dict) else {})

    def kind_of(self, signer: bytes | None) -> str:
        return self.roles.get(signer, (DEVICE, ""))[0] if signer is not None else DEVICE

    def refusal(self, claims: dict[str, Any], signer: bytes | None) -> str | None:
        """None when the signing key's kind may sign ``claims``; else why not (a sentence)."""
        if signer is None:
            return "no key verified it"  # i18n: ignore (never shown)
        kind, handle = self.roles.get(signer, (DEVICE, ""))
        method, iss = claims.get("method"), claims.get("iss")
        assurance = claims.get("assurance") if isinstance(claims.get("assurance"), dict) else {}
        if kind == AGENT:
            if method is not None and method != "interview":
                return f"agent {handle}'s key signs interview credentials only"  # i18n: ignore (never shown)
            if "method" in claims and assurance.get("agent") != handle:
                return f"it names agent {assurance.get('agent')!r} but agent {handle}'s key signed it"  # i18n: ignore (never shown)
            if "sub" in claims and claims["sub"] == handle:
                return "an agent cannot approve their own interview"  # i18n: ignore (never shown)
            if self.desk_id is None or iss != f"selfverify:desk:{self.desk_id}":
                return "its issuer is not the desk whose key set lists the agent"  # i18n: ignore (never shown)
            return None
        if method == "interview":
            return f"a {kind} key never signs interview credentials"  # i18n: ignore (never shown)
        if kind == KIOSK and "assurance" in claims and not (
                assurance.get("self_asserted") is False and isinstance(assurance.get("admitted_by"), str)
                and assurance["admitted_by"]):
            return f"kiosk {handle}'s credentials name the staff member who admitted the person"  # i18n: ignore (never shown)
        if iss != f"selfverify:device:{_thumbprint(signer)}":
            return f"its issuer does not name the {kind} key that signed it"  # i18n: ignore (never shown)
        return None


def decision_refusal(entry: Any, token: str) -> str | None:
    """None when ``token`` is exactly the interview credential a desk's decision issued (``entry``: its
    listed or recorded entry, None when no decision issued that id); else which reason to give."""
    from selfverify.services.tokens import token_digest

    if not isinstance(entry, dict):
        return "no_decision"
    digests = entry.get("digests")
    if not isinstance(digests, list) or token_digest(token) not in digests:
        return "not_as_decided"
    return None


def _thumbprint(raw: bytes) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from selfverify.services.tokens import thumbprint

    return thumbprint(Ed25519PublicKey.from_public_bytes(raw))
