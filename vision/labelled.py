"""The hand-labelled vehicle crops (``tests/vision/data/vehicle_labels.csv``): reader and pixel loader.

Each row names a crop by its source file (relative to the shared data folder, never copied into the
repository), frame index and box, with the labels given by eye: vehicle type, body colour, plate
state and plate text, the split unit (one vehicle: a video track, or one photo) and the split
(``tuning`` or ``heldback``, chosen once). A reader of outside data: a bad row is reported (file,
row, field, what was expected and what came) and skipped; the caller decides what to do with the
problems, the rest is kept.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.attributes import PALETTE, VEHICLE_TYPES
from vision.decode import Frame, crop_of
from xueliang.errors import InputError

__all__ = ["LabelProblem", "LabelledCrop", "crop_of", "load_frames", "parse_row", "read_labels"]

COLUMNS: tuple[str, ...] = (
    "crop",
    "unit",
    "split",
    "source",
    "frame",
    "x1",
    "y1",
    "x2",
    "y2",
    "type",
    "colour",
    "plate_state",
    "plate_text",
    "detector_class",
    "note",
)
#: labelled types: the classifier's, plus ``unsure`` (body shape not visible: kept for colour only)
LABEL_TYPES: tuple[str, ...] = (*VEHICLE_TYPES, "unsure")
PLATE_STATES: tuple[str, ...] = ("visible", "covered", "absent", "not_in_view")
SPLITS: tuple[str, ...] = ("tuning", "heldback")
DETECTOR_CLASSES: tuple[str, ...] = ("car", "motorcycle", "bus", "truck")


@dataclass(frozen=True)
class LabelledCrop:
    crop: int
    unit: str
    split: str
    source: str
    frame: int
    box: tuple[int, int, int, int]
    vehicle_type: str
    colour: str
    plate_state: str
    plate_text: str
    #: the COCO class the detector gave this box (``car`` for boxes drawn by hand)
    detector_class: str
    note: str


@dataclass(frozen=True)
class LabelProblem:
    where: str
    message: str


def _choice(value: str, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise ValueError(f"{field!r}: expected one of {', '.join(allowed)}; got {value!r}")
    return value


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{field!r}: expected an integer, got {value!r}") from None


def parse_row(row: dict[str, str | None]) -> LabelledCrop:
    """One CSV row (already keyed by column); ``ValueError`` naming the field when it is bad."""
    get = {k: (row.get(k) or "").strip() for k in COLUMNS}
    x1, y1, x2, y2 = (_int(get[k], k) for k in ("x1", "y1", "x2", "y2"))
    if x2 <= x1 or y2 <= y1 or min(x1, y1) < 0:
        raise ValueError(f"box: expected 0 <= x1 < x2 and 0 <= y1 < y2, got ({x1}, {y1}, {x2}, {y2})")
    frame = _int(get["frame"], "frame")
    if frame < 0:
        raise ValueError(f"'frame': expected 0 or more, got {frame}")
    if not get["unit"] or not get["source"]:
        raise ValueError("'unit' and 'source' must not be empty")
    return LabelledCrop(
        crop=_int(get["crop"], "crop"),
        unit=get["unit"],
        split=_choice(get["split"], SPLITS, "split"),
        source=get["source"],
        frame=frame,
        box=(x1, y1, x2, y2),
        vehicle_type=_choice(get["type"], LABEL_TYPES, "type"),
        colour=_choice(get["colour"], PALETTE, "colour"),
        plate_state=_choice(get["plate_state"], PLATE_STATES, "plate_state"),
        plate_text=get["plate_text"],
        detector_class=_choice(get["detector_class"], DETECTOR_CLASSES, "detector_class"),
        note=get["note"],
    )


def read_labels(path: Path) -> tuple[list[LabelledCrop], list[LabelProblem]]:
    """The usable rows and one problem per unusable row; a crop id used twice keeps the first row."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the labels ({exc})") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(str(path), f"expected columns {', '.join(COLUMNS)}; missing {', '.join(missing)}")
    rows: list[LabelledCrop] = []
    problems: list[LabelProblem] = []
    seen: set[int] = set()
    for n, raw in enumerate(reader, start=2):
        try:
            item = parse_row(raw)
        except ValueError as exc:
            problems.append(LabelProblem(f"{path.name}: line {n}", f"{exc}; row skipped"))
            continue
        if item.crop in seen:
            problems.append(LabelProblem(f"{path.name}: line {n}", f"crop {item.crop} already labelled; row skipped"))
            continue
        seen.add(item.crop)
        rows.append(item)
    return rows, problems


def load_frames(items: Iterable[LabelledCrop], data_dir: Path) -> dict[tuple[str, int], Frame]:
    """The frames (videos) and photos the crops come from, read once each: ``{(source, frame): BGR}``."""
    import cv2

    wanted: dict[str, set[int]] = {}
    for it in items:
        wanted.setdefault(it.source, set()).add(it.frame)
    out: dict[tuple[str, int], Frame] = {}
    for source, frames in sorted(wanted.items()):
        path = data_dir / source
        if path.suffix.lower() in (".mp4", ".avi", ".mkv", ".mov"):
            cap = cv2.VideoCapture(str(path))
            try:
                for i in range(max(frames) + 1):
                    ok, img = cap.read()
                    if not ok:
                        raise InputError(str(path), f"frame {i}: cannot decode (labels need up to {max(frames)})")
                    if i in frames:
                        out[(source, i)] = np.asarray(img, dtype=np.uint8)
            finally:
                cap.release()
        else:
            photo = cv2.imread(str(path))
            if photo is None:
                raise InputError(str(path), "cannot read the image")
            for f in frames:
                out[(source, f)] = np.asarray(photo, dtype=np.uint8)
    return out
