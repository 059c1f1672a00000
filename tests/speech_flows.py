"""The plain mode heard as a screen-reader user hears it: each flow driven on a real pseudo-terminal
as a new user would take it, its transcript measured in words and in seconds of speech at 175
words a minute through espeak-ng. Used by tests/functional/test_plain_speech.py and bench/speech.py.

Flows: the selfie check with liveness on (person S's clip at camera speed through the tests' own
webcam, ``tests.live_camera``, with the real keyring), an interview from booking to the credential
(an enrolled agent approves in between), and My data with every action.

The selfie and interview flows also run in another language (``lang="es"``): the selfie check chosen
by ``--lang``, the interview by the main menu's Language entry (remembered for the second visit).
What they wait for is the app's own text in that language (``said``), and espeak-ng speaks the
transcript with that language's voice.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import wave
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WPM = 175
SPEAKING_RATE = WPM / 60.0  # words a second
# the figures issue 14 measured before this work: (words, seconds of speech)
ISSUE_FIGURES = {"selfie": (1371, 524), "interview": (1049, 610), "mydata": (1208, 713)}


@dataclass
class Transcript:
    flow: str
    text: str
    lang: str = "en"
    camera_seconds: float | None = None  # the run's own time, start to decision (selfie only)
    run_text: str = ""  # what was said while the camera ran
    extra: dict = field(default_factory=dict)

    @property
    def lines(self) -> int:
        return len([line for line in self.text.splitlines() if line.strip()])

    @property
    def words(self) -> int:
        return words(self.text)

    @property
    def run_words(self) -> int:
        return words(self.run_text)


def words(text: str) -> int:
    return len(text.split())


def espeak() -> str | None:
    return shutil.which("espeak-ng")


def speech_seconds(text: str, lang: str = "en") -> float:
    """Seconds espeak-ng takes to say ``text`` at 175 words a minute (duration of the wav it writes), in
    ``lang``'s voice."""
    binary = espeak()
    if binary is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as folder:
        source, wav = Path(folder) / "transcript.txt", Path(folder) / "speech.wav"
        source.write_text(text, encoding="utf-8")
        # espeak-ng 1.51 writes no file with -q: -w alone keeps the sound card out of it
        subprocess.run([binary, "-v", lang, "-s", str(WPM), "-w", str(wav), "-f", str(source)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with wave.open(str(wav)) as audio:
            return audio.getnframes() / float(audio.getframerate())


def _env(home: Path, keyring_service: str, src: Path | None = None, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("SELFVERIFY_")}
    env = {**inherited, "TERM": "xterm-256color", "SELFVERIFY_HOME": str(home), "HOME": str(home / "user"),
           "SELFVERIFY_USER": "alice", "SELFVERIFY_KEYRING_SERVICE": keyring_service,
           "SELFVERIFY_TIMEZONE": "Europe/Paris", **extra}
    (home / "user").mkdir(parents=True, exist_ok=True)
    if src is not None:  # measure another checkout's code (bench/speech.py --src)
        env["PYTHONPATH"] = os.pathsep.join([str(src), str(ROOT)])
    return env


def _spawn(env: dict[str, str], args: list[str], timeout: float = 240):
    import pexpect

    child = pexpect.spawn(sys.executable, args, env=env, cwd=str(ROOT), encoding="utf-8", timeout=timeout,
                          dimensions=(50, 200))
    log = io.StringIO()
    child.logfile_read = log
    return child, log


def _finish(child) -> int:  # noqa: ANN001
    import pexpect

    child.expect(pexpect.EOF, timeout=120)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)


def _reply(child, text: str, answer: str | None) -> None:  # noqa: ANN001
    child.expect_exact(text)
    if answer is not None:
        child.sendline(answer)


@contextmanager
def speaking(lang: str):
    """The test process's own language while it waits for the app's text (said) in ``lang``."""
    from selfverify import i18n

    before = i18n.current_language()
    i18n.set_language(lang)
    try:
        yield
    finally:
        i18n.set_language(before)


def said(message: str, **fields: object) -> str:
    """``message`` as the app says it in the current language, fields filled in."""
    from selfverify.i18n import _

    return _(message).format(**fields) if fields else _(message)


def choose(count: int) -> str:
    return said("Choose 1 to {count}:", count=count)


def _settings(home: Path, keyring_service: str, user: str = "alice"):  # noqa: ANN202
    from selfverify.config import load_settings

    os.environ["SELFVERIFY_HOME"] = str(home)
    return load_settings({"keyring_service": keyring_service, "user": user, "timezone": "Europe/Paris"})


def selfie_flow(home: Path, keyring_service: str, faces: Path, src: Path | None = None, lang: str = "en") -> Transcript:
    """A new user's selfie check with liveness on: the notice, I agree, the reference photo (a frame of
    person S), the run at the tests' webcam playing the clip at camera speed, the result, keep nothing."""
    with speaking(lang):
        return _selfie_flow(home, keyring_service, faces, src, lang)


def _selfie_flow(home: Path, keyring_service: str, faces: Path, src: Path | None, lang: str) -> Transcript:
    from selfverify.context import AppContext
    from selfverify.plain.selfie import REFERENCE_QUESTION
    from selfverify.services.audit import list_sessions, timeline
    from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame

    home.mkdir(parents=True, exist_ok=True)
    reference = extract_frame(faces / "stage_clip.mp4", STAGE_REFERENCE_FRAME, home / "reference-S.png")
    env = _env(home, keyring_service, src, SELFVERIFY_CAMERA="0")
    language = ["--lang", lang] if lang != "en" else []
    child, log = _spawn(env, ["-m", "tests.live_camera", "live_at_camera_speed", "--", *language, "--accessible"])
    _reply(child, choose(5), "1")
    _reply(child, said("Do you agree to the selfie check?"), None)
    _reply(child, choose(3), "1")
    _reply(child, said(REFERENCE_QUESTION).split(" (")[0], str(reference))
    _reply(child, said("Keep photos for an appeal?"), None)
    _reply(child, choose(0).split("0")[0], "1")  # 2 or 4 choices, Enter: keep nothing
    _reply(child, choose(5), "4")
    code = _finish(child)
    text = log.getvalue().replace("\r\n", "\n")
    assert code == 0, text
    ctx = AppContext(settings=_settings(home, keyring_service))
    [session] = list_sessions(ctx, subject="alice")
    events = timeline(ctx, session.id)
    started = next(e["data"]["t"] for e in events if e["kind"] == "run_started")
    decided = next(e["data"]["t"] for e in events if e["kind"] == "decision")
    lines = text.split("\n")
    limits = said("You have up to {time} and {tries} before a wait. Once the challenge is given, stopping counts as a try.")
    first = next(i for i, line in enumerate(lines) if line.startswith(limits.split("{")[0])) + 1  # said just before the run
    last = next(i for i, line in enumerate(lines) if line.startswith(_label("result") + ": "))
    return Transcript("selfie", text, lang, decided - started, "\n".join(lines[first:last]),
                      {"outcome": session.outcome})


def _label(kind: str) -> str:
    from selfverify.wording.events import label

    return label(kind)


def _publish_slots(home: Path, keyring_service: str):  # noqa: ANN202
    """An enrolled agent's free times: three on each of two days, from three days ahead."""
    from selfverify.context import AppContext
    from tests.desk_support import enrol_services

    base = _settings(home, keyring_service)
    [agent] = enrol_services(AppContext(settings=base.replace(user="desk-admin")), AppContext(settings=base.replace(user="agent-ann")))
    first = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    agent.add_slots([first + timedelta(days=d, hours=h) for d in (0, 1) for h in (0, 1, 2)])
    return base


def interview_flow(home: Path, keyring_service: str, src: Path | None = None, lang: str = "en") -> Transcript:
    """Book the first free time, leave; the enrolled agent approves; come back: the credential. In another
    language, the main menu's Language entry chooses it first (and it is remembered for the return)."""
    from selfverify.context import AppContext
    from selfverify.plain.interview import CONTACT_QUESTION
    from selfverify.services.desk_agent import agent_service
    from selfverify.services.interview import InterviewService

    base = _publish_slots(home, keyring_service)
    env = _env(home, keyring_service, src)
    child, log = _spawn(env, ["-m", "selfverify", "--accessible"])
    if lang != "en":
        _choose_language(child, lang)
    with speaking(lang):
        _reply(child, choose(5), "2")  # the main menu: interview
        _reply(child, choose(6), "1")  # book
        child.expect(re.escape(choose(0).split("0")[0]) + r"\d+:")
        child.sendline("1")
        _reply(child, said(CONTACT_QUESTION), "+33 1 23 45 67 89")
        _reply(child, said("{question} Type yes or no:", question="").strip(), "")  # no interpreter, captions, phone call or note
        _reply(child, choose(5), "5")  # the booked menu: main menu
        _reply(child, choose(5), "4")  # quit
    assert _finish(child) == 0
    booked = log.getvalue()
    [mine] = InterviewService(AppContext(settings=base)).my_appointments()
    from selfverify.core.clock import FakeClock

    at_start = FakeClock(mine.starts_at + timedelta(minutes=1))  # an agent decides once the interview started
    agent_service(AppContext(settings=base.replace(user="agent-ann"), clock=at_start)).approve(mine.code, ["passport"])
    from tests.clock_shift import SHIFT_ENV, SHIM_DIR

    shift = (at_start.now() - datetime.now(timezone.utc)).total_seconds()  # the person comes back after the interview
    later = {**env, SHIFT_ENV: repr(shift), "PYTHONPATH": os.pathsep.join(p for p in (str(SHIM_DIR), env.get("PYTHONPATH", "")) if p)}
    child, log = _spawn(later, ["-m", "selfverify", "--accessible"])
    with speaking(lang):  # the language chosen on the first visit is remembered
        _reply(child, choose(5), "2")
        _reply(child, choose(3), "3")  # the credential is picked up (nothing to book); back to the main menu
        _reply(child, choose(5), "4")
    assert _finish(child) == 0
    text = (booked + log.getvalue()).replace("\r\n", "\n")
    return Transcript("interview", text, lang, extra={"code": mine.display_code})


def _choose_language(child, lang: str) -> None:  # noqa: ANN001
    """The main menu's last entry, Language, then ``lang`` by its own name (the menu is in English here)."""
    from selfverify.i18n import available_languages, language_name

    languages = available_languages()
    _reply(child, choose(5), "5")
    _reply(child, said("Choose 1 to {count} (Enter: {number}):", count=len(languages) + 1, number=1), language_name(lang))


def seed_my_data(home: Path, keyring_service: str) -> None:
    """Consent, two kept photos and a selfie credential for alice, through the services."""
    from selfverify.context import AppContext
    from selfverify.services.consent import ConsentService
    from selfverify.services.credentials import CredentialService
    from selfverify.services.vault import PhotoVault
    from tests.privacy_support import live_decision

    ctx = AppContext(settings=_settings(home, keyring_service))
    ctx.db.init()
    ConsentService(ctx).accept()
    vault = PhotoVault(ctx)
    vault.retain("reference", b"reference photo bytes")
    vault.retain("selfie", b"camera picture bytes")
    CredentialService(ctx).issue("selfie", live_decision())


def mydata_flow(home: Path, keyring_service: str, src: Path | None = None) -> Transcript:
    """My data, every action in menu order, saying yes to each; the token saved (or, before, shown)."""
    seed_my_data(home, keyring_service)
    child, log = _spawn(_env(home, keyring_service, src), ["-m", "selfverify", "--accessible"])
    menu = "Choose 1 to 10:"
    _reply(child, "Choose 1 to 5:", "3")
    for action in ("1", "2", "3", "4", "5", "6", "7", "8", "9"):
        _reply(child, menu, action)
        if action == "2":
            _reply(child, "Choose 1 to 2:", "1")
        if action in ("2", "3", "7", "8", "9"):
            _reply(child, "Type yes or no:", "yes")
        if action == "6":
            if child.expect_exact(["Type save", "Print it on the screen?"]) == 0:
                child.sendline("save")
                _reply(child, "File name (Enter:", "")
            else:
                child.sendline("yes")
    _reply(child, menu, "10")
    _reply(child, "Choose 1 to 5:", "4")
    assert _finish(child) == 0
    text = log.getvalue().replace("\r\n", "\n")
    return Transcript("mydata", text, extra={"token_file": home / "user" / "selfverify-credential.txt"})


def new_home() -> tuple[Path, str]:
    return Path(tempfile.mkdtemp(prefix="selfverify-speech-")), f"selfverify-test-{uuid.uuid4().hex[:12]}"
