"""The face-encoding child process: same numbers as in-process encoding, a killed child is replaced,
a child that cannot load the models is a clear error, and closing leaves no process behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from selfverify.core.encoder import EncoderProcess
from selfverify.core.faces import encode_face, face_window, load_reference
from selfverify.errors import EnvironmentProblem, FaceModelsMissing, SelfverifyError

PHOTOS = ("obama.jpg", "obama2.jpg", "biden.jpg")


@pytest.fixture(scope="module")
def encoder():
    with EncoderProcess() as shared:
        shared.start(wait=True)
        yield shared


@pytest.fixture(scope="module")
def references():
    """In-process references, the numbers the encoder must reproduce."""
    from tests.conftest import FACES

    if not all((FACES / name).is_file() for name in PHOTOS):
        pytest.skip(f"real face fixtures not found at {FACES}")
    return {name: load_reference(FACES / name) for name in PHOTOS}


def noise_face():
    """An image and a box: dlib encodes whatever the box holds, which is all a round trip needs."""
    import numpy as np

    return np.random.default_rng(7).integers(0, 256, (240, 240, 3), dtype=np.uint8), (60, 180, 180, 60)


def exited(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def broken_models_path(tmp_path):
    """A face_recognition_models package without its model files, ahead of the real one."""
    package = tmp_path / "shadow" / "face_recognition_models"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    return str(tmp_path / "shadow")


def test_round_trip_gives_the_in_process_encoding(encoder):
    image, box = noise_face()
    here = encode_face(image, box)
    there = encoder.encode(image, box)
    assert there.shape == (128,) and there.dtype == here.dtype
    assert abs(there - here).max() < 1e-6
    window, local = face_window(image[:, :, ::-1], box, bgr=True)  # the BGR path of the flow
    assert abs(encoder.encode_window(window, local) - here).max() < 1e-6


def test_real_faces_give_the_same_distances(encoder, references, faces_dir):
    remote = {name: load_reference(faces_dir / name, encoder=encoder) for name in PHOTOS}
    for name in PHOTOS:
        assert remote[name].face_box == references[name].face_box
        for other in PHOTOS:
            assert abs(remote[name].distance(remote[other].encoding) - references[name].distance(references[other].encoding)) < 1e-6
    # the decisions behind the numbers: same person close, different people far
    assert references["obama.jpg"].distance(remote["obama2.jpg"].encoding) < 0.6 < references["obama.jpg"].distance(remote["biden.jpg"].encoding)


def test_a_killed_child_is_replaced_transparently(encoder):
    image, box = noise_face()
    before = encoder.encode(image, box)
    old_pid = encoder.pid
    os.kill(old_pid, signal.SIGKILL)
    for _ in range(200):
        if exited(old_pid) or encoder.pid is None:
            break
        time.sleep(0.01)
    after = encoder.encode(image, box)
    assert encoder.pid not in (None, old_pid)
    assert abs(after - before).max() < 1e-6


def test_a_child_that_cannot_load_the_models_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", broken_models_path(tmp_path))
    image, box = noise_face()
    with EncoderProcess() as broken:
        with pytest.raises(FaceModelsMissing, match="missing") as raised:
            broken.encode(image, box)
        assert "uv sync" in (raised.value.hint or "")  # the parent's error carries the child's fix
        assert broken.pid is None  # the failed child is gone, not left half-started


def test_a_child_that_keeps_failing_gives_up_with_a_clear_error():
    image, box = noise_face()
    with EncoderProcess(request_timeout=1e-4) as hopeless:  # no encoding is that fast: every answer is "late"
        with pytest.raises(EnvironmentProblem, match="failed twice in a row") as raised:
            hopeless.encode(image, box)
        assert raised.value.code == "face_encoder" and raised.value.exit_code == 3
        assert hopeless.pid is None


def test_close_leaves_no_process_and_refuses_further_work():
    image, box = noise_face()
    closing = EncoderProcess()
    closing.start(wait=True)
    pid = closing.pid
    assert pid is not None and not exited(pid)
    closing.close()
    assert closing.pid is None and exited(pid)  # ended and reaped: not even a zombie
    closing.close()  # idempotent
    closing.start()  # a closed encoder stays closed
    assert closing.pid is None
    with pytest.raises(SelfverifyError, match="shut down"):
        closing.encode(image, box)


def test_close_while_the_models_load_ends_the_child_at_once():
    loading = EncoderProcess()
    loading.start()
    pid = loading.pid
    started = time.monotonic()
    loading.close()
    assert exited(pid) and time.monotonic() - started < 2.0
