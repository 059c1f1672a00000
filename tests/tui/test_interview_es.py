"""The interview screen in Spanish at 80x24 (issue 15): without a booking and booked, every row on
screen and nothing cut; the times in Babel's Spanish format; a language switch on the screen keeps
what the person typed. (The agent console in Spanish: tests/functional/test_agent_console_es.py.)

Update after an intended change: uv run pytest tests/tui/test_interview_es.py --snapshot-update
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from selfverify import i18n
from tests.tui.conftest import settle
from tests.tui.test_app_flows import open_interview_screen

SLOT = datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)  # the fake clock reads 2026-01-01 12:00 UTC
PHONE = {"channel": "phone", "caller": "agent"}


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def _slots(app_ctx, count: int = 3):  # noqa: ANN001, ANN202
    from selfverify.services.interview import InterviewService

    desk = InterviewService(app_ctx, agent="desk")
    return [desk.add_slot(SLOT.replace(hour=9 + i), details=PHONE) for i in range(count)]


def _book(app_ctx, slot_id: int):  # noqa: ANN001, ANN202
    from selfverify.services.interview import Accommodations, InterviewService

    return InterviewService(app_ctx, rng=random.Random(5)).book(slot_id, "+34 600 000 000", Accommodations.build(interpreter="portugués"))


def _visible(app) -> list[str]:  # noqa: ANN001
    """The ids of the screen's rows that lie inside the 80x24 terminal."""
    shown = []
    for name in ("#booking-box", "#zone-row", "#slots", "#slot-details", "#contact-row", "#needs-row", "#actions-row"):
        widget = app.screen.query_one(name)
        if widget.display and widget.region.height and widget.region.bottom <= app.size.height - 2:  # above status and footer
            shown.append(name)
    return shown


def test_interview_without_a_booking_in_spanish(snap_compare, make_app, app_ctx, spanish):
    _slots(app_ctx)

    async def run_before(pilot):
        await open_interview_screen(pilot)

    assert snap_compare(make_app(startup=False), terminal_size=(80, 24), run_before=run_before)


def test_interview_booked_in_spanish(snap_compare, make_app, app_ctx, spanish):
    slots = _slots(app_ctx)
    _book(app_ctx, slots[0].id)

    async def run_before(pilot):
        await open_interview_screen(pilot)

    assert snap_compare(make_app(startup=False), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("booked", [False, True], ids=["no booking", "booked"])
async def test_every_row_fits_80x24_and_the_buttons_are_whole(make_app, app_ctx, language, booked):
    """Each row the state calls for is inside the terminal, and every button's label is shown whole."""
    from textual.widgets import Button
    from textual.widgets._footer import FooterKey

    slots = _slots(app_ctx, 8)
    if booked:
        _book(app_ctx, slots[0].id)
    i18n.set_language(language)
    try:
        app = make_app(startup=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_interview_screen(pilot)
            rows = ["#booking-box", "#zone-row", "#slots", "#slot-details", "#needs-row"]
            rows += ["#actions-row"] if booked else ["#contact-row"]
            assert _visible(app) == [r for r in _visible(app) if r in rows] and set(rows) <= set(_visible(app)), _visible(app)
            for button in app.screen.query(Button).results(Button):
                if button.display and button.region.width:
                    assert button.region.right <= 80 and button.region.width >= len(str(button.label)), button.label
            keys = list(app.screen.query(FooterKey).results(FooterKey))
            assert keys and any(k.description == i18n._("Refresh") for k in keys)  # in the screen's language
            for key in keys:  # every key whole, none past the edge ("f3 Lo" was cut before)
                needed = len(key.key_display) + len(key.description) + 1
                assert key.region.width >= needed and key.region.right <= 80, (key.key_display, key.description, key.region)
    finally:
        i18n.set_language("en")


async def test_spanish_times_follow_babel_and_the_zone_is_named(make_app, app_ctx, spanish):
    slots = _slots(app_ctx, 1)
    _book(app_ctx, slots[0].id)
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_interview_screen(pilot)
        booking = str(app.screen.query_one("#booking").render())
        assert booking.startswith("Reservada: vie, 2 ene 2026, 9:00 UTC. Código de confirmación"), booking
        assert "Si nadie se ha conectado antes del sáb, 3 ene 2026, 9:20 UTC" in booking
        assert "Horas libres" in str(app.screen.query_one("#zone").render()) or "No hay horas libres" in str(app.screen.query_one("#zone").render())


async def test_switching_language_on_the_screen_keeps_what_was_typed(make_app, app_ctx):
    _slots(app_ctx)
    app = make_app(startup=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_interview_screen(pilot)
            app.screen.query_one("#contact").value = "ana@example.org"
            app.screen.query_one("#interpreter").value = "portugués"
            await pilot.press("tab")
            app.action_language("es")
            await settle(pilot)
            await pilot.pause()
            assert app.screen.query_one("#contact").value == "ana@example.org"
            assert app.screen.query_one("#interpreter").value == "portugués"
            assert str(app.screen.query_one("#book").label) == "Reservar (ctrl+b)"
            assert str(app.screen.query_one("#slots").get_row_at(0)[0]).startswith("vie, 2 ene 2026")
    finally:
        i18n.set_language("en")
