"""Every message a TUI worker thread posts, as a dataclass: workers never touch widgets, never call
``call_from_thread``; they post one of these (``post_message`` is thread-safe) and the screen's
handler lays the result out on the event loop. A worker that raises is handled in one place:
``AppScreen.on_worker_state_changed`` (``worker_failed``), never by a try/except in each worker.

Handler names follow the class names: ``PreviewReady`` -> ``on_preview_ready``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass(eq=False)
class StatusChanged(Message, bubble=False):
    """A worker's one-line report for the status line."""

    text: str


@dataclass(eq=False)
class PreviewReady(Message, bubble=False):
    """A preview frame encoded for the screen (``camera_view.Picture``). Coalescing: a newer one
    replaces one still waiting in the queue, so the screen never works through stale frames."""

    picture: Any

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PreviewReady)


@dataclass(eq=False)
class EngineEvent(Message, bubble=False):
    """One event of the selfie run (``core.events``) other than a preview frame."""

    event: Any


@dataclass(eq=False)
class SelfieReady(Message, bubble=False):
    """The run may start: tries left and anything the user should know first (no keyring...)."""

    attempts: Any
    note: str = ""


@dataclass(eq=False)
class SelfieBlocked(Message, bubble=False):
    """Consent missing, locked out or a wait between tries (``services.selfie.Preflight``)."""

    preflight: Any


@dataclass(eq=False)
class SelfieFinished(Message, bubble=False):
    """The run ended with an outcome (``services.selfie.SelfieOutcome``)."""

    outcome: Any


@dataclass(eq=False)
class ConsentChecked(Message, bubble=False):
    """Whether consent is on record now (the step bar ticks it or not)."""

    accepted: bool


@dataclass(eq=False)
class NoticeLoaded(Message, bubble=False):
    notice: Any
    status: Any


@dataclass(eq=False)
class ConsentRecorded(Message, bubble=False):
    pass


@dataclass(eq=False)
class ReferenceChecked(Message, bubble=False):
    """A reference photo with exactly one face, its summary and its thumbnail (in memory only)."""

    path: str
    summary: str
    thumbnail: Any = None
    reference: Any = None  # core.faces.Reference: decoded and encoded once, used by every run


@dataclass(eq=False)
class Notice(Message, bubble=False):
    """Something worth a notification (and a line in the status log), such as an upcoming interview."""

    text: str
    title: str = ""
    timeout: float = 20


@dataclass(eq=False)
class CredentialGone(Message, bubble=False):
    """The result screen's credential is no longer stored (deleted or revoked in My data)."""


@dataclass(eq=False)
class PhotosRetained(Message, bubble=False):
    """The photos the person chose to keep are stored, encrypted."""

    count: int


@dataclass(eq=False)
class MyDataLoaded(Message, bubble=False):
    """What My data shows: each part's value, or the SelfverifyError that part raised (one part
    unreadable never hides the others)."""

    data: dict
    announce: bool = True


@dataclass(eq=False)
class TokenReady(Message, bubble=False):
    """The credential token to show (My data's Export)."""

    token: str


@dataclass(eq=False)
class MyDataChanged(Message, bubble=False):
    """A My data action finished: what to say, and whether biometric data held in memory must go
    (consent withdrawn, everything deleted)."""

    text: str
    forget_biometrics: bool = False


# -------------------------------------------------- the interview screen (tui/screens/interview.py)


@dataclass(eq=False)
class InterviewLoaded(Message, bubble=False):
    """The person's bookings, the free slots, the queue and past interviews, read in one worker run
    (``tui.screens.interview.Loaded``, its times already formatted in the person's zone)."""

    view: Any


@dataclass(eq=False)
class InterviewActed(Message, bubble=False):
    """A booking action went through (book, move, cancel, join or leave the queue, time zone): its
    sentence for the status line; the screen reads everything again."""

    text: str


@dataclass(eq=False)
class CalendarReady(Message, bubble=False):
    """The booking as an iCalendar file, ready to be saved where the person chooses."""

    data: bytes
    default_path: str


# -------------------------------------------------- the agent console (tui/agent/app.py)


@dataclass(eq=False)
class DayLoaded(Message, bubble=False):
    """The appointments of the day the console shows (``AppointmentView`` list, in time order)."""

    items: Any


@dataclass(eq=False)
class AppointmentLoaded(Message, bubble=False):
    """One appointment as it stands now: opened (``announce``: say so), read again, or just decided."""

    view: Any
    announce: bool = False
    decided: bool = False


@dataclass(eq=False)
class QueueLoaded(Message, bubble=False):
    """The on-demand queue: how many wait, who is on duty, the typical interview length in minutes."""

    waiting: int
    on_duty: Any
    typical: float


@dataclass(eq=False)
class QueueTaken(Message, bubble=False):
    """The person this agent took from the queue (an ``AppointmentView``), or None: nobody waited."""

    view: Any


@dataclass(eq=False)
class DutyChanged(Message, bubble=False):
    """This agent went on or off duty; ``on_duty``: every agent on duty now."""

    on: bool
    on_duty: Any
