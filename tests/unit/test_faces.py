"""Reference loading and photo matching on the real face fixtures (ground truth: their README)."""

from __future__ import annotations

import itertools

import pytest

from selfverify.core.faces import compare_photos, decide_match, load_reference
from selfverify.errors import NoFaceError, TooManyFacesError
from tests.face_media import STAGE_REFERENCE_FRAME, extract_frame

PERSON_O = ["obama.jpg", "obama_small.jpg", "obama2.jpg", "obama_rgba.png", "obama3.jpg", "obama4.jpg", "obama_partial_face.jpg"]
PERSON_B = ["biden.jpg", "biden2.jpg"]


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    from tests.conftest import FACES

    if not (FACES / "obama.jpg").is_file():
        pytest.skip(f"real face fixtures not found at {FACES}")
    refs = {name: load_reference(FACES / name) for name in PERSON_O + PERSON_B}
    frame = extract_frame(FACES / "stage_clip.mp4", STAGE_REFERENCE_FRAME, tmp_path_factory.mktemp("s") / "s.png")
    refs["S"] = load_reference(frame)
    return refs


def test_every_genuine_pair_matches_at_the_default_tolerance(references, plain_settings):
    pairs = list(itertools.combinations(PERSON_O, 2)) + [tuple(PERSON_B)]
    distances = {pair: decide_match(references[pair[0]], references[pair[1]], plain_settings.tolerance) for pair in pairs}
    assert all(m.decision == "match" for m in distances.values()), distances
    assert max(m.distance for m in distances.values()) < plain_settings.tolerance - 0.1  # photos leave a wide margin


def test_every_impostor_pair_is_rejected(references, plain_settings):
    pairs = [(o, b) for o in PERSON_O for b in PERSON_B] + [(x, "S") for x in PERSON_O + PERSON_B]
    results = {pair: decide_match(references[pair[0]], references[pair[1]], plain_settings.tolerance) for pair in pairs}
    assert all(m.decision == "no_match" for m in results.values()), results


def test_the_same_photo_in_another_format_is_nearly_identical(references):
    assert references["obama2.jpg"].distance(references["obama_rgba.png"].encoding) < 0.08
    assert references["obama.jpg"].distance(references["obama_small.jpg"].encoding) < 0.1


def test_reference_keeps_box_and_size_but_never_shows_the_encoding(references):
    ref = references["obama.jpg"]
    top, right, bottom, left = ref.face_box
    assert ref.image_size == (910, 1137) and 200 < right - left < 340 and 0 <= top < bottom <= 1137
    assert "encoding" not in repr(ref) and ref.encoding.shape == (128,)


def test_two_faces_are_refused_with_their_sizes(faces_dir):
    with pytest.raises(TooManyFacesError) as info:
        load_reference(faces_dir / "two_people.jpg")
    message = info.value.user_message
    assert "2 faces" in message and message.count("x") >= 2 and info.value.exit_code == 2


def test_a_photo_without_a_face_is_refused(tmp_path):
    from PIL import Image

    path = tmp_path / "wall.png"
    Image.new("RGB", (300, 200), (180, 170, 160)).save(path)
    with pytest.raises(NoFaceError, match="The reference photo wall.png shows no face"):
        load_reference(path)


def test_exif_rotated_photo_is_read_upright(faces_dir, tmp_path):
    from PIL import Image

    upright = Image.open(faces_dir / "obama_small.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # viewers rotate it back clockwise
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "sideways.jpg", exif=exif, quality=95)
    ref = load_reference(tmp_path / "sideways.jpg")
    assert ref.image_size == (320, 240)


def test_compare_photos_reports_a_bad_probe_before_loading_faces(faces_dir, tmp_path):
    from selfverify.errors import ImageError

    (tmp_path / "cut.jpg").write_bytes((faces_dir / "obama2.jpg").read_bytes()[:20_000])
    with pytest.raises(ImageError, match="probe photo cut.jpg is truncated"):
        compare_photos(faces_dir / "obama.jpg", tmp_path / "cut.jpg", 0.6)
