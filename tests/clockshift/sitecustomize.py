"""Test-only: shift selfverify's system clock by SELFVERIFY_TEST_CLOCK_SHIFT seconds in a child
process (tests/clock_shift.py puts this folder on PYTHONPATH). The installed app has no such hook."""

import os

if os.environ.get("SELFVERIFY_TEST_CLOCK_SHIFT"):
    from datetime import timedelta

    from selfverify.core import clock as _clock

    _shift = timedelta(seconds=float(os.environ["SELFVERIFY_TEST_CLOCK_SHIFT"]))
    _real_now = _clock.SystemClock.now
    _clock.SystemClock.now = lambda self: _real_now(self) + _shift
