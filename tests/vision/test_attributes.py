from __future__ import annotations

import numpy as np
import pytest

from vision.attributes import (
    PALETTE,
    GeometryTypeClassifier,
    OnnxTypeClassifier,
    _lab,
    body_colour,
    classify_lab,
)
from vision.pipeline import direction_of
from vision.types import TrackPoint
from xueliang.errors import InputError

ROAD = (105, 105, 105)


def scene(body_bgr: tuple[int, int, int]) -> tuple[np.ndarray, list[float]]:
    """A car-shaped patch on a road: body colour, dark glass band on top, black wheels, a highlight."""
    img = np.full((200, 300, 3), ROAD, np.uint8)
    img[60:140, 80:220] = body_bgr
    img[60:85, 95:205] = (40, 40, 45)  # glass
    img[128:140, 90:115] = img[128:140, 185:210] = (15, 15, 15)  # wheels
    img[95:100, 120:180] = (250, 250, 250)  # specular highlight
    return img, [80.0, 60.0, 220.0, 140.0]


@pytest.mark.parametrize(
    ("bgr", "name"),
    [
        ((40, 40, 200), "red"),
        ((170, 70, 20), "blue"),
        ((235, 235, 235), "white"),
        ((25, 25, 25), "black"),
        ((150, 150, 150), "grey/silver"),
        ((30, 200, 220), "yellow"),
        ((40, 140, 40), "green"),
        ((30, 70, 120), "brown/gold"),
    ],
)
def test_body_colour_ignores_glass_wheels_and_highlights(bgr: tuple[int, int, int], name: str) -> None:
    img, box = scene(bgr)
    got = body_colour(img, box)
    assert got.value == name
    assert 0.5 <= got.confidence <= 1.0


def test_mean_colour_would_be_wrong_but_body_pixels_are_right() -> None:
    # a white car with dark glass and wheels, its box a third road: the box mean is grey
    img, _ = scene((235, 235, 235))
    box = [80.0, 20.0, 220.0, 140.0]
    mean = img[20:140, 80:220].reshape(-1, 3).mean(axis=0).astype(np.uint8)
    assert PALETTE[classify_lab(_lab(mean[None, None, :]))[0, 0]] == "grey/silver"
    assert body_colour(img, box).value == "white"


def test_degenerate_box_is_other_with_zero_confidence() -> None:
    img, _ = scene((40, 40, 200))
    assert body_colour(img, [10, 10, 12, 12]).confidence == 0.0


def test_geometry_type() -> None:
    g = GeometryTypeClassifier()
    crop = np.zeros((60, 100, 3), np.uint8)
    assert g.classify(crop, "car").value == "sedan"
    assert g.classify(np.zeros((80, 100, 3), np.uint8), "car").value == "suv"
    assert g.classify(np.zeros((110, 100, 3), np.uint8), "car").value == "van"
    assert g.classify(crop, "truck").value == "pickup"
    assert g.classify(crop, "bus").value == "bus"


def test_onnx_type_classifier_reports_missing_files(tmp_path: object) -> None:
    with pytest.raises(InputError, match="type classifier: no such file"):
        OnnxTypeClassifier("/nonexistent/model.onnx")


def test_direction_in_image_plane() -> None:
    def pt(f: int, x: float, y: float) -> TrackPoint:
        return TrackPoint(frame=f, t=f / 25, x1=x, y1=y, x2=x + 40, y2=y + 30, confidence=0.9)

    assert direction_of([pt(0, 0, 100), pt(10, 200, 100)], 0.5) == ("right", 90.0)
    assert direction_of([pt(0, 200, 200), pt(10, 0, 0)], 0.5)[0] == "up-left"
    assert direction_of([pt(0, 100, 100), pt(10, 105, 102)], 0.5) == ("stationary", None)
