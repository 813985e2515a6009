from __future__ import annotations

import numpy as np
import pytest

from vision.types import Detections, DetectionsError


def make(n: int = 3) -> Detections:
    xyxy = np.array([[i * 10, 0, i * 10 + 5, 5] for i in range(n)], np.float32)
    return Detections(xyxy=xyxy, confidence=np.linspace(0.2, 0.9, n), class_id=np.full(n, 2))


def test_mask_filters_every_column() -> None:
    d = make(4)
    d.data["speed"] = np.arange(4)
    kept = d[d.confidence > 0.5]
    assert len(kept) == 2
    assert kept.data["speed"].tolist() == [2, 3]
    assert kept.xyxy[0, 0] == 20


def test_shape_errors_say_expected_and_got() -> None:
    with pytest.raises(DetectionsError, match=r"xyxy: expected shape \(N, 4\), got \(3,\)"):
        Detections(xyxy=np.zeros(3), confidence=np.zeros(3), class_id=np.zeros(3))
    with pytest.raises(DetectionsError, match=r"confidence: expected shape \(2,\), got \(3,\)"):
        Detections(xyxy=np.zeros((2, 4)), confidence=np.zeros(3), class_id=np.zeros(2))
    with pytest.raises(DetectionsError, match=r"data\['x'\]: expected length 2, got 1"):
        Detections(xyxy=np.zeros((2, 4)), confidence=np.zeros(2), class_id=np.zeros(2), data={"x": np.zeros(1)})
    with pytest.raises(DetectionsError, match="x2 >= x1"):
        Detections(xyxy=np.array([[5, 0, 1, 1]]), confidence=np.zeros(1), class_id=np.zeros(1))


def test_empty_and_area() -> None:
    assert len(Detections.empty()) == 0
    assert make(1).area.tolist() == [25.0]
