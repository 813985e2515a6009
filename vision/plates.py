"""Plate state, text and colour for a vehicle crop (Chinese plates).

Localisation: hyperlpr2's SSD plate detector (cv2.dnn, weights shipped in the wheel). Text:
rapidocr_onnxruntime (PP-OCRv4 with Chinese characters) on the loosened plate crop, with
hyperlpr2's own CTC reading as a fallback. A reading counts when it matches the Chinese plate
pattern (province character, letter, 5-6 characters).

State:
  * ``unknown``  - the vehicle is too small in the frame for a plate to be readable;
  * ``visible``  - a plate was found and read;
  * ``covered``  - a plate-shaped region was found at adequate pixel size but nothing readable on it;
  * ``absent``   - the vehicle is large enough, and no plate region was found at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision.decode import Frame
from vision.types import PlateReading

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(rf"^([{PROVINCES}])([A-Z])([A-HJ-NP-Z0-9]{{5,6}})$")
PLATE_COLOURS = ("blue", "yellow", "green", "white", "black")


@dataclass(frozen=True)
class PlateConfig:
    #: vehicle crops narrower than this (pixels) give ``unknown``: a plate is about a quarter of a
    #: car's width, and hyperlpr2's SSD needs a plate of ~70 px to find it reliably
    min_vehicle_width: int = 300
    #: plate boxes narrower than this cannot be called ``covered`` (``unknown`` instead)
    min_plate_width: int = 40
    min_text_confidence: float = 0.6


def normalise_plate(text: str) -> str | None:
    """``'藏D·T5022'`` -> ``'藏DT5022'``; None when it is not a Chinese plate."""
    t = re.sub(r"[\s·•.\-_:]", "", text.upper()) if text else ""
    # after the province and the issuing-office letter, plates never use the letter O: it is a zero
    t = t[:2] + t[2:].replace("O", "0")
    return t if PLATE_RE.match(t) else None


def format_plate(norm: str) -> str:
    """``'藏DT5022'`` -> ``'藏D·T5022'`` (the way plates are printed)."""
    return f"{norm[:2]}·{norm[2:]}"


def plate_colour(crop: Frame) -> tuple[str, float]:
    """Background colour of a plate crop by HSV vote: blue, yellow, green, white or black."""
    import cv2

    if crop.size == 0:
        return "unknown", 0.0
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.int32)
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    votes = {
        "blue": np.count_nonzero((h >= 95) & (h <= 130) & (s > 80) & (v > 50)),
        "yellow": np.count_nonzero((h >= 15) & (h <= 34) & (s > 80) & (v > 80)),
        "green": np.count_nonzero((h >= 35) & (h <= 90) & (s > 35) & (v > 60)),
        "white": np.count_nonzero((s < 40) & (v > 170)),
        "black": np.count_nonzero(v < 50),
    }
    # white and black are also the characters' colours: count them at half weight
    votes["white"] //= 2
    votes["black"] //= 2
    best = max(votes, key=lambda k: votes[k])
    total = sum(votes.values())
    return best, round(votes[best] / total, 3) if total else 0.0


@dataclass
class PlateReader:
    """Reads the plate of vehicle crops; models load on first use."""

    config: PlateConfig = field(default_factory=PlateConfig)
    use_ocr: bool = True
    _lpr: Any = None
    _ocr: Any = None

    def _models(self) -> tuple[Any, Any]:
        if self._lpr is None:
            import os

            import hyperlpr2  # builds its cv2.dnn nets from the wheel's model folder
            from hyperlpr2 import LPR

            self._lpr = LPR(os.path.join(os.path.dirname(hyperlpr2.__file__), "models"))
        if self._ocr is None and self.use_ocr:
            from rapidocr_onnxruntime import RapidOCR

            self._ocr = RapidOCR()
        return self._lpr, self._ocr

    def _ocr_once(self, crop: Frame) -> tuple[str, float] | None:
        result, _ = self._ocr(crop)
        best: tuple[str, float] | None = None
        for line in result or []:
            norm = normalise_plate(str(line[1]))
            if norm and (best is None or float(line[2]) > best[1]):
                best = (norm, float(line[2]))
        if best is None and result:
            joined = normalise_plate("".join(str(line[1]) for line in result))
            if joined:
                best = (joined, min(float(line[2]) for line in result))
        return best

    def _ocr_text(self, crop: Frame, box: tuple[int, int, int, int]) -> tuple[str, float] | None:
        """OCR on the plate box loosened three ways (the SSD box often clips a character); the reading
        most crops agree on wins, ties to the higher confidence."""
        if self._ocr is None:
            return None
        h, w = crop.shape[:2]
        x1, y1, x2, y2 = box
        pw, ph = x2 - x1, y2 - y1
        votes: dict[str, list[float]] = {}
        for fy, fxl, fxr in ((0.25, 0.1, 0.1), (0.5, 0.17, 0.17), (0.4, 0.1, 0.35)):
            loose = crop[
                max(0, int(y1 - fy * ph)) : min(h, int(y2 + fy * ph)),
                max(0, int(x1 - fxl * pw)) : min(w, int(x2 + fxr * pw)),
            ]
            got = self._ocr_once(loose)
            if got:
                votes.setdefault(got[0], []).append(got[1])
                if len(votes[got[0]]) == 2:
                    break  # two crops agree: the third cannot change the majority
        if not votes:
            return None
        text = max(votes, key=lambda k: (len(votes[k]), max(votes[k])))
        return text, max(votes[text])

    def read(self, crop: Frame) -> PlateReading:
        """Plate of the vehicle filling ``crop`` (a BGR crop of the vehicle at full resolution)."""
        w = crop.shape[1]
        if w < self.config.min_vehicle_width:
            return PlateReading(state="unknown", state_confidence=0.5)
        lpr, _ = self._models()
        found = lpr.detect_ssd(np.ascontiguousarray(crop)) or []
        if not found:
            return PlateReading(state="absent", state_confidence=0.6)
        _, (x1, y1, x2, y2) = found[0]
        pw, ph = x2 - x1, y2 - y1
        colour, _ = plate_colour(crop[y1 + ph // 4 : y2 - ph // 4, x1 + pw // 5 : x2 - pw // 5])
        reading = self._ocr_text(crop, (x1, y1, x2, y2))
        if reading is None:
            cropped = lpr.loose_crop(crop, [x1, y1, x2, y2], 120 / 48)
            text, conf = lpr.segmentation_free_recognition(lpr.finetune(cropped))
            norm = normalise_plate(str(text))
            if norm and float(conf) >= self.config.min_text_confidence:
                reading = (norm, float(conf))
        box = (int(x1), int(y1), int(x2), int(y2))
        if reading is not None and reading[1] >= self.config.min_text_confidence:
            return PlateReading(
                state="visible",
                state_confidence=round(reading[1], 3),
                text=format_plate(reading[0]),
                text_confidence=round(reading[1], 3),
                colour=colour,
                box=box,
            )
        if pw >= self.config.min_plate_width:
            return PlateReading(state="covered", state_confidence=0.5, colour=colour, box=box)
        return PlateReading(state="unknown", state_confidence=0.4, box=box)
