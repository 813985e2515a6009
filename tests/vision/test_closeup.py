"""Close-ups: grey-canvas second scales and the plate fallback (vision.closeup)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import shared_file
from tests.vision.conftest import weights
from vision.closeup import MultiScaleDetector, nms, on_canvas
from vision.detect import DetectorSpec, YoloDetector
from vision.track import iou_matrix
from vision.types import Detections


class BrightBox:
    """Finds the white rectangle of a frame, but only when it is under half the frame's width (a
    close-up it cannot see), like a COCO detector on a car cut by the frame."""

    name = "fake:bright"

    def detect(self, frame: np.ndarray) -> Detections:
        ys, xs = np.nonzero(frame[:, :, 0] > 200)
        if len(xs) == 0 or xs.max() - xs.min() >= frame.shape[1] / 2:
            return Detections.empty()
        box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
        return Detections(xyxy=box, confidence=np.array([0.9]), class_id=np.array([2]))


def frame_with(box: tuple[int, int, int, int], size: tuple[int, int] = (200, 300)) -> np.ndarray:
    f = np.full((*size, 3), 60, np.uint8)
    x1, y1, x2, y2 = box
    f[y1:y2, x1:x2] = 255
    return f


def test_canvas_boxes_come_back_in_frame_pixels() -> None:
    f = frame_with((10, 20, 100, 80))
    d = on_canvas(BrightBox(), f, 2.0)
    assert np.allclose(d.xyxy, [[10, 20, 100, 80]])


def test_a_close_up_is_found_on_the_canvas_only() -> None:
    f = frame_with((0, 10, 220, 190))  # 73 % of the frame's width, cut by its left edge
    assert len(BrightBox().detect(f)) == 0
    d = MultiScaleDetector(BrightBox(), scales=(2.0,)).detect(f)
    assert len(d) == 1 and np.allclose(d.xyxy, [[0, 10, 220, 190]])


def test_extra_scales_run_only_when_the_first_pass_looks_like_a_missed_close_up() -> None:
    det = MultiScaleDetector(BrightBox(), when="empty")
    f = np.zeros((100, 200, 3), np.uint8)
    small = Detections(xyxy=np.array([[10, 10, 40, 30]]), confidence=np.array([0.9]), class_id=np.array([2]))
    cut = Detections(xyxy=np.array([[0, 0, 150, 80]]), confidence=np.array([0.9]), class_id=np.array([2]))
    assert det.needs_more(f, Detections.empty())
    assert not det.needs_more(f, small)  # a street scene with a car in view pays nothing
    assert det.needs_more(f, cut)  # only a box cut by two frame edges
    assert MultiScaleDetector(BrightBox(), when="no_large").needs_more(f, small)
    with pytest.raises(ValueError, match="expected one of empty, no_large, always, got 'sometimes'"):
        MultiScaleDetector(BrightBox(), when="sometimes")


def test_nms_keeps_the_most_confident_of_overlapping_boxes() -> None:
    d = Detections(
        xyxy=np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]]),
        confidence=np.array([0.5, 0.9, 0.4]),
        class_id=np.array([7, 2, 2]),
    )
    kept = nms(d)
    assert kept.confidence.tolist() == pytest.approx([0.9, 0.4])
    assert kept.class_id.tolist() == [2, 2]


@pytest.mark.parametrize("model", ["yolo11n_int8.tflite", "yolov8n_int8.tflite"])
def test_real_close_up_of_an_unplated_car_is_detected_on_the_canvas(model: str) -> None:
    # CCPD np1: a white car's front filling a 720x1160 photo; the detector alone finds nothing
    img = np.asarray(cv2.imread(str(shared_file("plates/ccpd_np/np1.jpg"))), np.uint8)
    base = YoloDetector(DetectorSpec(weights=str(weights(model))))
    label = np.array([[0, 0, 720, 680]], np.float64)  # tests/vision/data/plates_labels.csv
    assert len(base.detect(img)) == 0
    d = MultiScaleDetector(base).detect(img)
    assert len(d) >= 1
    assert float(iou_matrix(d.xyxy.astype(np.float64), label).max()) >= 0.5
