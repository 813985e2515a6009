"""Where a plate is, or was, on a vehicle crop, and whether it is covered: a learned window classifier.

Every window of plate shape (widths 8-55 % of the crop, four aspects from 1.4 to 3.4, the lower 70 %
of the crop) is described by cheap image statistics computed at once on integral images of the
crop scaled to :data:`ZONE_WIDTH` pixels (CIELAB and gradient):

* the inside: CIELAB mean (lightness, chroma), spread, gradient (characters make it high, paint
  low), the share of vertical strokes;
* the rim: the colour step to the band outside each side (weakest, middle, strongest), the gradient
  along each side against the gradient just outside it (a plate or a cover has four edges; an
  inpainted hole left by a removed plate has none);
* the bumper around: its spread and gradient;
* where the window is (centre, width, aspect): plates sit low and central.

A softmax head (:class:`vision.linear_head.LinearHead`) over these features gives, per window,
``background`` / ``visible`` (a plate with characters) / ``covered`` (a plate-shaped cover:
paint, cloth, tape, stickers). Its weights ship in ``vision/models/plate_zone.npz`` and are refitted
from the tuning part of the plate photos only by ``bench/train_plate_zone.py`` (the tuning vehicles
times many synthesized covers and seeds, flipped and rescaled; ``absent`` = the unplated CCPD photos
and removed plates). :func:`zone_scores` returns the best window of each class.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from vision.decode import Frame
from vision.linear_head import LinearHead

F64 = npt.NDArray[np.float64]

#: the window search runs on the crop scaled to this width (pixels)
ZONE_WIDTH = 256
ZONE_LABELS = ("background", "visible", "covered")
WIDTHS = (0.08, 0.55)
ASPECTS = (1.4, 1.9, 2.6, 3.4)
#: the part of the crop searched (x1, y1, x2, y2 as fractions)
ZONE = (0.0, 0.3, 1.0, 1.0)
FEATURES = (
    "L",
    "chroma",
    "spread",
    "grad_in",
    "vstroke",
    "step_min",
    "step_mid",
    "step_max",
    "rim_min",
    "rim_mean",
    "rim_ratio_min",
    "rim_ratio_mean",
    "grad_in_vs_rim",
    "band_spread",
    "band_grad",
    "L_vs_band",
    "cx",
    "cy",
    "width",
    "aspect",
    "cx_off2",
    "cy2",
    "spread_log",
    "grad_in_log",
)


@dataclass(frozen=True)
class Windows:
    """Windows of one crop in crop pixels (N, 4) and their features (N, len(FEATURES))."""

    boxes: npt.NDArray[np.int64]
    features: npt.NDArray[np.float32]


@dataclass(frozen=True)
class ZoneScore:
    """The best window for a class and its probability, in crop pixels."""

    label: str
    box: tuple[int, int, int, int]
    probability: float


def _integral(a: npt.NDArray[Any]) -> F64:
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), np.float64)
    out[1:, 1:] = a.astype(np.float64).cumsum(0).cumsum(1)
    return out


def _mean(ii: F64, y1: Any, x1: Any, y2: Any, x2: Any) -> Any:
    area = np.maximum((y2 - y1) * (x2 - x1), 1)
    return (ii[y2, x2] - ii[y1, x2] - ii[y2, x1] + ii[y1, x1]) / area


def windows(crop: Frame) -> Windows:
    """Every plate-shaped window of ``crop`` with its features (see the module doc)."""
    import cv2

    h0, w0 = crop.shape[:2]
    empty = Windows(np.zeros((0, 4), np.int64), np.zeros((0, len(FEATURES)), np.float32))
    if w0 < 16 or h0 < 16:
        return empty
    s = ZONE_WIDTH / w0
    im = cv2.resize(crop, (ZONE_WIDTH, max(16, round(h0 * s))), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.GaussianBlur(im, (3, 3), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    grey = lab[:, :, 0]
    gx = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)) / 4
    gy = np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)) / 4
    chans = [lab[:, :, k] for k in range(3)]
    ii = [_integral(c) for c in chans]
    ii2 = [_integral(c * c) for c in chans]
    igx, igy = _integral(gx), _integral(gy)
    H, W = grey.shape
    zx1, zy1, zx2, zy2 = int(ZONE[0] * W), int(ZONE[1] * H), int(ZONE[2] * W), int(ZONE[3] * H)
    boxes: list[npt.NDArray[np.int64]] = []
    feats: list[F64] = []
    for width in np.unique(np.geomspace(WIDTHS[0] * W, WIDTHS[1] * W, 10).astype(int)):
        for aspect in ASPECTS:
            bw, bh = int(width), max(5, round(width / aspect))
            m = max(2, bh // 3)
            step = max(2, bh // 3)
            ys = np.arange(max(zy1, m), min(zy2, H) - bh - m + 1, step)
            xs = np.arange(max(zx1, m), min(zx2, W) - bw - m + 1, step)
            if len(ys) == 0 or len(xs) == 0:
                continue
            y1, x1 = (a.ravel() for a in np.meshgrid(ys, xs, indexing="ij"))
            y2, x2 = y1 + bh, x1 + bw
            e = max(1, bh // 6)  # keep the inside off the rim
            r = max(1, bh // 8)  # rim strip half-width
            mean = np.stack([_mean(ii[k], y1 + e, x1 + e, y2 - e, x2 - e) for k in range(3)])
            sq = np.stack([_mean(ii2[k], y1 + e, x1 + e, y2 - e, x2 - e) for k in range(3)])
            spread = np.sqrt(np.clip(sq - mean * mean, 0, None)).mean(axis=0)
            bands = [
                (y1 - m, x1, y1, x2),
                (y2, x1, y2 + m, x2),
                (y1, x1 - m, y2, x1),
                (y1, x2, y2, x2 + m),
            ]
            band_means = [np.stack([_mean(ii[k], *b) for k in range(3)]) for b in bands]
            steps = np.sort(np.stack([np.sqrt(((mean - bm) ** 2).sum(axis=0)) for bm in band_means]), axis=0)
            band_sq = [np.stack([_mean(ii2[k], *b) for k in range(3)]) for b in bands]
            band_spread = np.mean(
                [
                    np.sqrt(np.clip(bs - bm * bm, 0, None)).mean(axis=0)
                    for bs, bm in zip(band_sq, band_means, strict=True)
                ],
                axis=0,
            )
            # gradient across each side (gy on top/bottom, gx on left/right) vs just outside it
            rims = np.stack(
                [
                    _mean(igy, y1 - r, x1, y1 + r, x2),
                    _mean(igy, y2 - r, x1, y2 + r, x2),
                    _mean(igx, y1, x1 - r, y2, x1 + r),
                    _mean(igx, y1, x2 - r, y2, x2 + r),
                ]
            )
            outside = np.stack(
                [
                    _mean(igy, y1 - m, x1, y1 - r, x2),
                    _mean(igy, y2 + r, x1, y2 + m, x2),
                    _mean(igx, y1, x1 - m, y2, x1 - r),
                    _mean(igx, y1, x2 + r, y2, x2 + m),
                ]
            )
            ratio = rims / (outside + 2.0)
            gin_x = _mean(igx, y1 + e, x1 + e, y2 - e, x2 - e)
            gin_y = _mean(igy, y1 + e, x1 + e, y2 - e, x2 - e)
            grad_in = gin_x + gin_y
            band_grad = np.mean([_mean(igx, *b) + _mean(igy, *b) for b in bands], axis=0)
            band_L = np.mean([bm[0] for bm in band_means], axis=0)
            cx = (x1 + x2) / 2 / W
            cy = (y1 + y2) / 2 / H
            f = np.stack(
                [
                    mean[0] / 255,
                    np.hypot(mean[1] - 128, mean[2] - 128) / 64,
                    spread / 32,
                    grad_in / 32,
                    gin_x / (grad_in + 1.0),
                    steps[0] / 64,
                    steps[1:3].mean(axis=0) / 64,
                    steps[3] / 64,
                    rims.min(axis=0) / 32,
                    rims.mean(axis=0) / 32,
                    np.log1p(ratio.min(axis=0)),
                    np.log1p(ratio.mean(axis=0)),
                    np.log1p(grad_in / (rims.mean(axis=0) + 2.0)),
                    band_spread / 32,
                    band_grad / 32,
                    (mean[0] - band_L) / 64,
                    cx,
                    cy,
                    np.full(cx.shape, bw / W),
                    np.full(cx.shape, aspect / 3),
                    (cx - 0.5) ** 2 * 4,
                    cy**2,
                    np.log1p(spread),
                    np.log1p(grad_in),
                ],
                axis=1,
            )
            feats.append(f)
            boxes.append(np.stack([x1 / s, y1 / s, x2 / s, y2 / s], axis=1).astype(np.int64))
    if not feats:
        return empty
    return Windows(np.concatenate(boxes), np.concatenate(feats).astype(np.float32))


def default_head_path() -> str:
    return str(resources.files("vision").joinpath("models/plate_zone.npz"))


@lru_cache(maxsize=4)
def load_zone_head(path: str | None = None) -> LinearHead:
    """The window classifier (``vision/models/plate_zone.npz`` unless ``path``)."""
    head = LinearHead.load(path or default_head_path(), field="plate zone head")
    if head.labels != ZONE_LABELS or head.dim != len(FEATURES):
        from xueliang.errors import InputError

        raise InputError(
            path or default_head_path(),
            f"plate zone head: expected labels {ZONE_LABELS} over {len(FEATURES)} features, "
            f"got {head.labels} over {head.dim}",
        )
    return head


def zone_scores(crop: Frame, head: LinearHead | None = None) -> dict[str, ZoneScore]:
    """The most probable window of ``visible`` and of ``covered`` on ``crop`` (empty when the crop is
    too small to search)."""
    head = head or load_zone_head()
    win = windows(crop)
    if not len(win.boxes):
        return {}
    p = head.proba(win.features)
    out = {}
    for k, label in enumerate(ZONE_LABELS):
        if label == "background":
            continue
        i = int(np.argmax(p[:, k]))
        b = win.boxes[i]
        out[label] = ZoneScore(label, (int(b[0]), int(b[1]), int(b[2]), int(b[3])), round(float(p[i, k]), 4))
    return out
