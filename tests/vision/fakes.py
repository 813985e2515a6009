"""Fake detectors honouring vision.detect.Detector, for the synthetic clip (no weights needed)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from vision.detect import DetectorSpec
from vision.types import Detections

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sample_media import make_sample  # noqa: E402


class BlobDetector:
    """Boxes of connected regions that differ from the synthetic clip's known background."""

    name = "fake:blob"

    def __init__(self, spec: DetectorSpec | None = None, *, delay: float = 0.0) -> None:
        self.background = make_sample.background(0).astype(np.int16)
        self.delay = delay
        self.calls = 0

    def detect(self, frame: np.ndarray) -> Detections:
        import cv2

        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if frame.shape != self.background.shape:
            return Detections.empty()  # a frame it was not "trained" on (e.g. a close-up canvas)
        diff = np.abs(frame.astype(np.int16) - self.background).max(axis=2)
        mask = cv2.morphologyEx((diff > 40).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes = [(x, y, x + w, y + h) for x, y, w, h, area in stats[1:n] if area >= 150]
        if not boxes:
            return Detections.empty()
        return Detections(
            xyxy=np.array(boxes, np.float32),
            confidence=np.full(len(boxes), 0.9, np.float32),
            class_id=np.full(len(boxes), 2, np.int64),
        )


class FixedInputBlobDetector(BlobDetector):
    """A blob detector with a fixed input, like an exported YOLO model, so the pipeline tiles frames
    for it: on an input of ``input_size`` it compares with the clip's background laid out in the same
    tiles (it was "trained" on this scene), elsewhere with the plain background."""

    name = "fake:blob-fixed"
    input_size = (2 * make_sample.H + 16, make_sample.W)  # two synthetic frames, one above the other

    def detect(self, frame: np.ndarray) -> Detections:
        from vision.tiling import plan_tiles

        if frame.shape[:2] != self.input_size:
            return super().detect(frame)
        plain = self.background
        tiles = plan_tiles(make_sample.W, make_sample.H, self.input_size[1], self.input_size[0])
        assert tiles is not None
        self.background = np.full((*self.input_size, 3), 114, np.int16)
        for t in tiles:
            self.background[t.y : t.y + t.h, t.x : t.x + t.w] = plain[: t.h, : t.w]
        try:
            return super().detect(frame)
        finally:
            self.background = plain


def blob(spec: DetectorSpec) -> BlobDetector:
    """Plugin factory: ``--detector-plugin tests.vision.fakes:blob``."""
    return BlobDetector(spec)


def threads_blob(spec: DetectorSpec) -> BlobDetector:
    """Same, named after the thread count it was given, which is stored with each video row."""
    detector = BlobDetector(spec)
    detector.name = f"fake:blob/threads={spec.thread_count()}"
    return detector


def slow_blob(spec: DetectorSpec) -> BlobDetector:
    """Same, but 60 ms per call, so a test can kill a run in the middle of a file."""
    return BlobDetector(spec, delay=0.06)


def not_a_detector(spec: DetectorSpec) -> object:
    return object()
