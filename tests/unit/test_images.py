"""The safe image decoder: limits before decoding, EXIF, every pixel format, damaged files."""

from __future__ import annotations

import os

import pytest

from selfverify.core.images import MAX_PIXELS, decode_image_file
from selfverify.errors import ImageError


def save(image, path, **kwargs):
    image.save(path, **kwargs)
    return path


def test_grayscale_and_palette_become_rgb(tmp_path):
    from PIL import Image

    gray = decode_image_file(save(Image.new("L", (30, 20), 77), tmp_path / "g.png"))
    assert gray.shape == (20, 30, 3) and gray.dtype.name == "uint8" and (gray == 77).all()
    palette = Image.new("P", (10, 10), 0)
    palette.putpalette([200, 10, 20] + [0] * 765)
    assert decode_image_file(save(palette, tmp_path / "p.png"))[0, 0].tolist() == [200, 10, 20]


def test_transparency_is_composited_on_white(tmp_path):
    from PIL import Image

    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 255, 0, 0))  # fully transparent: its colour must not show
    out = decode_image_file(save(rgba, tmp_path / "a.png"))
    assert out[0, 0].tolist() == [255, 255, 255] and out[1, 1].tolist() == [255, 0, 0]


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    import numpy as np
    from PIL import Image

    values = np.array([[0, 32896, 65535]], dtype=np.uint16)
    path = save(Image.fromarray(values), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")
    assert decode_image_file(path)[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    image = Image.new("RGB", (40, 20), (10, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    assert decode_image_file(save(image, tmp_path / "r.jpg", exif=exif)).shape[:2] == (40, 20)


def test_truncated_and_corrupt_files_are_refused(tmp_path):
    from PIL import Image

    import numpy as np

    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8))
    whole = save(noise, tmp_path / "whole.jpg", quality=90).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image_file(tmp_path / "cut.jpg")
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ImageError):
        decode_image_file(tmp_path / "fake.png")


def test_huge_images_are_refused_before_decoding(tmp_path):
    from PIL import Image

    path = save(Image.new("1", (8000, 6000)), tmp_path / "huge.png")  # 48 MP, a few KB on disk
    with pytest.raises(ImageError) as info:
        decode_image_file(path)
    assert "8000x6000" in info.value.user_message and f"{MAX_PIXELS // 1_000_000} MP" in info.value.user_message


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.jpg", "does not exist"),
        (lambda p: p, "is a folder"),
        (lambda p: (p / "empty.jpg").write_bytes(b"") or p / "empty.jpg", "is empty"),
        (lambda p: (p / "notes.txt").write_text("hello") and p / "notes.txt", "not an image file"),
    ],
)
def test_unusable_paths_get_one_line_messages(tmp_path, make, message):
    with pytest.raises(ImageError) as info:
        decode_image_file(make(tmp_path), "reference photo")
    assert message in info.value.user_message and "reference photo" in info.value.user_message
    assert info.value.exit_code == 2 and "\n" not in info.value.user_message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "secret.jpg"
    path.write_bytes(b"\xff\xd8\xff")
    path.chmod(0)
    with pytest.raises(ImageError, match="permission denied"):
        decode_image_file(path)
