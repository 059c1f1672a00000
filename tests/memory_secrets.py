"""An in-memory ``SecretStore`` for pure unit tests of code that only needs the store's contract.

It lives in tests/ on purpose: nothing in src/ can import it, no setting or environment variable
can select it, so it can never stand in for the OS keyring of a real user. Tests about the keyring
itself (refused backends, a locked keyring, what a real Secret Service holds) use the real one.
"""

from __future__ import annotations

from selfverify.errors import KeyringUnavailable


class MemorySecretStore:
    def __init__(self, service: str = "selfverify-test", usable: bool = True):
        self.service = service
        self.usable = usable
        self.items: dict[str, str] = {}

    def require_secure(self, purpose: str = "write") -> None:
        if not self.usable:
            raise KeyringUnavailable("Cannot use the keyring: it is locked (a test store).")

    def set(self, key: str, value: str) -> None:
        self.require_secure("write")
        self.items[key] = value

    def get(self, key: str) -> str | None:
        self.require_secure("read")
        return self.items.get(key)

    def delete(self, key: str) -> bool:
        self.require_secure("delete")
        return self.items.pop(key, None) is not None
