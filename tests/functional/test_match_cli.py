"""``selfverify match``: the exit-code and JSON contract support staff and scripts rely on."""

from __future__ import annotations

import json

import pytest

from tests.helpers import assert_no_traceback, run_cli
from tests.inprocess_cli import run_main

pytestmark = pytest.mark.faces


@pytest.mark.parametrize(
    ("reference", "probe", "code", "decision"),
    [("obama.jpg", "obama3.jpg", 0, "match"), ("biden.jpg", "biden2.jpg", 0, "match"), ("obama4.jpg", "biden2.jpg", 1, "no_match")],
)
def test_json_decision_and_exit_code(faces_dir, reference, probe, code, decision):
    proc = run_main("match", str(faces_dir / reference), str(faces_dir / probe), "--json")
    assert proc.returncode == code, proc.stderr
    data = json.loads(proc.stdout)
    assert data["decision"] == decision and data["tolerance"] == 0.6 and 0 <= data["distance"] < 2


def test_plain_output_and_tolerance_flag(faces_dir):
    proc = run_main("match", str(faces_dir / "obama.jpg"), str(faces_dir / "obama2.jpg"), "--tolerance", "0.2")
    assert proc.returncode == 1 and proc.stdout.startswith("Different people (distance 0.3")
    assert "tolerance 0.2" in proc.stdout


def make_bad_files(tmp_path, faces_dir):
    from PIL import Image

    (tmp_path / "cut.jpg").write_bytes((faces_dir / "obama2.jpg").read_bytes()[:30_000])
    Image.new("1", (9000, 6000)).save(tmp_path / "huge.png")
    (tmp_path / "notes.txt").write_text("not a photo\n")
    return {"two_people": faces_dir / "two_people.jpg", "corrupt": tmp_path / "cut.jpg",
            "huge": tmp_path / "huge.png", "not_an_image": tmp_path / "notes.txt"}


def test_input_problems_exit_2_with_one_line_and_no_traceback(faces_dir, tmp_path):
    expected = {"two_people": "too_many_faces", "corrupt": "bad_image", "huge": "bad_image", "not_an_image": "bad_image"}
    for name, path in make_bad_files(tmp_path, faces_dir).items():
        proc = run_main("match", str(faces_dir / "obama.jpg"), str(path), "--json")
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        assert_no_traceback(proc)
        error = json.loads(proc.stdout)["error"]
        assert error["code"] == expected[name] and path.name in error["message"], name
    proc = run_cli("match", str(faces_dir / "obama.jpg"), str(tmp_path / "huge.png"))  # the real entry point
    assert_no_traceback(proc)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.startswith("Error: The probe photo huge.png is too large")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_out_of_range_tolerance_is_an_input_problem(faces_dir):
    proc = run_main("match", str(faces_dir / "obama.jpg"), str(faces_dir / "obama2.jpg"), "--tolerance", "3")
    assert proc.returncode == 2 and "tolerance must be above 0 and at most 0.6" in proc.stderr
    assert_no_traceback(proc)
