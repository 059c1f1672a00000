"""The shared PostgreSQL desk, attacked as the real roles (attack review round 2, findings 7, 9, 10 and
the attempt-limit TOCTOU): raw SQL and the app's own services on connections that ARE the person's,
agent's or admin's login role. Each rule here has a test that fails when the rule is removed."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import timedelta

import psycopg
import pytest

from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.errors import LockedOut, NotFound, PolicyRefusal
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.interview import InterviewService
from tests.desk_support import pg_schema  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres

LIMITS = {"max_total_failures": 3, "max_consecutive_failures": 3}
CALL = "SELECT attempt_change(%s, %s, 3, 3, 0, 0)"


def _ctx(url: str, **flags) -> AppContext:
    return AppContext(settings=load_settings({"user": "someone-else", "database_url": url, **flags}))


@pytest.fixture
def desk(pg_schema):  # noqa: F811 - the imported fixture
    """Tables made by the owner, the roles installed, two people each booked on a slot, one agent."""
    from selfverify.services.desk import DeskService

    owner = _ctx(pg_schema.owner_url, user="owner")
    DeskService(owner)._install_roles()
    staff = InterviewService(owner, agent="staff")
    now = owner.clock.now()
    slots = [staff.add_slot(now + timedelta(days=1, minutes=30 * i)) for i in range(2)]
    pg_schema.people = {}
    for index, name in enumerate(("p1", "p2")):
        role, url = pg_schema.login("person")
        booking = InterviewService(_ctx(url)).book(slots[index].id, f"{name}@example.org")
        pg_schema.people[name] = (role, url, booking)
    pg_schema.agent = pg_schema.login("agent")
    pg_schema.admin = pg_schema.login("admin")
    return pg_schema


def _counts(desk, role: str) -> tuple:
    rows = desk.sql(desk.owner_url, "SELECT total_failures, consecutive_failures, in_flight FROM attempt_counter "
                                    "WHERE subject = %s", (role,))
    return rows[0] if rows else (0, 0, 0)


# ---------------------------------------------------------------- finding 7: the person's own lockout


def test_a_locked_out_person_cannot_unlock_themselves(desk):
    role, url, _ = desk.people["p1"]
    for _ in range(3):
        AttemptPolicy(_ctx(url, **LIMITS)).record_failure()
    assert AttemptPolicy(_ctx(url, **LIMITS)).status().locked
    for attack in ("DELETE FROM attempt_counter WHERE subject = current_user",
                   "UPDATE attempt_counter SET total_failures = 0, consecutive_failures = 0",
                   "INSERT INTO attempt_counter (subject, consecutive_failures, total_failures, in_flight) "
                   "VALUES (current_user || '', 0, 0, 0) ON CONFLICT (subject) DO UPDATE SET total_failures = 0"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(url, attack)
    # the function is the only door, and no action through it lowers the total
    for action in ("succeeded", "released", "expire", "reserve"):
        desk.sql(url, CALL, (role, action))
    assert _counts(desk, role)[0] == 3
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        desk.sql(url, CALL, (role, "reset"))
    with pytest.raises(LockedOut):
        AttemptPolicy(_ctx(url, **LIMITS)).reserve()


def test_a_success_clears_the_wait_only_by_settling_a_reserved_try(desk):
    role, url, _ = desk.people["p1"]
    for _ in range(2):
        AttemptPolicy(_ctx(url, **LIMITS)).record_failure()
    desk.sql(url, CALL, (role, "succeeded"))  # no try was reserved: nothing succeeded
    assert _counts(desk, role) == (2, 2, 0)
    desk.sql(url, CALL, (role, "reserve"))
    desk.sql(url, CALL, (role, "succeeded"))
    assert _counts(desk, role) == (2, 0, 0)


def test_nobody_changes_another_persons_count_and_staff_only_add_failures(desk):
    (role1, url1, _), (role2, url2, _) = desk.people["p1"], desk.people["p2"]
    AttemptPolicy(_ctx(url1, **LIMITS)).record_failure()
    for action in ("failed", "reserve", "succeeded", "released", "expire"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(url2, CALL, (role1, action))
    _, agent_url = desk.agent
    for action in ("reserve", "succeeded", "released"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(agent_url, CALL, (role1, action))
    desk.sql(agent_url, CALL, (role1, "failed"))  # start-up recovery of a run that died
    assert _counts(desk, role1)[0] == 2
    assert desk.sql(url2, "SELECT subject FROM attempt_counter") == []  # and p2 does not even see it


def test_erasure_keeps_the_lockout(desk):
    from selfverify.services.erasure import delete_all_user_data

    role, url, _ = desk.people["p1"]
    for _ in range(3):
        AttemptPolicy(_ctx(url, **LIMITS)).record_failure()
    report = delete_all_user_data(_ctx(url, **LIMITS))
    assert not report.attempt_counter_deleted and report.appointments_deleted == 1
    assert AttemptPolicy(_ctx(url, **LIMITS)).status().locked and _counts(desk, role)[0] == 3
    # the rest is erased as the person's own role could not do before (a redacted row is nobody's)
    assert report.audit_events_redacted >= 3
    assert desk.sql(desk.owner_url, "SELECT count(*) FROM audit_event WHERE subject = %s", (role,)) == [(0,)]
    assert desk.sql(desk.owner_url, "SELECT subject FROM audit_event WHERE kind = 'delete_all'") == [("",)]


def test_a_finished_session_is_history_and_a_session_starts_running(desk):
    role, url, _ = desk.people["p1"]
    from selfverify.services.audit import SessionRecorder

    recorder = SessionRecorder(_ctx(url), "selfie")
    recorder.finish("rejected", "no_match")
    # a finished run cannot be rewritten
    assert desk.sql(url, "UPDATE verification_session SET outcome = 'verified' WHERE id = %s RETURNING id",
                    (recorder.id,)) == []
    assert desk.sql(url, "SELECT outcome FROM verification_session WHERE id = %s", (recorder.id,)) == [("rejected",)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.sql(url, "UPDATE verification_session SET subject = 'x', seed = 1 WHERE id = %s", (recorder.id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor can a "finished" one be planted
        desk.sql(url, "INSERT INTO verification_session (id, subject, method, front_end, started_at, ended_at, outcome) "
                      "VALUES ('planted', current_user, 'selfie', 'cli', now(), now(), 'verified')")


# ---------------------------------------------------------------- the TOCTOU: parallel runs at the limit


def _two_failures_none_in_a_row(url: str) -> None:
    """Two failures then a success: the total limit (3) is one try away, the in-a-row one (3) is not."""
    for _ in range(2):
        AttemptPolicy(_ctx(url, **LIMITS)).record_failure()
    AttemptPolicy(_ctx(url, **LIMITS)).reserve()
    AttemptPolicy(_ctx(url, **LIMITS)).record_success()


@pytest.mark.parametrize("limit", ["total", "in_a_row"])
def test_parallel_runs_at_the_last_try_get_one_try_as_the_persons_role(desk, limit):
    role, url, _ = desk.people["p1"]
    # in a row: no wait at all, so only the reservation stops parallel runs past the third failure in a row
    limits = LIMITS if limit == "total" else {"max_total_failures": 10, "max_consecutive_failures": 3,
                                              "failure_wait_seconds": 0}
    if limit == "total":
        _two_failures_none_in_a_row(url)
    else:
        for _ in range(2):
            AttemptPolicy(_ctx(url, **limits)).record_failure()
    contexts = [_ctx(url, **limits) for _ in range(8)]
    barrier, results = threading.Barrier(len(contexts)), []

    def run(ctx):  # noqa: ANN001, ANN202
        policy = AttemptPolicy(ctx)
        barrier.wait()
        try:
            results.append(policy.reserve())
        except (LockedOut, PolicyRefusal) as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(ctx,)) for ctx in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if not isinstance(r, Exception)]) == 1, results
    assert _counts(desk, role) == ((2, 0, 1) if limit == "total" else (2, 2, 1))


KILLED_RUN = """
import sys, time
from selfverify.config import load_settings
from selfverify.context import AppContext
from selfverify.services.attempts import AttemptPolicy
ctx = AppContext(settings=load_settings({"database_url": sys.argv[1], "max_total_failures": 3,
                                         "max_consecutive_failures": 3}))
AttemptPolicy(ctx).reserve()
print("reserved", flush=True)
time.sleep(600)
"""


def test_a_run_killed_after_taking_the_last_try_still_used_it(desk):
    role, url, _ = desk.people["p1"]
    _two_failures_none_in_a_row(url)
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "reserved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    with pytest.raises(PolicyRefusal) as refused:  # the dead run's try is still taken
        AttemptPolicy(_ctx(url, **LIMITS)).reserve()
    assert refused.value.code == "attempt_in_flight"
    assert desk.sql(url, CALL, (role, "reserve")) == [(0,)]  # and the database itself refuses another
    # start-up recovery turns the stale reservation into the failure it stands for (stale: 0 s here)
    assert AttemptPolicy(_ctx(url, **LIMITS)).expire_reservations(0) == 1
    assert _counts(desk, role) == (3, 1, 0)
    assert AttemptPolicy(_ctx(url, **LIMITS)).status().locked


# ---------------------------------------------------------------- finding 9: staff do only their job


def test_an_agent_changes_only_the_decision_of_an_undecided_booking_under_its_own_name(desk):
    (role1, _, booking1), (role2, _, booking2) = desk.people["p1"], desk.people["p2"]
    agent, agent_url = desk.agent
    for column, value in (("subject", role2), ("contact", "attacker@evil"), ("code", "AAAAAAAA"),
                          ("slot_id", booking2.slot.id), ("credential_id", "x"), ("session_id", "x")):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(agent_url, f"UPDATE appointment SET {column} = %s WHERE id = %s", (value, booking1.id))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a decision in another agent's name
        desk.sql(agent_url, "UPDATE appointment SET status = 'approved', active_subject = NULL, active_slot_id = NULL, "
                            "decided_by = 'another-agent', decided_at = now() WHERE id = %s", (booking1.id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # documents ticked with no decision
        desk.sql(agent_url, "UPDATE appointment SET checklist = '[\"passport\"]' WHERE id = %s", (booking1.id,))
    desk.sql(agent_url, "UPDATE appointment SET started_at = now() WHERE id = %s", (booking1.id,))  # the job
    desk.sql(agent_url, "UPDATE appointment SET status = 'approved', active_subject = NULL, active_slot_id = NULL, "
                        "decided_by = current_user, decided_at = now() WHERE id = %s", (booking1.id,))
    # decided: final, for every agent (a second agent cannot overturn or re-sign it)
    other, other_url = desk.login("agent")
    assert desk.sql(other_url, "UPDATE appointment SET status = 'declined', decided_by = current_user "
                               "WHERE id = %s RETURNING id", (booking1.id,)) == []
    assert desk.sql(desk.owner_url, "SELECT status, decided_by FROM appointment WHERE id = %s", (booking1.id,)) == [
        ("approved", agent)]


def test_staff_write_audit_events_only_in_their_own_name_or_about_interviews(desk):
    role1, url1, booking1 = desk.people["p1"]
    for _, url in (desk.agent, desk.admin):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a person's consent, forged
            desk.sql(url, "INSERT INTO audit_event (at, subject, kind, data) VALUES (now(), %s, 'consent', "
                          "'{\"choice\": \"accepted\"}')", (role1,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            desk.sql(url, "INSERT INTO audit_event (at, subject, kind, data) VALUES (now(), %s, 'attempt', '{}')", (role1,))
        desk.sql(url, "INSERT INTO audit_event (at, subject, kind, data) VALUES (now(), current_user, 'slots_added', '{}')")
        desk.sql(url, "INSERT INTO audit_event (at, subject, kind, data) VALUES (now(), %s, 'interview_opened', '{}')",
                 (role1,))
    assert {k for (k,) in desk.sql(url1, "SELECT kind FROM audit_event")} >= {"interview_opened"}


def _approve(desk, url, booking) -> None:  # noqa: ANN001
    desk.sql(url, "UPDATE appointment SET status = 'approved', active_subject = NULL, active_slot_id = NULL, "
                  "decided_by = current_user, decided_at = now() WHERE id = %s", (booking.id,))


DECISION = ("INSERT INTO decision_record (appointment_id, subject, outcome, agent, kid, documents_seen, decided_at, "
            "token, credential) VALUES (%s, %s, %s, current_user, 'k', '[]', now(), 't', 'bearer-token')")


def test_a_decision_record_names_its_appointment_its_person_and_its_decider(desk):
    (role1, _, booking1), (role2, _, booking2) = desk.people["p1"], desk.people["p2"]
    agent, agent_url = desk.agent
    _approve(desk, agent_url, booking1)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):  # no such appointment
        desk.sql(agent_url, DECISION, (987654, role1, "approved"))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):  # p1's appointment, said to be about p2
        desk.sql(agent_url, DECISION, (booking1.id, role2, "approved"))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):  # an outcome the booking does not have
        desk.sql(agent_url, DECISION, (booking1.id, role1, "declined"))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):  # p2's booking, undecided
        desk.sql(agent_url, DECISION, (booking2.id, role2, "approved"))
    with pytest.raises(psycopg.errors.CheckViolation):  # about itself
        desk.sql(agent_url, DECISION, (booking1.id, agent, "approved"))
    desk.sql(agent_url, DECISION, (booking1.id, role1, "approved"))


def test_staff_cannot_read_the_credentials_waiting_in_decision_records(desk):
    role1, url1, booking1 = desk.people["p1"]
    _, agent_url = desk.agent
    _approve(desk, agent_url, booking1)
    desk.sql(agent_url, DECISION, (booking1.id, role1, "approved"))
    for _, url in (desk.agent, desk.admin):
        for column in ("credential", "credential_sd", "*"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                desk.sql(url, f"SELECT {column} FROM decision_record")
        assert desk.sql(url, "SELECT subject, outcome FROM decision_record") == [(role1, "approved")]
    assert desk.sql(url1, "SELECT credential FROM decision_record") == [("bearer-token",)]  # the person's pickup
    # the admin's listing of decisions still works, without the credentials
    from selfverify.services.desk import DeskService

    [row] = DeskService(_ctx(desk.admin[1])).decisions()
    assert (row.subject, row.outcome) == (role1, "approved")


# ---------------------------------------------------------------- finding 10: revocation tombstones


def _picked_up(desk, person: str, credential_id: str) -> None:  # noqa: ANN001
    """The approved person's app records the picked-up credential (what pickup writes, as the person's role)."""
    role, url, booking = desk.people[person]
    desk.sql(url, "INSERT INTO credential_record (id, subject, method, issued_at, expires_at, status, appointment_id) "
                  "VALUES (%s, current_user, 'interview', now(), now() + interval '1 day', 'issued', %s)",
             (credential_id, booking.id))
    desk.sql(url, "UPDATE appointment SET credential_id = %s WHERE id = %s", (credential_id, booking.id))


def test_a_person_revokes_and_reads_only_their_own_credentials(desk):
    (role1, url1, _), (role2, url2, _) = desk.people["p1"], desk.people["p2"]
    desk.sql(url1, "INSERT INTO credential_record (id, subject, method, issued_at, expires_at, status) "
                   "VALUES ('p1-jti', current_user, 'selfie', now(), now(), 'issued')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # p2 saw p1's jti in a presentation
        desk.sql(url2, "INSERT INTO revoked_credential (id, revoked_at) VALUES ('p1-jti', now())")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # or any id at all
        desk.sql(url2, "INSERT INTO revoked_credential (id, revoked_at) VALUES ('made-up', now())")
    desk.sql(url1, "INSERT INTO revoked_credential (id, revoked_at) VALUES ('p1-jti', now())")  # their own: yes
    assert desk.sql(url2, "SELECT id FROM revoked_credential") == []  # no list of other people's tombstones
    assert desk.sql(url1, "SELECT id FROM revoked_credential") == [("p1-jti",)]
    # whoever holds the id learns it is revoked: a revoked credential verifies as revoked for everyone
    from selfverify.store.repositories.credentials import CredentialRepository

    assert CredentialRepository(_ctx(url2).db, role2).tombstoned("p1-jti") is True
    assert CredentialRepository(_ctx(url2).db, role2).tombstoned("p2-never") is False


def test_the_desk_revokes_a_credential_it_issued_and_nothing_else(desk):
    from selfverify.services.audit import events
    from selfverify.services.desk_revocation import revoke_issued_credential

    (role1, url1, booking1), (role2, url2, _) = desk.people["p1"], desk.people["p2"]
    agent, agent_url = desk.agent
    _approve(desk, agent_url, booking1)
    desk.sql(agent_url, DECISION, (booking1.id, role1, "approved"))
    _picked_up(desk, "p1", "interview-jti")
    desk.sql(url2, "INSERT INTO credential_record (id, subject, method, issued_at, expires_at, status) "
                   "VALUES ('p2-selfie', current_user, 'selfie', now(), now(), 'issued')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not a credential the desk issued
        desk.sql(agent_url, "INSERT INTO revoked_credential (id, revoked_at) VALUES ('p2-selfie', now())")
    with pytest.raises(NotFound):
        revoke_issued_credential(_ctx(agent_url), agent, "p2-selfie", "wrong person")
    with pytest.raises(PolicyRefusal):  # a person cannot use the desk's path
        revoke_issued_credential(_ctx(url2), role2, "interview-jti", "spite")

    done = revoke_issued_credential(_ctx(agent_url), agent, "interview-jti", "approved the wrong booking")
    assert (done.subject, done.appointment_id, done.already) == (role1, booking1.id, False)
    assert revoke_issued_credential(_ctx(desk.admin[1]), desk.admin[0], "interview-jti", "again").already
    from selfverify.store.repositories.credentials import CredentialRepository

    assert CredentialRepository(_ctx(url2).db, role2).tombstoned("interview-jti") is True
    # the person's timeline says why; the agent's own event says who
    [told] = [e for e in events(_ctx(url1), kind="interview_credential_revoked")]
    assert told["data"]["reason"] == "approved the wrong booking" and told["data"]["by"] == agent
    assert [e["subject"] for e in events(_ctx(desk.owner_url, user="owner"), kind="desk_revoke")] == [agent]
