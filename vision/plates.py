"""Plate state, text and colour for a vehicle crop (Chinese plates).

Localisation (:mod:`vision.plate_region`): hyperlpr2's SSD plate detector with every score it gives
(it fires only where characters show), then, where it is silent, an even patch of plate shape that
stands out from the bumper around it (paint, cloth, tape over the plate). A learned window
classifier (:mod:`vision.plate_zone`) is there as an option (``PlateConfig.zone_covered``), off by
default: it does not yet tell a cover from a removed plate or an unplated car. Text: rapidocr_onnxruntime (PP-OCRv4 with
Chinese characters) on three loosened crops of the plate, with hyperlpr2's own CTC reading as a
fallback; a plate read but for its last character (the red 警 or 领) is read again on one colour
channel, where red looks like the other characters' ink.

Text gates: a reading is kept only when it is a plausible Chinese plate (province character,
issuing-office letter, 5 characters, or 6 on a green new-energy plate, or 4 and a suffix such as
警 学 领 港 澳 挂; armed police ``WJ``), when its confidence reaches ``min_text_confidence``, and
when two of the three crops agree or one reads it at ``sure_text_confidence``. Text is never reported
for a region judged covered, except the characters of a half-covered plate, kept as a partial
pattern (``粤B6R*``: read characters, then ``*`` for the hidden part) that search matches. A partial
reading of 6 or more characters is a visible plate whose suffix did not read, kept as ``visible``
with that pattern.

State:
  * ``unknown``  - the vehicle is too small in the frame to judge its plate;
  * ``visible``  - a plate was found and read;
  * ``covered``  - the SSD found a plate whose characters did not read, or only part of them did (the
    partial pattern is then the text), or an even plate-shaped patch stands out where a plate is
    (or, when set, the zone classifier's best ``covered`` window reaches ``zone_covered``);
  * ``absent``   - the vehicle is large enough, nothing was read and no covered plate was seen.

``state_confidence`` is the share of correct states measured on the tuning part of the labelled
plate set for the branch that decided (``bench/plate_state.py``), not a model score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vision.decode import Frame
from vision.plate_region import load_lpr, rim_candidates, ssd_candidates
from vision.plate_zone import load_zone_head, zone_scores
from vision.types import PlateReading

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
SUFFIXES = "警学领港澳挂试超"
PLATE_RE = re.compile(
    rf"^(?:[{PROVINCES}][A-Z](?:[A-HJ-NP-Z0-9]{{5,6}}|[A-HJ-NP-Z0-9]{{4}}[{SUFFIXES}])|WJ[0-9]{{2}}[A-HJ-NP-Z0-9]{{5}})$"
)
#: characters that may appear on a plate (for partial readings)
_PLATE_CHARS = re.compile(rf"[{PROVINCES}{SUFFIXES}A-Z0-9]")
PLATE_COLOURS = ("blue", "yellow", "green", "white", "black")

#: a partial reading this long (province, letter and 4 characters) is a visible plate whose last
#: character did not read, not a half-covered one
FULL_PARTIAL = 6

#: share of correct states per deciding branch, measured on the tuning part of the plate set
#: (bench/plate_state.py); see the module docstring
STATE_CONFIDENCE = {
    "ssd_text": 0.97,  # 7/7 on the tuning part
    "ssd_partial": 0.89,  # 17/19
    "ssd_unread": 0.8,  # no case on the tuning part: a prior, not a measurement
    "patch": 0.88,  # 68/77
    "nothing": 0.21,  # 26/121: most plates hidden without a trace the search sees are covers
    "zone_covered": 0.81,  # opt-in classifier: 109/134 on the tuning part
}


@dataclass(frozen=True)
class PlateConfig:
    #: vehicle crops narrower than this (pixels) give ``unknown``: a plate is about a quarter of a
    #: car's width, and hyperlpr2's SSD needs a plate of ~70 px to find it reliably
    min_vehicle_width: int = 300
    #: plate boxes narrower than this cannot be called ``covered`` (``unknown`` instead)
    min_plate_width: int = 40
    min_text_confidence: float = 0.75
    #: a reading from one crop only (no second crop agreeing) needs this confidence
    sure_text_confidence: float = 0.93
    #: hyperlpr2 SSD score from which its box is taken as the plate region
    ssd_score: float = 0.3
    #: a partial reading needs at least this many characters
    min_partial_chars: int = 3
    #: a plate tilted at least this much (degrees) that did not read is read again turned level
    min_skew_degrees: float = 4.0
    #: CIELAB contrast from which an even plate-shaped patch is taken as a covered plate
    patch_score: float = 30.0
    #: probability of the zone classifier's best ``covered`` window from which the plate is covered;
    #: None (the default) leaves the classifier out: on the tuning photos its best window scores
    #: 0.96-1.0 on covers, removed plates and unplated cars alike (bench/train_plate_zone.py)
    zone_covered: float | None = None
    #: the zone classifier's weights (``vision/models/plate_zone.npz`` when None)
    zone_head: str | None = None


def _clean(text: str) -> str:
    t = re.sub(r"[\s·•.\-_:]", "", text.upper()) if text else ""
    # after the province and the issuing-office letter, plates never use the letter O: it is a zero
    return t[:2] + t[2:].replace("O", "0")


def normalise_plate(text: str) -> str | None:
    """``'藏D·T5022'`` -> ``'藏DT5022'``; None when it is not a Chinese plate."""
    t = _clean(text)
    return t if PLATE_RE.match(t) else None


def partial_pattern(text: str, min_chars: int = 3) -> str | None:
    """What a half-covered plate shows, as a search pattern: ``'粤B6R'`` -> ``'粤B6R*'`` (the start
    of a plate), ``'6R678'`` -> ``'*6R678'`` (its end); None when fewer than ``min_chars`` plate
    characters were read or the reading is a whole plate."""
    t = "".join(_PLATE_CHARS.findall(_clean(text)))
    if len(t) < min_chars or PLATE_RE.match(t):
        return None
    if t[0] in PROVINCES:
        return t[:8] + "*" if re.match(rf"^[{PROVINCES}][A-Z]", t) else None
    if any(c in PROVINCES for c in t):
        return None  # a province character in the middle: not a plate
    return "*" + t[-7:]


def consistent(pattern: str, plate: str) -> bool:
    """A partial pattern (``粤B6R*`` / ``*6R678``) agrees with ``plate`` (normalised)."""
    if pattern.endswith("*"):
        return plate.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return plate.endswith(pattern[1:])
    return pattern == plate


def format_plate(norm: str) -> str:
    """``'藏DT5022'`` -> ``'藏D·T5022'`` (the way plates are printed); ``WJ1693015`` -> ``WJ16·93015``."""
    if norm.startswith("WJ"):
        return f"{norm[:4]}·{norm[4:]}"
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


def plate_skew(crop: Frame, box: tuple[int, int, int, int]) -> float:
    """Tilt of the plate in ``box`` in degrees (positive: its right end higher), from the long
    near-horizontal edges around it (rim, character tops and bottoms); 0 when none is found."""
    import cv2

    x1, y1, x2, y2 = box
    pw, ph = x2 - x1, y2 - y1
    h, w = crop.shape[:2]
    patch = crop[max(0, y1 - ph // 2) : min(h, y2 + ph // 2), max(0, x1 - pw // 6) : min(w, x2 + pw // 6)]
    if patch.size == 0 or pw < 16:
        return 0.0
    grey = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(grey, 60, 160)
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=max(10, pw // 4), minLineLength=pw * 0.4, maxLineGap=4)
    if lines is None:
        return 0.0
    seg = lines[:, 0, :].astype(np.float64)
    dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
    angle = -np.degrees(np.arctan2(dy, dx))
    angle = np.where(angle > 90, angle - 180, np.where(angle < -90, angle + 180, angle))
    keep = np.abs(angle) <= 35
    if not keep.any():
        return 0.0
    length = np.hypot(dx, dy)[keep]
    order = np.argsort(angle[keep])
    cum = np.cumsum(length[order])
    return float(angle[keep][order][np.searchsorted(cum, cum[-1] / 2)])  # length-weighted median


def rotate_about(crop: Frame, centre: tuple[float, float], degrees: float) -> Frame:
    """``crop`` turned clockwise by ``degrees`` about ``centre``: a plate tilted by ``degrees``
    (:func:`plate_skew`) comes out level; edges replicated."""
    import cv2

    m = cv2.getRotationMatrix2D(centre, -degrees, 1.0)
    h, w = crop.shape[:2]
    return np.asarray(cv2.warpAffine(crop, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE), np.uint8)


@dataclass
class PlateReader:
    """Reads the plate of vehicle crops; models load on first use."""

    config: PlateConfig = field(default_factory=PlateConfig)
    use_ocr: bool = True
    _lpr: Any = None
    _ocr: Any = None
    _zone: Any = None

    def _models(self) -> tuple[Any, Any]:
        if self._lpr is None:
            self._lpr = load_lpr()
        if self._ocr is None and self.use_ocr:
            from rapidocr_onnxruntime import RapidOCR

            self._ocr = RapidOCR()
        return self._lpr, self._ocr

    def _ocr_once(self, crop: Frame) -> tuple[tuple[str, float] | None, tuple[str, float] | None]:
        """(best whole-plate reading, best partial pattern) of one crop, each with its confidence."""
        result, _ = self._ocr(crop)
        best: tuple[str, float] | None = None
        partial: tuple[str, float] | None = None
        lines = [(str(line[1]), float(line[2])) for line in result or []]
        for text, conf in lines:
            norm = normalise_plate(text)
            if norm and (best is None or conf > best[1]):
                best = (norm, conf)
        if best is None and lines:
            joined = normalise_plate("".join(t for t, _ in lines))
            if joined:
                best = (joined, min(c for _, c in lines))
        if best is None:
            for text, conf in lines:
                pat = partial_pattern(text, self.config.min_partial_chars)
                if pat and conf >= self.config.min_text_confidence and (partial is None or conf > partial[1]):
                    partial = (pat, conf)
        return best, partial

    def _ocr_text(
        self, crop: Frame, box: tuple[int, int, int, int], *, channel: int | None = None
    ) -> tuple[tuple[str, float] | None, tuple[str, float] | None]:
        """OCR on the plate box loosened three ways (the SSD box often clips a character). Returns the
        gated whole reading (two crops agree, or one at ``sure_text_confidence``) and, failing that, a
        partial pattern two crops agree on. ``channel`` (0-2, BGR): read that colour channel alone
        as grey (a red character then looks like the black or white ones)."""
        if self._ocr is None:
            return None, None
        if channel is not None:
            crop = np.ascontiguousarray(np.repeat(crop[:, :, channel : channel + 1], 3, axis=2))
        h, w = crop.shape[:2]
        x1, y1, x2, y2 = box
        pw, ph = x2 - x1, y2 - y1
        votes: dict[str, list[float]] = {}
        partial_votes: dict[str, list[float]] = {}
        for fy, fxl, fxr in ((0.25, 0.1, 0.1), (0.5, 0.17, 0.17), (0.4, 0.1, 0.35)):
            loose = crop[
                max(0, int(y1 - fy * ph)) : min(h, int(y2 + fy * ph)),
                max(0, int(x1 - fxl * pw)) : min(w, int(x2 + fxr * pw)),
            ]
            got, part = self._ocr_once(loose)
            if got:
                votes.setdefault(got[0], []).append(got[1])
                if len(votes[got[0]]) == 2:
                    break  # two crops agree: the third cannot change the majority
            elif part:
                partial_votes.setdefault(part[0], []).append(part[1])
        cfg = self.config
        if votes:
            text = max(votes, key=lambda k: (len(votes[k]), max(votes[k])))
            conf = max(votes[text])
            if conf >= cfg.min_text_confidence and (len(votes[text]) >= 2 or conf >= cfg.sure_text_confidence):
                return (text, conf), None
            return None, None
        agreed = [k for k, v in partial_votes.items() if len(v) >= 2]
        if agreed:
            pat = max(agreed, key=lambda k: (len(k), max(partial_votes[k])))
            return None, (pat, max(partial_votes[pat]))
        return None, None

    def _top_row(self, crop: Frame, box: tuple[int, int, int, int]) -> tuple[str, float] | None:
        """The province and letter of a double-row plate (its top third, small characters), read
        alone from the upper part of ``box``, upscaled."""
        import cv2

        x1, y1, x2, y2 = box
        ph = y2 - y1
        h, w = crop.shape[:2]
        top = crop[max(0, y1 - ph // 6) : min(h, y1 + ph // 2), max(0, x1) : min(w, x2)]
        if top.size == 0:
            return None
        top = np.asarray(cv2.resize(top, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), np.uint8)
        result, _ = self._ocr(top)
        for line in result or []:
            t = "".join(_PLATE_CHARS.findall(_clean(str(line[1]))))
            m = re.search(rf"[{PROVINCES}][A-Z]", t)
            if m and float(line[2]) >= self.config.min_text_confidence:
                return m.group(0), float(line[2])
        return None

    def _read_text(
        self, crop: Frame, box: tuple[int, int, int, int]
    ) -> tuple[tuple[str, float] | None, tuple[str, float] | None]:
        """(whole reading, formatted; partial pattern) of the plate in ``box``: the three loosened
        crops, then, failing a whole reading, the plate turned level (tilted plates), the top row
        read alone (a double-row plate read as its bottom row ``*A5331``), one colour channel (red
        characters: 警 领 and the ``WJ`` of armed police), hyperlpr2's own reader."""
        cfg = self.config
        x1, y1, x2, y2 = box
        reading, partial = self._ocr_text(crop, box)
        if reading is None and (partial is None or len(partial[0].strip("*")) < FULL_PARTIAL):
            angle = plate_skew(crop, box)
            if abs(angle) >= cfg.min_skew_degrees:
                turned = rotate_about(crop, ((x1 + x2) / 2, (y1 + y2) / 2), angle)
                again, _ = self._ocr_text(turned, box)
                if again is not None:
                    reading, partial = again, None
        if reading is None and partial is not None and partial[0].startswith("*") and self._ocr is not None:
            top = self._top_row(crop, box)
            joined = normalise_plate(top[0] + partial[0][1:]) if top else None
            if top and joined:
                reading, partial = (joined, min(top[1], partial[1])), None
        if partial is not None and len(partial[0].strip("*")) >= FULL_PARTIAL:
            # all but characters the reader cannot print in red (警, 领, the WJ of armed police): read
            # again with red as dark as black ink (green channel: white plates) or as bright as white
            # ink (red channel: black plates); else the plate is in view and the pattern is kept
            for channel in (1, 2):
                again, _ = self._ocr_text(crop, box, channel=channel)
                if again is not None and consistent(partial[0], again[0]):
                    reading, partial = again, None
                    break
            else:
                reading, partial = partial, None
        if reading is None and partial is None and self._ocr is not None:
            lpr, _ = self._models()
            cropped = lpr.loose_crop(crop, [x1, y1, x2, y2], 120 / 48)
            text, conf = lpr.segmentation_free_recognition(lpr.finetune(cropped))
            norm = normalise_plate(str(text))
            if norm and float(conf) >= cfg.sure_text_confidence:
                reading = (norm, float(conf))
        if reading is not None and normalise_plate(reading[0]):
            reading = (format_plate(reading[0]), reading[1])
        return reading, partial

    def read(self, crop: Frame) -> PlateReading:
        """Plate of the vehicle filling ``crop`` (a BGR crop of the vehicle at full resolution)."""
        cfg = self.config
        w = crop.shape[1]
        if w < cfg.min_vehicle_width:
            return PlateReading(state="unknown", state_confidence=0.5)
        lpr, _ = self._models()
        found = [c for c in ssd_candidates(lpr, crop) if c.score >= cfg.ssd_score]
        if found:
            x1, y1, x2, y2 = box = found[0].box
            pw, ph = x2 - x1, y2 - y1
            colour, _ = plate_colour(crop[y1 + ph // 4 : y2 - ph // 4, x1 + pw // 5 : x2 - pw // 5])
            reading, partial = self._read_text(crop, box)
            text = reading or partial
            if text is not None:
                return PlateReading(
                    state="visible" if reading else "covered",
                    state_confidence=STATE_CONFIDENCE["ssd_text" if reading else "ssd_partial"],
                    text=text[0],
                    text_confidence=round(text[1], 3),
                    colour=colour,
                    box=box,
                )
        return self._hidden(crop, found[0].box if found else None)

    def _hidden(self, crop: Frame, ssd_box: tuple[int, int, int, int] | None) -> PlateReading:
        """No text read: covered where the SSD found a plate wide enough to judge, or an even
        plate-shaped patch stands out from the bumper; with ``zone_covered`` set, where the zone
        classifier's best ``covered`` window reaches it; else absent."""
        cfg = self.config
        if ssd_box is not None:
            if ssd_box[2] - ssd_box[0] >= cfg.min_plate_width:
                return PlateReading(state="covered", state_confidence=STATE_CONFIDENCE["ssd_unread"], box=ssd_box)
            return PlateReading(state="unknown", state_confidence=0.4, box=ssd_box)
        patches = [c for c in rim_candidates(crop) if c.score >= cfg.patch_score]
        if patches:
            return PlateReading(state="covered", state_confidence=STATE_CONFIDENCE["patch"], box=patches[0].box)
        if cfg.zone_covered is not None:
            if self._zone is None:
                self._zone = load_zone_head(cfg.zone_head)
            cov = zone_scores(crop, self._zone).get("covered")
            if cov is not None and cov.probability >= cfg.zone_covered:
                return PlateReading(state="covered", state_confidence=STATE_CONFIDENCE["zone_covered"], box=cov.box)
        return PlateReading(state="absent", state_confidence=STATE_CONFIDENCE["nothing"])
