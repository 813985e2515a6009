"""Plate state when the plate is hidden: covers, gates, partial plates (vision.plates, plate_covers)."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import shared_file
from vision.plate_covers import COVERS, apply_cover
from vision.plates import PlateReader, format_plate, normalise_plate, partial_pattern

LABELS = Path(__file__).parent / "data" / "plates_labels.csv"


def label(name: str) -> dict[str, str]:
    with LABELS.open(encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["photo"].endswith(name))


def test_labels_split_by_photo_and_complete() -> None:
    with LABELS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len({r["photo"] for r in rows}) == len(rows)  # one row per photo: no photo in both parts
    assert {r["split"] for r in rows} == {"tuning", "heldout"}
    for r in rows:
        if r["state"] == "visible":
            assert normalise_plate(r["plate_text"]) == r["plate_text"], r["photo"]
            assert int(r["plate_x2"]) > int(r["plate_x1"]) and int(r["plate_y2"]) > int(r["plate_y1"])


def test_special_plates_are_plausible() -> None:
    assert normalise_plate("鄂F·8888警") == "鄂F8888警"
    assert normalise_plate("粤Z R066港") == "粤ZR066港"
    assert normalise_plate("WJ16·93015") == "WJ1693015"
    assert format_plate("WJ1693015") == "WJ16·93015"
    assert normalise_plate("沪A·F71017") == "沪AF71017"  # green new-energy: 6 after the letter
    assert normalise_plate("鄂F88警") is None


def test_partial_patterns() -> None:
    assert partial_pattern("粤B·6R") == "粤B6R*"
    assert partial_pattern("6R678") == "*6R678"
    assert partial_pattern("粤B6R678") is None  # a whole plate is not partial
    assert partial_pattern("6R") is None  # too few characters
    assert partial_pattern("B6粤R") is None  # a province character inside: not a plate


@given(st.text(max_size=12))
def test_plate_readers_never_raise_on_any_text(text: str) -> None:
    norm = normalise_plate(text)
    assert norm is None or normalise_plate(norm) == norm
    pat = partial_pattern(text)
    assert pat is None or pat.startswith("*") or pat.endswith("*")


def test_covers_stay_on_the_plate() -> None:
    img = np.full((200, 300, 3), 128, np.uint8)
    box = (100, 120, 200, 150)
    for cover in COVERS:
        out = apply_cover(img, box, cover, seed=3).image
        changed = np.argwhere(np.any(out != img, axis=2))
        assert len(changed), cover
        y1, x1 = changed.min(axis=0)
        y2, x2 = changed.max(axis=0)
        # a cloth patch sags a little beyond the plate; nothing strays further than a plate height
        assert x1 >= 100 - 30 and x2 <= 200 + 30 and y1 >= 120 - 30 and y2 <= 150 + 30, cover
    with pytest.raises(ValueError, match=r"expected one of paint_dark, .*, got 'glitter'"):
        apply_cover(img, box, "glitter")


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


def crop(name: str, img: np.ndarray) -> np.ndarray:
    r = label(name)
    return img[int(r["vehicle_y1"]) : int(r["vehicle_y2"]), int(r["vehicle_x1"]) : int(r["vehicle_x2"])]


def test_visible_plate_is_read(reader: PlateReader) -> None:
    img = np.asarray(cv2.imread(str(shared_file("plates/we0091234/Quicker_20220930_180856.png"))), np.uint8)
    r = reader.read(crop("Quicker_20220930_180856.png", img))
    assert (r.state, r.text) == ("visible", "川A·8H458")


@pytest.mark.parametrize("cover", ["paint_dark", "cloth", "tape"])
def test_hidden_plate_gets_no_text(reader: PlateReader, cover: str) -> None:
    name = "Quicker_20220930_180856.png"
    img = np.asarray(cv2.imread(str(shared_file(f"plates/we0091234/{name}"))), np.uint8)
    r = label(name)
    box = tuple(int(r[k]) for k in ("plate_x1", "plate_y1", "plate_x2", "plate_y2"))
    hidden = apply_cover(img, box, cover, seed=1).image  # type: ignore[arg-type]
    got = reader.read(crop(name, hidden))
    assert got.state in ("covered", "absent")
    assert got.text is None or "*" in got.text


def test_red_suffix_is_read_on_one_channel(reader: PlateReader) -> None:
    """The police plate's red 警 does not read in colour (``鄂F8888*``); on the green channel it does."""
    name = "police.jpg"
    img = np.asarray(cv2.imread(str(shared_file(f"plates/we0091234/{name}"))), np.uint8)
    r = reader.read(crop(name, img))
    assert (r.state, r.text) == ("visible", "鄂F·8888警")


def test_skew_of_a_tilted_plate() -> None:
    """A level synthetic plate turned by 12 degrees measures about 12 degrees, and turning it back
    levels it."""
    from vision.plates import plate_skew, rotate_about

    img = np.full((300, 400, 3), 90, np.uint8)
    cv2.rectangle(img, (120, 130), (280, 180), (230, 230, 230), -1)
    for k in range(6):
        cv2.rectangle(img, (135 + 24 * k, 140), (150 + 24 * k, 170), (20, 20, 20), -1)
    box = (120, 130, 280, 180)
    assert abs(plate_skew(img, box)) < 2
    tilted = rotate_about(img, (200, 155), -12.0)  # turned counter-clockwise: right end higher
    assert plate_skew(tilted, (110, 115, 290, 195)) == pytest.approx(12, abs=2.5)
    level = rotate_about(tilted, (200, 155), plate_skew(tilted, (110, 115, 290, 195)))
    assert abs(plate_skew(level, box)) < 2.5


def test_consistent_patterns() -> None:
    from vision.plates import consistent

    assert consistent("粤B6R*", "粤B6R678") and consistent("*1693015", "WJ1693015")
    assert not consistent("*1693016", "WJ1693015") and not consistent("京A*", "琼A6716学")
