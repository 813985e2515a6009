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


def look(hot: int, n: int = 1) -> np.ndarray:
    """An appearance histogram concentrated on one bin."""
    h = np.full((n, 128), 0.1 / 127, np.float32)
    h[:, hot] = 0.9
    return h


def dets_look(boxes: list[tuple[float, float, float, float]], hot: int) -> Detections:
    d = dets(boxes)
    d.data["appearance"] = look(hot, len(boxes))
    return d


def test_constant_velocity_over_six_missed_calls_keeps_the_id() -> None:
    # detector every 6th frame, 10 px per frame; six calls in a row miss the car (occlusion), then it
    # is found again where it would be at the same speed: the same track, not a new one
    tr = ByteTracker()
    seen: set[int] = set()
    for f in range(0, 150, 6):
        if 36 <= f < 72:
            tr.update(dets([]), f)
            continue
        out = tr.update(dets([(10 * f, 100, 10 * f + 60, 140)]), f)
        assert out.tracker_id is not None
        seen.add(int(out.tracker_id[0]))
    assert seen == {1}
    assert len(tr.finish()) == 1


def test_prediction_over_misses_is_capped() -> None:
    # a car seen moving fast then lost stops behind an obstacle: with the prediction capped at 1.5
    # box diagonals it is found again next to where it was lost, uncapped it would be 7 diagonals on
    cfg = TrackerConfig(max_predict_diagonals=1.5, max_predict_frames=200)
    tr = ByteTracker(cfg)
    for f in range(0, 30, 6):
        tr.update(dets([(10 * f, 100, 10 * f + 40, 130)]), f)
    for f in range(30, 60, 6):
        tr.update(dets([]), f)
    out = tr.update(dets([(300, 100, 340, 130)]), 60)  # 1.2 diagonals past the last box
    assert out.tracker_id is not None and int(out.tracker_id[0]) == 1


STOP_LINE = (100, 100, 160, 140)


def _car_then_a_gap() -> ByteTracker:
    """A tracker that saw a car (look ``hot=5``) stand at ``STOP_LINE`` on frames 0-24, nothing on frame 30."""
    tr = ByteTracker()
    for f in range(0, 30, 6):
        tr.update(dets_look([STOP_LINE], hot=5), f)
    tr.update(dets([]), 30)
    return tr


def test_appearance_gate_keeps_two_cars_at_one_spot_apart() -> None:
    # a white car stands at a stop line and leaves; half a second later (two detector calls missed)
    # a red car stands on the same spot: two tracks, not one
    tr = _car_then_a_gap()
    tr.update(dets([]), 36)
    ids = set()
    for f in range(42, 72, 6):
        out = tr.update(dets_look([STOP_LINE], hot=90), f)
        assert out.tracker_id is not None
        ids.add(int(out.tracker_id[0]))
    assert 1 not in ids and len(ids) == 1
    assert len(tr.finish()) == 2


def test_appearance_gate_lets_the_same_car_continue_after_a_gap() -> None:
    tr = _car_then_a_gap()
    out = tr.update(dets_look([STOP_LINE], hot=5), 36)
    assert out.tracker_id is not None and int(out.tracker_id[0]) == 1


def test_a_motorcycle_does_not_continue_a_car_track_after_a_gap() -> None:
    tr = ByteTracker()
    for f in range(0, 24, 6):
        tr.update(dets([(100, 100, 160, 140)]), f)
    tr.update(dets([]), 24)
    moto = Detections(
        xyxy=np.array([[105, 100, 150, 140]], np.float32), confidence=np.array([0.9]), class_id=np.array([3])
    )
    out = tr.update(moto, 30)
    assert out.tracker_id is not None and int(out.tracker_id[0]) != 1
