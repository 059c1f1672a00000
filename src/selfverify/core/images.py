"""Safe decoding of user-supplied image files (reference photos, probe photos, image-folder frames).

The pixel count is checked from the header before any pixel is decoded, EXIF orientation is
applied, every Pillow mode is brought to 8-bit RGB, and truncated or corrupt files are refused
with a message naming the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from selfverify.errors import ImageError
from selfverify.i18n import N_, _

MAX_PIXELS = 40_000_000
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm", ".pnm")
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N"}
# what a file is (the ``what`` callers pass) -> the words that start a sentence about it
_SUBJECTS = {
    "image": N_("The image {name}"),
    "reference_photo": N_("The reference photo {name}"),
    "probe_photo": N_("The probe photo {name}"),
    "camera_photo": N_("The camera photo {name}"),
    "camera_image": N_("The camera image {name}"),
}


def subject(what: str, name: str) -> str:
    """``The reference photo me.jpg``, in the current language, for ``what`` = ``reference_photo``
    (``reference photo`` too); an unknown ``what`` reads as an image."""
    return _(_SUBJECTS.get(what.replace(" ", "_"), _SUBJECTS["image"])).format(name=name)


def _checked_path(path: str | Path, what: str) -> Path:
    """``path`` as a regular, readable, non-empty file: a FIFO or device is refused before it is
    opened (opening a FIFO blocks for ever), and messages show at most ~120 characters of it."""
    import errno
    import os
    import stat

    from selfverify.textcheck import shown_path

    p = Path(os.path.expanduser(str(path)))  # "~nobody/x" stays as typed (Path.expanduser raises)
    shown = shown_path(p)
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise ImageError(_("{subject} does not exist.").format(subject=subject(what, shown))) from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ImageError(_("{subject}: the path is too long ({size} bytes).").format(
                subject=subject(what, shown), size=len(os.fsencode(str(p))))) from None
        raise ImageError(_("{subject} cannot be read: {reason}.").format(subject=subject(what, shown), reason=exc.strerror or exc)) from None
    except ValueError:  # an embedded NUL
        raise ImageError(_("{subject}: this is not a valid file name.").format(subject=subject(what, shown))) from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(_("{subject} is a folder, not an image file.").format(subject=subject(what, shown)))
    if not stat.S_ISREG(st.st_mode):
        raise ImageError(_("{subject} is not a regular file (a device, FIFO or socket): it was not opened.").format(
            subject=subject(what, shown)))
    try:
        with open(p, "rb"):
            pass
    except PermissionError:
        raise ImageError(_("{subject} cannot be read: permission denied.").format(subject=subject(what, shown))) from None
    except OSError as exc:
        raise ImageError(_("{subject} cannot be read: {reason}.").format(subject=subject(what, shown), reason=exc.strerror or exc)) from None
    if st.st_size == 0:
        raise ImageError(_("{subject} is empty.").format(subject=subject(what, shown)))
    return p


def open_image_header(path: str | Path, what: str = "image"):
    """Open ``path`` with Pillow without decoding pixels; refuse non-images and huge images."""
    from PIL import Image, UnidentifiedImageError

    p = _checked_path(path, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we apply our own, lower limit
            image = Image.open(p)
    except Image.DecompressionBombError:
        raise ImageError(_("{subject} is far too large to decode safely (limit {limit} MP).").format(
            subject=subject(what, p.name), limit=MAX_PIXELS // 1_000_000)) from None
    except UnidentifiedImageError:
        raise ImageError(_("{subject} is not an image file selfverify can read (JPEG, PNG, WebP, TIFF, BMP...).").format(
            subject=subject(what, p.name))) from None
    except (OSError, SyntaxError, ValueError) as exc:  # the file itself was readable: its content is damaged
        raise ImageError(_("{subject} is truncated or corrupt ({detail}).").format(subject=subject(what, p.name), detail=exc)) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ImageError(_("{subject} is too large: {width}x{height} pixels ({megapixels} MP); the limit is {limit} MP. "
                           "Use a smaller copy.").format(subject=subject(what, p.name), width=width, height=height,
                                                         megapixels=f"{width * height / 1e6:.0f}", limit=MAX_PIXELS // 1_000_000))
    if width < 1 or height < 1:
        image.close()
        raise ImageError(_("{subject} has no pixels.").format(subject=subject(what, p.name)))
    return image


def decode_image_file(path: str | Path, what: str = "image"):
    """Decode ``path`` into an 8-bit RGB numpy array (height, width, 3), upright per EXIF.

    Raises ImageError with a one-line message for anything that is not a whole, readable image.
    """
    from PIL import ImageFile

    image = open_image_header(path, what)
    name = Path(path).name
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # face_recognition flips this on globally; we refuse partial files
    try:
        with image:
            try:
                image.load()
            except (OSError, SyntaxError, ValueError) as exc:
                raise ImageError(_("{subject} is truncated or corrupt ({detail}).").format(subject=subject(what, name), detail=exc)) from None
            upright = _apply_exif_orientation(image)
            return _to_rgb_array(upright)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _apply_exif_orientation(image):
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block must not make a good photo unusable
        return image


def _to_rgb_array(image):
    import numpy as np

    mode = image.mode
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) if values.size else 0.0
        if mode in _SIXTEEN_BIT_MODES or 255.0 < top <= 65535.0:
            values = values / 257.0
        elif top > 65535.0:
            values = values * (255.0 / top)
        gray = np.clip(values, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info)
    if has_alpha:
        from PIL import Image

        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))  # transparent areas become white, not noise
        image = Image.alpha_composite(background, rgba)
    rgb = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def looks_like_image(path: str | Path) -> bool:
    """True when Pillow recognises the file's header (used to tell stills from videos)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path):
                return True
    except Image.DecompressionBombError:
        return True  # an image, refused later with a clear message
    except (UnidentifiedImageError, OSError):
        return False
