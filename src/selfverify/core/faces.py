"""Face detection, tracking, landmarks and encodings on dlib's models (loaded through
``core.engine.load_face_recognition``), and the photo-to-photo comparison behind ``match``.

Nothing biometric leaves memory: encodings live only in ``Reference`` and in a running flow;
no image, encoding or landmark is written anywhere by this module.

Distances are face_recognition's (Euclidean distance between 128-d encodings, 5-point alignment,
no jitter), so its published behaviour and the measurements in the README apply.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from selfverify.core.images import decode_image_file, subject
from selfverify.errors import NoFaceError, TooManyFacesError
from selfverify.i18n import _

__all__ = [
    "Box",
    "FaceEncoder",
    "FaceTracker",
    "FrameAnalyser",
    "FrameAnalysis",
    "PhotoMatch",
    "Reference",
    "TrackedFace",
    "compare_photos",
    "decode_image_file",
    "load_reference",
]

Box = tuple[int, int, int, int]  # top, right, bottom, left (face_recognition's order)


class FaceEncoder(Protocol):
    """Computes ``encode_window`` somewhere else (``core.encoder.EncoderProcess``)."""

    def encode_window(self, window: Any, box: Box) -> Any: ...


PHOTO_DETECT_SIDE = 1024  # photos are searched at this size; faces are encoded at full resolution
FULL_DETECT_EVERY = 10  # frames between whole-frame detections while a face is tracked
SEARCH_EVERY = 3  # frames between whole-frame detections while no face is tracked
SMALL_FACE_SEARCH_EVERY = 10  # every Nth search also looks for faces too small for the plain detector
MAX_MISSES = 5  # frames a tracked face may go undetected before the track ends
ROI_MARGIN = 0.35  # the search window around a tracked face, in face widths on each side
ROI_FACE_PX = 100  # the window is scaled so the face is this wide: above HOG's 80 px minimum
ENCODE_MARGIN = 0.6


@dataclass(frozen=True)
class FaceModels:
    detector: Any
    landmarks_68: Any
    landmarks_5: Any
    encoder: Any


_models: FaceModels | None = None
_models_lock = threading.Lock()


def face_models() -> FaceModels:
    """The dlib models face_recognition loads, shared (raises FaceModelsMissing)."""
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                from selfverify.core.engine import load_face_recognition

                api = load_face_recognition().api
                _models = FaceModels(api.face_detector, api.pose_predictor_68_point, api.pose_predictor_5_point, api.face_encoder)
    return _models


def _rect(box: Box):
    import dlib

    top, right, bottom, left = box
    return dlib.rectangle(int(left), int(top), int(right), int(bottom))


def _box(rect, scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> Box:
    return (
        int(round(rect.top() / scale + dy)),
        int(round(rect.right() / scale + dx)),
        int(round(rect.bottom() / scale + dy)),
        int(round(rect.left() / scale + dx)),
    )


def box_width(box: Box) -> int:
    return box[1] - box[3]


def box_iou(a: Box, b: Box) -> float:
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area = lambda r: max(0, r[1] - r[3]) * max(0, r[2] - r[0])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def detect_faces(image, upsample: int = 0) -> list[Box]:
    """HOG detection on a gray or RGB image, boxes in that image's pixels, largest first."""
    rects = face_models().detector(image, upsample)
    return sorted((_box(r) for r in rects), key=box_width, reverse=True)


def landmarks_68(image, box: Box):
    import numpy as np

    shape = face_models().landmarks_68(image, _rect(box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def face_window(image, box: Box, *, bgr: bool = False):
    """The RGB window around the face in ``box`` that its encoding is computed from, and the box in
    the window's pixels: only this small window is converted and aligned, however large the image."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    margin = int(box_width(box) * ENCODE_MARGIN) + 2
    top, right, bottom, left = box
    y0, x0 = max(0, top - margin), max(0, left - margin)
    y1, x1 = min(height, bottom + margin), min(width, right + margin)
    window = image[y0:y1, x0:x1]
    window = cv2.cvtColor(window, cv2.COLOR_BGR2RGB) if bgr else np.ascontiguousarray(window)
    return window, (top - y0, right - x0, bottom - y0, left - x0)


def encode_window(window, box: Box):
    """face_recognition's encoding (5-point alignment, no jitter) of the face in ``box`` of an RGB
    window. dlib holds the GIL throughout (~100-250 ms): an ``EncoderProcess`` runs it elsewhere."""
    import numpy as np

    models = face_models()
    shape = models.landmarks_5(window, _rect(box))
    return np.array(models.encoder.compute_face_descriptor(window, shape, 1))


def encode_face(image, box: Box, *, bgr: bool = False, encoder: FaceEncoder | None = None):
    """The 128-d encoding of the face in ``box``: in this process, or by ``encoder`` (a
    ``core.encoder.EncoderProcess``), which gives the same numbers without holding this process's GIL."""
    window, local = face_window(image, box, bgr=bgr)
    if encoder is None:
        return encode_window(window, local)
    return encoder.encode_window(window, local)


def face_distance(a, b) -> float:
    import numpy as np

    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def find_faces_in_photo(rgb) -> list[Box]:
    """Faces in a photo, boxes in its full-resolution pixels. Searched on a copy at most
    PHOTO_DETECT_SIDE pixels long; if none is found, again with one upsampling (smaller faces)."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, PHOTO_DETECT_SIDE / max(height, width))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    for upsample in (0, 1):
        rects = face_models().detector(small, upsample)
        if len(rects):
            boxes = [_clip_box(_box(r, scale), width, height) for r in rects]
            return sorted(boxes, key=box_width, reverse=True)
    return []


def _clip_box(box: Box, width: int, height: int) -> Box:
    top, right, bottom, left = box
    return (max(0, top), min(width, right), min(height, bottom), max(0, left))


def single_face(rgb, *, what: str, name: str) -> Box:
    boxes = find_faces_in_photo(rgb)
    if not boxes:
        raise NoFaceError(
            _("{subject} shows no face.").format(subject=subject(what, name)),
            hint=_("Use a sharp, well-lit photo in which the face is clearly visible and upright."),
        )
    if len(boxes) > 1:
        sizes = ", ".join(f"{box_width(b)}x{b[2] - b[0]}" for b in boxes)
        raise TooManyFacesError(
            _("{subject} shows {count} faces (sizes {sizes} pixels); it must show exactly one.").format(
                subject=subject(what, name), count=len(boxes), sizes=sizes),
            hint=_("Crop the photo to the one face, or use another photo."),
        )
    return boxes[0]


@dataclass(frozen=True, eq=False)
class Reference:
    """The face to verify against. The encoding stays in memory; it is never stored."""

    name: str
    image_size: tuple[int, int]  # width, height
    face_box: Box
    encoding: Any = field(repr=False)
    path: str | None = None  # the file it was read from (kept only for an opted-in retention of the photo)

    def distance(self, encoding) -> float:
        return face_distance(self.encoding, encoding)


def load_reference(path: str | Path, *, what: str = "reference_photo", encoder: FaceEncoder | None = None) -> Reference:
    """Decode ``path`` safely, require exactly one face, and encode it once (by ``encoder`` if given)."""
    rgb = decode_image_file(path, what)
    return reference_from_image(rgb, Path(path).name, what=what, encoder=encoder, path=str(path))


def reference_from_image(rgb, name: str, *, what: str = "reference_photo", encoder: FaceEncoder | None = None,
                         path: str | None = None) -> Reference:
    box = single_face(rgb, what=what, name=name)
    height, width = rgb.shape[:2]
    encoding = encode_face(rgb, box, encoder=encoder)
    return Reference(name=name, image_size=(width, height), face_box=box, encoding=encoding, path=path)


@dataclass(frozen=True)
class PhotoMatch:
    decision: str  # match | no_match
    distance: float
    tolerance: float

    @property
    def same_person(self) -> bool:
        return self.decision == "match"

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "distance": round(self.distance, 3), "tolerance": self.tolerance}


def compare_photos(reference_path: str | Path, probe_path: str | Path, tolerance: float) -> PhotoMatch:
    # both files are decoded before the face models load, so a bad file is reported at once
    reference_rgb = decode_image_file(reference_path, "reference_photo")
    probe_rgb = decode_image_file(probe_path, "probe_photo")
    reference = reference_from_image(reference_rgb, Path(reference_path).name)
    probe = reference_from_image(probe_rgb, Path(probe_path).name, what="probe_photo")
    return decide_match(reference, probe, tolerance)


def decide_match(reference: Reference, probe: Reference, tolerance: float) -> PhotoMatch:
    distance = reference.distance(probe.encoding)
    return PhotoMatch("match" if distance <= tolerance else "no_match", distance, tolerance)


@dataclass(frozen=True, eq=False)
class TrackedFace:
    track_id: int
    box: Box  # analysis-frame pixels
    landmarks: Any = field(repr=False)  # (68, 2) analysis-frame pixels; memory only
    confirmed: bool = True  # detected in this frame (not only carried over from an earlier one)


class FaceTracker:
    """Follows the main face: a whole-frame detection every few frames (which also counts faces),
    and in between a detection in a small window around the face, scaled so the face is about
    ROI_FACE_PX wide. That is cheap enough to run landmarks on every frame."""

    def __init__(self) -> None:
        self._box: Box | None = None
        self._track_id = 0
        self._misses = 0
        self._others = 0  # faces besides the tracked one at the last whole-frame detection
        self._frame_no = 0
        self._searches = 0

    def update(self, gray) -> tuple[TrackedFace | None, int]:
        frame_no = self._frame_no
        self._frame_no += 1
        if self._box is None:
            if frame_no % SEARCH_EVERY:
                return None, self._others
            self._search(gray)
            if self._box is None:
                return None, self._others
            confirmed = True
        else:
            confirmed = self._follow(gray, full=frame_no % FULL_DETECT_EVERY == 0)
            if self._box is None:
                return None, self._others
        face = TrackedFace(self._track_id, self._box, landmarks_68(gray, self._box), confirmed)
        return face, self._others + 1

    def _search(self, gray) -> None:
        boxes = detect_faces(gray, 0)
        self._searches += 1
        if not boxes and self._searches % SMALL_FACE_SEARCH_EVERY == 1:
            boxes = detect_faces(gray, 1)  # so a small face gets "move closer", not "no face"
        self._others = max(0, len(boxes) - 1)
        if boxes:
            self._start_track(boxes[0])

    def _start_track(self, box: Box) -> None:
        self._track_id += 1
        self._box = box
        self._misses = 0

    def _follow(self, gray, *, full: bool) -> bool:
        assert self._box is not None
        if full:
            boxes = detect_faces(gray, 0)
            best = max(boxes, key=lambda b: box_iou(b, self._box), default=None)
            if best is not None and box_iou(best, self._box) >= 0.3:
                self._others = len(boxes) - 1
                self._box, self._misses = best, 0
                return True
            self._others = len(boxes)
        found = self._window_detect(gray, self._box)
        if found is not None:
            self._box, self._misses = found, 0
            return True
        self._misses += 1
        if self._misses > MAX_MISSES:
            self._box = None
        return False

    @staticmethod
    def _window_detect(gray, box: Box) -> Box | None:
        import cv2

        height, width = gray.shape[:2]
        top, right, bottom, left = box
        face_w, face_h = max(1, right - left), max(1, bottom - top)
        x0, x1 = max(0, int(left - ROI_MARGIN * face_w)), min(width, int(right + ROI_MARGIN * face_w))
        y0, y1 = max(0, int(top - ROI_MARGIN * face_h)), min(height, int(bottom + ROI_MARGIN * face_h))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        scale = min(3.0, max(0.25, ROI_FACE_PX / face_w))
        window = cv2.resize(
            gray[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        )
        candidates = [_box(r, scale, x0, y0) for r in face_models().detector(window, 0)]
        best = max(candidates, key=lambda b: box_iou(b, box), default=None)
        return best if best is not None and box_iou(best, box) >= 0.2 else None


@dataclass(frozen=True, eq=False)
class FrameAnalysis:
    gray: Any = field(repr=False)  # the downscaled gray frame that was analysed
    scale: float  # analysis pixels per frame pixel
    face_count: int
    face: TrackedFace | None

    @property
    def frame_box(self) -> Box | None:
        """The tracked face in the original frame's pixels."""
        if self.face is None:
            return None
        return tuple(int(round(v / self.scale)) for v in self.face.box)  # type: ignore[return-value]


class FrameAnalyser:
    """Downscales each frame to ``analysis_width``, tracks the main face and computes its landmarks.
    Encodings are computed on request from the full-resolution frame (by ``encoder`` if given)."""

    def __init__(self, analysis_width: int = 640, *, encoder: FaceEncoder | None = None):
        self.analysis_width = analysis_width
        self.encoder = encoder
        self.tracker = FaceTracker()
        face_models()  # load (or fail with FaceModelsMissing) before the first frame

    def analyse(self, frame) -> FrameAnalysis:
        import cv2

        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        height, width = gray.shape[:2]
        scale = 1.0
        if width > self.analysis_width:
            scale = self.analysis_width / width
            gray = cv2.resize(gray, (self.analysis_width, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        face, count = self.tracker.update(gray)
        return FrameAnalysis(gray=gray, scale=scale, face_count=count, face=face)

    def encode(self, frame, analysis: FrameAnalysis):
        """The encoding of the tracked face, from the full-resolution BGR frame."""
        box = analysis.frame_box
        if box is None:
            raise ValueError("no face to encode")
        return encode_face(frame, box, bgr=True, encoder=self.encoder)
