"""A reference photo is decoded and encoded once per run, whichever front end checked it first.

Before: the accessible mode and the app checked the photo (decode + encode) and the run loaded it
again (a second decode + encode); now the run takes the checked Reference as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfverify.context import AppContext
from selfverify.services.selfie import SelfieService
from tests.privacy_support import accept_consent

pytestmark = [pytest.mark.faces]


class ReferenceWork:
    """Counts decodes of one file and reference encodings (a Reference made from a photo)."""

    def __init__(self, monkeypatch, reference: Path):
        from selfverify.core import faces, images

        self.decodes = self.encodings = 0
        decode, encode = images.decode_image_file, faces.reference_from_image

        def counted_decode(path, *args, **kwargs):  # noqa: ANN001, ANN202
            if Path(path) == Path(reference):
                self.decodes += 1
            return decode(path, *args, **kwargs)

        def counted_encode(*args, **kwargs):  # noqa: ANN202
            self.encodings += 1
            return encode(*args, **kwargs)

        for module in (images, faces):  # faces holds its own name for it
            monkeypatch.setattr(module, "decode_image_file", counted_decode)
        monkeypatch.setattr(faces, "reference_from_image", counted_encode)

    @property
    def counts(self) -> tuple[int, int]:
        return self.decodes, self.encodings


@pytest.fixture
def photos(clip, clip_reference) -> tuple[Path, Path]:
    """A frame of person S as the reference photo, and the clip of S as the "camera"."""
    return clip_reference, clip


def test_the_service_decodes_a_path_once_and_a_checked_reference_never(plain_settings, photos, monkeypatch):
    reference, camera = photos
    ctx = AppContext(settings=plain_settings.replace(liveness=False))
    accept_consent(ctx)
    service = SelfieService(ctx)
    work = ReferenceWork(monkeypatch, reference)
    outcome = service.run(reference, str(camera), liveness=False)
    assert outcome.decision.verified and work.counts == (1, 1)
    assert outcome.reference_path == str(reference)  # what an opted-in retention keeps

    checked = service.load_reference(reference)
    assert work.counts == (2, 2)
    for _ in range(2):
        assert service.run(checked, str(camera), liveness=False).reference_path == str(reference)
        assert service.replay(checked, str(camera), liveness=False).decision.verified
    assert work.counts == (2, 2)  # the checked reference is used as it is


def test_the_accessible_mode_checks_the_reference_and_the_run_reuses_it(plain_settings, photos, monkeypatch):
    from selfverify.plain.app import PlainApp
    from tests.plain_support import piped_dialogue

    reference, camera = photos
    ctx = AppContext(settings=plain_settings.replace(liveness=False, camera=str(camera)), front_end="plain")
    work = ReferenceWork(monkeypatch, reference)
    dialogue, output = piped_dialogue(["1", "1", str(reference)])  # selfie, agree, the photo; then input ends
    PlainApp(ctx, dialogue).run()
    text = output.getvalue()
    assert "reference photo checked: 1 face found" in text and "Result: " in text, text
    assert work.counts == (1, 1)  # was (2, 2): checked, then loaded again by the run
