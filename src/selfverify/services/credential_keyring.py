"""Where a person's credential tokens live: their entries in the keyring (``ctx.secrets``).

The JWS and its SD-JWT sit under this installation's names (``credential_key``,
``sd_credential_key``); a token under the old shared name (``credential:<subject>``) is adopted
only when this installation's database issued it, and a token of another id is never touched.
"""

from __future__ import annotations

from typing import Callable

from selfverify.services.credential_claims import LEGACY_CREDENTIAL_PREFIX, credential_key, decode_claims, sd_credential_key


class CredentialKeyring:
    def __init__(self, ctx, subject: str, known: Callable[[str], bool]):  # noqa: ANN001
        """``known(credential_id)``: whether this installation's database holds that credential."""
        self.secrets = ctx.secrets
        self.subject = subject
        self.token_entry = credential_key(ctx.settings, subject)
        self.sd_entry = sd_credential_key(ctx.settings, subject)
        self.legacy_entry = LEGACY_CREDENTIAL_PREFIX + subject
        self._known = known

    def write(self, token: str, sd_token: str | None) -> None:
        """The SD-JWT first, then the JWS: writing the JWS is the commit point of an issue."""
        if sd_token is not None:
            self.secrets.set(self.sd_entry, sd_token)
        else:
            self.delete_of(None, only_sd=True)  # an older SD-JWT must not outlive its JWS
        self.secrets.set(self.token_entry, token)

    def read_sd(self) -> str | None:
        return self.secrets.get(self.sd_entry)

    def read(self) -> str | None:
        """The subject's JWS; a token under the old shared name is adopted only if this database issued it."""
        token = self.secrets.get(self.token_entry)
        if token is not None:
            return token
        legacy = self.secrets.get(self.legacy_entry)
        legacy_id = (decode_claims(legacy) or {}).get("jti") if legacy else None
        if not isinstance(legacy_id, str) or not self._known(legacy_id):
            return None  # another home's token (or none): never ours to move or delete
        self.secrets.set(self.token_entry, legacy)
        self.secrets.delete(self.legacy_entry)
        return legacy

    def delete_of(self, ids: set[str] | None, only_sd: bool = False) -> int:
        """Remove the entries (JWS, SD-JWT, old shared name) holding a credential whose id is in ``ids``.

        ``ids`` None: the SD-JWT entry whatever it holds (it is replaced). Never touches a token of another id."""
        entries = [self.sd_entry] if only_sd else [self.token_entry, self.sd_entry, self.legacy_entry]
        removed = 0
        for entry in entries:
            token = self.secrets.get(entry)
            if token is None:
                continue
            if ids is None or (decode_claims(token) or {}).get("jti") in ids:
                removed += bool(self.secrets.delete(entry))
        return removed
