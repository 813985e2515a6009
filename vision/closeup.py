"""Close-up and checkpoint (卡口) views: vehicles that fill the frame.

A COCO detector has seen few cars cut by the frame's edges at 640 px: on close-ups it finds nothing,
or a truck, bus or boat. The same frame placed in the middle of a grey canvas ``scale`` times its
size (the vehicle then looks whole and smaller) is detected as a car. :class:`MultiScaleDetector`
runs the detector on the frame and on such canvases, maps the canvas boxes back into the frame and
merges them (class-agnostic non-maximum suppression, the higher confidence wins).

The extra scales cost a detector call each, so they run only when the first pass looks like a
missed close-up: ``when="empty"`` (the pipeline's default) when it found no vehicle, or only boxes
cut by two or more frame edges (a street scene with a parked car in view never pays);
``"no_large"`` when no box covers ``large_fraction`` of the frame (for checkpoint cameras, where
every vehicle is a close-up); ``"always"`` on every frame.

:class:`PlateFallbackDetector`: where the vehicle detector still finds nothing, a plate found by
hyperlpr2's SSD (score >= ``min_score``) yields a vehicle box around it (a plate is about a quarter
of a car's width and sits in its lower part), class ``car``, confidence = the plate score x 0.6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision.decode import Frame
from vision.detect import Detector
from vision.tiling import FILL
from vision.track import iou_matrix
from vision.types import Detections

CAR = 2  # COCO
WHEN = ("empty", "no_large", "always")


def nms(d: Detections, iou: float = 0.6) -> Detections:
    """Class-agnostic non-maximum suppression: of boxes overlapping by more than ``iou``, the most
    confident stays."""
    if len(d) < 2:
        return d
    order = np.argsort(-d.confidence, kind="stable")
    boxes = d.xyxy.astype(np.float64)
    keep: list[int] = []
    for i in order:
        if keep and float(iou_matrix(boxes[[i]], boxes[keep]).max()) > iou:
            continue
        keep.append(int(i))
    return d[np.array(sorted(keep), dtype=np.int64)]


def concat(parts: list[Detections]) -> Detections:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Detections.empty()
    return Detections(
        xyxy=np.concatenate([p.xyxy for p in parts]),
        confidence=np.concatenate([p.confidence for p in parts]),
        class_id=np.concatenate([p.class_id for p in parts]),
    )


def on_canvas(detector: Detector, frame: Frame, scale: float) -> Detections:
    """Detect ``frame`` centred on a grey canvas ``scale`` times its size; boxes in frame pixels."""
    h, w = frame.shape[:2]
    ch, cw = round(h * scale), round(w * scale)
    oy, ox = (ch - h) // 2, (cw - w) // 2
    canvas = np.full((ch, cw, 3), FILL, np.uint8)
    canvas[oy : oy + h, ox : ox + w] = frame
    d = detector.detect(canvas)
    if not len(d):
        return d
    xyxy = d.xyxy - np.array([ox, oy, ox, oy], np.float32)
    xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, w)
    xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, h)
    ok = (xyxy[:, 2] - xyxy[:, 0] > 1) & (xyxy[:, 3] - xyxy[:, 1] > 1)
    return Detections(xyxy=xyxy[ok], confidence=d.confidence[ok], class_id=d.class_id[ok])


@dataclass
class _Wrapper:
    """A detector around ``inner``: it keeps the inner model's input size."""

    inner: Detector

    @property
    def input_size(self) -> tuple[int, int] | None:
        return getattr(self.inner, "input_size", None)


@dataclass
class MultiScaleDetector(_Wrapper):
    """``inner`` on the frame, plus on grey canvases of ``scales`` times the frame (see module doc)."""

    scales: tuple[float, ...] = (1.5, 2.0)
    when: str = "empty"
    large_fraction: float = 0.3
    iou: float = 0.6

    def __post_init__(self) -> None:
        if self.when not in WHEN:
            raise ValueError(f"MultiScaleDetector.when: expected one of {', '.join(WHEN)}, got {self.when!r}")
        if any(s < 1.0 for s in self.scales):
            raise ValueError(f"MultiScaleDetector.scales: expected scales >= 1, got {self.scales}")

    @property
    def name(self) -> str:
        return f"{self.inner.name} (+ canvas x{'/'.join(f'{s:g}' for s in self.scales)})"

    def needs_more(self, frame: Frame, found: Detections) -> bool:
        """Whether the first pass's ``found`` calls for the extra scales (see the module doc)."""
        h, w = frame.shape[:2]
        if self.when == "always" or not len(found):
            return True
        if self.when == "no_large":
            return not bool(np.any(found.area >= self.large_fraction * h * w))
        b = found.xyxy
        edges = (b[:, 0] <= 2).astype(int) + (b[:, 1] <= 2) + (b[:, 2] >= w - 2) + (b[:, 3] >= h - 2)
        return bool(np.all(edges >= 2))

    def more(self, frame: Frame, first: Detections) -> Detections:
        """``first`` merged with the extra scales' boxes, when :meth:`needs_more`."""
        if not self.needs_more(frame, first):
            return first
        return nms(concat([first, *(on_canvas(self.inner, frame, s) for s in self.scales)]), self.iou)

    def detect(self, frame: Frame) -> Detections:
        return self.more(frame, self.inner.detect(frame))


@dataclass
class PlateFallbackDetector(_Wrapper):
    """``inner``, and where it finds nothing, vehicles placed around plates hyperlpr2's SSD finds."""

    min_score: float = 0.6
    _lpr: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.inner.name} (+ plate fallback)"

    def plates(self, frame: Frame) -> Detections:
        from vision.plate_region import load_lpr, ssd_candidates

        if self._lpr is None:
            self._lpr = load_lpr()
        h, w = frame.shape[:2]
        rows = []
        for c in ssd_candidates(self._lpr, frame, min_score=self.min_score):
            x1, _, x2, y2 = c.box
            pw = x2 - x1
            cx = (x1 + x2) / 2
            # a car about four plates wide, the plate in its lower fifth
            box = (cx - 2.2 * pw, y2 - 2.6 * pw, cx + 2.2 * pw, y2 + 0.4 * pw)
            rows.append(([max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])], c.score * 0.6))
        if not rows:
            return Detections.empty()
        return nms(
            Detections(
                xyxy=np.array([r[0] for r in rows], np.float32),
                confidence=np.array([r[1] for r in rows], np.float32),
                class_id=np.full(len(rows), CAR, np.int64),
            )
        )

    def detect(self, frame: Frame) -> Detections:
        found = self.inner.detect(frame)
        return found if len(found) else self.plates(frame)
