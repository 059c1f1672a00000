"""Choose the reference photo (an ID document image or a photo) and check it has exactly one face."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, DirectoryTree, Input, Static

from selfverify.core.images import IMAGE_SUFFIXES
from selfverify.i18n import N_, _
from selfverify.tui.messages import ReferenceChecked
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.camera_view import BLOCKS, CameraView, PreviewRenderer
from selfverify.tui.widgets.steps import StepIndicator

THUMB_CELLS = (24, 10)  # the reference photo's thumbnail, with the found face boxed
# what the screen's fixed widgets say (by id): set when composed and again when the language changes
LABELS = {
    "reference-help": N_("Your reference photo: a scan or photo of your ID document, or a clear photo of you."),
    "check": N_("Check"),
    "next": N_("Next: selfie (ctrl+n)"),
    "interview": N_("Interview instead"),
}
PLACEHOLDER = N_("/path/to/id-photo.jpg")


def face_summary(reference) -> str:  # noqa: ANN001
    """What the check found, in words: "1 face found (86x87 pixels in a 640x360 photo)."."""
    width, height = reference.image_size
    top, right, bottom, left = reference.face_box
    return _("1 face found ({face_width}x{face_height} pixels in a {width}x{height} photo).").format(
        face_width=right - left, face_height=bottom - top, width=width, height=height)


class ExistingImageFile(Validator):
    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure(_("Type the path of your ID photo, or browse for it."))
        path = Path(os.path.expanduser(value.strip()))
        if not path.exists():
            return self.failure(_("No file at that path."))
        if path.is_dir():
            return self.failure(_("That is a folder: choose a photo inside it."))
        return self.success()


class ImageTree(DirectoryTree):
    """Folders (not hidden ones) and the files core takes for photos (``core.images.IMAGE_SUFFIXES``)."""

    def filter_paths(self, paths):  # noqa: ANN001
        return [p for p in paths if p.is_dir() and not p.name.startswith(".") or p.suffix.lower() in IMAGE_SUFFIXES]


class ReferenceScreen(AppScreen):
    BINDINGS = [
        Binding("ctrl+b", "browse", N_("Browse")),
        Binding("ctrl+n", "next", N_("Next")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._checking: str | None = None  # the path the latest check is for (an older check's answer is dropped)
        self._result: tuple[bool | None, Callable[[], str]] | None = None  # what the result line says, re-made per language

    def body(self) -> ComposeResult:
        yield StepIndicator("reference", id="steps")
        with Vertical(id="reference"):
            yield Static(_(LABELS["reference-help"]), id="reference-help")
            with Horizontal(id="reference-row"):
                yield Input(
                    value=self.app.journey.reference_path or "",
                    placeholder=_(PLACEHOLDER),
                    validators=[ExistingImageFile()],
                    validate_on=["submitted"],
                    id="reference-path",
                )
                yield Button(_(LABELS["check"]), id="check", variant="primary", compact=True)
            yield Static("", id="reference-result", markup=False)  # quotes the typed path
            thumb = CameraView(id="reference-thumb", classes="hidden", placeholder="")
            thumb.styles.width, thumb.styles.height = THUMB_CELLS
            yield thumb
            with Horizontal(id="reference-nav"):
                yield Button(_(LABELS["next"]), id="next", variant="success", disabled=True, compact=True)
                yield Button(_(LABELS["interview"]), id="interview", compact=True)

    async def language_changed(self) -> None:
        """The labels and the result line in the new language; the path, thumbnail and browser stay."""
        await super().language_changed()
        for wid, text in LABELS.items():
            widget = self.query_one(f"#{wid}")
            if isinstance(widget, Button):
                widget.label = _(text)
            else:
                widget.update(_(text))
        self.query_one("#reference-path", Input).placeholder = _(PLACEHOLDER)
        if self._result is not None:
            self._show_result(*self._result, announce=False)
    def _start_dir(self) -> Path:
        current = self.app.journey.reference_path
        if current and Path(os.path.expanduser(current)).parent.is_dir():
            return Path(os.path.expanduser(current)).parent
        return Path.home()

    def on_mount(self) -> None:
        self.app.start_face_encoder()  # the selfie check was chosen (and consented to): encodings ahead
        self.query_one("#reference-path", Input).focus()
        if self.app.journey.reference_path:
            self.check_reference(self.app.journey.reference_path)

    def action_browse(self) -> None:
        """Mounted on first use: a directory tree keeps a loader worker alive."""
        trees = self.query("#browser")
        if not trees:
            tree = ImageTree(str(self._start_dir()), id="browser")
            self.query_one("#reference").mount(tree, before=self.query_one("#reference-nav"))
            tree.focus()
            return
        tree = trees.first(ImageTree)
        tree.toggle_class("hidden")
        if not tree.has_class("hidden"):
            tree.focus()
        else:  # closed: typing goes to the path field again, not to a hidden tree
            self.query_one("#reference-path", Input).focus()

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        field = self.query_one("#reference-path", Input)
        field.value = str(event.path)
        self.query_one("#browser").add_class("hidden")
        field.focus()
        self.check_reference(str(event.path))

    @on(Input.Submitted, "#reference-path")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.validation_result and not event.validation_result.is_valid:
            self._invalid(event.value)
            return
        self.check_reference(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check":
            field = self.query_one("#reference-path", Input)
            result = field.validate(field.value)
            if result and not result.is_valid:
                self._invalid(field.value)
                return
            self.check_reference(field.value)
        elif event.button.id == "next":
            self.action_next()
        elif event.button.id == "interview":
            self.app.action_interview()

    def _invalid(self, value: str) -> None:
        def said() -> str:  # validated again in the language of the moment
            return " ".join(ExistingImageFile().validate(value).failure_descriptions)

        self._forget_reference()
        self._show_result(False, said)

    def _forget_reference(self) -> None:
        """Another photo is being chosen: the previous one's face encoding leaves memory now."""
        self._checking = None
        self.app.journey.reference = None
        self.app.journey.reference_summary = None
        self.query_one("#next", Button).disabled = True
        self.query_one("#reference-thumb", CameraView).add_class("hidden")

    def check_reference(self, value: str) -> None:
        self._forget_reference()
        self._checking = str(Path(os.path.expanduser(value.strip())))
        self._show_result(None, lambda: _("Checking the photo… (the face models may still be loading)"))
        self._load(self._checking)

    @work(thread=True, exclusive=True, exit_on_error=False, group="reference")
    def _load(self, path: str) -> None:
        from selfverify.core.faces import reference_from_image
        from selfverify.core.images import decode_image_file

        rgb = decode_image_file(path, _("reference photo"))  # raises: worker_failed shows the problem
        ref = reference_from_image(rgb, Path(path).name, encoder=self.app.face_encoder, path=path)
        summary = face_summary(ref)
        # the thumbnail is encoded here, off the event loop; it lives in memory only
        renderer = PreviewRenderer(colour=not os.environ.get("NO_COLOR"), mode=self.app.preview or BLOCKS)
        thumbnail = renderer.render(rgb[:, :, ::-1], *THUMB_CELLS, face_box=ref.face_box, guide=False)
        self.post_message(ReferenceChecked(path, summary, thumbnail, ref))

    def worker_failed(self, group: str, error: BaseException) -> None:
        from selfverify.errors import SelfverifyError

        if group == "reference" and isinstance(error, SelfverifyError):
            message = str(error)
            self._show_result(False, lambda: message)
        else:
            super().worker_failed(group, error)

    def on_reference_checked(self, message: ReferenceChecked) -> None:
        path, thumbnail, reference = message.path, message.thumbnail, message.reference
        if path != self._checking:  # an answer for a photo no longer chosen: its encoding is not kept
            return
        if thumbnail is not None:
            thumb = self.query_one("#reference-thumb", CameraView)
            thumb.show_picture(thumbnail)
            thumb.remove_class("hidden")
        self.app.journey.reference_path = path
        self.app.journey.reference = reference
        self.app.journey.reference_summary = message.summary
        self._show_result(True, lambda: face_summary(reference) + " " + _("Next: the selfie check."))
        nxt = self.query_one("#next", Button)
        nxt.disabled = False
        nxt.focus()

    def _show_result(self, ok: bool | None, said: Callable[[], str], announce: bool = True) -> None:
        """``said`` makes the sentence in the current language (called again when the language changes)."""
        self._result = (ok, said)
        text = said()
        label = {True: _("OK: "), False: _("Problem: "), None: ""}[ok]
        widget = self.query_one("#reference-result", Static)
        widget.set_classes({True: "ok", False: "problem", None: ""}[ok])
        widget.update(label + text)
        if announce:
            self.set_status(label + text.splitlines()[0])

    def action_next(self) -> None:
        if self.query_one("#next", Button).disabled:
            self.set_status(_("Check a reference photo first (Enter in the path field)."))
            return
        from selfverify.tui.screens.selfie import SelfieScreen

        self.app.push_screen(SelfieScreen())
