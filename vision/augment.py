"""Image augmentations for fitting the attribute heads and for the linking pairs: all deterministic.

* :func:`colour_cast`: per-channel gains on the whole frame (an illuminant or camera white-balance
  error), optionally with an exposure factor;
* :func:`flip`: mirror left-right (a car seen from the other side is the same type and colour);
* :func:`rescale`: down-sample and back (a farther or lower-resolution camera);
* :func:`cover_plate`: a synthetic cover over where a front or rear plate sits in a vehicle crop
  (lower-middle band): dark paint, body-colour paint, or a cloth-like texture.

Used on the tuning part only for fitting; the linking pairs (``bench/vision_accuracy.py``) use
them on both parts to make "same car, another camera, plate covered" pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vision.decode import Frame

COVERS: tuple[str, ...] = ("dark", "body", "cloth")
#: named casts used by the benches (B, G, R gains)
CASTS: dict[str, tuple[float, float, float]] = {
    "warm": (0.75, 1.0, 1.3),
    "cool": (1.3, 1.05, 0.75),
    "green": (0.85, 1.25, 0.85),
}


def colour_cast(img: Frame, gains: Sequence[float], exposure: float = 1.0) -> Frame:
    g = np.asarray(gains, dtype=np.float32) * np.float32(exposure)
    return np.asarray(np.clip(img.astype(np.float32) * g, 0, 255), dtype=np.uint8)


def flip(img: Frame) -> Frame:
    return np.ascontiguousarray(img[:, ::-1])


def rescale(img: Frame, factor: float) -> Frame:
    """``img`` down-sampled by ``factor`` (0-1] and brought back to its size."""
    import cv2

    h, w = img.shape[:2]
    small = cv2.resize(img, (max(4, round(w * factor)), max(4, round(h * factor))), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def cover_plate(crop: Frame, kind: str, *, seed: int = 0) -> Frame:
    """A copy of the vehicle crop with its plate region (x 36-64 %, y 70-84 %) covered."""
    if kind not in COVERS:
        raise ValueError(f"cover: expected one of {', '.join(COVERS)}, got {kind!r}")
    out = crop.copy()
    h, w = crop.shape[:2]
    y1, y2, x1, x2 = (
        int(0.70 * h),
        max(int(0.84 * h), int(0.70 * h) + 1),
        int(0.36 * w),
        max(int(0.64 * w), int(0.36 * w) + 1),
    )
    region = out[y1:y2, x1:x2]
    if kind == "dark":
        region[:] = (22, 22, 24)
    elif kind == "body":
        body = crop[int(0.45 * h) : int(0.65 * h), int(0.2 * w) : int(0.8 * w)].reshape(-1, 3)
        region[:] = np.median(body, axis=0).astype(np.uint8) if body.size else 128
    else:
        rng = np.random.default_rng(seed)
        base = rng.integers(60, 140, size=3)
        noise = rng.normal(0, 18, size=region.shape[:2])[..., None]
        weave = (np.indices(region.shape[:2]).sum(axis=0) % 4 < 2)[..., None] * 12
        region[:] = np.clip(base + noise + weave, 0, 255).astype(np.uint8)
    return out
