"""Several frames per detector call, for detectors whose input has a fixed size.

An exported YOLO model (LiteRT ``.tflite``, a static ONNX...) always computes on its whole input,
say 640x640: a 16:9 frame letterboxed into it leaves 44 % of that input as grey padding, and the
detector costs the same whether the padding is there or not. Stacking two frames of the same video
(two moments the pipeline wants detected) one above the other fills that input: one call detects
both, at a resolution about 11 % lower than one frame alone. Boxes are given back to the frame
whose tile holds their centre, in that frame's pixels.

A plan is made per frame size and used only when it loses at most ``max_loss`` of the one-frame
resolution (so a 4:3 D1 frame, which would lose 40 %, is detected one frame per call). Detectors
with a dynamic input (PyTorch ``.pt`` weights letterbox to the frame's own aspect) gain nothing and
are never tiled; :attr:`vision.detect.YoloDetector.input_size` tells which is which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vision.decode import Frame
from vision.detect import Detector
from vision.types import Detections

#: grey of Ultralytics' letterbox padding
FILL = 114


@dataclass(frozen=True)
class Tile:
    """Where one frame goes in the detector's input: top-left corner and size in input pixels."""

    x: int
    y: int
    w: int
    h: int


def plan_tiles(
    frame_w: int,
    frame_h: int,
    input_w: int,
    input_h: int,
    *,
    n: int = 2,
    gap: int = 16,
    max_loss: float = 0.15,
) -> tuple[Tile, ...] | None:
    """``n`` tiles stacked in a column or a row (whichever keeps more resolution), ``gap`` pixels of
    padding between them; None when that costs more than ``max_loss`` of the scale a single frame
    letterboxed into the input would get."""
    if n < 2 or frame_w <= 0 or frame_h <= 0:
        return None
    single = min(input_w / frame_w, input_h / frame_h)
    column = min(input_w / frame_w, (input_h - (n - 1) * gap) / (n * frame_h))
    row = min((input_w - (n - 1) * gap) / (n * frame_w), input_h / frame_h)
    scale = max(column, row)
    if scale <= 0 or scale < (1.0 - max_loss) * single:
        return None
    w, h = math.floor(frame_w * scale + 1e-6), math.floor(frame_h * scale + 1e-6)
    if column >= row:
        return tuple(Tile(0, k * (h + gap), w, h) for k in range(n))
    return tuple(Tile(k * (w + gap), 0, w, h) for k in range(n))


@dataclass
class TiledDetector:
    """Wraps a fixed-input detector: :meth:`detect_many` runs up to ``n`` frames in one call."""

    inner: Detector
    input_size: tuple[int, int]  # (height, width) of the inner detector's input
    n: int = 2
    gap: int = 16
    max_loss: float = 0.15
    _plans: dict[tuple[int, int], tuple[Tile, ...] | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.inner.name

    def plan(self, frame_w: int, frame_h: int) -> tuple[Tile, ...] | None:
        key = (frame_w, frame_h)
        if key not in self._plans:
            ih, iw = self.input_size
            self._plans[key] = plan_tiles(frame_w, frame_h, iw, ih, n=self.n, gap=self.gap, max_loss=self.max_loss)
        return self._plans[key]

    def detect(self, frame: Frame) -> Detections:
        return self.inner.detect(frame)

    def detect_many(self, frames: Sequence[Frame]) -> list[Detections]:
        """One :class:`Detections` per frame, in frame pixels; frames of one size, at most ``n``."""
        if not frames:
            return []
        h, w = frames[0].shape[:2]
        tiles = self.plan(w, h)
        if len(frames) == 1 or tiles is None:
            return [self.inner.detect(f) for f in frames]
        if len(frames) > len(tiles) or any(f.shape != frames[0].shape for f in frames):
            raise ValueError(f"detect_many: expected up to {len(tiles)} frames of one size")
        import cv2

        ih, iw = self.input_size
        canvas = np.full((ih, iw, 3), FILL, np.uint8)
        for tile, frame in zip(tiles, frames, strict=False):
            canvas[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w] = cv2.resize(
                frame, (tile.w, tile.h), interpolation=cv2.INTER_AREA
            )
        found = self.inner.detect(canvas)
        cx = (found.xyxy[:, 0] + found.xyxy[:, 2]) / 2
        cy = (found.xyxy[:, 1] + found.xyxy[:, 3]) / 2
        out = []
        for tile, _ in zip(tiles, frames, strict=False):
            inside = (cx >= tile.x) & (cx < tile.x + tile.w) & (cy >= tile.y) & (cy < tile.y + tile.h)
            d = found[inside]
            xyxy = (d.xyxy - np.array([tile.x, tile.y, tile.x, tile.y], np.float32)) * np.array(
                [w / tile.w, h / tile.h, w / tile.w, h / tile.h], np.float32
            )
            xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, w)
            xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, h)
            out.append(Detections(xyxy=xyxy, confidence=d.confidence, class_id=d.class_id, data=d.data))
        return out
