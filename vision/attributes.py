"""Vehicle attributes from the best crop of a track: body colour and vehicle type, each with a confidence.

Colour: pixels of the vehicle's body only, classified one by one in CIELAB and voted.
  * body mask: an ellipse over the lower-middle of the box (drops the windscreen/roof glass band at
    the top, wheels and shadow at the bottom, corners that are road), minus every pixel within
    ``background_delta`` (Lab units) of the road/background colour sampled in a ring just outside
    the box, minus specular highlights (near-white pixels when most of the body is not white);
  * per pixel: chroma C = sqrt(a*^2 + b*^2); C below ``achromatic_chroma`` is white / grey-silver /
    black by lightness L*; otherwise the hue angle h = atan2(b*, a*) picks red / brown-gold /
    yellow / green / blue, and anything else is ``other``;
  * the label is the most common pixel class; its share of body pixels is the confidence.
Type: ``sedan`` / ``suv`` / ``van`` / ``pickup`` (and ``bus``, ``truck``, ``motorcycle`` from the
detector) by box geometry: the height/width ratio of the box, which grows with the body's height
relative to its width. This depends on the camera's viewing angle: ``docs/vision.md`` states the
accuracy on the street clip (where the thresholds were set) and on the held-out top-down intel
clip (where every car reads ``van``). A user's own ONNX classifier replaces it through
:class:`OnnxTypeClassifier`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from vision.decode import Frame
from vision.types import Attribute
from xueliang.errors import InputError

PALETTE: tuple[str, ...] = (
    "white",
    "black",
    "grey/silver",
    "red",
    "blue",
    "yellow",
    "green",
    "brown/gold",
    "other",
)
VEHICLE_TYPES: tuple[str, ...] = ("sedan", "suv", "van", "pickup", "truck", "bus", "motorcycle")


@dataclass(frozen=True)
class ColourConfig:
    achromatic_chroma: float = 14.0
    white_lightness: float = 72.0
    black_lightness: float = 32.0
    background_delta: float = 10.0
    min_body_pixels: int = 30
    chromatic_share: float = 0.25
    white_l75: float = 74.0
    black_l75: float = 42.0


def _lab(img: Frame) -> npt.NDArray[np.float32]:
    """BGR uint8 -> CIELAB float (L* 0-100, a*, b* signed)."""
    import cv2

    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
    return np.asarray(lab, dtype=np.float32)


def classify_lab(lab: npt.NDArray[np.float32], cfg: ColourConfig | None = None) -> npt.NDArray[np.int64]:
    """Palette index per pixel of an (..., 3) CIELAB array."""
    cfg = cfg or ColourConfig()
    big_l, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    hue = (np.degrees(np.arctan2(b, a)) + 360.0) % 360.0
    idx = np.full(big_l.shape, PALETTE.index("other"), dtype=np.int64)
    achrom = chroma < cfg.achromatic_chroma
    idx[achrom & (big_l >= cfg.white_lightness)] = PALETTE.index("white")
    idx[achrom & (big_l <= cfg.black_lightness)] = PALETTE.index("black")
    idx[achrom & (big_l > cfg.black_lightness) & (big_l < cfg.white_lightness)] = PALETTE.index("grey/silver")
    chrom = ~achrom
    # very dark chromatic pixels read as black, whatever their hue
    idx[chrom & (big_l < 18)] = PALETTE.index("black")
    c = chrom & (big_l >= 18)
    red = c & ((hue < 45) | (hue >= 325)) & (chroma >= 25)
    brown = c & (hue >= 30) & (hue < 75) & ~red & ((big_l < 62) | (chroma < 35))
    yellow = c & (hue >= 60) & (hue < 112) & ~brown & (chroma >= 25)
    green = c & (hue >= 112) & (hue < 200)
    blue = c & (hue >= 200) & (hue < 325)
    idx[brown] = PALETTE.index("brown/gold")
    idx[yellow] = PALETTE.index("yellow")
    idx[green] = PALETTE.index("green")
    idx[blue] = PALETTE.index("blue")
    idx[red] = PALETTE.index("red")
    return idx


def body_mask(shape: tuple[int, int]) -> npt.NDArray[np.bool_]:
    """Ellipse over the lower-middle of a box crop: the body panels, not the glass, wheels or corners."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = 0.6 * h, 0.5 * w
    ry, rx = 0.34 * h, 0.45 * w
    return np.asarray(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0)


def body_pixels(frame: Frame, xyxy: Sequence[float], cfg: ColourConfig | None = None) -> npt.NDArray[np.float32]:
    """CIELAB pixels (M, 3) of the vehicle body in box ``xyxy`` of ``frame``: the body ellipse of a crop
    at most 96 px on its longer side, minus the pixels within ``background_delta`` of the ring around
    the box. Empty (0, 3) when the box is smaller than 4 px."""
    import cv2

    cfg = cfg or ColourConfig()
    fh, fw = frame.shape[:2]
    x1, y1, x2, y2 = (round(float(v)) for v in xyxy)
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(fw, x2), min(fh, y2)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return np.zeros((0, 3), np.float32)
    crop = frame[y1:y2, x1:x2]
    scale = min(1.0, 96.0 / max(crop.shape[:2]))
    if scale < 1.0:
        crop = np.asarray(cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    lab = _lab(crop)
    mask = body_mask(lab.shape[:2])
    # background: a ring of pixels just outside the box (road, kerb, shadow)
    pad = max(3, int(0.08 * max(x2 - x1, y2 - y1)))
    ring_parts = [
        frame[max(0, y1 - pad) : y1, x1:x2],
        frame[y2 : min(fh, y2 + pad), x1:x2],
        frame[y1:y2, max(0, x1 - pad) : x1],
        frame[y1:y2, x2 : min(fw, x2 + pad)],
    ]
    ring = [p.reshape(-1, 3) for p in ring_parts if p.size]
    if ring:
        bg = np.median(_lab(np.concatenate(ring)[None, :, :]).reshape(-1, 3), axis=0)
        near_bg = np.linalg.norm(lab - bg, axis=2) < cfg.background_delta
        if np.count_nonzero(mask & ~near_bg) >= cfg.min_body_pixels:
            mask &= ~near_bg
    return np.asarray(lab[mask], dtype=np.float32)


def body_colour(frame: Frame, xyxy: Sequence[float], cfg: ColourConfig | None = None) -> Attribute:
    """Colour of the vehicle in box ``xyxy`` of ``frame`` by the palette rule (module docstring)."""
    body = body_pixels(frame, xyxy, cfg)
    if body.shape[0] == 0:
        return Attribute("other", 0.0)
    return decide(body, cfg)


def decide(body: npt.NDArray[np.float32], cfg: ColourConfig | None = None) -> Attribute:
    """The body colour from the CIELAB pixels (M, 3) under the body mask.

    Glass, tyres, grilles, shadows and the road are dark or grey whatever the paint, so a chromatic
    class with at least ``chromatic_share`` of the pixels wins (confidence: its share). Otherwise the
    paint is achromatic and its lightness is read from the bright panels: the 75th percentile of L*
    over the achromatic pixels (glass and shadow are the darker quarter or more) is compared with
    ``white_l75`` and ``black_l75`` (confidence grows with the distance from the nearest threshold).
    """
    cfg = cfg or ColourConfig()
    if body.shape[0] == 0:
        return Attribute("other", 0.0)
    labels = classify_lab(body, cfg)
    share = np.bincount(labels, minlength=len(PALETTE)) / float(labels.size)
    chromatic = [PALETTE.index(c) for c in ("red", "blue", "yellow", "green", "brown/gold")]
    best_c = max(chromatic, key=lambda i: share[i])
    if share[best_c] >= cfg.chromatic_share:
        return Attribute.rounded(PALETTE[best_c], float(share[best_c]))
    achromatic = np.isin(labels, [PALETTE.index(c) for c in ("white", "grey/silver", "black")])
    light = body[achromatic, 0] if achromatic.any() else body[:, 0]
    l75 = float(np.percentile(light, 75))
    if l75 >= cfg.white_l75:
        name, margin = "white", l75 - cfg.white_l75
    elif l75 < cfg.black_l75:
        name, margin = "black", cfg.black_l75 - l75
    else:
        name, margin = "grey/silver", min(l75 - cfg.black_l75, cfg.white_l75 - l75)
    return Attribute.rounded(name, min(0.9, 0.5 + margin / 40.0))


class TypeClassifier(Protocol):
    """Vehicle type from a crop; ``name`` is stored with the attribute's method."""

    @property
    def name(self) -> str: ...

    def classify(self, crop: Frame, detector_class: str) -> Attribute: ...


@dataclass(frozen=True)
class GeometryTypeClassifier:
    """Box height/width ratio thresholds (see the module docstring); non-car classes pass through."""

    name: str = "geometry-v1"
    suv_ratio: float = 0.72
    van_ratio: float = 1.0

    def classify(self, crop: Frame, detector_class: str) -> Attribute:
        h, w = crop.shape[:2]
        if detector_class in ("bus", "motorcycle"):
            return Attribute(detector_class, 0.9)
        ratio = h / max(w, 1)
        if detector_class == "truck":
            # COCO 'truck' on a passenger-car-sized box is almost always a pickup
            return Attribute("pickup", 0.6) if ratio < self.van_ratio else Attribute("truck", 0.5)
        if ratio >= self.van_ratio:
            return Attribute("van", 0.4)
        if ratio >= self.suv_ratio:
            return Attribute("suv", 0.5)
        return Attribute("sedan", 0.5)


class OnnxTypeClassifier:
    """A user's own ONNX image classifier: input 1x3xSxS RGB in 0-1 with ImageNet normalisation,
    output one score per label; labels are one per line in ``labels`` (default: ``MODEL.labels.txt``)."""

    def __init__(self, model: str | Path, labels: str | Path | None = None, *, size: int = 224) -> None:
        import onnxruntime as ort

        mp = Path(model)
        lp = Path(labels) if labels else mp.with_suffix(".labels.txt")
        if not mp.is_file():
            raise InputError(str(mp), "type classifier: no such file", field="--type-model")
        if not lp.is_file():
            raise InputError(str(lp), "type classifier labels: no such file (one label per line)")
        self.labels = [ln.strip() for ln in lp.read_text(encoding="utf-8").splitlines() if ln.strip()]
        try:
            self._session: Any = ort.InferenceSession(str(mp), providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise InputError(str(mp), f"type classifier: not a loadable ONNX model ({exc})") from exc
        self._input = self._session.get_inputs()[0].name
        self.size = size
        self.name = f"onnx:{mp.name}"

    def classify(self, crop: Frame, detector_class: str) -> Attribute:
        import cv2

        rgb = np.asarray(cv2.resize(crop, (self.size, self.size))[:, :, ::-1], dtype=np.float32) / 255.0
        mean = np.array([0.485, 0.456, 0.406], np.float32)
        img = np.asarray((rgb - mean) / np.array([0.229, 0.224, 0.225], np.float32), dtype=np.float32)
        out = np.asarray(self._session.run(None, {self._input: img.transpose(2, 0, 1)[None]})[0]).reshape(-1)
        if out.shape[0] != len(self.labels):
            raise InputError(self.name, f"type classifier: expected {len(self.labels)} scores, got {out.shape[0]}")
        p = np.exp(out - out.max())
        p /= p.sum()
        k = int(p.argmax())
        return Attribute.rounded(self.labels[k], float(p[k]))
