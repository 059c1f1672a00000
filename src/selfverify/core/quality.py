"""Per-frame quality guidance: face count, size, position, light and sharpness -> one guidance
code and a short sentence. Measured on the downscaled gray frame; thresholds are settings.

Directions are the person's own ("move to your left"), for an unmirrored camera picture in
which the person's left side appears on the image's right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from selfverify.i18n import N_, _

SHARPNESS_SIDE = 100  # the face is resampled to this size so sharpness does not depend on face size
MAX_FRONTAL_YAW = 12.0  # degrees; reference photos are frontal, so only near-frontal frames are matched
BACKLIGHT_MARGIN = 60.0  # the surroundings this much brighter than a too-dark face: backlit
MAX_OUTSIDE = 0.15  # share of the face box that may lie outside the frame
HIGH_FACE_ALLOWANCE = 1.6  # a face sits naturally above the centre of a head-and-shoulders picture

# English, marked; a Guidance carries the sentence in the language current when it was made
MESSAGES = {
    "no_face": N_("No face found: look at the camera"),
    "too_many_faces": N_("Only one face, please"),
    "move_closer": N_("Move closer"),
    "move_back": N_("Move back a little"),
    "too_dark": N_("Too dark: face a light"),
    "backlit": N_("Too much light behind you: face the light"),
    "too_bright": N_("Too bright: move out of direct light"),
    "blurry": N_("Hold still: the picture is blurry"),
    "look_straight": N_("Look straight at the camera"),
    "ok": N_("Good: hold still"),
}
_CENTRE = {
    "right": N_("Centre your face: move a little to your right"),
    "left": N_("Centre your face: move a little to your left"),
    "up": N_("Centre your face: move a little up"),
    "down": N_("Centre your face: move a little down"),
}


@dataclass(frozen=True)
class FaceGuide:
    """The oval a face must sit in, in fractions of the frame (x of its width, y of its height).
    One geometry: the quality check says "Good" only for a face inside it, and every front end
    draws this same oval. It passes through the corners of the region the face centre may be in
    (``centre_tolerance`` sideways and down, ``HIGH_FACE_ALLOWANCE`` times that up)."""

    cx: float
    cy: float
    rx: float
    ry: float

    @classmethod
    def for_tolerance(cls, tolerance: float) -> FaceGuide:
        up, down = HIGH_FACE_ALLOWANCE * tolerance, tolerance
        cy = 0.5 - (up - down) / 2
        inside = 0.48  # of the picture's size, from its middle: the whole oval is seen
        return cls(0.5, cy, min(inside, math.sqrt(2) * tolerance), min(cy - 0.02, 1 - cy - 0.02, math.sqrt(2) * (up + down) / 2))

    @classmethod
    def for_settings(cls, settings: Any) -> FaceGuide:
        return cls.for_tolerance(settings.centre_tolerance)

    def holds(self, centre_x: float, centre_y: float, half_w: float, half_h: float) -> bool:
        """Is the face (the oval inscribed in its box, given in frame fractions) inside the guide?
        Checked at the face oval's eight compass points (both ovals are convex)."""
        d = math.sqrt(0.5)
        points = ((1, 0), (-1, 0), (0, 1), (0, -1), (d, d), (d, -d), (-d, d), (-d, -d))
        return all(((centre_x + px * half_w - self.cx) / self.rx) ** 2 + ((centre_y + py * half_h - self.cy) / self.ry) ** 2 <= 1.0
                   for px, py in points)

    def in_pixels(self, width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """Centre and semi-axes in pixels of a ``width`` x ``height`` picture (for cv2.ellipse)."""
        return (round(self.cx * width), round(self.cy * height)), (max(2, round(self.rx * width)), max(2, round(self.ry * height)))


@dataclass(frozen=True)
class FrameQuality:
    face_count: int
    face_fraction: float = 0.0  # face width / frame width
    face_height_fraction: float = 0.0  # face height / frame height
    offset_x: float = 0.0  # face centre minus frame centre, in frame widths (positive: image right)
    offset_y: float = 0.0  # in frame heights (positive: lower in the image)
    outside: float = 0.0  # share of the face box outside the frame
    brightness: float = 0.0  # mean gray level (0-255) of the central face region
    surround_brightness: float = 0.0  # mean gray level of the whole frame
    sharpness: float = 0.0  # variance of the Laplacian of the face at SHARPNESS_SIDE pixels
    yaw: float = 0.0  # approximate head yaw in degrees (liveness.head_yaw)

    @property
    def frontal(self) -> bool:
        return abs(self.yaw) <= MAX_FRONTAL_YAW


@dataclass(frozen=True)
class Guidance:
    code: str
    message: str

    @property
    def ok(self) -> bool:
        return self.code == "ok"


def measure(gray, box: tuple[int, int, int, int] | None, face_count: int, landmarks: Any = None) -> FrameQuality:
    """Measure the face in ``box`` (top, right, bottom, left) of the gray frame."""
    import cv2

    from selfverify.core.liveness import head_yaw

    if box is None or face_count == 0:
        return FrameQuality(face_count=face_count)
    height, width = gray.shape[:2]
    top, right, bottom, left = box
    face_w, face_h = max(1, right - left), max(1, bottom - top)
    x0, x1 = max(0, left), min(width, right)
    y0, y1 = max(0, top), min(height, bottom)
    inside = max(0, x1 - x0) * max(0, y1 - y0)
    outside = 1.0 - inside / float(face_w * face_h)
    if inside == 0:
        return FrameQuality(face_count=face_count, face_fraction=face_w / width, outside=1.0)
    face = gray[y0:y1, x0:x1]
    inner = face[face.shape[0] // 5 : face.shape[0] * 4 // 5 or 1, face.shape[1] // 5 : face.shape[1] * 4 // 5 or 1]
    resized = cv2.resize(face, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return FrameQuality(
        face_count=face_count,
        face_fraction=face_w / width,
        face_height_fraction=face_h / height,
        offset_x=((left + right) / 2.0 - width / 2.0) / width,
        offset_y=((top + bottom) / 2.0 - height / 2.0) / height,
        outside=outside,
        brightness=float(inner.mean()),
        surround_brightness=float(gray.mean()),
        sharpness=float(cv2.Laplacian(resized, cv2.CV_64F).var()),
        yaw=head_yaw(landmarks) if landmarks is not None else 0.0,
    )


def guidance_for(quality: FrameQuality, settings: Any, *, ask_frontal: bool = True) -> Guidance:
    """The single most useful instruction for this frame, in a fixed order of priority.
    ``ask_frontal`` False while a turn is being asked for, so the two never contradict."""
    if quality.face_count == 0:
        return _say("no_face")
    if quality.face_count > 1:
        return _say("too_many_faces")
    if quality.face_fraction < settings.min_face_fraction:
        return _say("move_closer")
    if quality.face_fraction > settings.max_face_fraction:
        return _say("move_back")
    centring = _centring(quality, FaceGuide.for_settings(settings), settings.centre_tolerance)
    if centring is not None:
        return centring
    if quality.brightness < settings.min_brightness:
        if quality.surround_brightness - quality.brightness >= BACKLIGHT_MARGIN:
            return _say("backlit")
        return _say("too_dark")
    if quality.brightness > settings.max_brightness:
        return _say("too_bright")
    if quality.sharpness < settings.min_sharpness:
        return _say("blurry")
    if ask_frontal and not quality.frontal:
        return _say("look_straight")
    return _say("ok")


def _centring(quality: FrameQuality, guide: FaceGuide, tolerance: float) -> Guidance | None:
    dx, dy = quality.offset_x, quality.offset_y
    high_ok = -HIGH_FACE_ALLOWANCE * tolerance <= dy
    half_w, half_h = quality.face_fraction / 2, quality.face_height_fraction / 2
    if abs(dx) <= tolerance and high_ok and dy <= tolerance and quality.outside <= MAX_OUTSIDE:
        if guide.holds(0.5 + dx, 0.5 + dy, half_w, half_h):
            return None
        if not guide.holds(guide.cx, guide.cy, half_w, half_h):
            return _say("move_back")  # too big for the oval even in its middle
        dx, dy = (0.5 + dx - guide.cx) / guide.rx, (0.5 + dy - guide.cy) / guide.ry  # toward the oval's middle
    if abs(dx) >= abs(dy):
        # the face on the image's right means the person stands too far to their own left
        where = "right" if dx > 0 else "left"
    else:
        where = "up" if dy > 0 else "down"
    return Guidance("centre", _(_CENTRE[where]))


def _say(code: str) -> Guidance:
    return Guidance(code, _(MESSAGES[code]))
