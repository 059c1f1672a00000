"""Move the system clock the CLI sees, in this process (``run_main``) and in child processes
(``run_cli``, ``Popen``): an agent decides an interview only once it has started (issue 17), so tests
that book tomorrow's slot travel to its start instead of weakening the rule."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

SHIFT_ENV = "SELFVERIFY_TEST_CLOCK_SHIFT"
SHIM_DIR = Path(__file__).parent / "clockshift"


class TimeTravel:
    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        from selfverify.core import clock

        self.monkeypatch = monkeypatch
        self._real_now = clock.SystemClock.now
        self.shift = 0.0

    def to(self, moment: datetime | str) -> None:
        """From now on every selfverify clock reads ``moment`` (and runs on from there)."""
        from selfverify.core import clock

        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        real = self._real_now(clock.SystemClock())
        self.shift = (moment.astimezone(timezone.utc) - real).total_seconds()
        shift = self.shift
        real_now = self._real_now
        self.monkeypatch.setattr(clock.SystemClock, "now", lambda _self: real_now(_self) + _timedelta(shift))
        self.monkeypatch.setenv(SHIFT_ENV, repr(shift))
        self.monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(SHIM_DIR), os.environ.get("PYTHONPATH", "")) if p))


def _timedelta(seconds: float):
    from datetime import timedelta

    return timedelta(seconds=seconds)


@pytest.fixture
def time_travel(monkeypatch: pytest.MonkeyPatch) -> TimeTravel:
    return TimeTravel(monkeypatch)
