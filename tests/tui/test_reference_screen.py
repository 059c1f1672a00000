"""The reference screen's file browser shows every file core takes for a photo (one IMAGE_SUFFIXES)."""

from __future__ import annotations

from pathlib import Path

from selfverify.core.images import IMAGE_SUFFIXES, decode_image_file
from selfverify.tui.screens.reference import ImageTree


async def test_the_browser_shows_every_photo_core_decodes_and_hides_the_rest(tmp_path):
    from PIL import Image
    from textual.app import App

    picture = Image.new("RGB", (8, 6), (200, 120, 40))
    photos = []
    for number, suffix in enumerate(IMAGE_SUFFIXES):
        path = tmp_path / f"photo{number}{suffix.upper() if number % 2 else suffix}"
        picture.save(path)
        assert decode_image_file(path).shape == (6, 8, 3)  # core reads it as a photo
        photos.append(path)
    (tmp_path / "notes.txt").write_text("not a photo")
    (tmp_path / "clip.mp4").write_bytes(b"\0" * 16)
    (tmp_path / "folder").mkdir()
    (tmp_path / ".hidden").mkdir()

    class Browser(App):
        def compose(self):  # noqa: ANN202
            yield ImageTree(str(tmp_path))

    app = Browser()
    async with app.run_test():
        shown = app.query_one(ImageTree).filter_paths(sorted(tmp_path.iterdir()))
    assert sorted(shown) == sorted([*photos, tmp_path / "folder"])
    assert {Path(p).suffix.lower() for p in shown if p.is_file()} == set(IMAGE_SUFFIXES)



async def test_closing_the_browser_gives_the_path_field_the_keys_again(make_keyless_app):
    from tests.tui.conftest import settle

    from selfverify.tui.screens.reference import ReferenceScreen

    app = make_keyless_app(startup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ReferenceScreen())
        await settle(pilot)
        await pilot.press("ctrl+b")
        assert app.focused.id == "browser"
        await pilot.press("ctrl+b")
        assert app.focused.id == "reference-path"
        await pilot.press("ctrl+b", "ctrl+b")  # opened and closed again (the tree is kept)
        await pilot.press(*"/x")
        assert app.screen.query_one("#reference-path").value.endswith("/x")
