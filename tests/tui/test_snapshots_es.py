"""The welcome and consent screens in Spanish at 80x24 (the English ones: test_snapshots.py).

Update after an intended change: uv run pytest tests/tui/test_snapshots_es.py --snapshot-update
"""

from __future__ import annotations

import pytest

from selfverify import i18n
from tests.tui.conftest import settle


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_welcome_in_spanish(snap_compare, make_keyless_app, spanish):
    assert snap_compare(make_keyless_app(startup=False), terminal_size=(80, 24))


def test_consent_and_choice_in_spanish(snap_compare, make_keyless_app, spanish):
    async def run_before(pilot):
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make_keyless_app(startup=False), terminal_size=(80, 24), run_before=run_before)
