"""Every screen right in bad conditions: no keyring, a read-only data folder, Ctrl+C (issue 17)."""

from __future__ import annotations

import random
import stat
from datetime import datetime, timedelta, timezone

import pytest

from tests.privacy_support import fail_keyring  # noqa: F401
from tests.tui.conftest import press_settled, settle


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def no_keyring():
    """The keyring's fail backend from here on, as on a machine without any Secret Service (the
    desk's agent, on another machine, decided with its own key before)."""
    from tests.functional.test_privacy_cli import failing_keyring

    return failing_keyring()


def _approved_interview(ctx) -> str:
    """An interview booked by alice and approved by the desk's enrolled agent once its slot began."""
    from selfverify.context import AppContext
    from selfverify.services.interview import InterviewService
    from tests.desk_support import enrol_services

    def as_user(user: str) -> AppContext:
        return AppContext(settings=ctx.settings.replace(user=user), clock=ctx.clock, front_end="tui")

    [agent] = enrol_services(as_user("admin"), as_user("desk"))  # only an enrolled agent decides (issue 19)
    slot = agent.add_slot(ctx.clock.now() + timedelta(minutes=90))  # beyond the desk's 60-minute lead time
    InterviewService(ctx, rng=random.Random(17)).book(slot.id, "alice@example.org")  # a stable code on screen
    code = InterviewService(ctx).my_appointments()[0].code
    ctx.clock.advance(91 * 60)
    agent.approve(code, ["passport"])
    agent.add_slot(ctx.clock.now() + timedelta(days=1))  # a free slot the screen must list
    return code


async def test_interview_screen_without_a_keyring_shows_bookings_and_slots(make_keyless_app, keyless_ctx, keyring_service):
    _approved_interview(keyless_ctx)
    app = make_keyless_app(startup=False)
    with no_keyring():
        await _interview_screen_without_a_keyring(app)


async def _interview_screen_without_a_keyring(app) -> None:  # noqa: ANN001
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "s", "2")
        booking = _text(app.screen, "#booking")
        assert booking.startswith("Approved.") and "as soon as your keyring can be used" in booking
        assert app.screen.query_one("#slots").row_count == 1
        assert "Free slots" in _text(app.screen, "#zone")
        last = app.history.last
        assert "cannot be stored yet" in last and "gnome-keyring" in last and "interview path" not in last
        # an approved interview offers no second booking
        assert app.screen.query_one("#book").disabled
        await pilot.press("ctrl+b")
        assert "was approved: you need no other booking" in app.history.last


def test_status_does_not_send_an_interview_user_to_the_interview_path(keyless_ctx, keyring_service):
    from tests.inprocess_cli import run_main

    _approved_interview(keyless_ctx)
    with no_keyring():
        result = run_main("--user", "alice", "status")  # the fail backend is active in this process
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "was approved" in output and "gnome-keyring" in output
    assert "choose the interview path" not in output


async def test_my_data_without_a_keyring_says_so_and_the_fix(make_keyless_app, fail_keyring):  # noqa: F811
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "d")
        info = _text(app.screen, "#credential-info")
        assert "No credential. Complete" not in info
        assert "keyring is unavailable" in info and "gnome-keyring" in info
        assert "no credential" not in app.history.last and "credential unreadable" in app.history.last


def test_the_selfie_result_gives_the_keyring_fix():
    from selfverify.services.selfie import SelfieOutcome
    from selfverify.tui.screens.result import describe
    from tests.privacy_support import live_decision

    outcome = SelfieOutcome(live_decision(), "s1", None, None, False, "Cannot use the keyring: x. Nothing was stored.",
                            credential_hint="Start a Secret Service: install gnome-keyring.")
    ok, title, details = describe(outcome)
    assert title == "Verified, but no credential could be stored."
    assert "Fix: Start a Secret Service: install gnome-keyring." in details


async def test_readonly_data_folder_gives_no_false_consent(make_keyless_app, keyless_ctx, readonly_data):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "s")
        notice = app.screen.query_one("#notice").source
        assert "Loading the notice" not in notice and "could not be loaded" in notice
        await press_settled(pilot, "a")
        assert app.screen.query_one("#accept").value is False
        assert "Consent given" not in _text(app.screen, "#selfie-why")
        assert "cannot be written" in app.history.last
        await press_settled(pilot, "1")
        assert type(app.screen).__name__ == "ConsentScreen"
    assert not any(readonly_data.iterdir())


async def test_readonly_data_folder_my_data_does_not_also_say_no_credential(make_keyless_app, readonly_data):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "d")
        assert _text(app.screen, "#credential-info").startswith("Cannot read the credential")
        assert "no credential" not in app.history.last.lower()
        await pilot.press("escape")
        await press_settled(pilot, "s", "2")
        assert _text(app.screen, "#booking").startswith("Could not load your bookings")


async def test_ctrl_c_exits_130_from_any_screen(make_keyless_app):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "s")
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130


async def test_ctrl_c_mid_selfie_exits_130(make_keyless_app, keyless_ctx, clip, clip_reference):
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.selfie import SelfieScreen

    ConsentService(keyless_ctx).accept()
    app = make_keyless_app(reference=str(clip_reference), camera=str(clip), startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(SelfieScreen())
        await pilot.pause(0.5)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130


def test_token_file_is_new_and_private(tmp_path):
    from selfverify.errors import InputError
    from selfverify.outfile import write_output

    path = tmp_path / "token.jwt"
    write_output(path, b"abc\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "abc\n"
    with pytest.raises(InputError, match="already exists"):
        write_output(path, b"other\n")
    assert path.read_text() == "abc\n"
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError):
        write_output(tmp_path / "link", b"x")
    assert not (tmp_path / "elsewhere").exists()


async def test_export_shows_the_token_and_saves_a_private_new_file(make_app, app_ctx, tmp_path):
    from selfverify.services.credentials import CredentialService
    from tests.privacy_support import live_decision

    cred = CredentialService(app_ctx).issue("selfie", live_decision())
    target = tmp_path / "out" / "my.jwt"
    target.parent.mkdir()
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "f2")
        await pilot.click("#credential-export")
        await settle(pilot)
        assert type(app.screen).__name__ == "TokenDialog"
        assert app.screen.query_one("#token-text").text == cred.token
        assert not any("clipboard" in text for _, text in app.history.entries)
        app.screen.query_one("#token-path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_text().strip() == cred.token
        assert "Saved to" in app.history.last
        target.write_text("keep me")
        await pilot.press("enter")  # a second save never replaces a file
        await pilot.pause()
        assert "already exists" in str(app.screen.query_one("#token-result").render())
        assert target.read_text() == "keep me"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MyDataScreen"


def test_ctrl_c_in_the_real_app_exits_130(tmp_path):
    """The whole path: a terminal, `python -m selfverify` (the app), Ctrl+C -> exit status 130."""
    import os
    import sys

    import pexpect

    env = {**os.environ, "SELFVERIFY_HOME": str(tmp_path / "home"), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "selfverify"], env=env, encoding="utf-8", timeout=60, dimensions=(24, 80))
    child.expect("Welcome to selfverify")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, (child.exitstatus, child.signalstatus)
