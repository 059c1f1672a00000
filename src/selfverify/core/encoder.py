"""Face encodings in a child process, so the caller's threads keep running while dlib works.

dlib's face descriptor network holds the GIL for its whole ~100-250 ms, which stalls every other
thread of the process (a Textual app's event loop among them). ``EncoderProcess`` keeps one child
process that loads the models once and answers requests over a socket pair: the small RGB window around a
face and the face's box go in, the 128 floats come back; the numbers are those of
``faces.encode_window`` in this process. The child is a fresh interpreter (``python -m
selfverify.core.encoder``: forking a process that has threads is unsafe, and multiprocessing's
"spawn" would re-run the caller's main script), in its own session (a terminal's Ctrl+C is the
parent's business), with stdin, stdout and stderr on /dev/null: it writes nothing to disk and logs
nothing; its errors come back over the pipe. If it dies it is restarted on the next request.

The headless CLI encodes in its own process: a child would only add its start-up time.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from selfverify import errors
from selfverify.errors import EnvironmentProblem, SelfverifyError
from selfverify.i18n import N_, _, current_language

__all__ = ["EncoderProcess"]

LOAD_TIMEOUT_S = 180.0  # the child imports dlib and loads its models (slow on a busy machine)
REQUEST_TIMEOUT_S = 30.0  # one encoding takes well under a second
CLOSE_GRACE_S = 0.5  # how long a closing child may take to leave on its own before it is terminated
CHILD_MODULE = "selfverify.core.encoder"
_RETRY_HINT = N_("Try again; if it keeps happening, restart selfverify.")


class _ChildGone(Exception):
    """The child exited, or did not answer in time (it is then terminated)."""


class EncoderProcess:
    """A persistent child process computing face encodings; thread-safe, one request at a time.

    ``start()`` returns at once (the models load in the child while the caller goes on);
    ``encode_window()`` starts the child if needed and waits for it; ``close()`` ends it for good.
    """

    def __init__(self, *, load_timeout: float = LOAD_TIMEOUT_S, request_timeout: float = REQUEST_TIMEOUT_S):
        self.load_timeout = load_timeout
        self.request_timeout = request_timeout
        self._lock = threading.Lock()  # one request on the pipe at a time
        self._process: Any = None
        self._conn: Any = None
        self._ready = False
        self._closed = False

    def __enter__(self) -> EncoderProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id while one is running."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self, *, wait: bool = False) -> None:
        """Start the child unless it is running (or the encoder was closed). Returns at once, or
        with ``wait`` once the models are loaded (raising SelfverifyError if they cannot be)."""
        with self._lock:
            if self._closed:
                return
            self._start_child()
            if wait and not self._ready:
                try:
                    self._await_ready()
                except _ChildGone as exc:
                    self._stop_child()
                    raise EnvironmentProblem(_("The face encoder process did not start ({detail}).").format(detail=exc),
                                             code="face_encoder", hint=_(_RETRY_HINT)) from None

    def encode(self, image, box, *, bgr: bool = False):
        """``faces.encode_face`` computed by the child."""
        from selfverify.core.faces import encode_face

        return encode_face(image, box, bgr=bgr, encoder=self)

    def encode_window(self, window, box):
        """The 128-d encoding of the face in ``box`` of an RGB ``window`` (see ``faces.face_window``).
        A child that died is restarted once, transparently; raises SelfverifyError if that fails."""
        import numpy as np

        request = (np.ascontiguousarray(window), tuple(int(v) for v in box))
        with self._lock:
            try:
                return self._ask(request)
            except _ChildGone:
                self._forget_child()
            try:
                return self._ask(request)  # in a new child
            except _ChildGone as exc:
                self._forget_child()
                raise EnvironmentProblem(
                    _("The face encoder process failed twice in a row ({detail}).").format(detail=exc), code="face_encoder",
                    hint=_(_RETRY_HINT)
                ) from None

    def close(self) -> None:
        """End the child (idempotent). A request waiting in another thread gets SelfverifyError."""
        self._closed = True
        if not self._lock.acquire(timeout=CLOSE_GRACE_S):
            # a request is waiting on the child: end the child so that request returns at once
            process = self._process
            if process is not None:
                process.terminate()
            self._lock.acquire()
        try:
            self._stop_child(polite=True)
        finally:
            self._lock.release()

    # the child's lifecycle (callers hold the lock) ------------------------------------------------
    def _start_child(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop_child()
        import socket
        import subprocess
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        with ours, theirs:
            process = subprocess.Popen(
                [sys.executable, "-P", "-m", CHILD_MODULE, str(theirs.fileno()), current_language()],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), start_new_session=True,
            )
            conn = Connection(ours.detach())
        # closing our copy of the child's end makes the child's death read as end-of-file here
        self._process, self._conn, self._ready = process, conn, False

    def _stop_child(self, polite: bool = False) -> None:
        import subprocess

        process, conn, ready = self._process, self._conn, self._ready
        self._process, self._conn, self._ready = None, None, False
        if process is None:
            return
        if polite and ready and process.poll() is None:  # one still loading its models reads nothing yet
            try:
                conn.send(None)
                process.wait(CLOSE_GRACE_S)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(CLOSE_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        conn.close()

    def _forget_child(self) -> None:
        self._stop_child()
        if self._closed:
            raise EnvironmentProblem(_("The face encoder was shut down."), code="face_encoder")

    def _ask(self, request: tuple) -> Any:
        if self._closed:
            raise _ChildGone(_("it was shut down"))
        self._start_child()
        if not self._ready:
            self._await_ready()
        try:
            self._conn.send(request)
        except OSError as exc:
            raise _ChildGone(_("the request could not be sent: {detail}").format(detail=exc.strerror or exc)) from None
        kind, payload = self._receive(self.request_timeout)
        if kind == "encoding":
            return payload
        raise EnvironmentProblem(_("The face encoder failed: {detail}.").format(detail=payload), code="face_encoder",
                                 hint=_(_RETRY_HINT))

    def _await_ready(self) -> None:
        kind, payload = self._receive(self.load_timeout)
        if kind == "error":
            self._stop_child()
            raise _rebuild_error(payload)
        self._ready = True

    def _receive(self, timeout: float) -> tuple[str, Any]:
        import subprocess

        process, conn = self._process, self._conn
        try:
            if not conn.poll(timeout):
                raise _ChildGone(_("no answer within {seconds} s").format(seconds=f"{timeout:g}"))
            return conn.recv()
        except (EOFError, OSError):
            try:
                process.wait(CLOSE_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
            raise _ChildGone(_("it exited with status {status}").format(status=process.returncode)) from None


def _rebuild_error(payload: dict) -> SelfverifyError:
    """The child's SelfverifyError, as the same class with the same message, hint and code."""
    cls = getattr(errors, payload["type"], None)
    if not (isinstance(cls, type) and issubclass(cls, SelfverifyError)):
        cls = EnvironmentProblem
    return cls(payload["message"], hint=payload.get("hint"), code=payload.get("code"))


# the child ---------------------------------------------------------------------------------------
def _serve(conn) -> None:
    """The child's main loop: load the models, then answer until told to stop or the parent is gone."""
    try:
        from selfverify.core.faces import encode_window, face_models

        face_models()
    except SelfverifyError as exc:
        conn.send(("error", {"type": type(exc).__name__, "message": exc.user_message, "hint": exc.hint, "code": exc.code}))
        return
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        message = _("The face encoder could not start ({detail}).").format(detail=f"{type(exc).__name__}: {exc}")
        conn.send(("error", {"type": "EnvironmentProblem", "message": message, "code": "face_encoder"}))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if request is None:
            return
        window, box = request
        try:
            reply = ("encoding", encode_window(window, box))
        except Exception as exc:  # noqa: BLE001 - a bad request must not end the child
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        del window, request  # the face image does not outlive its request
        conn.send(reply)


if __name__ == "__main__":
    from multiprocessing.connection import Connection

    if len(sys.argv) > 2:  # the parent's language: the child's errors reach the same person
        from selfverify.i18n import set_language

        set_language(sys.argv[2])
    _serve(Connection(int(sys.argv[1])))
