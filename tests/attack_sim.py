"""Presentation-attack simulator for the liveness tests and bench/liveness.py (a test tool: nothing
under src/ imports it, and no command reaches it).

A still photo of a real person is printed on a sheet (or shown on a phone) and held in front of a
pin-hole camera: the sheet is flat, bent round a vertical axis (a cylinder of radius 5-25 cm,
bulging towards the camera or away from it), or folded along a vertical or horizontal line; it is
rotated in 3D and moved following a motion script made for the challenge's steps (turns,
tilts back and forth, flexing the fold, zoom, in-plane moves, hand jitter). Every frame is
ray-traced: each camera pixel's ray is intersected with the sheet in the sheet's own frame, and the
photo is sampled where it lands (cv2.remap). The frames then go through the real pipeline.

Units are metres; the camera looks along +z; a sheet's local frame has X right, Y down, Z away
from the camera, with the origin at the printed face's centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

FAMILIES = ("flat", "cylinder_convex", "cylinder_concave", "fold_vertical", "fold_horizontal", "phone")
FRAME_SIZE = (640, 480)
FOCAL_PX = 600.0  # a typical laptop webcam: about 56 degrees across


# -- people ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """A photo to print and a different photo of the same person to use as the reference."""

    name: str
    printed: tuple[str, int | None, tuple[int, int, int, int] | None]  # (file, clip frame or None, crop box)
    reference: tuple[str, int | None, tuple[int, int, int, int] | None]


def people(faces_dir: Path) -> list[Person]:
    """Five people: O and B from the photos, S and a woman of the audience (W) from the stage clip,
    and the astronaut Eileen Collins (A) from scikit-image's sample data (NASA, public domain)."""
    import skimage

    astronaut = str(Path(skimage.__file__).parent / "data" / "astronaut.png")
    clip = str(faces_dir / "stage_clip.mp4")
    return [
        Person("O", (str(faces_dir / "obama.jpg"), None, None), (str(faces_dir / "obama2.jpg"), None, None)),
        Person("B", (str(faces_dir / "two_people.jpg"), None, (0, 1200, 500, 600)), (str(faces_dir / "biden2.jpg"), None, None)),
        Person("S", (clip, 180, (0, 420, 260, 80)), (clip, 150, (0, 420, 260, 80))),
        Person("W", (clip, 231, (20, 180, 190, 0)), (clip, 240, (20, 180, 190, 0))),
        Person("A", (astronaut, None, (0, 340, 300, 100)), (astronaut, None, None)),
    ]


def load_image(spec: tuple[str, int | None, tuple[int, int, int, int] | None]):
    """BGR pixels of a photo, or of one frame of a video, cropped to (top, right, bottom, left)."""
    import cv2

    from tests.face_media import read_frame

    path, frame_index, crop = spec
    image = cv2.imread(path) if frame_index is None else read_frame(Path(path), frame_index)
    assert image is not None, f"cannot read {path}"
    if crop is not None:
        top, right, bottom, left = crop
        image = image[top:bottom, left:right]
    return image


def print_texture(photo):
    """The photo as printed: the face found, the sheet cut round it (about 2.4 face widths wide),
    at a resolution a 300 dpi print of that size keeps. Returns (texture, face centre, face width px)."""
    import cv2

    from selfverify.core.faces import detect_faces

    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    boxes = detect_faces(gray, upsample=1) or detect_faces(cv2.resize(gray, None, fx=2, fy=2), upsample=1)
    scale = 1.0 if detect_faces(gray, upsample=1) else 0.5
    assert boxes, "no face in the photo to print"
    top, right, bottom, left = (v * scale for v in boxes[0])
    width = right - left
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    half = 1.2 * width
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - 1.4 * half))
    x1, y1 = int(min(photo.shape[1], cx + half)), int(min(photo.shape[0], cy + 1.4 * half))
    sheet = photo[y0:y1, x0:x1]
    mean = float(cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY).mean())
    if mean < 100:  # a dark video frame: the attacker prints it brightened
        gamma = math.log(120 / 255) / math.log(max(mean, 5) / 255)
        sheet = (255 * (sheet / 255.0) ** gamma).astype("uint8")
    zoom = 320.0 / width  # about 320 px per face width, like a print seen close up
    sheet = cv2.resize(sheet, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC if zoom > 1 else cv2.INTER_AREA)
    return sheet, ((cx - x0) * zoom, (cy - y0) * zoom), width * zoom


# -- the sheet's shape -------------------------------------------------------------------------
@dataclass
class Sheet:
    family: str
    face_width_m: float = 0.14  # printed face width (life size is about 14 cm)
    radius_m: float = 0.0  # cylinder: > 0 bulges towards the camera, < 0 away from it
    fold_at_m: float = 0.0  # fold line's offset from the face centre (X for vertical, Y for horizontal folds)
    fold_side: int = 1  # which part of the sheet is folded: +1 beyond the line, -1 before it
    fold_deg: float = 0.0  # fold angle at rest (> 0: the folded part goes away from the camera)


def _plane_hit(o, d, point, normal):
    import numpy as np

    denom = d @ normal
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((point - o) @ normal) / denom
    return np.where(np.abs(denom) > 1e-9, t, np.inf)


def intersect(sheet: Sheet, o, d, fold_deg: float):
    """Unrolled sheet coordinates (u, v) in metres where rays ``o + t d`` (sheet frame) meet the
    sheet, and a mask of rays that meet it in front of the camera."""
    import numpy as np

    o = np.broadcast_to(o, d.shape)
    if sheet.family.startswith("cylinder"):
        r = sheet.radius_m
        big_r = abs(r)
        ox, oz, dx, dz = o[..., 0], o[..., 2] - r, d[..., 0], d[..., 2]
        a = dx * dx + dz * dz
        b = 2 * (ox * dx + oz * dz)
        c = ox * ox + oz * oz - r * r
        disc = b * b - 4 * a * c
        root = np.sqrt(np.maximum(disc, 0))
        t = np.where(r > 0, (-b - root) / (2 * a), (-b + root) / (2 * a))
        x = o[..., 0] + t * d[..., 0]
        z = o[..., 2] + t * d[..., 2]
        phi = np.arctan2(x, (r - z) if r > 0 else (z - r))
        u, v = big_r * phi, o[..., 1] + t * d[..., 1]
        ok = (disc >= 0) & (t > 0) & (np.abs(phi) < math.pi / 2)
        return u, v, ok
    if sheet.family.startswith("fold"):
        axis = 0 if sheet.family == "fold_vertical" else 1
        alpha = math.radians(fold_deg)
        at, side = sheet.fold_at_m, sheet.fold_side
        flat_t = _plane_hit(o, d, np.zeros(3), np.array([0.0, 0.0, 1.0]))
        direction = np.zeros(3)
        direction[axis], direction[2] = side * math.cos(alpha), math.sin(alpha)
        normal = np.zeros(3)
        normal[axis], normal[2] = -direction[2], direction[axis]
        line = np.zeros(3)
        line[axis] = at
        bent_t = _plane_hit(o, d, line, normal)
        flat_p = o + flat_t[..., None] * d
        bent_p = o + bent_t[..., None] * d
        along = (bent_p - line) @ direction  # distance from the fold line on the folded part
        flat_ok = (side * (flat_p[..., axis] - at) <= 0) & (flat_t > 0) & np.isfinite(flat_t)
        bent_ok = (along >= 0) & (bent_t > 0) & np.isfinite(bent_t)
        use_bent = bent_ok & (~flat_ok | (bent_t < flat_t))
        coord = np.where(use_bent, at + side * along, flat_p[..., axis])
        other = np.where(use_bent, bent_p[..., 1 - axis], flat_p[..., 1 - axis])
        u, v = (coord, other) if axis == 0 else (other, coord)
        return u, v, flat_ok | bent_ok
    t = _plane_hit(o, d, np.zeros(3), np.array([0.0, 0.0, 1.0]))
    p = o + t[..., None] * d
    return p[..., 0], p[..., 1], (t > 0) & np.isfinite(t)


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float):
    import numpy as np

    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


@dataclass
class Pose:
    yaw: float = 0.0  # degrees, about the sheet's vertical axis
    pitch: float = 0.0  # degrees, top away from the camera when > 0
    roll: float = 0.0
    x: float = 0.0  # metres
    y: float = 0.0
    distance: float = 0.5
    fold: float = 0.0  # degrees added to the sheet's fold angle (flexing the fold)


class Renderer:
    """Ray-traces one sheet, holding one photo, into camera frames."""

    def __init__(self, photo, sheet: Sheet, rng, *, size: tuple[int, int] = FRAME_SIZE):
        import cv2
        import numpy as np

        texture, centre, face_px = print_texture(photo)
        if sheet.family == "phone":
            texture = self._screen(texture, rng)
            pad = int(0.08 * texture.shape[1])
            texture = cv2.copyMakeBorder(texture, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(12, 12, 12))
            centre = (centre[0] + pad, centre[1] + pad)
        self.texture = texture
        self.centre = centre
        self.metres_per_px = sheet.face_width_m / face_px
        self.sheet = sheet
        self.size = size
        width, height = size
        # rays on a half-resolution grid; the maps are scaled up (the sheet is smooth between rays)
        gx, gy = np.meshgrid(np.arange(0, width, 2) + 0.5, np.arange(0, height, 2) + 0.5)
        self.rays = np.stack([(gx - width / 2) / FOCAL_PX, (gy - height / 2) / FOCAL_PX, np.ones_like(gx)], axis=-1)
        self.background = self._background(rng)
        self.rng = rng
        # sensor noise: a few precomputed fields (positive and negative parts), used in turn
        fields = [rng.normal(0, 2.5, (height, width, 3)) for _ in range(4)]
        self.noise = [(np.clip(f, 0, 255).astype(np.uint8), np.clip(-f, 0, 255).astype(np.uint8)) for f in fields]
        self._frame_no = 0

    def _background(self, rng):
        import cv2
        import numpy as np

        width, height = self.size
        coarse = rng.uniform(40, 200, (6, 8, 3)).astype(np.uint8)
        room = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        return cv2.GaussianBlur(room, (0, 0), 9)

    @staticmethod
    def _screen(texture, rng):
        """A phone screen: brighter, bluish, slightly lower contrast, with a glare spot."""
        import numpy as np

        out = texture.astype(np.float32) * rng.uniform(0.9, 1.15) + rng.uniform(5, 25)
        out[..., 0] += rng.uniform(5, 20)
        h, w = out.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        gx, gy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        glare = np.exp(-(((xx - gx) / (0.25 * w)) ** 2 + ((yy - gy) / (0.18 * h)) ** 2)) * rng.uniform(50, 110)
        return np.clip(out + glare[..., None], 0, 255).astype(np.uint8)

    def render(self, pose: Pose):
        import cv2
        import numpy as np

        rot = rotation(pose.yaw, pose.pitch, pose.roll)
        t = np.array([pose.x, pose.y, pose.distance])
        o = -rot.T @ t
        d = self.rays @ rot  # each ray rotated into the sheet's frame (R^T d)
        u, v, ok = intersect(self.sheet, o, d, self.sheet.fold_deg + pose.fold)
        mx = u / self.metres_per_px + self.centre[0]
        my = v / self.metres_per_px + self.centre[1]
        mx = np.where(ok, mx, -10).astype(np.float32)
        my = np.where(ok, my, -10).astype(np.float32)
        width, height = self.size
        mx = cv2.resize(mx, (width, height), interpolation=cv2.INTER_LINEAR)
        my = cv2.resize(my, (width, height), interpolation=cv2.INTER_LINEAR)
        frame = self.background.copy()
        cv2.remap(self.texture, mx, my, cv2.INTER_LINEAR, dst=frame, borderMode=cv2.BORDER_TRANSPARENT)
        self._frame_no += 1
        noise = self.noise[self._frame_no % len(self.noise)]
        return cv2.subtract(cv2.add(frame, noise[0]), noise[1])


# -- motion scripts ----------------------------------------------------------------------------
@dataclass
class Key:
    t: float
    pose: dict[str, float] = field(default_factory=dict)


def _swing(rng, start: float, name: str, amplitude: float, *, go: float, hold: float) -> list[Key]:
    return [Key(start + go, {name: amplitude}), Key(start + go + hold, {name: amplitude}), Key(start + 2 * go + hold, {name: 0.0})]


def step_script(step: str, start: float, rng, sheet: Sheet) -> tuple[list[Key], float]:
    """Key poses an attacker uses to answer ``step`` with the sheet, from ``start``; returns the
    keys and the time the answer ends. Turns swing both ways (the attacker does not need to know
    which way the sheet's picture reads as a turn); blinks and open-mouth answers tilt the sheet
    back or forward briefly, flex its fold and move it nearer."""
    keys: list[Key] = []
    t = start
    if step.startswith("turn_") or step == "look_up":
        order = [1, -1] if rng.random() < 0.5 else [-1, 1]
        name = "yaw" if step.startswith("turn_") else "pitch"
        for sign in order:
            amplitude = sign * rng.uniform(25, 60)
            go, hold = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)
            keys += _swing(rng, t, name, amplitude, go=go, hold=hold)
            t += 2 * go + hold + rng.uniform(0.1, 0.3)
        return keys, t
    for _ in range(2):
        go, hold = rng.uniform(0.07, 0.2), rng.uniform(0.05, 0.25)
        tilt = rng.choice([-1, 1]) * rng.uniform(35, 70)
        flex = rng.uniform(20, 60) if sheet.family.startswith("fold") else 0.0
        near = rng.uniform(0.0, 0.1) if step == "open_mouth" else 0.0
        keys.append(Key(t + go, {"pitch": tilt, "fold": flex, "distance_delta": -near}))
        keys.append(Key(t + go + hold, {"pitch": tilt, "fold": flex, "distance_delta": -near}))
        keys.append(Key(t + 2 * go + hold, {"pitch": 0.0, "fold": 0.0, "distance_delta": 0.0}))
        t += 2 * go + hold + rng.uniform(0.3, 0.6)
    return keys, t


def _smooth(a: float, b: float, s: float) -> float:
    s = s * s * (3 - 2 * s)
    return a + (b - a) * s


@dataclass
class Attack:
    person: str
    family: str
    sheet: Sheet
    steps: tuple[str, ...]
    seed: int
    fps: float = 15.0
    keys: list[Key] = field(default_factory=list)
    duration: float = 0.0
    base: Pose = field(default_factory=Pose)

    def describe(self) -> str:
        s = self.sheet
        shape = {"cylinder_convex": f"r={s.radius_m * 100:.0f} cm", "cylinder_concave": f"r={s.radius_m * 100:.0f} cm"}.get(
            s.family, f"fold {s.fold_deg:.0f} deg at {s.fold_at_m * 100:+.0f} cm" if s.family.startswith("fold") else "")
        return f"{self.person} {self.family} {shape} steps={','.join(self.steps)} seed={self.seed}"


def make_attack(person: str, family: str, steps: tuple[str, ...], seed: int, *, fps: float = 15.0) -> Attack:
    """A randomised attack: sheet shape, print size, distance, motion amplitudes and timing."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sheet = Sheet(family, face_width_m=float(rng.uniform(0.11, 0.17)))
    if family.startswith("cylinder"):
        sheet.radius_m = float(rng.uniform(0.05, 0.25)) * (1 if family == "cylinder_convex" else -1)
    elif family.startswith("fold"):
        sheet.fold_at_m = float(rng.uniform(-0.03, 0.03))
        sheet.fold_side = int(rng.choice([-1, 1]))
        sheet.fold_deg = float(rng.uniform(-50, 50))
    elif family == "phone":
        sheet.face_width_m = float(rng.uniform(0.035, 0.06))  # a face on a phone screen is small...
    base = Pose(distance=float(rng.uniform(0.4, 0.65)) * sheet.face_width_m / 0.14)  # ...and held closer
    attack = Attack(person, family, sheet, steps, seed, fps=fps, base=base)
    t = float(rng.uniform(1.0, 1.6))  # held still, facing the camera, while the face is found and matched
    attack.keys.append(Key(0.0, {}))
    attack.keys.append(Key(t, {}))
    for step in steps:
        keys, t = step_script(step, t, rng, sheet)
        attack.keys += keys
        t += float(rng.uniform(0.2, 0.5))
    attack.duration = t + 0.5
    return attack


def poses(attack: Attack) -> Iterator[Pose]:
    """One pose per frame: key poses eased into each other, plus a slow in-plane drift, zoom and
    hand jitter."""
    import numpy as np

    rng = np.random.default_rng(attack.seed + 1)
    names = ("yaw", "pitch", "roll", "fold", "distance_delta")
    current = {name: 0.0 for name in names}
    timeline = []
    for key in attack.keys:
        current = {**current, **key.pose}
        timeline.append((key.t, dict(current)))
    drift = rng.uniform(-0.02, 0.02, 2)
    wobble = rng.uniform(0.5, 1.5)
    frames = int(attack.duration * attack.fps)
    jitter = np.cumsum(rng.normal(0, 0.4, (frames, 3)), axis=0) * 0.3
    for i in range(frames):
        t = i / attack.fps
        before = max((k for k in timeline if k[0] <= t), key=lambda k: k[0])
        after = min((k for k in timeline if k[0] >= t), key=lambda k: k[0], default=before)
        span = after[0] - before[0]
        s = 0.0 if span <= 0 else (t - before[0]) / span
        value = {n: _smooth(before[1][n], after[1][n], s) for n in names}
        b = attack.base
        yield Pose(
            yaw=value["yaw"] + jitter[i, 0],
            pitch=value["pitch"] + jitter[i, 1],
            roll=value["roll"] + 3 * math.sin(wobble * t) + jitter[i, 2],
            x=b.x + drift[0] * math.sin(0.7 * t),
            y=b.y + drift[1] * math.sin(0.9 * t),
            distance=b.distance * (1 + value["distance_delta"] + 0.05 * math.sin(0.5 * t)),
            fold=value["fold"],
        )


def frames(attack: Attack, photo) -> Iterator[Any]:
    import numpy as np

    renderer = Renderer(photo, attack.sheet, np.random.default_rng(attack.seed + 2))
    for pose in poses(attack):
        yield renderer.render(pose)


def write_video(attack: Attack, photo, out: Path) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), attack.fps, FRAME_SIZE)
    try:
        for frame in frames(attack, photo):
            writer.write(frame)
    finally:
        writer.release()
    return out


class GeneratedSource:
    """A replay FrameSource over frames made on the fly (no file): the attack straight into SelfieRun."""

    def __new__(cls, frame_iter, fps: float):
        from selfverify.core.camera import FrameSource

        class _Source(FrameSource):
            kind = "frames"

            def __init__(self):
                super().__init__(realtime=False, fps=fps)
                self._frames = iter(frame_iter)

            def _grab(self):
                return next(self._frames, None)

            def _close(self):
                self._frames = iter(())

            def describe(self):
                return "simulated attack"

        return _Source()
