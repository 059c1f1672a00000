"""The desk's PostgreSQL roles: which desk role a connection logs in as, the roles and row-level
security policies ``desk init`` installs (``store/sql/desk_roles.sql``), and what a person's role
may see of other people's bookings (which slots are taken, nothing more)."""

from __future__ import annotations

from importlib import resources

GROUP_ROLES = {"person": "selfverify_person", "agent": "selfverify_agent", "admin": "selfverify_admin"}


def desk_roles_sql() -> str:
    return resources.files("selfverify.store").joinpath("sql/desk_roles.sql").read_text(encoding="utf-8")


def connection_role(db) -> tuple[str, frozenset[str]] | None:  # noqa: ANN001
    """(current_user, its desk groups) when a PostgreSQL connection logs in as a desk role, else None.

    The tables' owner and superusers are not desk roles (they bypass row-level security)."""
    if db.is_sqlite:
        return None
    if "_desk_role" in db.__dict__:  # a connection's role does not change: ask once per Database
        return db.__dict__["_desk_role"]
    from sqlalchemy import text

    query = text(
        "SELECT current_user, g.rolname FROM pg_roles u JOIN pg_roles g ON g.rolname = ANY(:groups) "
        "WHERE u.rolname = current_user AND NOT u.rolsuper AND pg_has_role(current_user, g.oid, 'MEMBER')"
    )
    with db.session() as s:
        rows = s.execute(query, {"groups": list(GROUP_ROLES.values())}).all()
    role = (rows[0][0], frozenset(kind for kind, group in GROUP_ROLES.items() if group in {r[1] for r in rows})) if rows else None
    db.__dict__["_desk_role"] = role
    return role


def booked_slots(ctx, session, slot_ids) -> set[int]:  # noqa: ANN001
    """Which of ``slot_ids`` someone holds. A person's role on a PostgreSQL desk sees only its own
    bookings, so it asks the ``booked_slot`` view: slot ids only, nothing about who booked them."""
    from sqlalchemy import bindparam, text
    from sqlmodel import select

    from selfverify.store.models import Appointment

    ids = [int(i) for i in slot_ids]
    if not ids:
        return set()
    role = connection_role(ctx.db)
    if role is not None and "person" in role[1]:
        query = text("SELECT slot_id FROM booked_slot WHERE slot_id IN :ids").bindparams(bindparam("ids", expanding=True))
        return {row[0] for row in session.execute(query, {"ids": ids})}
    return set(session.exec(select(Appointment.active_slot_id).where(Appointment.active_slot_id.in_(ids))).all())


def credential_revoked_on_desk(db, credential_id: str) -> bool | None:  # noqa: ANN001
    """Whether a PostgreSQL desk holds a tombstone for ``credential_id``, asked through
    ``credential_revoked()`` (a desk role reads only its own tombstones, yet a revoked credential
    must not verify for anyone); None when the connection is not a desk role."""
    if connection_role(db) is None:
        return None
    from sqlalchemy import text

    with db.session() as s:
        return bool(s.execute(text("SELECT credential_revoked(:id)"), {"id": credential_id}).scalar())


def _person_on_desk(db) -> bool:  # noqa: ANN001
    role = connection_role(db)
    return role is not None and "person" in role[1]


def redact_own_records_on_desk(db) -> int | None:  # noqa: ANN001
    """A person's role on a PostgreSQL desk redacts its decision records and audit events through
    ``redact_own_records()`` (a redacted row is nobody's, so the role could not update a row into it);
    returns the events redacted, or None when the connection is not a person's desk role."""
    if not _person_on_desk(db):
        return None
    from sqlalchemy import text

    with db.session() as s:
        done = s.execute(text("SELECT redact_own_records()")).scalar()
        s.commit()
    return int(done or 0)


def record_erasure_on_desk(db, summary: dict) -> bool:  # noqa: ANN001
    """The erasure's own event (it names nobody) written by ``record_erasure()`` for a person's role
    on a PostgreSQL desk; False when the connection is not one (the caller writes it itself)."""
    if not _person_on_desk(db):
        return False
    import json

    from sqlalchemy import text

    with db.session() as s:
        s.execute(text("SELECT record_erasure(:data)"), {"data": json.dumps(summary, separators=(",", ":"), sort_keys=True)})
        s.commit()
    return True
