"""Regenerate the README screenshots (SVG) by driving the real app with Pilot.

Run: bash .ci/with-secret-service uv run python scripts/screenshots.py [--clip ../shared/faces/stage_clip.mp4] [--only agent]
The selfie screenshot replays the clip as the camera (liveness on, so the challenge shows). The agent
console's (agent.svg) is a desk in a temporary home: an enrolled agent on duty, a morning of bookings,
one running late, one person waiting in the queue, and an appointment open.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "screenshots"


async def shoot(clip: Path) -> None:
    import cv2

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.tui.app import SelfverifyApp
    from selfverify.tui.screens.selfie import SelfieScreen

    with tempfile.TemporaryDirectory() as tmp:
        cap = cv2.VideoCapture(str(clip))
        cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
        ok, frame = cap.read()
        cap.release()
        ref = Path(tmp) / "reference.png"
        cv2.imwrite(str(ref), frame)
        settings = load_settings({"home": str(Path(tmp) / "home"), "user": "alice", "seed": 3, "challenge_timeout": 6.0})
        app = SelfverifyApp(AppContext(settings), reference=str(ref), camera=str(clip), startup=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")
            await pilot.pause(1.0)
            await pilot.press("a")
            await pilot.pause(0.2)
            app.save_screenshot(filename="choice.svg", path=str(OUT))
            await pilot.press("1")
            await pilot.pause(1.0)
            await app.workers.wait_for_complete([w for w in app.workers if w.group == "reference"])
            await pilot.pause(0.5)
            await pilot.press("ctrl+n")
            screen = None
            for _ in range(300):
                await pilot.pause(0.1)
                screen = app.screen
                if isinstance(screen, SelfieScreen) and any(e.kind == "challenge_step" for e in screen.events_seen):
                    await pilot.pause(0.6)
                    break
            app.save_screenshot(filename="selfie.svg", path=str(OUT))
            if isinstance(app.screen, SelfieScreen):
                app.screen.stop_run()
    print(f"wrote {OUT / 'choice.svg'} and {OUT / 'selfie.svg'}")


async def shoot_agent() -> None:
    import random
    import uuid
    from datetime import datetime, timedelta, timezone

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.core.clock import FakeClock
    from selfverify.services.desk import DeskService
    from selfverify.services.desk_agent import agent_service
    from selfverify.services.interview import InterviewService
    from selfverify.tui.agent.app import AgentApp

    clock = FakeClock(datetime(2026, 1, 5, 8, 45, tzinfo=timezone.utc))  # Monday 09:45 in Paris
    service_name = f"selfverify-screenshot-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        def ctx(user: str) -> AppContext:
            settings = load_settings({"home": str(Path(tmp) / "home"), "user": user, "timezone": "Europe/Paris",
                                      "keyring_service": service_name})
            return AppContext(settings=settings, clock=clock)

        admin = DeskService(ctx("admin"))
        admin.init()
        admin.enrol(DeskService(ctx("ann")).enrolment_request("agent"), "agent")
        ann = agent_service(ctx("ann"), rng=random.Random(7))
        first = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
        clock._now = datetime(2026, 1, 5, 6, 0, tzinfo=timezone.utc)  # bookings made early that morning
        slots = [ann.add_slot(first + timedelta(minutes=20 * i)) for i in range(4)]
        people = [("carol", "carol@example.org"), ("dan", "+1 555 0100"), ("erin", "erin@example.org")]
        booked = [InterviewService(ctx(u), rng=random.Random(i)).book(slots[i].id, c) for i, (u, c) in enumerate(people)]
        clock._now = datetime(2026, 1, 5, 9, 5, tzinfo=timezone.utc)
        ann.open(booked[0].code)
        clock._now = datetime(2026, 1, 5, 9, 17, tzinfo=timezone.utc)  # a 12-minute interview
        ann.approve(booked[0].code, ["passport"])
        ann.running_late(booked[2].code, 10)
        ann.set_on_duty(True)
        InterviewService(ctx("frank")).join_queue("frank@example.org")
        clock._now = datetime(2026, 1, 5, 9, 21, tzinfo=timezone.utc)
        app = AgentApp(ann)
        async with app.run_test(size=(110, 32)) as pilot:
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+o")
            app.query_one("#code").value = booked[1].display_code
            await pilot.press("enter")
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            await pilot.click("#doc-id_card")
            await pilot.pause(0.3)
            app.save_screenshot(filename="agent.svg", path=str(OUT))
        import keyring

        for key in ("desk-key", "agent-key:ann"):
            try:
                keyring.delete_password(service_name, key)
            except Exception:  # noqa: BLE001 - only tidying the throwaway entries
                pass
    print(f"wrote {OUT / 'agent.svg'}")


async def shoot_interview() -> None:
    """The person's interview screen: a video slot's details, needs asked for, the booking and its notice."""
    from datetime import datetime, timedelta, timezone

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.core.clock import FakeClock
    from selfverify.services.interview import InterviewService
    from selfverify.tui.app import SelfverifyApp

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"home": str(Path(tmp) / "home"), "user": "alice", "timezone": "Europe/Paris"})
        ctx = AppContext(settings, clock=FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)), front_end="tui")
        desk = InterviewService(ctx, agent="desk")
        first = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)
        desk.add_slots([first + timedelta(minutes=30 * i) for i in range(4)], 30, details={
            "channel": "video", "link": "https://meet.example.org/desk-3", "documents": ["passport", "id_card"],
            "instructions": "Have your confirmation code ready.",
        })
        app = SelfverifyApp(ctx, startup=False)
        async with app.run_test(size=(100, 36)) as pilot:
            await pilot.press("s")
            await pilot.pause(1.0)
            await pilot.press("2")
            await pilot.pause(1.0)
            app.screen.query_one("#contact").value = "alice@example.org"
            app.screen.query_one("#interpreter").value = "Portuguese"
            await pilot.press("down")
            await pilot.press("ctrl+b")
            await pilot.pause(1.5)
            app.save_screenshot(filename="interview.svg", path=str(OUT))
    print(f"wrote {OUT / 'interview.svg'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", default=str(ROOT.parent / "shared" / "faces" / "stage_clip.mp4"))
    parser.add_argument("--only", choices=["selfie", "agent", "interview"], help="Make only these screenshots.")
    args = parser.parse_args()
    if args.only in (None, "selfie"):
        asyncio.run(shoot(Path(args.clip)))
    if args.only in (None, "agent"):
        asyncio.run(shoot_agent())
    if args.only in (None, "interview"):
        asyncio.run(shoot_interview())


if __name__ == "__main__":
    main()
