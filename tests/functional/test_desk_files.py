"""Second review, finding 11: files the desk commands write and read follow the rules for files a
person names (outfile.py): --out never replaces a file without --force, a FIFO is refused rather
than waited on, and the private-file writer cannot be redirected through a planted symlink."""

from __future__ import annotations

import os

import pytest

from tests.inprocess_cli import run_main


@pytest.fixture
def env(home, keyring_service, monkeypatch):
    monkeypatch.setenv("SELFVERIFY_HOME", str(home))
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)


@pytest.mark.parametrize("command", [("desk", "agent-key"), ("desk", "kiosk-key", "hall")])
def test_out_never_overwrites_a_file_without_force(env, tmp_path, command):
    notes = tmp_path / "notes.txt"
    notes.write_text("someone's notes\n")
    proc = run_main("--user", "ann", *command, "--out", str(notes))
    assert proc.returncode == 2 and "already exists" in proc.stderr and "Traceback" not in proc.stderr
    assert notes.read_text() == "someone's notes\n"
    proc = run_main("--user", "ann", *command, "--out", str(notes), "--force")
    assert proc.returncode == 0, proc.stderr
    assert '"jwk"' in notes.read_text()


def test_enrol_refuses_a_fifo_instead_of_hanging(env, tmp_path):
    import signal

    assert run_main("--user", "admin", "desk", "init").returncode == 0
    fifo = tmp_path / "request.json"
    os.mkfifo(fifo)

    def hung(*_):
        raise AssertionError("enrol-agent waited on a FIFO")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        proc = run_main("--user", "admin", "desk", "enrol-agent", str(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert proc.returncode == 2 and "not a file" in proc.stderr


def test_a_planted_temp_file_link_cannot_redirect_a_private_write(tmp_path, monkeypatch):
    """The temp name used to be ``.NAME.tmp-PID`` opened with O_TRUNC (following symlinks)."""
    from selfverify import paths

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    target = tmp_path / "x.json"
    for name in (f".x.json.tmp-{os.getpid()}", f".x.json.tmp-{os.getpid()}-{'0' * 16}"):
        (tmp_path / name).symlink_to(victim)
    monkeypatch.setattr(paths.secrets, "token_hex", lambda n: "0" * (2 * n))  # even a guessed random part
    with pytest.raises(OSError):
        paths.write_private_file(target, b"secret\n")
    assert victim.read_text() == "keep me\n" and not target.exists()
