"""The shared PostgreSQL desk: the database itself keeps people apart (row-level security and
grants), tried with raw SQL on connections that ARE the person's or agent's role, not through the app."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.services.interview import InterviewService
from tests.clock_shift import time_travel  # noqa: F401 - fixture
from tests.desk_support import pg_schema  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


def _ctx(url: str, user: str = "someone-else") -> AppContext:
    return AppContext(settings=load_settings({"user": user, "database_url": url}))


@pytest.fixture
def desk(pg_schema):  # noqa: F811 - the imported fixture
    """Tables made by the owner, the roles installed, one slot per person, two people booked."""
    from selfverify.services.desk import DeskService

    owner = _ctx(pg_schema.owner_url, "owner")
    DeskService(owner)._install_roles()
    staff = InterviewService(owner, agent="staff")
    now = owner.clock.now()
    slots = [staff.add_slot(now + timedelta(days=1, minutes=30 * i)) for i in range(3)]
    people = {}
    for index, name in enumerate(("p1", "p2")):
        role, url = pg_schema.login("person")
        booking = InterviewService(_ctx(url, user="admin")).book(slots[index].id, f"{name}@example.org")
        people[name] = (role, url, booking)
    pg_schema.people, pg_schema.slots, pg_schema.owner = people, slots, owner
    return pg_schema


def test_the_person_is_the_connections_role_not_the_user_flag(desk):
    role, _, booking = desk.people["p1"]
    assert booking.subject == role  # --user admin was given; the database role decided


def test_a_person_sees_only_their_own_contact_line_and_sessions(desk):
    (role1, url1, _), (role2, _, _) = desk.people["p1"], desk.people["p2"]
    assert desk.sql(url1, "SELECT subject, contact FROM appointment") == [(role1, "p1@example.org")]
    assert desk.sql(url1, "SELECT contact FROM appointment WHERE subject = %s", (role2,)) == []
    assert {r[0] for r in desk.sql(url1, "SELECT subject FROM verification_session")} == {role1}
    assert {r[0] for r in desk.sql(url1, "SELECT subject FROM audit_event")} == {role1}
    # which slots are taken is known to everyone, who took them is not
    person = InterviewService(_ctx(url1))
    assert [s.id for s in person.available_slots()] == [desk.slots[2].id]
    assert [s.booked for s in person.list_slots()] == [True, True, False]
    # the owner sees both: the rows are there, the person's role just cannot reach them
    assert len(desk.sql(desk.owner_url, "SELECT contact FROM appointment")) == 2
    # the records of e-mail notices: a person sees and queues only those of their own bookings
    (_, _, booking1), (_, url2, booking2) = desk.people["p1"], desk.people["p2"]
    assert desk.sql(url1, "SELECT appointment_id, kind FROM interview_notice") == [(booking1.id, "confirmation")]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.sql(url1, "INSERT INTO interview_notice (appointment_id, slot_id, kind, status, attempts, created_at) "
                       "VALUES (%s, %s, 'reminder', 'pending', 0, now())", (booking2.id, booking2.slot.id))
    assert len(desk.sql(desk.owner_url, "SELECT id FROM interview_notice")) == 2


def test_a_person_cannot_write_or_change_a_decision(desk):
    role1, url1, booking = desk.people["p1"]
    _, _, other = desk.people["p2"]
    attacks = [
        "UPDATE appointment SET status = 'approved', decided_by = 'x', decided_at = now() WHERE subject = current_user",
        "UPDATE appointment SET checklist = '[\"passport\"]'",
        "INSERT INTO decision_record (appointment_id, subject, outcome, agent, kid, documents_seen, decided_at, token) "
        "VALUES (%s, current_user, 'approved', 'x', 'k', '[]', now(), 't')" % booking.id,
        "UPDATE decision_record SET outcome = 'approved'",
        "DELETE FROM decision_record",
        "INSERT INTO desk_key (kid, kind, handle, jwk, enrolment, enrolled_by, enrolled_at) "
        "VALUES ('k', 'agent', current_user, '{}', 'e', current_user, now())",
    ]
    for statement in attacks:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(url1, statement)
    # within what a person may change (cancel, move, link a credential) another's booking is invisible
    assert desk.sql(url1, "UPDATE appointment SET status = 'cancelled', active_slot_id = NULL, active_subject = NULL "
                          "WHERE id = %s RETURNING id", (other.id,)) == []
    # and a person cannot mark their own booking decided through the columns they may write
    with pytest.raises(psycopg.errors.CheckViolation):
        desk.sql(url1, "UPDATE appointment SET status = 'approved', active_slot_id = NULL, active_subject = NULL "
                       "WHERE subject = current_user")
    assert desk.sql(desk.owner_url, "SELECT status FROM appointment WHERE id = %s", (other.id,)) == [("booked",)]
    # nor book a slot with documents already "seen", a reason or a credential (attack review 4)
    decided = {"checklist": '["passport"]', "decision_reason": "seen", "credential_id": "c"}
    for column, value in decided.items():
        row = {"slot_id": desk.slots[2].id, "active_slot_id": desk.slots[2].id, "contact": "x", "code": "YYYYYYYY",
               "status": "booked", "checklist": "[]", column: value}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(url1, f"INSERT INTO appointment (subject, booked_at, {', '.join(row)}) "
                           f"VALUES (current_user, now(), {', '.join(['%s'] * len(row))})", tuple(row.values()))
    # nor tie a credential row to somebody else's appointment, which would block their pickup (review 6)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.sql(url1, "INSERT INTO credential_record (id, subject, method, issued_at, expires_at, appointment_id) "
                       "VALUES ('blocker', current_user, 'interview', now(), now() + interval '1 day', %s)", (other.id,))
    # nor book as somebody else
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.sql(url1, "INSERT INTO appointment (slot_id, active_slot_id, subject, active_subject, contact, code, status, "
                       "booked_at, checklist) VALUES (%s, %s, 'victim', 'victim', 'x', 'ZZZZZZZZ', 'booked', now(), '[]')",
                 (desk.slots[2].id, desk.slots[2].id))


def test_only_agents_write_decisions_and_only_under_their_own_role(desk):
    agent_role, agent_url = desk.login("agent")
    person_role, _, booking = desk.people["p1"]
    insert = ("INSERT INTO decision_record (appointment_id, subject, outcome, agent, kid, documents_seen, decided_at, token) "
              "VALUES (%s, %s, 'approved', %s, 'k', '[]', now(), 't')")
    desk.sql(agent_url, "UPDATE appointment SET status = 'approved', active_subject = NULL, active_slot_id = NULL, "
                        "decided_by = current_user, decided_at = now() WHERE id = %s", (booking.id,))
    # row-level security (agent = current_user), and before it the insert trigger (the booking's decider)
    with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.ForeignKeyViolation)):
        desk.sql(agent_url, insert, (booking.id, person_role, "another-agent"))
    desk.sql(agent_url, insert, (booking.id, person_role, agent_role))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not even the agent who wrote it changes it
        desk.sql(agent_url, "UPDATE decision_record SET outcome = 'declined'")
    with pytest.raises(psycopg.errors.RaiseException):  # append-only, even for the tables' owner
        desk.sql(desk.owner_url, "DELETE FROM decision_record")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # enrolling keys is the admin's
        desk.sql(agent_url, "INSERT INTO desk_key (kid, kind, handle, jwk, enrolment, enrolled_by, enrolled_at) "
                            "VALUES ('k', 'agent', current_user, '{}', 'e', current_user, now())")
    # an agent reads every booking (that is the job), a person's consent and credentials stay theirs
    assert len(desk.sql(agent_url, "SELECT contact FROM appointment")) == 2
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.sql(agent_url, "SELECT * FROM credential_record")


def test_people_and_agents_use_the_app_as_their_own_roles(pg_schema, keyring_service, tmp_path, time_travel):  # noqa: F811
    """desk init by the owner; an admin role enrols an agent role's key; a person role books in one
    home, the agent decides from another, the person's app picks the credential up in its own home."""
    from tests.inprocess_cli import run_main

    def run(url: str, home: str, *args: str):  # noqa: ANN202
        proc = run_main("--database-url", url, "--home", str(tmp_path / home), "--keyring-service", keyring_service, *args)
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        return proc

    def ok(url: str, home: str, *args: str):  # noqa: ANN202
        proc = run(url, home, *args)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    assert "Roles selfverify_person, selfverify_agent and selfverify_admin" in ok(pg_schema.owner_url, "admin", "desk", "init").stdout
    _, admin_url = pg_schema.login("admin")
    agent, agent_url = pg_schema.login("agent")
    dave, dave_url = pg_schema.login("person")
    erin, erin_url = pg_schema.login("person")

    request = tmp_path / "agent.json"
    ok(agent_url, "agent-home", "desk", "agent-key", "--out", str(request))
    assert json.loads(request.read_text())["handle"] == agent  # the handle is the agent's role, not --user
    refused = run(dave_url, "dave-home", "desk", "enrol-agent", str(request))
    assert refused.returncode == 5 and "Only the desk admin" in refused.stderr
    ok(admin_url, "admin", "desk", "enrol-agent", str(request))

    start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0)
    slots = json.loads(ok(agent_url, "agent-home", "agent", "slots", "add", start.isoformat(), "--repeat", "2", "--json").stdout)
    ids = [s["id"] for s in slots["added"]]
    booked = json.loads(ok(dave_url, "dave-home", "--user", "mallory", "interview", "book", str(ids[0]),
                           "--contact", "+1 555 0100", "--json").stdout)
    assert booked["subject"] == dave
    ok(erin_url, "erin-home", "interview", "book", str(ids[1]), "--contact", "erin@example.org")

    # a person's app is refused what staff may do, and shows only that person's rows
    assert run(erin_url, "erin-home", "agent", "today").returncode == 5
    listed = json.loads(ok(erin_url, "erin-home", "sessions", "list", "--json").stdout)
    assert listed and {s["subject"] for s in listed} == {erin}
    assert "+1 555 0100" not in ok(erin_url, "erin-home", "interview", "show").stdout

    today = json.loads(ok(agent_url, "agent-home", "agent", "today", "--date", start.date().isoformat(), "--tz", "UTC",
                          "--json").stdout)["appointments"]
    assert {a["contact"] for a in today} == {"+1 555 0100", "erin@example.org"}  # the agent sees every booking
    time_travel.to(start)  # an agent decides once the interview has started
    ok(agent_url, "agent-home", "agent", "approve", booked["code"], "--seen", "passport")

    status = json.loads(ok(dave_url, "dave-home", "status", "--json").stdout)
    assert status["subject"] == dave and len(status["picked_up"]) == 1
    assert status["credential"]["method"] == "interview"
    # a relying party with only the desk's published key set accepts it
    token, jwks = tmp_path / "token.txt", tmp_path / "desk.jwks.json"
    token.write_text(ok(dave_url, "dave-home", "credential", "export").stdout)
    jwks.write_text(ok(erin_url, "erin-home", "desk", "jwks").stdout)
    checked = json.loads(ok(erin_url, "rp-home", "credential", "verify", str(token), "--jwks", str(jwks), "--json").stdout)
    assert checked["valid"] and checked["claims"]["sub"] == dave and checked["claims"]["assurance"]["agent"] == agent
    # sec-cred: dave's own role cleared the bearer tokens at pickup (the digests stay), and another person's
    # role checks the credential on the desk's database through the issued_interview_credential view
    [(credential, credential_sd, digest)] = pg_schema.sql(
        pg_schema.owner_url, "SELECT credential, credential_sd, credential_digest FROM decision_record")
    assert credential is None and credential_sd is None and digest
    on_desk = json.loads(run(erin_url, "erin-home", "credential", "verify", str(token), "--json").stdout)
    assert on_desk["valid"], on_desk


def test_every_table_is_covered_by_the_desk_roles(desk):
    """A table added later without grants breaks a person's app; one with a subject column but no
    row-level security would show every person's rows to every person."""
    from sqlmodel import SQLModel

    for table in SQLModel.metadata.sorted_tables:
        [(readable, secured)] = desk.sql(
            desk.owner_url,
            "SELECT has_table_privilege('selfverify_person', c.oid, 'SELECT'), c.relrowsecurity "
            "FROM pg_class c WHERE c.oid = to_regclass(%s)", (table.name,))
        assert readable, f"{table.name}: no grant for selfverify_person in store/sql/desk_roles.sql"
        if "subject" in table.columns:
            assert secured, f"{table.name} has a subject column but no row-level security"


def test_a_person_in_the_queue_sees_their_place_but_not_who_waits(desk):
    """The queue on a role-based desk: a person counts who waits through the queue_waiting view (ids
    only), reads only their own entry and cannot mark it taken."""
    desk.sql(desk.owner_url, "INSERT INTO agent_duty (agent, since) VALUES ('staff', now())")
    people = []
    for name in ("q1", "q2"):
        role, url = desk.login("person")
        service = InterviewService(_ctx(url))
        service.join_queue(f"{name}@example.org")
        people.append((role, url, service))
    (role1, url1, first), (_role2, url2, second) = people
    assert second.queue_status().position == 2 and first.queue_status().position == 1
    assert desk.sql(url2, "SELECT subject, contact FROM interview_queue") == [(people[1][0], "q2@example.org")]
    with pytest.raises(psycopg.errors.Error):
        desk.sql(url2, "UPDATE interview_queue SET status = 'taken', active_subject = NULL, taken_by = 'me'")
    desk.sql(desk.owner_url, "UPDATE interview_queue SET status = 'taken', active_subject = NULL WHERE subject = %s", (role1,))
    assert second.queue_status().position == 1
    assert "you are next" in second.queue_line(second.queue_status())
    second.leave_queue()
    assert second.queue_status().status == "left"
