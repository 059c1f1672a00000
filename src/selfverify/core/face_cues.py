"""What one frame shows of a face, for the liveness challenge (core/liveness.py decides with it):
ratios of its 68 landmarks (eye aspect, 2D yaw, the nose tip's parallax against the face's midline
and contour, eyelid, brow and lip openings) and the nose tip's parallax tracked on the picture
itself (``TextureParallax``). Why each cue, and the thresholds a step needs, are in liveness.py.
"""

from __future__ import annotations

import math

MIDLINE = (27, 33, 51, 57, 8)  # nose bridge, nose base, upper and lower lip, chin: the face's vertical midline
TEXTURE_BACK_PX = 1.0  # forward-backward tracking error beyond which a tracked point is lost
TEXTURE_MAX_STEP = 0.04  # a larger change of the tracked parallax in one frame is a tracking slip
NOSE_DEPTH_RATIO = 0.4  # nose-tip protrusion / outer-eye-corner distance of a typical adult face


def _eye_ratio(eye) -> float:
    import numpy as np

    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = np.linalg.norm(eye[0] - eye[3])
    return float(vertical / (2.0 * horizontal)) if horizontal > 0 else 0.0


def eyes_aspect_ratio(landmarks) -> float:
    """Mean EAR of both eyes from 68-point landmarks (about 0.25-0.45 open, near 0.1 closed)."""
    return (_eye_ratio(landmarks[36:42]) + _eye_ratio(landmarks[42:48])) / 2.0


def head_yaw(landmarks) -> float:
    """Approximate yaw in degrees from 68-point landmarks; positive when the person has turned to
    their own left (the nose moves towards the image's right in an unmirrored camera picture)."""
    import numpy as np

    left_corner, right_corner, nose = landmarks[36], landmarks[45], landmarks[30]
    axis = right_corner - left_corner
    span = float(np.linalg.norm(axis))
    if span <= 0:
        return 0.0
    offset = float(np.dot(nose - (left_corner + right_corner) / 2.0, axis / span)) / span
    return math.degrees(math.atan(offset / NOSE_DEPTH_RATIO))


def _axes(landmarks):
    """Unit vectors of the face's own frame: u along the eye line (outer corners 36 -> 45), v down."""
    import numpy as np

    axis = landmarks[45] - landmarks[36]
    span = float(np.linalg.norm(axis))
    if span <= 0:
        return None
    u = axis / span
    return u, np.array([-u[1], u[0]]), span


def _lid_opening(landmarks) -> float:
    import numpy as np

    gaps = [(np.linalg.norm(landmarks[s + 1] - landmarks[s + 5]) + np.linalg.norm(landmarks[s + 2] - landmarks[s + 4])) / 2.0
            for s in (36, 42)]
    return float(sum(gaps) / 2.0)


class TextureParallax:
    """The nose tip's parallax measured on the picture itself, not on the landmark model.

    dlib's landmark model has learnt what turned heads look like: on a print bent round a
    cylinder and swung, it places the nose tip off the midline as on a turned head, although the
    print's nose tip stays on its midline. So the picture's own texture at the nose bridge (27), the
    nose tip (30) and the upper lip (51) is tracked from frame to frame (pyramidal Lucas-Kanade
    optical flow), from where the landmarks put them when the face appeared, and this reports how
    far the tracked tip has moved across the face from the tracked bridge-lip line since then, in
    face heights. On paper, bent round a vertical axis or folded along a vertical line, the three
    lie on one straight ruling and the value stays near 0; on a head the tip moves ahead of them.
    Memory only: it keeps the previous grey frame of the tracked face, nothing else."""

    POINTS = (27, 30, 51)

    def __init__(self) -> None:
        self._track: int | None = None
        self._previous = None
        self._points = None
        self._origin = 0.0  # value of the raw offset when the value was 0 (continuity over restarts)
        self._last = 0.0

    def _raw(self, points, landmarks) -> float | None:
        import numpy as np

        frame = _axes(landmarks)
        height = float(np.linalg.norm(landmarks[8] - landmarks[27]))
        if frame is None or height <= 0:
            return None
        u, v, _ = frame
        bridge, tip, lip = points
        along = float((lip - bridge) @ v)
        if along <= 0:
            return None
        on_line = bridge + float((tip - bridge) @ v) / along * (lip - bridge)
        return float((tip - on_line) @ u) / height

    def update(self, track_id: int, gray, landmarks) -> float:
        """Feed one frame of a tracked face; the parallax since the face appeared (NaN when lost)."""
        import cv2
        import numpy as np

        if track_id != self._track or self._previous is None or self._previous.shape != gray.shape:
            self._track, self._origin, self._last = track_id, None, 0.0
            return self._restart(gray, landmarks)
        flow = dict(winSize=(15, 15), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
        points, status, _ = cv2.calcOpticalFlowPyrLK(self._previous, gray, self._points, None, **flow)
        back, back_status, _ = cv2.calcOpticalFlowPyrLK(gray, self._previous, points, None, **flow)
        self._previous = gray
        consistent = bool(status.all() and back_status.all() and np.abs(back - self._points).max() <= TEXTURE_BACK_PX)
        raw = self._raw(points.reshape(-1, 2), landmarks) if consistent else None
        if raw is None or abs(raw - self._origin - self._last) > TEXTURE_MAX_STEP:
            return self._restart(gray, landmarks)  # lost, or a jump no head makes in one frame
        self._points = points
        self._last = raw - self._origin
        return self._last

    def _restart(self, gray, landmarks) -> float:
        """Start tracking again where the landmarks are now, continuing from the last value."""
        import numpy as np

        self._previous = gray
        self._points = np.asarray(landmarks, dtype=np.float32)[list(self.POINTS)].reshape(-1, 1, 2)
        raw = self._raw(self._points.reshape(-1, 2), landmarks)
        if raw is None:
            self._previous = None
            return math.nan
        if self._origin is None:
            self._origin = raw
        else:
            self._origin = raw - self._last
        return self._last


def face_ratios(landmarks) -> dict[str, float]:
    """The 3D and non-rigid cues of one frame (see the module docstring); zeros for a degenerate face."""
    import numpy as np

    frame = _axes(landmarks)
    zero = dict(col=0.0, row=0.0, eye_open=0.0, pitch=0.0, brow=0.0, mouth=0.0, lips=0.0)
    if frame is None:
        return zero
    u, v, span = frame
    p = np.asarray(landmarks, dtype=np.float64)
    pu, pv = p @ u, p @ v
    height = pv[8] - pv[27]
    nose_length = pv[33] - pv[27]
    corners = (pv[36] + pv[39] + pv[42] + pv[45]) / 4.0
    eye_to_base = pv[33] - corners
    if min(height, nose_length, eye_to_base) <= 0:
        return zero
    midline = list(MIDLINE)
    slope, intercept = np.polyfit(pv[midline], pu[midline], 1)
    gap = float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in ((61, 67), (62, 66), (63, 65))]))
    lips = float(np.linalg.norm(p[51] - p[62]) + np.linalg.norm(p[66] - p[57]))
    left = _at_height(pu, pv, range(0, 9), pv[30])  # the face's contour at the nose tip's height
    right = _at_height(pu, pv, range(16, 7, -1), pv[30])
    ratios = dict(
        col=float(pu[30] - (intercept + slope * pv[30])) / height,
        row=(float(pu[30]) - (left + right) / 2.0) / height if left is not None and right is not None else 0.0,
        eye_open=_lid_opening(p) / eye_to_base,
        pitch=eye_to_base / span,
        brow=float(np.mean(pv[[37, 38, 43, 44]]) - np.mean(pv[17:27])) / eye_to_base,
        mouth=gap / nose_length,
        lips=gap / lips if lips > 0 else 0.0,
    )
    return {name: float(value) for name, value in ratios.items()}


def _at_height(pu, pv, path, level: float) -> float | None:
    """Where the polyline of landmarks ``path`` crosses the height ``level`` (u coordinate), if it does."""
    points = list(path)
    for a, b in zip(points, points[1:]):
        if (pv[a] - level) * (pv[b] - level) <= 0 and pv[a] != pv[b]:
            return float(pu[a] + (level - pv[a]) / (pv[b] - pv[a]) * (pu[b] - pu[a]))
    return None
