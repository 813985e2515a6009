"""Where hyperlpr2's SSD plate detector sees plates in a vehicle crop, with every score it gives.

:func:`ssd_candidates` - its own API drops boxes under 0.5; painted plates score 0.2-0.5. It fires
strongly only when characters are visible: covered plates are found by :mod:`vision.plate_zone`.
:func:`rim_candidates` - an even patch of plate shape that differs from the band just outside each
of its four sides (paint, cloth, tape over a plate), searched at once on integral images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from vision.decode import Frame

F32 = npt.NDArray[np.float32]


#: the rim search runs on the crop scaled to this width (pixels)
RIM_WIDTH = 320


@dataclass(frozen=True)
class PlateCandidate:
    """A possible plate region in crop pixels, with the cue that found it and its scores."""

    box: tuple[int, int, int, int]
    source: str  # "ssd" or "rim"
    score: float
    #: the inside's CIELAB spread (``rim``: paint, cloth, tape are even)
    interior: float = 0.0


def load_lpr() -> Any:
    """hyperlpr2's models (its cv2.dnn nets are built from the wheel's model folder)."""
    import os

    import hyperlpr2
    from hyperlpr2 import LPR

    return LPR(os.path.join(os.path.dirname(hyperlpr2.__file__), "models"))


def ssd_candidates(lpr: Any, crop: Frame, *, min_score: float = 0.05, max_width: int = 800) -> list[PlateCandidate]:
    """hyperlpr2's SSD on ``crop`` (scaled down to ``max_width`` first), every box above ``min_score``,
    best first."""
    import cv2

    h, w = crop.shape[:2]
    scale = min(1.0, max_width / max(w, 1))
    im = cv2.resize(crop, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else crop
    rows, cols = im.shape[:2]
    means = np.array([0.485, 0.456, 0.406], np.float32)  # RGB, hyperlpr2's own normalisation
    stds = np.array([0.229, 0.224, 0.225], np.float32)
    rgb = im[:, :, ::-1].astype(np.float32) / 255.0
    tensor = ((rgb - means) / stds).transpose(2, 0, 1)[None].astype(np.float32)
    lpr.ssd_detection.setInput(tensor)
    out = lpr.ssd_detection.forward()[0, 0]
    found = []
    for det in out:
        score = float(det[2])
        if score < min_score:
            continue
        x1, y1, x2, y2 = (float(v) for v in det[3:7])
        box = (
            max(0, int(x1 * cols / scale)),
            max(0, int(y1 * rows / scale)),
            min(w - 1, int(x2 * cols / scale)),
            min(h - 1, int(y2 * rows / scale)),
        )
        if box[2] - box[0] >= 4 and box[3] - box[1] >= 2:
            found.append(PlateCandidate(box=box, source="ssd", score=round(score, 4)))
    return sorted(found, key=lambda c: -c.score)


def _integral(a: F32) -> npt.NDArray[np.float64]:
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), np.float64)
    out[1:, 1:] = a.cumsum(0).cumsum(1)
    return out


def _box_mean(ii: npt.NDArray[np.float64], y1: Any, x1: Any, y2: Any, x2: Any) -> Any:
    """Mean over [y1, y2) x [x1, x2) for arrays of corners (integral image ``ii``)."""
    area = np.maximum((y2 - y1) * (x2 - x1), 1)
    return (ii[y2, x2] - ii[y1, x2] - ii[y2, x1] + ii[y1, x1]) / area


def rim_candidates(
    crop: Frame,
    *,
    min_width: float = 0.15,
    max_width: float = 0.5,
    aspects: tuple[float, ...] = (3.1, 2.2),
    zone: tuple[float, float, float, float] = (0.05, 0.3, 0.95, 1.0),
    max_spread: float = 4.0,
    top: int = 3,
) -> list[PlateCandidate]:
    """The ``top`` best plate-shaped patches of ``crop``: rectangles of plate aspect, widths
    ``min_width``-``max_width`` of the crop's width, inside ``zone`` (x1, y1, x2, y2 as fractions of
    the crop), whose inside is even (CIELAB spread at most ``max_spread``: paint, cloth, tape, not characters)
    and differs from the band just outside each of their four sides. ``score`` = the weakest side's
    CIELAB contrast; ``interior`` = the inside's spread."""
    import cv2

    h0, w0 = crop.shape[:2]
    if w0 < 16 or h0 < 16:
        return []
    s = RIM_WIDTH / w0
    im = cv2.resize(crop, (RIM_WIDTH, max(8, round(h0 * s))), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.GaussianBlur(im, (3, 3), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    chans = [lab[:, :, k] for k in range(3)]
    ii = [_integral(c) for c in chans]
    ii2 = [_integral(c * c) for c in chans]
    H, W = lab.shape[:2]
    zx1, zy1, zx2, zy2 = int(zone[0] * W), int(zone[1] * H), int(zone[2] * W), int(zone[3] * H)
    results: list[tuple[float, float, int, int, int, int]] = []
    for width in np.unique(np.linspace(min_width * W, max_width * W, 10).astype(int)):
        for aspect in aspects:
            bw, bh = int(width), max(4, round(width / aspect))
            m = max(2, bh // 4)
            ys = np.arange(max(zy1, m), min(zy2, H) - bh - m, 2)
            xs = np.arange(max(zx1, m), min(zx2, W) - bw - m, 2)
            if len(ys) == 0 or len(xs) == 0:
                continue
            y1, x1 = np.meshgrid(ys, xs, indexing="ij")
            y2, x2 = y1 + bh, x1 + bw
            e = max(1, bh // 8)  # keep off the rim itself
            spread = np.zeros(y1.shape)
            side_d = [np.zeros(y1.shape) for _ in range(4)]
            for k in range(3):
                mean = _box_mean(ii[k], y1 + e, x1 + e, y2 - e, x2 - e)
                sq = _box_mean(ii2[k], y1 + e, x1 + e, y2 - e, x2 - e)
                spread += np.sqrt(np.clip(sq - mean * mean, 0, None)) / 3
                bands = (
                    _box_mean(ii[k], y1 - m, x1, y1, x2),
                    _box_mean(ii[k], y2, x1, y2 + m, x2),
                    _box_mean(ii[k], y1, x1 - m, y2, x1),
                    _box_mean(ii[k], y1, x2, y2, x2 + m),
                )
                for d, band in zip(side_d, bands, strict=True):
                    d += (mean - band) ** 2
            contrast = np.sqrt(np.minimum(np.minimum(side_d[0], side_d[1]), np.minimum(side_d[2], side_d[3])))
            score = np.where(spread <= max_spread, contrast, 0.0)
            for idx in np.argsort(score, axis=None)[::-1][:10]:
                i, j = np.unravel_index(idx, score.shape)
                results.append((float(score[i, j]), float(spread[i, j]), int(x1[i, j]), int(y1[i, j]), bw, bh))
    results.sort(key=lambda r: -r[0])
    chosen: list[PlateCandidate] = []
    boxes: list[tuple[int, int, int, int]] = []
    for best, spread_v, x, y, bw, bh in results:
        box = (int(x / s), int(y / s), int((x + bw) / s), int((y + bh) / s))
        if any(_overlap(box, o) > 1 / 3 for o in boxes):
            continue
        boxes.append(box)
        chosen.append(PlateCandidate(box=box, source="rim", score=round(best, 3), interior=round(spread_v, 3)))
        if len(chosen) >= top:
            break
    return chosen


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / small if small > 0 else 0.0
