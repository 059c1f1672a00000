"""What every flow of the accessible mode works with: the app's context, questions and output."""

from __future__ import annotations


class Flow:
    def __init__(self, app):  # noqa: ANN001 - plain.app.PlainApp
        self.app = app
        self.ctx = app.ctx
        self.out = app.out
        self.dialogue = app.dialogue

    @property
    def zone(self):  # noqa: ANN201 - tzinfo
        """The zone times are said in: the configured one, else this computer's."""
        from selfverify.services.interview import resolve_zone

        return resolve_zone(self.ctx.settings.timezone)

    def when(self, moment) -> str:  # noqa: ANN001
        """A time in words in ``zone``; say the zone once per page with ``zone_name``."""
        from selfverify.wording.speech import when

        return when(moment, self.zone)

    def day(self, moment) -> str:  # noqa: ANN001
        """``Thursday 3 December``: a date in words, for a line that needs no time of day."""
        from selfverify.wording.speech import day

        return day(moment, self.zone)

    @property
    def zone_name(self) -> str:
        from selfverify.wording.speech import zone_words

        return zone_words(self.zone)
