"""Attempt limits (NIST SP 800-63B-4 §3.2.3) with an injected clock: no test sleeps."""

from __future__ import annotations

import threading

import pytest

from selfverify.context import AppContext
from selfverify.errors import LockedOut, PolicyRefusal
from selfverify.services.attempts import AttemptPolicy
from selfverify.services.audit import events
from tests.postgres_db import database_url, make_ctx  # noqa: F401 - fixtures


@pytest.fixture
def pctx(plain_settings, fake_clock):
    return AppContext(settings=plain_settings, clock=fake_clock)


def fail(policy: AttemptPolicy, times: int, clock=None, gap: float = 0.0):
    status = None
    for _ in range(times):
        status = policy.record_failure()
        if clock is not None:
            clock.advance(gap)
    return status


def test_fresh_user_may_try(pctx):
    status = AttemptPolicy(pctx).status()
    assert (status.allowed, status.locked, status.wait_seconds, status.tries_left_before_wait, status.total_failures) == (
        True, False, 0.0, 5, 0)
    assert status.message == ""


def test_tries_left_are_announced_before_the_wait_starts(pctx):
    policy = AttemptPolicy(pctx)
    messages = [fail(policy, 1).message for _ in range(4)]
    assert [AttemptPolicy(pctx).status().tries_left_before_wait] == [1]
    assert messages[0].startswith("4 tries left")
    assert messages[3].startswith("1 try left")


def test_after_five_failures_each_attempt_waits_thirty_seconds(pctx, fake_clock):
    policy = AttemptPolicy(pctx)
    status = fail(policy, 5)
    assert not status.allowed and not status.locked
    assert status.wait_seconds == pytest.approx(30.0)
    assert "wait 30 s" in status.message
    with pytest.raises(PolicyRefusal) as err:
        policy.require()
    assert err.value.code == "attempt_wait"

    fake_clock.advance(12.4)
    status = policy.status()
    assert status.wait_seconds == pytest.approx(17.6)
    assert "wait 18 s" in status.message  # remaining time, rounded up

    fake_clock.advance(17.6)
    assert policy.require().allowed
    # the sixth failure starts another full wait
    fake_clock.advance(100)
    status = policy.record_failure()
    assert status.wait_seconds == pytest.approx(30.0)


def test_success_resets_consecutive_but_not_total(pctx, fake_clock):
    policy = AttemptPolicy(pctx)
    fail(policy, 5)
    fake_clock.advance(30)
    assert policy.record_success().consecutive_failures == 5  # no reserved try: nothing succeeded
    policy.reserve()
    status = policy.record_success()
    assert status.allowed and status.tries_left_before_wait == 5
    assert status.total_failures == 5
    assert fail(policy, 1).tries_left_before_wait == 4


def test_fifty_failures_lock_the_selfie_path(pctx, fake_clock):
    policy = AttemptPolicy(pctx)
    status = fail(policy, 49, fake_clock, gap=30)
    assert not status.locked
    policy.record_success()  # a success in between does not reset the total
    status = policy.record_failure()
    assert status.locked and not status.allowed and status.total_failures == 50
    assert "interview" in status.message
    fake_clock.advance(365 * 86400)
    with pytest.raises(LockedOut) as err:
        policy.require()
    assert err.value.exit_code == 5 and "interview" in err.value.hint


def test_limits_come_from_settings(plain_settings, fake_clock):
    ctx = AppContext(settings=plain_settings.replace(max_consecutive_failures=2, failure_wait_seconds=5,
                                                     max_total_failures=3), clock=fake_clock)
    policy = AttemptPolicy(ctx)
    assert fail(policy, 2).wait_seconds == pytest.approx(5.0)
    fake_clock.advance(5)
    assert policy.status().allowed
    assert fail(policy, 1).locked


def test_counts_are_per_user_and_nothing_forgets_them(plain_settings, fake_clock):
    alice = AppContext(settings=plain_settings, clock=fake_clock)
    bob = AppContext(settings=plain_settings.replace(user="bob"), clock=fake_clock)
    fail(AttemptPolicy(alice), 5)
    assert AttemptPolicy(bob).status().allowed
    assert not hasattr(AttemptPolicy(alice), "reset")
    assert AttemptPolicy(alice).status().total_failures == 5


def _race(contexts, action):  # noqa: ANN001, ANN202
    """Run ``action(AttemptPolicy)`` in one thread per context (each its own engine and connection),
    all released at once; returns the results (an exception counts as a refusal)."""
    barrier = threading.Barrier(len(contexts))
    results = [None] * len(contexts)

    def worker(index, ctx):  # noqa: ANN001, ANN202
        policy = AttemptPolicy(ctx)
        barrier.wait()
        try:
            results[index] = action(policy)
        except (LockedOut, PolicyRefusal) as exc:
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i, ctx)) for i, ctx in enumerate(contexts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_runs_one_try_before_the_lock_get_one_try_between_them(make_ctx, fake_clock):
    limits = {"max_total_failures": 5, "max_consecutive_failures": 5}
    first = make_ctx("alice", fake_clock, **limits)
    fail(AttemptPolicy(first), 2)
    AttemptPolicy(first).reserve()
    AttemptPolicy(first).record_success()  # 4 failures in total, 2 in a row: the total limit is the one that binds
    fail(AttemptPolicy(first), 2)
    results = _race([make_ctx("alice", fake_clock, **limits) for _ in range(8)], AttemptPolicy.reserve)
    granted = [r for r in results if not isinstance(r, Exception)]
    assert len(granted) == 1, results
    assert {type(r) for r in results if isinstance(r, Exception)} == {PolicyRefusal}  # "still running", not locked
    status = AttemptPolicy(first).status()
    assert (status.in_flight, status.allowed) == (1, False)
    # the one run fails: the lock holds, and nobody reserved past it
    assert AttemptPolicy(first).record_failure().locked
    with pytest.raises(LockedOut):
        AttemptPolicy(first).reserve()


def test_parallel_runs_in_the_waiting_regime_get_one_try_per_wait(make_ctx, fake_clock):
    limits = {"max_total_failures": 50, "max_consecutive_failures": 3, "failure_wait_seconds": 30}
    first = make_ctx("alice", fake_clock, **limits)
    fail(AttemptPolicy(first), 3)
    fake_clock.advance(31)
    results = _race([make_ctx("alice", fake_clock, **limits) for _ in range(6)], AttemptPolicy.reserve)
    assert len([r for r in results if not isinstance(r, Exception)]) == 1, results


def test_a_run_that_never_settles_counts_as_a_failure_once_stale(pctx, fake_clock):
    policy = AttemptPolicy(AppContext(settings=pctx.settings.replace(max_total_failures=2), clock=fake_clock))
    policy.reserve()  # then the process is killed: nothing settles it
    assert policy.status().in_flight == 1
    assert policy.expire_reservations(600) == 0  # a run may still be going
    policy.reserve()
    with pytest.raises(PolicyRefusal):  # both tries are taken, though neither failed yet
        policy.reserve()
    fake_clock.advance(601)
    assert policy.expire_reservations(600) == 2
    status = policy.status()
    assert (status.total_failures, status.in_flight, status.locked) == (2, 0, True)
    assert policy.expire_reservations(0) == 0  # counted once


def test_start_up_counts_the_reservation_a_dead_run_left(pctx, fake_clock):
    from selfverify.services.recovery import close_interrupted_sessions, stale_after

    AttemptPolicy(pctx).reserve()  # the process died before its session row existed
    close_interrupted_sessions(pctx)
    assert AttemptPolicy(pctx).status().in_flight == 1  # it may still be running
    fake_clock.advance(stale_after(pctx.settings).total_seconds() + 1)
    close_interrupted_sessions(pctx)
    status = AttemptPolicy(pctx).status()
    assert (status.in_flight, status.total_failures) == (0, 1)
    [event] = [e for e in events(pctx, kind="attempt")]
    assert event["data"]["outcome"] == "expired" and event["data"]["reservations"] == 1


def test_a_run_with_no_try_gives_its_reservation_back(pctx):
    policy = AttemptPolicy(pctx)
    policy.reserve()
    policy.release()
    status = policy.status()
    assert (status.in_flight, status.total_failures, status.consecutive_failures) == (0, 0, 0)


def test_concurrent_failures_are_all_counted(make_ctx, fake_clock):
    def worker(ctx):
        policy = AttemptPolicy(ctx)
        for _ in range(10):
            policy.record_failure()

    make_ctx("alice").db.init()  # the schema exists before the processes race
    threads = [threading.Thread(target=worker, args=(make_ctx("alice", fake_clock),)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AttemptPolicy(make_ctx("alice", fake_clock)).status().total_failures == 30


def test_attempts_are_audited_without_biometrics(pctx):
    AttemptPolicy(pctx).record_failure()
    [event] = events(pctx, kind="attempt")
    assert event["data"] == {"outcome": "failed", "consecutive_failures": 1, "total_failures": 1, "locked": False}


def test_the_attempt_and_consent_services_hold_rules_and_the_store_holds_their_sql():
    """Issue 12: services state the rules; store/repositories/{attempts,consent}.py read and write rows."""
    from pathlib import Path

    import selfverify

    src = Path(selfverify.__file__).parent
    for name in ("attempts", "consent"):
        service = (src / "services" / f"{name}.py").read_text(encoding="utf-8")
        assert "sqlmodel" not in service and "sqlalchemy" not in service and "store.models" not in service, name
        assert f"store.repositories.{name} import" in service, name
        repository = (src / "store" / "repositories" / f"{name}.py").read_text(encoding="utf-8")
        assert "sqlmodel import" in repository or "sqlalchemy import" in repository, name
