"""A session bus that answers like a busy machine: a socket that forwards to the real D-Bus session
bus (so the real gnome-keyring answers) but holds the bus's first reply on each connection, its
answer to authentication, for ``delay`` seconds. jeepney waits 1 s for that answer by default."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import tempfile
import threading
import time
from pathlib import Path


def _bus_path() -> str:
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    for part in address.split(";"):
        if part.startswith("unix:path="):
            return part[len("unix:path="):].split(",", 1)[0]
    raise RuntimeError(f"no unix:path session bus to slow down in {address!r}")


def _forward(client: socket.socket, target: str, delay: float) -> None:
    upstream = socket.socket(socket.AF_UNIX)
    try:
        upstream.connect(target)
        held = True
        while True:
            ready, _, _ = select.select([client, upstream], [], [])
            for side in ready:
                data = side.recv(65536)
                if not data:
                    return
                if side is upstream and held:
                    time.sleep(delay)  # the authentication answer comes late
                    held = False
                (upstream if side is client else client).sendall(data)
    except OSError:
        return
    finally:
        client.close()
        upstream.close()


@contextlib.contextmanager
def slow_session_bus(delay: float = 1.5):
    """Yields a DBUS_SESSION_BUS_ADDRESS whose connections authenticate ``delay`` seconds late."""
    target = _bus_path()
    folder = Path(tempfile.mkdtemp(prefix="selfverify-slowbus-"))
    path = str(folder / "bus")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(32)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=_forward, args=(client, target, delay), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"unix:path={path}"
    finally:
        stop.set()
        server.close()
        os.unlink(path)
        folder.rmdir()
