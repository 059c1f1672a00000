"""Run a test on SQLite and on a real PostgreSQL server (the shared desk).

``database_url`` is None for SQLite (the default file under the test's SELFVERIFY_HOME) or a
``postgresql://`` URL whose search_path is a fresh schema for this test only, dropped afterwards.
The PostgreSQL server comes from SELFVERIFY_TEST_POSTGRES_URL (``bash .ci/start-postgres``): without
it the PostgreSQL cases skip locally and FAIL under CI=true, so CI proves the shared desk works.

Import the fixtures into a test module: ``from tests.postgres_db import database_url, make_ctx``.
"""

from __future__ import annotations

import os
import uuid

import pytest

POSTGRES_ENV = "SELFVERIFY_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        msg = f"no PostgreSQL server for the shared-desk tests: set {POSTGRES_ENV} (see .ci/start-postgres)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI must run the PostgreSQL tests: " + msg)
        pytest.skip(msg)
    return base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request):
    if request.param == "sqlite":
        yield None
        return
    import psycopg

    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def make_ctx(database_url, home):
    """``make_ctx(user, clock=None, **settings)`` -> an AppContext on this test's database.

    Every context has its own engine (like separate processes); all are disposed after the test."""
    from selfverify.config import load_settings
    from selfverify.context import AppContext

    made = []

    def factory(user: str, clock=None, **flags):  # noqa: ANN001
        flags.setdefault("keyring_service", f"selfverify-test-{uuid.uuid4().hex[:12]}")
        settings = load_settings({"user": user, "database_url": database_url, **flags})
        ctx = AppContext(settings=settings) if clock is None else AppContext(settings=settings, clock=clock)
        made.append(ctx)
        return ctx

    yield factory
    for ctx in made:
        if "db" in ctx.__dict__:
            ctx.db.dispose()
