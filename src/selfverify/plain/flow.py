"""What every flow of the accessible mode works with: the app's context, questions and output."""

from __future__ import annotations


class Flow:
    def __init__(self, app):  # noqa: ANN001 - plain.app.PlainApp
        self.app = app
        self.ctx = app.ctx
        self.out = app.out
        self.dialogue = app.dialogue
