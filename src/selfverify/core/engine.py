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
from selfverify.i18n import N_, _

MODEL_FILES = (
    "shape_predictor_68_face_landmarks.dat",
    "shape_predictor_5_face_landmarks.dat",
    "dlib_face_recognition_resnet_model_v1.dat",
    "mmod_human_face_detector.dat",
)
_FIX = N_("Reinstall the project's dependencies: uv sync (face_recognition_models and setuptools<82 are needed).")

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
        raise FaceModelsMissing(_("The face models package (face_recognition_models) is not installed."), hint=_(_FIX))
    root = Path(next(iter(spec.submodule_search_locations))) / "models"
    missing = [name for name in MODEL_FILES if not (root / name).is_file()]
    if missing:
        raise FaceModelsMissing(_("Face model files are missing: {files}.").format(files=", ".join(missing)), hint=_(_FIX))
    return root


def check_prerequisites() -> Path:
    root = models_dir()
    if _find("pkg_resources") is None:
        raise FaceModelsMissing(
            _("pkg_resources is missing (setuptools 82 removed it), so the face models cannot load."), hint=_(_FIX)
        )
    for name in ("dlib", "face_recognition"):
        if _find(name) is None:
            raise FaceModelsMissing(_("The {package} package is not installed.").format(package=name), hint=_(_FIX))
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
            raise FaceModelsMissing(_("The face models could not be loaded."), hint=_(_FIX)) from None
        except Exception as exc:  # dlib ABI or a broken model file
            raise FaceModelsMissing(_("The face engine could not be loaded ({detail}).").format(detail=f"{type(exc).__name__}: {exc}"),
                                    hint=_(_FIX)) from None
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
