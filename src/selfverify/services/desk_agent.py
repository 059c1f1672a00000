"""The agent's side of the desk: an interview service acting as the enrolled agent whose key this
account holds. Above both ``services/desk.py`` and ``services/interview``, which import each other
in one direction only (interview -> desk)."""

from __future__ import annotations

from selfverify.services.desk import DeskService
from selfverify.services.interview import InterviewService


def agent_service(ctx, requested: str | None = None, rng=None):  # noqa: ANN001
    """An InterviewService acting as the enrolled agent whose key this account holds."""
    identity = DeskService(ctx).current_agent(requested)
    service = InterviewService(ctx, agent=identity.handle, rng=rng)
    service.identity = identity
    return service
