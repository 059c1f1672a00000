"""Fixtures and checks shared by the privacy-core tests (consent, attempts, credentials, vault)."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfverify.context import AppContext


@pytest.fixture
def pctx(plain_settings, fake_clock):
    """A context that never needs the keyring."""
    return AppContext(settings=plain_settings, clock=fake_clock)


@pytest.fixture
def kctx(settings, fake_clock):
    """A context on the real Secret Service (a unique service name, purged afterwards)."""
    return AppContext(settings=settings, clock=fake_clock)


@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI (in-process or a subprocess) sees the same user and keyring service as the test."""
    import os

    monkeypatch.setenv("SELFVERIFY_USER", settings.user)
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", settings.keyring_service)
    return dict(os.environ)


def sv(*args: str):
    """``selfverify ARGS`` in-process, asserting no traceback reached the user."""
    from tests.helpers import assert_no_traceback
    from tests.inprocess_cli import run_main

    proc = run_main(*args)
    assert_no_traceback(proc)
    return proc


@pytest.fixture
def fail_keyring():
    """The keyring's fail backend, as on a machine without any Secret Service."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def accept_consent(ctx) -> None:
    from selfverify.services.consent import ConsentService

    ConsentService(ctx).accept()


def live_decision(distance: float = 0.3141, tolerance: float = 0.5):
    from selfverify.core.events import Decision

    return Decision(verified=True, reason=None, distance=distance, tolerance=tolerance, frames_used=5, liveness="passed", live_source=True)


def sign_sv1(private_key, claims: dict) -> str:
    """An old-format token as selfverify 0.1 wrote it (the signer is gone from the app; only tests make them)."""
    import base64
    import json

    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(private_key.sign(f"sv1.{payload}".encode())).rstrip(b"=").decode()
    return f"sv1.{payload}.{signature}"


def files_under(*roots: Path) -> list[Path]:
    out = []
    for root in roots:
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out.extend(p for p in root.rglob("*") if p.is_file())
    return out


def find_bytes(needle: bytes, *roots: Path) -> list[Path]:
    """Every file under ``roots`` that contains ``needle``."""
    return [p for p in files_under(*roots) if needle in p.read_bytes()]


def row_counts(ctx, *tables) -> dict[str, int]:
    from sqlmodel import func, select

    with ctx.db.session() as s:
        return {t.__tablename__: s.exec(select(func.count()).select_from(t)).one() for t in tables}
