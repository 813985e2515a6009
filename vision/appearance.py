"""A cheap appearance descriptor per box, for the tracker's gate (not for search: see ``embed``).

Hue-saturation-value histogram (8 x 4 x 4 bins, L1-normalised) of the middle of the box (the
central 60 % of its width and 50 % of its height, where the body is and the background is not),
computed on the box scaled to 32 x 24 pixels. Two boxes of one car a second apart intersect at
0.7-0.95; a white car and a red car at under 0.3. Achromatic pixels (low saturation) all go to the
hue bin 0 so that white, grey and black cars are told apart by value, not by noise in hue.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from vision.decode import Frame
from vision.types import Detections

BINS = (8, 4, 4)
SIZE = int(np.prod(BINS))


def appearance(frame: Frame, xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """(N, 128) histograms for the N boxes ``xyxy`` of ``frame`` (rows of zeros for empty boxes)."""
    import cv2

    out = np.zeros((len(xyxy), SIZE), np.float32)
    h, w = frame.shape[:2]
    for k, (x1, y1, x2, y2) in enumerate(np.asarray(xyxy, np.float64)):
        bw, bh = x2 - x1, y2 - y1
        a, b = int(max(0, x1 + 0.2 * bw)), int(min(w, x2 - 0.2 * bw))
        c, d = int(max(0, y1 + 0.3 * bh)), int(min(h, y2 - 0.2 * bh))
        if b - a < 2 or d - c < 2:
            continue
        patch = cv2.resize(frame[c:d, a:b], (32, 24), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.int32)
        hue = np.where(hsv[:, 1] < 50, 0, hsv[:, 0] * BINS[0] // 180)
        sat = hsv[:, 1] * BINS[1] // 256
        val = hsv[:, 2] * BINS[2] // 256
        idx = (hue * BINS[1] + sat) * BINS[2] + val
        hist = np.bincount(idx, minlength=SIZE).astype(np.float32)
        out[k] = hist / hist.sum()
    return out


def with_appearance(frame: Frame, detections: Detections) -> Detections:
    """``detections`` with ``data["appearance"]`` filled in from ``frame``."""
    return replace(detections, data={**detections.data, "appearance": appearance(frame, detections.xyxy)})
