"""White balance before the palette: a cast on the whole frame no longer changes the colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, shared_file
from vision.attributes import body_colour
from vision.augment import CASTS, colour_cast
from vision.colour import WB_METHODS, balanced_colour, illuminant, white_balance
from vision.labelled import load_frames, read_labels


def _scene(body_bgr: tuple[int, int, int]) -> tuple[np.ndarray, list[float]]:
    """A textured grey street with a car-shaped box of one paint."""
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(120, 35, (240, 320, 1)).repeat(3, axis=2), 0, 255).astype(np.uint8)
    img[100:180, 90:230] = body_bgr
    img[100:125, 110:210] = (40, 40, 40)  # glass
    return img, [90.0, 100.0, 230.0, 180.0]


@pytest.mark.parametrize(("bgr", "name"), [((40, 40, 200), "red"), ((225, 225, 225), "white"), ((30, 30, 30), "black")])
@pytest.mark.parametrize("cast", ["warm", "cool", "green"])
def test_cast_frames_keep_their_colour(bgr: tuple[int, int, int], name: str, cast: str) -> None:
    img, box = _scene(bgr)
    assert balanced_colour(img, box).value == name
    gains = [1 + (g - 1) / 2 for g in CASTS[cast]]
    assert balanced_colour(colour_cast(img, gains), box).value == name


def test_a_cast_fools_the_palette_without_white_balance() -> None:
    img, box = _scene((150, 150, 150))
    cast = colour_cast(img, [1 + (g - 1) / 2 for g in CASTS["green"]])
    assert body_colour(cast, box).value == "green"
    assert balanced_colour(cast, box).value == "grey/silver"


def test_illuminant_of_a_neutral_scene_is_neutral() -> None:
    img, _ = _scene((128, 128, 128))
    for method in WB_METHODS:
        e = illuminant(img, method)
        assert np.ptp(e) / e.mean() < 0.05, method
    assert white_balance(img, "none") is img
    with pytest.raises(ValueError, match="expected one of none"):
        illuminant(img, "retinex")


@pytest.mark.parametrize("cast", list(CASTS))
def test_a_real_white_car_keeps_its_colour_under_a_15_percent_cast(cast: str) -> None:
    """Crop 293 of the labelled set (tuning part): a white car in a we0091234 photo."""
    shared_file("plates/we0091234/Quicker_20220930_180856.png")
    rows, _ = read_labels(Path(__file__).parent / "data" / "vehicle_labels.csv")
    row = next(r for r in rows if r.crop == 293)
    assert row.colour == "white"
    frame = load_frames([row], SHARED_DATA)[(row.source, row.frame)]
    cast_frame = colour_cast(frame, [1 + (g - 1) / 2 for g in CASTS[cast]])
    assert balanced_colour(cast_frame, row.box).value == "white"
    if cast == "green":  # without white balance the green cast wins
        assert body_colour(cast_frame, row.box).value == "green"
