"""Schema 5 (attempt reservations) from a real version-4 database: main's code at 3b190ff made it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import pytest

from selfverify.errors import LockedOut, PolicyRefusal
from tests.helpers import source_at

SCHEMA_4_COMMIT = "3b190ff"


def test_a_version_4_database_keeps_its_counts_and_gains_reservations(tmp_path):
    home = tmp_path / "home"
    made_by_v4 = (
        "from selfverify.config import load_settings\n"
        "from selfverify.context import AppContext\n"
        "from selfverify.services.attempts import AttemptPolicy\n"
        f"ctx = AppContext(settings=load_settings({{'home': {str(home)!r}, 'user': 'alice', 'max_total_failures': 3, "
        "'max_consecutive_failures': 3}))\n"
        "for _ in range(2):\n"
        "    AttemptPolicy(ctx).record_failure()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(source_at(SCHEMA_4_COMMIT, tmp_path))}
    made = subprocess.run([sys.executable, "-c", made_by_v4], capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    db_file = next(home.rglob("selfverify.db"))
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        assert "in_flight" not in {r[1] for r in conn.execute("PRAGMA table_info(attempt_counter)")}

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.services.attempts import AttemptPolicy
    from selfverify.store.models import SCHEMA_VERSION

    ctx = AppContext(settings=load_settings({"home": str(home), "user": "alice", "max_total_failures": 3,
                                             "max_consecutive_failures": 3}))
    status = AttemptPolicy(ctx).status()  # opening it migrates
    assert (status.total_failures, status.consecutive_failures, status.in_flight) == (2, 2, 0)
    assert ctx.db.schema_version() == SCHEMA_VERSION >= 5
    AttemptPolicy(ctx).reserve()  # the last try, reserved
    with pytest.raises(PolicyRefusal):
        AttemptPolicy(ctx).reserve()
    assert AttemptPolicy(ctx).record_failure().locked
    with pytest.raises(LockedOut):
        AttemptPolicy(ctx).reserve()
    ctx.db.dispose()
    with sqlite3.connect(db_file) as conn:
        assert {"in_flight", "reserved_at"} <= {r[1] for r in conn.execute("PRAGMA table_info(attempt_counter)")}
