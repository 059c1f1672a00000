"""Stale or contradictory state, palette and focus at 80x24 (issue 17)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.functional.test_agent_console import desk  # noqa: F401
from tests.tui.conftest import press_settled, settle


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def _outcome(credential=None, verified=True, reason=None, distance=0.3, liveness="passed"):  # noqa: ANN001
    from selfverify.core.events import Decision
    from selfverify.services.selfie import SelfieOutcome

    decision = Decision(verified=verified, reason=reason, distance=distance, tolerance=0.6, frames_used=3, liveness=liveness)
    return SelfieOutcome(decision, "session-1", credential, None, best_frame_available=False)


async def _confirm(pilot, button: str) -> None:
    await pilot.click(button)
    await pilot.pause()
    await press_settled(pilot, "y")


async def test_after_delete_everything_the_result_no_longer_says_stored(make_app, app_ctx):
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.tui.screens.result import ResultScreen
    from tests.privacy_support import live_decision

    ConsentService(app_ctx).accept()
    cred = CredentialService(app_ctx).issue("selfie", live_decision())
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ResultScreen(_outcome(cred)))
        await settle(pilot)
        assert "is stored in your keyring" in _text(app.screen, "#result-details")
        # verified with a credential: nothing to retry, no interview offered
        assert not app.screen.query("#try-again") and not app.screen.query("#interview")
        await pilot.press("t", "i")
        await pilot.pause()
        assert type(app.screen).__name__ == "ResultScreen"
        await press_settled(pilot, "f2")
        await _confirm(pilot, "#delete-everything")
        await press_settled(pilot, "escape")
        assert type(app.screen).__name__ == "ResultScreen"
        details = _text(app.screen, "#result-details")
        assert "is stored in your keyring" not in details and "no longer stored" in details
        assert "✓ Consent" not in _text(app.screen, "#steps") and "Consent withdrawn" in _text(app.screen, "#steps")


async def test_after_withdrawal_the_step_bar_does_not_tick_consent(make_keyless_app, keyless_ctx):
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.result import ResultScreen

    ConsentService(keyless_ctx).accept()
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ResultScreen(_outcome(None, verified=False, reason="no_match", distance=0.8)))
        await settle(pilot)
        assert "✓ Consent" in _text(app.screen, "#steps")
        await press_settled(pilot, "f2")
        await _confirm(pilot, "#consent-withdraw")
        await press_settled(pilot, "escape")
        assert "✓ Consent" not in _text(app.screen, "#steps")


async def test_an_old_status_does_not_follow_the_user_to_another_screen(make_keyless_app):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_status("Guidance: No face found")
        app.history.entries[-1] = (datetime.now() - timedelta(seconds=5), app.history.entries[-1][1])
        await press_settled(pilot, "s", "2")
        assert "Guidance" not in _text(app.screen, "#status-line")
        # a message set on the way to a screen (e.g. "Consent recorded. Next: ...") is still shown there
        app.set_status("Next: your reference photo.")
        await press_settled(pilot, "f3")
        await press_settled(pilot, "escape", "escape")
        assert type(app.screen).__name__ == "ConsentScreen"
        assert "Guidance" not in _text(app.screen, "#status-line")


def test_a_wrong_person_is_told_the_face_did_not_match():
    from selfverify.tui.screens.result import describe

    ok, title, what = describe(_outcome(None, verified=False, reason="not_live", distance=0.82, liveness="failed"))
    assert not ok and "did not match" in title and "liveness" not in title.lower()
    ok, title, what = describe(_outcome(None, verified=False, reason="not_live", distance=0.31, liveness="failed"))
    assert "liveness challenge was not completed" in title  # the right person who did not finish the challenge


async def test_receipts_in_words_and_one_time_format(make_app, app_ctx, faces_dir):
    from selfverify.services.consent import ConsentService
    from selfverify.services.erasure import withdraw_consent
    from selfverify.services.vault import PhotoVault

    ConsentService(app_ctx).accept()
    PhotoVault(app_ctx).retain("selfie", (faces_dir / "obama_small.jpg").read_bytes())
    withdraw_consent(app_ctx)
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "f2")
        table = app.screen.query_one("#receipts-table")
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1:3] == ["selfie photo", "consent withdrawn"], row
        assert row[0] == "1/1/26, 12:00\u202fPM", row  # short, in the language's order: the table fits 80 columns
        assert not any("_" in cell for cell in row[:3])


async def test_focus_after_revoke_stays_at_the_top_not_on_delete_everything(make_app, app_ctx):
    from selfverify.services.credentials import CredentialService
    from tests.privacy_support import live_decision

    CredentialService(app_ctx).issue("selfie", live_decision())
    app = make_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "f2")
        app.screen.query_one("#credential-revoke").focus()
        await pilot.press("enter")
        await pilot.pause()
        await press_settled(pilot, "y")
        assert app.focused is not None and app.focused.id == "photos-table"


async def test_palette_lists_my_data_and_interview_actions_and_quit_once(make_keyless_app):
    from selfverify.tui.app import SelfverifyCommands

    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        titles += [title for title, _, _ in SelfverifyCommands(app.screen)._commands()]
        assert sum("quit" in t.lower() for t in titles) == 1, titles
        assert "My data: withdraw consent" in titles and "Interview: book the selected slot" in titles
        await app.run_action("my_data_do('delete_everything')")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await press_settled(pilot, "n")
        assert type(app.screen).__name__ == "MyDataScreen"


async def test_palette_screenshot_without_downloads_saves_in_home(make_keyless_app, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.run_action("screenshot")
        await pilot.pause(0.5)
        saved = list(tmp_path.glob("*.svg"))
        assert len(saved) == 1
        assert "Saved screenshot" in app.history.last and "[" not in app.history.last.replace(f"'{saved[0]}'", "")


async def test_focused_consent_checkbox_shows_its_tick_and_label_at_80x24(make_keyless_app):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "s")
        box = app.screen.query_one("#accept")
        box.focus()
        await pilot.press("a")
        await pilot.pause()
        assert box.has_focus and box.content_region.height == 1 and box.content_region.width > 40
        screen_text = "\n".join(s.text for s in app.screen._compositor.render_strips())
        assert "[x] I have read the notice" in screen_text


async def test_r_types_in_the_contact_field_and_f5_refreshes(make_keyless_app):
    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_settled(pilot, "s", "2")
        field = app.screen.query_one("#contact")
        field.focus()
        await pilot.press("r", "o")
        assert field.value == "ro"
        app.screen.query_one("#booking").update("stale")
        await press_settled(pilot, "f5")
        assert _text(app.screen, "#booking") != "stale" and field.value == "ro"


async def test_the_wait_between_tries_shows_one_number_and_says_press_t_at_zero(make_keyless_app, keyless_ctx, clip, clip_reference):
    import re
    import time

    from selfverify.services.attempts import AttemptPolicy
    from selfverify.services.consent import ConsentService
    from selfverify.tui.screens.selfie import SelfieScreen

    ConsentService(keyless_ctx).accept()
    for _ in range(keyless_ctx.settings.max_consecutive_failures):
        AttemptPolicy(keyless_ctx).record_failure()
    keyless_ctx.clock.advance(1)
    app = make_keyless_app(reference=str(clip_reference), camera=str(clip), startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(SelfieScreen())
        await settle(pilot, 0.6)
        screen = app.screen
        assert screen._wait_until is not None, _text(screen, "#guidance")
        numbers = {re.search(r"(\d+) s", _text(screen, sel)).group(1) for sel in ("#guidance", "#countdown")}
        assert len(numbers) == 1, (_text(screen, "#guidance"), _text(screen, "#countdown"))
        screen._wait_until = time.monotonic()  # the wait is over
        await pilot.pause(0.4)
        assert "press t now" in _text(screen, "#guidance").lower()
        assert "wait" not in _text(screen, "#guidance").lower()


async def test_agent_console_at_80x24_shows_the_decision_and_the_whole_footer(desk):  # noqa: F811
    from tests.functional.test_agent_console import open_typed
    from tests.functional.test_agent_console import settle as agent_settle
    from selfverify.tui.agent.app import AgentApp

    agent, booked, _service = desk
    app = AgentApp(agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await agent_settle(pilot)
        await open_typed(pilot, booked[1].display_code)
        await agent_settle(pilot)
        for bid in ("#approve", "#decline"):
            button = app.screen.query_one(bid)
            region = button.region
            assert region.height >= 1 and region.bottom <= 24, (bid, region)
            assert app.screen.get_widget_at(region.x + 1, region.y)[0] is button, (bid, region, "\n".join(s.text for s in app.screen._compositor.render_strips()))  # drawn, not scrolled away
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        assert "f10 Decline" in lines[-1] and "^q Quit" in lines[-1], lines[-1]
        screen_text = "\n".join(lines)
        assert "[ ] Passport" in screen_text or "[ ] passport" in screen_text.lower(), screen_text
        assert "▐" not in screen_text
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130


async def test_my_data_table_headers_line_up_with_their_rows_on_first_display(make_app, app_ctx, faces_dir):
    from selfverify.services.consent import ConsentService
    from selfverify.services.vault import PhotoVault

    ConsentService(app_ctx).accept()
    PhotoVault(app_ctx).retain("reference", (faces_dir / "obama_small.jpg").read_bytes())
    PhotoVault(app_ctx).delete_all()
    PhotoVault(app_ctx).retain("selfie", (faces_dir / "obama_small.jpg").read_bytes())
    app = make_app(startup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await press_settled(pilot, "f2")
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
    photos_header = next(i for i, line in enumerate(lines) if "Created" in line and "Expires" in line)
    row = lines[photos_header + 1]
    assert lines[photos_header].index("Created") == row.index("1/1/26, 12:00")
    assert lines[photos_header].index("ID") == row.index("33 KB") + len("33 KB  ")
    receipts_header = next(i for i, line in enumerate(lines) if "Why" in line and "Receipt" in line)
    assert lines[receipts_header].index("Why") == lines[receipts_header + 1].index("you deleted it")


async def test_a_result_that_arrives_under_another_screen_waits_for_the_selfie_screen(make_app, app_ctx, keyring_service,
                                                                                      clip_reference):
    """The run ends while the palette, My data or the log is open over the selfie screen: the result
    replaces the selfie screen when it is shown again, never the screen the person is using."""
    from selfverify.services.consent import ConsentService
    from selfverify.tui.messages import SelfieFinished
    from selfverify.tui.screens.log import StatusLogScreen
    from selfverify.tui.screens.result import ResultScreen
    from selfverify.tui.screens.selfie import SelfieScreen

    ConsentService(app_ctx).accept()
    app = make_app(reference=str(clip_reference), camera="/dev/video9", startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        selfie = SelfieScreen()
        await app.push_screen(selfie)
        await settle(pilot, 0.2)
        await press_settled(pilot, "f3")
        from tests.tui.test_biometrics_in_memory import an_outcome_with_a_frame

        outcome = an_outcome_with_a_frame()
        selfie.post_message(SelfieFinished(outcome))
        await settle(pilot, 0.1)
        assert isinstance(app.screen, StatusLogScreen)
        await press_settled(pilot, "escape")
        assert isinstance(app.screen, ResultScreen) and app.screen.outcome is outcome
        assert not any(isinstance(screen, SelfieScreen) for screen in app.screen_stack)
