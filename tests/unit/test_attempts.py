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


def test_counts_are_per_user_and_reset_forgets_them(plain_settings, fake_clock):
    alice = AppContext(settings=plain_settings, clock=fake_clock)
    bob = AppContext(settings=plain_settings.replace(user="bob"), clock=fake_clock)
    fail(AttemptPolicy(alice), 5)
    assert AttemptPolicy(bob).status().allowed
    assert AttemptPolicy(alice).reset() is True
    assert AttemptPolicy(alice).status().total_failures == 0
    assert AttemptPolicy(alice).reset() is False


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
