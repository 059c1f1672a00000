"""A shared desk on a real PostgreSQL server, with login roles for people, agents and the admin.

``pg_desk`` makes a fresh schema, creates the tables as the server's superuser (the owner) and
installs the desk roles (store/sql/desk_roles.sql). ``pg_desk.login(kind)`` creates a login role in
``selfverify_person`` / ``selfverify_agent`` / ``selfverify_admin`` and returns (role, URL): a
connection that is that role, so row-level security applies. Roles are dropped afterwards.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from tests.postgres_db import postgres_base_url


class PgDesk:
    def __init__(self, base: str, schema: str):
        self.base, self.schema = base, schema
        self.roles: list[str] = []

    def url_for(self, role: str | None = None, password: str | None = None) -> str:
        parts = urlsplit(self.base)
        netloc = parts.netloc
        if role is not None:
            netloc = f"{quote(role)}:{quote(password or '')}@{netloc.rsplit('@', 1)[-1]}"
        query = (parts.query + "&" if parts.query else "") + f"options=-csearch_path%3D{self.schema}"
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    @property
    def owner_url(self) -> str:
        return self.url_for()

    def login(self, kind: str, name: str | None = None) -> tuple[str, str]:
        import psycopg

        role = name or f"{kind[:1]}_{uuid.uuid4().hex[:10]}"
        password = uuid.uuid4().hex
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD \'{password}\' IN ROLE selfverify_{kind}')
        self.roles.append(role)
        return role, self.url_for(role, password)

    def sql(self, url: str, statement: str, params=None) -> list[tuple]:  # noqa: ANN001
        """Run raw SQL on a connection as the URL's role (not through the app); returns the rows."""
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []


@pytest.fixture
def pg_schema():
    """A fresh, empty schema on the test server (dropped afterwards): yields a PgDesk."""
    import psycopg

    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    desk = PgDesk(base, schema)
    yield desk
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        for role in desk.roles:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def enrol_services(admin_ctx, *agent_ctxs) -> list:  # noqa: ANN001
    """The documented flow in-process: the admin creates the desk, each agent makes its key in its
    own keyring and the admin enrols the public key. Returns each agent's InterviewService."""
    from selfverify.services.desk import DeskService
    from selfverify.services.desk_agent import agent_service

    admin = DeskService(admin_ctx)
    admin.init()
    for ctx in agent_ctxs:
        admin.enrol(DeskService(ctx).enrolment_request("agent"), "agent")
    return [agent_service(ctx) for ctx in agent_ctxs]


def enrol_by_cli(run, folder, admin_args, *agents_args) -> None:  # noqa: ANN001
    """The same through the CLI: ``desk init``, then ``desk agent-key --out`` / ``desk enrol-agent`` per agent."""
    def ok(proc):  # noqa: ANN001, ANN202
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (proc.args, proc.stdout, proc.stderr)
        return proc

    ok(run(*admin_args, "desk", "init"))
    for args in agents_args:
        request = folder / f"enrol-{uuid.uuid4().hex[:8]}.json"
        ok(run(*args, "desk", "agent-key", "--out", str(request)))
        ok(run(*admin_args, "desk", "enrol-agent", str(request)))
