"""One privacy operation in a child process, for the kill -9 tests (SELFVERIFY_FAULT picks the step).

Usage: python crash_child.py issue | retain PHOTO_FILE   (home, user and keyring service come from
SELFVERIFY_HOME, SELFVERIFY_USER and SELFVERIFY_KEYRING_SERVICE)."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.core.events import Decision

    ctx = AppContext(settings=load_settings())
    if argv[0] == "issue":
        from selfverify.services.credentials import CredentialService

        decision = Decision(verified=True, distance=0.31, tolerance=0.5, frames_used=5, liveness="passed", live_source=True)
        CredentialService(ctx).issue("selfie", decision)
    elif argv[0] == "retain":
        from selfverify.services.vault import PhotoVault

        PhotoVault(ctx).retain("selfie", Path(argv[1]).read_bytes())
    else:
        raise SystemExit(f"unknown operation {argv[0]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
