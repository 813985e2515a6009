"""Two frames per detector call: tile plans, boxes given back to their own frame, the pipeline."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.vision.conftest import START
from tests.vision.fakes import BlobDetector, FixedInputBlobDetector
from vision.decode import probe
from vision.pipeline import PipelineConfig, process_video
from vision.tiling import Tile, TiledDetector, plan_tiles
from vision.types import Detections


def test_plan_for_16_9_stacks_two_frames_in_a_column() -> None:
    tiles = plan_tiles(640, 352, 640, 640)
    # (640 - 16) / 704 = 0.886 of the one-frame scale (1.0): 11 % lower resolution, accepted
    assert tiles == (Tile(0, 0, 567, 312), Tile(0, 328, 567, 312))
    hd = plan_tiles(1920, 1080, 640, 640)
    assert hd is not None and hd[0].h == hd[1].h == 312 and hd[1].y == 328


def test_plan_for_portrait_frames_is_a_row() -> None:
    assert plan_tiles(352, 640, 640, 640) == (Tile(0, 0, 312, 567), Tile(328, 0, 312, 567))


def test_no_plan_when_tiling_loses_too_much_resolution() -> None:
    assert plan_tiles(704, 576, 640, 640) is None  # 4:3 D1 would lose 40 %
    assert plan_tiles(704, 576, 640, 640, max_loss=0.5) is not None
    assert plan_tiles(640, 352, 640, 640, n=1) is None


class ColourBoxes:
    """Finds saturated rectangles anywhere in its input (a stand-in for a real model on the canvas)."""

    name = "fake:colour-boxes"
    input_size = (640, 640)

    def __init__(self) -> None:
        self.inputs: list[tuple[int, ...]] = []

    def detect(self, frame: np.ndarray) -> Detections:
        self.inputs.append(frame.shape)
        sat = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)[..., 1] > 120
        n, _, stats, _ = cv2.connectedComponentsWithStats(sat.astype(np.uint8))
        boxes = [(x, y, x + w, y + h) for x, y, w, h, area in stats[1:n] if area >= 20]
        return Detections(
            xyxy=np.array(boxes, np.float32).reshape(-1, 4),
            confidence=np.full(len(boxes), 0.9, np.float32),
            class_id=np.full(len(boxes), 2, np.int64),
        )


def frame_with(boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    f = np.full((352, 640, 3), 90, np.uint8)
    for x1, y1, x2, y2 in boxes:
        cv2.rectangle(f, (x1, y1), (x2 - 1, y2 - 1), (30, 30, 220), -1)
    return f


def test_boxes_go_back_to_their_own_frame_in_frame_pixels() -> None:
    inner = ColourBoxes()
    tiled = TiledDetector(inner, input_size=inner.input_size)
    a = [(10, 20, 110, 80), (500, 250, 640, 352)]  # the second touches the bottom-right corner
    b = [(300, 0, 420, 60)]  # touches the top edge: next to the gap under frame a
    da, db = tiled.detect_many([frame_with(a), frame_with(b)])
    assert inner.inputs == [(640, 640, 3)]  # one call for both frames
    assert len(da) == 2 and len(db) == 1
    assert np.abs(da.xyxy[np.argsort(da.xyxy[:, 0])] - np.array(a, np.float32)).max() <= 2.5
    assert np.abs(db.xyxy - np.array(b, np.float32)).max() <= 2.5
    # a single frame, or a frame size with no plan, goes through alone and untouched
    (one,) = tiled.detect_many([frame_with(b)])
    assert inner.inputs[-1] == (352, 640, 3) and np.abs(one.xyxy - np.array(b, np.float32)).max() <= 0.5


def test_too_many_frames_for_the_plan_are_refused() -> None:
    tiled = TiledDetector(ColourBoxes(), input_size=(640, 640))
    with pytest.raises(ValueError, match="up to 2 frames"):
        tiled.detect_many([frame_with([])] * 3)


def test_pipeline_two_frames_a_call_finds_what_one_frame_a_call_finds(sample_clip: Path) -> None:
    info = probe(sample_clip)
    results = {}
    calls = {}
    for n in (1, 2):
        det = FixedInputBlobDetector()
        cfg = PipelineConfig(
            plates=False, embeddings=False, detect_fps=0, idle_fps=0, frames_per_call=n, closeup_scales=()
        )
        results[n] = process_video(info, camera_id="cam-1", start=START, detector=det, config=cfg)
        calls[n] = det.calls

    def summary(n: int) -> list[tuple[str, str, int]]:
        return [(s.colour.value, s.direction, len(s.points)) for s in results[n].sightings]

    assert len(results[1].sightings) == 4
    assert summary(2) == summary(1)
    assert results[2].stats.frames_detected == results[1].stats.frames_detected == calls[1]
    assert calls[2] == (calls[1] + 1) // 2  # two frames per detector call
    assert results[2].detector == "fake:blob-fixed (2 frames per call)"
    assert results[1].detector == "fake:blob-fixed"
    # a detector without a fixed input is never tiled
    plain = BlobDetector()
    r = process_video(
        info,
        camera_id="cam-1",
        start=START,
        detector=plain,
        config=PipelineConfig(
            plates=False, embeddings=False, detect_fps=0, idle_fps=0, frames_per_call=2, closeup_scales=()
        ),
    )
    assert r.detector == "fake:blob" and plain.calls == r.stats.frames_detected
