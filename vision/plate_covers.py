"""Synthesized plate covers on real photos, for measuring plate state (not used when indexing).

Each cover is drawn over a labelled plate box of a real photo, the way a driver hides a plate:

* ``paint_dark``  - the plate painted black or dark grey (a little texture and sheen kept);
* ``paint_body``  - painted in the car's own colour, sampled from the body around the plate;
* ``cloth``       - a cloth patch with a woven texture, slightly larger than the plate, sagging;
* ``tape``        - several strips of tape across the characters;
* ``stickers``    - round or square stickers over most characters;
* ``half``        - the left or right part of the plate covered (the rest stays readable);
* ``removed``     - the plate taken off: its region filled from the surrounding bumper, no outline.

Everything but ``removed`` leaves a cover that a person can see (label ``covered``); ``removed``
is ``absent``. Variants are deterministic for a given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision.decode import Frame

COVERS = ("paint_dark", "paint_body", "cloth", "tape", "stickers", "half", "removed")
HIDDEN_STATE = {c: ("absent" if c == "removed" else "covered") for c in COVERS}


@dataclass(frozen=True)
class CoverResult:
    """The covered image, the cover kind, and for ``half`` which side stayed visible."""

    image: Frame
    cover: str
    visible_side: str | None = None
    #: fraction of the plate's width left uncovered (``half`` only, else 0)
    visible_fraction: float = 0.0

    @property
    def state(self) -> str:
        """The plate state a person labels this cover with (``covered``, or ``absent`` for ``removed``)."""
        return HIDDEN_STATE[self.cover]


def _box(box: tuple[int, int, int, int], shape: tuple[int, ...], grow: float) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    gx, gy = (x2 - x1) * grow, (y2 - y1) * grow
    h, w = shape[:2]
    return max(0, int(x1 - gx)), max(0, int(y1 - gy)), min(w, int(x2 + gx)), min(h, int(y2 + gy))


def _body_colour(img: Frame, box: tuple[int, int, int, int]) -> npt.NDArray[np.uint8]:
    """Median colour of a band above the plate (the bumper / boot lid)."""
    x1, y1, x2, y2 = box
    ph = y2 - y1
    band = img[max(0, y1 - 2 * ph) : max(1, y1 - ph // 3), x1:x2].reshape(-1, 3)
    if len(band) == 0:
        band = img.reshape(-1, 3)
    return np.asarray(np.median(band, axis=0), np.uint8)


def _shade(patch: Frame, rng: np.random.Generator, strength: float) -> Frame:
    """Smooth lighting gradient and fine noise, so a fill does not look like a flat sticker."""
    h, w = patch.shape[:2]
    gx = np.linspace(-1, 1, w)[None, :] * rng.uniform(-1, 1)
    gy = np.linspace(-1, 1, h)[:, None] * rng.uniform(-1, 1)
    light = 1.0 + strength * (gx + gy) / 2
    noise = rng.normal(0, 4, size=(h, w, 1))
    return np.clip(patch.astype(np.float32) * light[..., None] + noise, 0, 255).astype(np.uint8)


def apply_cover(img: Frame, plate_box: tuple[int, int, int, int], cover: str, *, seed: int = 0) -> CoverResult:
    """``img`` with ``cover`` drawn over ``plate_box`` (x1, y1, x2, y2 in pixels); a new array."""
    import cv2

    if cover not in COVERS:
        raise ValueError(f"cover: expected one of {', '.join(COVERS)}, got {cover!r}")
    rng = np.random.default_rng(seed)
    out = img.copy()
    x1, y1, x2, y2 = _box(plate_box, img.shape, 0.03)
    pw, ph = x2 - x1, y2 - y1
    if pw < 4 or ph < 4:
        raise ValueError(f"plate box too small to cover: {plate_box}")
    inner = _box((x1, y1, x2, y2), img.shape, -0.04)
    ix1, iy1, ix2, iy2 = inner
    if cover == "paint_dark":
        grey = rng.uniform(10, 55)
        tint = rng.uniform(-6, 6, size=3)
        fill = np.full((iy2 - iy1, ix2 - ix1, 3), grey, np.float32) + tint
        out[iy1:iy2, ix1:ix2] = _shade(fill.clip(0, 255).astype(np.uint8), rng, 0.3)
    elif cover == "paint_body":
        colour = _body_colour(img, (x1, y1, x2, y2)).astype(np.float32)
        fill = np.broadcast_to(colour * rng.uniform(0.85, 1.05), (iy2 - iy1, ix2 - ix1, 3)).copy()
        out[iy1:iy2, ix1:ix2] = _shade(fill.clip(0, 255).astype(np.uint8), rng, 0.15)
    elif cover == "cloth":
        cx1, cy1, cx2, cy2 = _box((x1, y1, x2, y2), img.shape, rng.uniform(0.05, 0.15))
        h, w = cy2 - cy1, cx2 - cx1
        base = rng.uniform(30, 200, size=3).astype(np.float32)
        period = max(2.0, w / rng.uniform(30, 60))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        weave = 0.5 + 0.25 * (np.sin(xx * 2 * np.pi / period) + np.sin(yy * 2 * np.pi / period))
        folds = 0.2 * np.sin(xx / max(w, 1) * np.pi * rng.uniform(1.5, 4) + rng.uniform(0, 6))
        fill = base[None, None, :] * (0.75 + 0.3 * weave + folds)[..., None]
        out[cy1:cy2, cx1:cx2] = _shade(fill.clip(0, 255).astype(np.uint8), rng, 0.2)
    elif cover == "tape":
        colour = rng.choice([[230, 230, 230], [40, 40, 40], [60, 160, 220], [200, 120, 40]]).astype(np.float32)
        n = int(rng.integers(3, 6))
        bounds = np.linspace(ix1, ix2, n + 1)
        for k in range(n):
            a, b = int(bounds[k]), int(bounds[k + 1])
            a, b = a - int(rng.integers(0, 3)), b + int(rng.integers(0, 3))
            slant = int(rng.integers(-ph // 6 - 1, ph // 6 + 1))
            pts = np.array([[a, iy1 - 2], [b, iy1 - 2 + slant], [b, iy2 + 2 + slant], [a, iy2 + 2]], np.int32)
            cv2.fillConvexPoly(out, pts, [int(v) for v in colour * rng.uniform(0.9, 1.05)])
        out[iy1:iy2, ix1:ix2] = _shade(out[iy1:iy2, ix1:ix2], rng, 0.1)
    elif cover == "stickers":
        n = int(rng.integers(5, 8))
        centres = np.linspace(ix1 + pw * 0.08, ix2 - pw * 0.08, n)
        r = int(max(3, min(ph * 0.55, pw / n * 0.7)))
        for cx in centres:
            paint = tuple(float(v) for v in rng.uniform(20, 240, size=3))
            cy = (iy1 + iy2) // 2 + int(rng.integers(-ph // 10 - 1, ph // 10 + 1))
            if rng.random() < 0.5:
                cv2.circle(out, (int(cx), cy), r, paint, -1)
            else:
                cv2.rectangle(out, (int(cx) - r, cy - r), (int(cx) + r, cy + r), paint, -1)
    elif cover == "half":
        frac = float(rng.uniform(0.45, 0.6))
        side = "left" if rng.random() < 0.5 else "right"  # the side that stays visible
        if side == "left":
            cx1, cx2 = x1 + int(pw * (1 - frac)), x2
        else:
            cx1, cx2 = x1, x2 - int(pw * (1 - frac))
        # covered part (frac of the width) in dark paint or cloth
        grey = rng.uniform(10, 60)
        fill = np.full((y2 - y1, cx2 - cx1, 3), grey, np.float32)
        out[y1:y2, cx1:cx2] = _shade(fill.astype(np.uint8), rng, 0.2)
        return CoverResult(out, cover, visible_side=side, visible_fraction=round(1 - frac, 3))
    else:  # removed: fill from the surroundings, leaving no outline
        mask = np.zeros(img.shape[:2], np.uint8)
        rx1, ry1, rx2, ry2 = _box((x1, y1, x2, y2), img.shape, 0.08)
        mask[ry1:ry2, rx1:rx2] = 255
        out = np.asarray(cv2.inpaint(img, mask, 5, cv2.INPAINT_TELEA), np.uint8)
        out[ry1:ry2, rx1:rx2] = _shade(out[ry1:ry2, rx1:rx2], rng, 0.05)
    return CoverResult(out, cover)
