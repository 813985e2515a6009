from __future__ import annotations

import numpy as np

from vision.track import ByteTracker, TrackerConfig, iou_matrix
from vision.types import Detections


def dets(boxes: list[tuple[float, float, float, float]], conf: float = 0.9) -> Detections:
    if not boxes:
        return Detections.empty()
    return Detections(
        xyxy=np.array(boxes, np.float32),
        confidence=np.full(len(boxes), conf),
        class_id=np.full(len(boxes), 2),
    )


def test_iou() -> None:
    m = iou_matrix(np.array([[0, 0, 10, 10.0]]), np.array([[5, 0, 15, 10.0], [20, 20, 30, 30.0]]))
    assert np.allclose(m, [[1 / 3, 0.0]])


def test_two_crossing_cars_keep_their_ids() -> None:
    tr = ByteTracker()
    ids_a, ids_b = set(), set()
    for f in range(0, 60):
        a = (10 + 5 * f, 50, 50 + 5 * f, 80)  # left to right
        b = (310 - 5 * f, 52, 350 - 5 * f, 82)  # right to left, same lane height: they cross
        out = tr.update(dets([a, b]), f)
        assert out.tracker_id is not None
        ids_a.add(int(out.tracker_id[0]))
        ids_b.add(int(out.tracker_id[1]))
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b
    finished = tr.finish()
    assert [len(t.frames) for t in finished] == [60, 60]


def test_sparse_detection_of_a_fast_car_is_one_track() -> None:
    # detector every 6th frame; the car moves 60 px between detections, more than its own width
    tr = ByteTracker()
    for f in range(0, 90, 6):
        tr.update(dets([(10 * f, 100, 10 * f + 40, 130)]), f)
    finished = tr.finish()
    assert len(finished) == 1
    assert len(finished[0].frames) == 15


def test_lost_track_finishes_and_one_hit_tracks_are_dropped() -> None:
    tr = ByteTracker(TrackerConfig(max_lost_frames=5, min_hits=2))
    tr.update(dets([(0, 0, 10, 10)]), 0)
    tr.update(dets([(1, 0, 11, 10)]), 1)
    tr.update(dets([(200, 200, 210, 210)]), 2)  # a one-off false positive
    for f in range(3, 12):
        tr.update(dets([]), f)
    done = tr.pop_finished()
    assert [len(t.frames) for t in done] == [2]
    assert tr.finish() == []


def test_low_confidence_boxes_extend_tracks_but_do_not_start_them() -> None:
    tr = ByteTracker()
    tr.update(dets([(0, 0, 20, 20)], conf=0.9), 0)
    out = tr.update(dets([(2, 0, 22, 20)], conf=0.2), 1)
    assert out.tracker_id is not None and out.tracker_id[0] == 1
    out = tr.update(dets([(100, 100, 120, 120)], conf=0.2), 2)
    assert out.tracker_id is not None and out.tracker_id[0] == -1
