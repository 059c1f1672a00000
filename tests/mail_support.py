"""A real SMTP server on this machine (aiosmtpd) for the notice tests, plus one that refuses every
message and one that drops the connection, and helpers to read what arrived."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

import pytest


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list = field(default_factory=list)  # email.message.EmailMessage, in arrival order
    refuse: bool = False

    def env(self) -> dict[str, str]:
        """The settings that point selfverify at this server."""
        return {"SELFVERIFY_SMTP_HOST": self.host, "SELFVERIFY_SMTP_PORT": str(self.port),
                "SELFVERIFY_SMTP_SECURITY": "none", "SELFVERIFY_SMTP_SENDER": "desk@example.org",
                "SELFVERIFY_SMTP_TIMEOUT": "5"}

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


class _Handler:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        if self.box.refuse:
            return "554 5.7.1 Message refused by policy"
        self.box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(monkeypatch):
    """A running SMTP server that keeps every message; selfverify's settings point at it."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", _free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    for key, value in box.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def dropping_server(monkeypatch):
    """A server that accepts a connection and closes it at once (a crashed or overloaded relay)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    box = Mailbox("127.0.0.1", listener.getsockname()[1])
    for key, value in box.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield box
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def body(message) -> str:  # noqa: ANN001
    return message.get_body(preferencelist=("plain",)).get_content()


def ics_attachment(message):  # noqa: ANN001, ANN201
    """The attached calendar, parsed with icalendar (None if there is none)."""
    from icalendar import Calendar

    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    return None
