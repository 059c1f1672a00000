"""Loading the face engine (face_recognition on dlib) safely and lazily.

face_recognition calls ``quit()`` (exit status 0!) when it cannot import its models, and sets
Pillow's ``LOAD_TRUNCATED_IMAGES`` globally. ``load_face_recognition`` checks the models first,
turns every failure into ``FaceModelsMissing``, and restores Pillow's flag.
"""

from __future__ import annotations

import importlib.util
import threading
import time
import warnings
from pathlib import Path
from types import ModuleType

from selfverify.errors import FaceModelsMissing

MODEL_FILES = (
    "shape_predictor_68_face_landmarks.dat",
    "shape_predictor_5_face_landmarks.dat",
    "dlib_face_recognition_resnet_model_v1.dat",
    "mmod_human_face_detector.dat",
)
_FIX = "Reinstall the project's dependencies: uv sync (face_recognition_models and setuptools<82 are needed)."

_lock = threading.Lock()
_module: ModuleType | None = None
load_seconds: float | None = None


def _find(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def models_dir() -> Path:
    """Where face_recognition_models keeps its .dat files, without importing it."""
    spec = _find("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsMissing("The face models package (face_recognition_models) is not installed.", hint=_FIX)
    root = Path(next(iter(spec.submodule_search_locations))) / "models"
    missing = [name for name in MODEL_FILES if not (root / name).is_file()]
    if missing:
        raise FaceModelsMissing(f"Face model files are missing: {', '.join(missing)}.", hint=_FIX)
    return root


def check_prerequisites() -> Path:
    root = models_dir()
    if _find("pkg_resources") is None:
        raise FaceModelsMissing(
            "pkg_resources is missing (setuptools 82 removed it), so the face models cannot load.", hint=_FIX
        )
    for name in ("dlib", "face_recognition"):
        if _find(name) is None:
            raise FaceModelsMissing(f"The {name} package is not installed.", hint=_FIX)
    return root


def load_face_recognition() -> ModuleType:
    """Import face_recognition once (thread-safe); raise FaceModelsMissing instead of exiting."""
    global _module, load_seconds
    if _module is not None:
        return _module
    with _lock:
        if _module is not None:
            return _module
        check_prerequisites()
        from PIL import ImageFile

        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pkg_resources deprecation noise
                import face_recognition  # noqa: PLC0415 - heavy, deliberately lazy
        except SystemExit:
            raise FaceModelsMissing("The face models could not be loaded.", hint=_FIX) from None
        except Exception as exc:  # dlib ABI or a broken model file
            raise FaceModelsMissing(f"The face engine could not be loaded ({type(exc).__name__}: {exc}).", hint=_FIX) from None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous
        load_seconds = time.perf_counter() - started
        _module = face_recognition
        return face_recognition


def preload_in_background() -> threading.Thread:
    """Start loading the models in a daemon thread (front ends call this while the user reads)."""
    def _run() -> None:
        try:
            load_face_recognition()
        except FaceModelsMissing:
            pass  # reported when the engine is actually needed

    thread = threading.Thread(target=_run, name="selfverify-model-preload", daemon=True)
    thread.start()
    return thread
