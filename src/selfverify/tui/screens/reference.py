"""Choose the reference photo (an ID document image or a photo) and check it has exactly one face."""

from __future__ import annotations

import os
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, DirectoryTree, Input, Static

from selfverify.core.images import IMAGE_SUFFIXES
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.camera_view import BLOCKS, CameraView, PreviewRenderer
from selfverify.tui.widgets.steps import StepIndicator

THUMB_CELLS = (24, 10)  # the reference photo's thumbnail, with the found face boxed


class ExistingImageFile(Validator):
    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure("Type the path of your ID photo, or browse for it.")
        path = Path(os.path.expanduser(value.strip()))
        if not path.exists():
            return self.failure("No file at that path.")
        if path.is_dir():
            return self.failure("That is a folder: choose a photo inside it.")
        return self.success()


class ImageTree(DirectoryTree):
    """Folders (not hidden ones) and the files core takes for photos (``core.images.IMAGE_SUFFIXES``)."""

    def filter_paths(self, paths):  # noqa: ANN001
        return [p for p in paths if p.is_dir() and not p.name.startswith(".") or p.suffix.lower() in IMAGE_SUFFIXES]


class ReferenceScreen(AppScreen):
    BINDINGS = [
        Binding("ctrl+b", "browse", "Browse"),
        Binding("ctrl+n", "next", "Next"),
    ]

    def body(self) -> ComposeResult:
        yield StepIndicator("Reference", id="steps")
        with Vertical(id="reference"):
            yield Static("Your reference photo: a scan or photo of your ID document, or a clear photo of you.", id="reference-help")
            with Horizontal(id="reference-row"):
                yield Input(
                    value=self.app.journey.reference_path or "",
                    placeholder="/path/to/id-photo.jpg",
                    validators=[ExistingImageFile()],
                    validate_on=["submitted"],
                    id="reference-path",
                )
                yield Button("Check", id="check", variant="primary", compact=True)
            yield Static("", id="reference-result", markup=False)  # quotes the typed path
            thumb = CameraView(id="reference-thumb", classes="hidden", placeholder="")
            thumb.styles.width, thumb.styles.height = THUMB_CELLS
            yield thumb
            with Horizontal(id="reference-nav"):
                yield Button("Next: selfie (ctrl+n)", id="next", variant="success", disabled=True, compact=True)
                yield Button("Interview instead", id="interview", compact=True)

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
            self._show_result(False, " ".join(event.validation_result.failure_descriptions))
            return
        self.check_reference(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check":
            field = self.query_one("#reference-path", Input)
            result = field.validate(field.value)
            if result and not result.is_valid:
                self._show_result(False, " ".join(result.failure_descriptions))
                return
            self.check_reference(field.value)
        elif event.button.id == "next":
            self.action_next()
        elif event.button.id == "interview":
            self.app.action_interview()

    def check_reference(self, value: str) -> None:
        self.query_one("#next", Button).disabled = True
        self.query_one("#reference-thumb", CameraView).add_class("hidden")
        self._show_result(None, "Checking the photo… (the face models may still be loading)")
        self._load(str(Path(os.path.expanduser(value.strip()))))

    @work(thread=True, exclusive=True, exit_on_error=False, group="reference")
    def _load(self, path: str) -> None:
        from selfverify.core.faces import reference_from_image
        from selfverify.core.images import decode_image_file
        from selfverify.errors import SelfverifyError

        try:
            rgb = decode_image_file(path, "reference photo")
            ref = reference_from_image(rgb, Path(path).name, encoder=self.app.face_encoder, path=path)
        except SelfverifyError as exc:
            self.app.call_from_thread(self._show_result, False, str(exc))
            return
        width, height = ref.image_size
        top, right, bottom, left = ref.face_box
        summary = f"1 face found ({right - left}x{bottom - top} pixels in a {width}x{height} photo)."
        # the thumbnail is encoded here, off the event loop; it lives in memory only
        renderer = PreviewRenderer(colour=not os.environ.get("NO_COLOR"), mode=self.app.preview or BLOCKS)
        thumbnail = renderer.render(rgb[:, :, ::-1], *THUMB_CELLS, face_box=ref.face_box, guide=False)
        self.app.call_from_thread(self._accepted, path, summary, thumbnail, ref)

    def _accepted(self, path: str, summary: str, thumbnail=None, reference=None) -> None:  # noqa: ANN001
        if thumbnail is not None:
            thumb = self.query_one("#reference-thumb", CameraView)
            thumb.show_picture(thumbnail)
            thumb.remove_class("hidden")
        self.app.journey.reference_path = path
        self.app.journey.reference = reference
        self.app.journey.reference_summary = summary
        self._show_result(True, summary + " Next: the selfie check.")
        nxt = self.query_one("#next", Button)
        nxt.disabled = False
        nxt.focus()

    def _show_result(self, ok: bool | None, text: str) -> None:
        label = {True: "OK: ", False: "Problem: ", None: ""}[ok]
        widget = self.query_one("#reference-result", Static)
        widget.set_classes({True: "ok", False: "problem", None: ""}[ok])
        widget.update(label + text)
        self.set_status(label + text.splitlines()[0])

    def action_next(self) -> None:
        if self.query_one("#next", Button).disabled:
            self.set_status("Check a reference photo first (Enter in the path field).")
            return
        from selfverify.tui.screens.selfie import SelfieScreen

        self.app.push_screen(SelfieScreen())
