"""The selfverify Textual app: consent first, then a selfie check or an interview, with equal weight."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from functools import partial
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.geometry import Offset
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from selfverify.i18n import N_, _, ngettext, pgettext
from selfverify.tui.language import LanguageCommands, LanguageSwitch
from selfverify.tui.messages import Notice, StatusChanged
from selfverify.tui.theme import THEMES
from selfverify.tui.widgets.status_log import StatusHistory, StatusLine


# Textual's own palette entries (app.get_system_commands), marked here so that they are translated
TEXTUAL_WORDS = (
    N_("Theme"), N_("Change the current theme"), N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"), N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
)


@dataclass
class JourneyState:
    """What the user has done so far in this run of the app (in memory only)."""

    reference_path: str | None = None
    reference: Any = None  # core.faces.Reference checked from reference_path: the run uses it, not a second decode
    reference_summary: str | None = None
    camera: str | None = None
    outcome: Any = None  # services.selfie.SelfieOutcome of the last run
    extra: dict = field(default_factory=dict)


class SelfverifyCommands(Provider):
    """Every action of the app in the command palette."""

    def _commands(self) -> list[tuple[str, str, str]]:
        return [
            (_("Start: consent and choice"), "start", _("Read the notice, then choose a selfie check or an interview")),
            (_("Selfie check"), "selfie", _("Compare your face with a reference photo on this computer")),
            (_("Interview with a person"), "interview", _("Book a time; no photos, no face data")),
            (_("Interview: book the selected slot"), "interview_do('book')", _("Book the slot chosen in the table")),
            (_("Interview: refresh"), "interview_do('refresh')", _("Reload your booking and the free slots")),
            (_("Interview: cancel my booking"), "interview_do('cancel')", _("Asks before cancelling")),
            (pgettext("palette", "My data"), "my_data", _("Retained photos, deletion receipts, credential and consent")),
            (_("My data: delete all photos"), "my_data_do('delete_all_photos')", _("Asks before deleting")),
            (_("My data: show my credential token"), "my_data_do('export')", _("See the token and save it to a file")),
            (_("My data: revoke my credential"), "my_data_do('revoke')", _("Asks before revoking")),
            (_("My data: withdraw consent"), "my_data_do('withdraw')", _("Asks before withdrawing; retained photos are deleted")),
            (_("My data: delete everything"), "my_data_do('delete_everything')", _("Asks before deleting")),
            (_("Status log"), "status_log", _("Every status message of this session")),
            (_("High-contrast theme"), "high_contrast", _("Switch to the 7:1 contrast theme")),
        ]  # Quit is the system provider's entry (listed once)

    async def discover(self) -> Hits:
        for title, action, help_ in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_ in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_)


class SelfverifyApp(LanguageSwitch, App):
    preview = None  # camera_view.PreviewMode, set by run_tui (None: half blocks, as in tests)
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere keep the style
    TITLE = "selfverify"
    SUB_TITLE = N_("identity check: selfie on this computer, or an interview")
    COMMANDS = App.COMMANDS | {SelfverifyCommands, LanguageCommands}
    BINDINGS = [
        Binding("q", "quit", N_("Quit")),
        Binding("ctrl+c", "interrupt", N_("Quit"), show=False, priority=True),
        Binding("f2", "my_data", N_("My data")),
        Binding("f3", "status_log", N_("Log")),
    ]

    def __init__(self, ctx, *, reference: str | None = None, camera: str | None = None, startup: bool = True):  # noqa: ANN001
        super().__init__()
        self.ctx = ctx
        self.history = StatusHistory()
        self.journey = JourneyState(reference_path=reference, camera=camera or ctx.settings.camera)
        self._run_startup = startup
        from selfverify.core.encoder import EncoderProcess  # light: the child imports dlib, not us

        # encodings are computed in a child process: dlib would hold the GIL, stalling the event loop
        self.face_encoder = EncoderProcess()
        if not ctx.settings.animations:
            self.animation_level = "none"

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        if self.ctx.settings.theme in self.available_themes:
            self.theme = self.ctx.settings.theme
        else:
            self.set_status(_("Unknown theme {theme!r}; using the default.").format(theme=self.ctx.settings.theme))
        from selfverify.tui.screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen())
        if self._run_startup:
            # after the first paint: importing the database layer competes for the GIL
            self.call_after_refresh(self.startup_tasks)

    @work(thread=True, exclusive=True, exit_on_error=False, group="startup")
    def startup_tasks(self) -> None:
        """Finish or roll back interrupted work and purge expired photos, off the event loop."""
        from selfverify.services.startup import on_startup

        report = on_startup(self.ctx)  # raises: on_worker_state_changed reports it
        notes = []
        if report.photos_purged:
            notes.append(ngettext("{count} expired photo deleted", "{count} expired photos deleted",
                                  report.photos_purged).format(count=report.photos_purged))
        if report.changed_anything and not report.photos_purged:
            notes.append(_("interrupted work from last time was completed"))
        notes.extend(report.postponed)
        from selfverify.errors import SelfverifyError
        from selfverify.services.interview import InterviewService

        try:  # no reminder may reach the person: say it here
            upcoming = InterviewService(self.ctx).upcoming_line()
        except SelfverifyError:
            upcoming = None
        if upcoming:
            self.post_message(Notice(upcoming, title=_("Upcoming interview")))
        if notes:
            self.post_message(StatusChanged("; ".join(notes) + "."))

    def on_status_changed(self, message: StatusChanged) -> None:
        self.set_status(message.text)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, title=message.title, markup=False, timeout=message.timeout)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers' failures (each screen handles its own: AppScreen)."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from selfverify.tui.screens.base import failure_text

            self.set_status(failure_text(event.worker.error))

    def preload_face_models(self) -> None:
        from selfverify.core.engine import preload_in_background

        preload_in_background()  # detection and landmarks run in this process

    def start_face_encoder(self) -> None:
        """Start the encoder's child (it loads its models while the user picks a photo); called once
        the user has consented to the selfie check: an interview never starts it."""
        import threading

        threading.Thread(target=self.face_encoder.start, name="selfverify-encoder-start", daemon=True).start()

    def close_face_encoder(self) -> None:
        self.face_encoder.close()

    def on_unmount(self) -> None:
        self.close_face_encoder()

    # status: one place that shows and remembers every message
    def set_status(self, text: str) -> None:
        self.history.add(text)
        for screen in reversed(self.screen_stack):  # under a modal dialog: the screen beneath shows it
            lines = screen.query(StatusLine)
            if lines:
                lines.first().show(text)
                break

    def notify(self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None, markup: bool = True) -> None:  # type: ignore[override]
        plain = message
        if markup:  # the status line and the log show words, not markup such as [$text-success]
            from textual.content import Content

            try:
                plain = Content.from_markup(message).plain
            except Exception:  # not valid markup after all: show it as it is
                pass
        self.set_status(f"{title}: {plain}" if title else plain)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # braille displays follow the terminal cursor: put it on the focused widget
    def on_descendant_focus(self, event) -> None:  # noqa: ANN001
        widget: Widget = event.widget
        region = widget.region
        self.cursor_position = Offset(region.x, region.y)

    # actions reachable from anywhere (bindings and the command palette)
    def action_start(self) -> None:
        from selfverify.tui.screens.consent import ConsentScreen

        self.push_screen(ConsentScreen())

    def action_selfie(self) -> None:
        from selfverify.tui.screens.consent import ConsentScreen

        self.push_screen(ConsentScreen(focus_selfie=True))

    def action_interview(self) -> None:
        from selfverify.tui.screens.interview import InterviewScreen

        self.push_screen(InterviewScreen())

    def action_my_data(self) -> None:
        from selfverify.tui.screens.mydata import MyDataScreen

        if not isinstance(self.screen, MyDataScreen):
            self.push_screen(MyDataScreen())

    def action_status_log(self) -> None:
        from selfverify.tui.screens.log import StatusLogScreen

        if not isinstance(self.screen, StatusLogScreen):
            self.push_screen(StatusLogScreen())

    def action_interrupt(self) -> None:
        """Ctrl+C leaves at once, from any screen (mid-selfie too), with the documented exit code 130."""
        from selfverify.errors import EXIT_INTERRUPTED

        self.exit(return_code=EXIT_INTERRUPTED)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG screenshot in ~/Downloads, or in the home folder when there is no Downloads."""
        if path is None:
            downloads = Path.home() / "Downloads"  # i18n: ignore (the folder's name on disk)
            path = str(downloads if downloads.is_dir() else Path.home())
        self.deliver_screenshot(filename, path)

    def action_my_data_do(self, op: str) -> None:
        """A My data action from the command palette: opens My data, then asks as its button does."""
        from selfverify.tui.screens.mydata import MyDataScreen

        if not isinstance(self.screen, MyDataScreen):
            self.push_screen(MyDataScreen())
        self.call_after_refresh(lambda: self.screen.run_palette_action(op))

    def action_interview_do(self, op: str) -> None:
        """An interview action from the command palette: opens the interview screen, then acts."""
        from selfverify.tui.screens.interview import InterviewScreen

        if not isinstance(self.screen, InterviewScreen):
            self.push_screen(InterviewScreen())
        self.call_after_refresh(lambda: self.screen.run_palette_action(op))

    def action_high_contrast(self) -> None:
        self.theme = "selfverify-high-contrast"
        self.set_status(_("High-contrast theme on."))

    def action_command_palette(self) -> None:
        """Textual's palette, its search field's hint in the current language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=_("Search for commands…")))

    def search_themes(self) -> None:
        """The palette's Theme entry: Textual's theme list, its search hint in the current language."""
        from textual.command import CommandPalette
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…")))

    def get_system_commands(self, screen):  # noqa: ANN001, ANN201
        """Textual's own palette entries (Theme, Quit, Keys, ...), in the current language."""
        for command in super().get_system_commands(screen):
            yield command._replace(title=_(command.title), help=_(command.help))  # TEXTUAL_WORDS

    # privacy: the checked reference's face encoding (and a run's best frame) live in memory for this
    # session only; they go when consent is withdrawn, everything is deleted or the reference changes
    def forget_biometrics(self) -> None:
        self.journey.reference = None
        self.journey.reference_summary = None
        for holder in (self.journey, *self.screen_stack):
            outcome = getattr(holder, "outcome", None)
            if outcome is not None:
                outcome.discard_best_frame()


def run_tui(ctx, reference: str | None = None) -> int:  # noqa: ANN001
    from selfverify.tui.widgets.camera_view import detect_preview

    app = SelfverifyApp(ctx, reference=reference)
    app.preview = detect_preview(ctx.settings.preview)  # asks the terminal: before Textual reads stdin
    try:
        app.run()
    finally:
        app.close_face_encoder()  # also when the app crashed before unmounting
    return app.return_code or 0
