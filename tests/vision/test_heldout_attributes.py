"""Held-out colour and type accuracy on the intel parking-lot clip (skips when ../shared is absent).

``data/intel_labels.csv`` holds the vehicles that move through ``intel_car-detection.mp4``, counted
and labelled by eye before any prediction was looked at: one row per vehicle and frame, with the box
centre and size at that frame (drawn from a median-background difference, checked by eye), the body
colour, the type (or ``unsure``) and a note. The clip was never used to set a threshold: these tests
measure, they must not be used to tune. The numbers asserted are the ones measured and written in
docs/vision.md ("Held-out: intel parking-lot clip"); when a change moves them, update both.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import shared_file
from tests.vision.conftest import START, weights
from vision.attributes import PALETTE, VEHICLE_TYPES, GeometryTypeClassifier, body_colour
from vision.decode import probe
from vision.detect import DetectorSpec, load_detector
from vision.pipeline import FileResult, PipelineConfig, process_video
from vision.types import Sighting

LABELS = Path(__file__).parent / "data" / "intel_labels.csv"
CLIP = "video/intel_car-detection.mp4"
WIDTH, HEIGHT = 768, 432
#: a label row matches a sighting point at most this many frames away (0.48 s at 12.5 fps: one and a
#: half detector steps at the default 3 detections a second) ...
MAX_FRAME_GAP = 6
#: ... whose box centre is within this fraction of the labelled box's longer side
MAX_CENTRE_SHIFT = 0.5

#: yolo11n finds these cars seen from above on few frames (a box on 23 of 189 frames, only while a car
#: is half in view), so which cars the default schedule (4 detections a second, two frames a call)
#: catches is chance: 0 to 2 of the 4 (docs/vision.md). The attributes are measured on what the
#: detector finds on every frame, so that they do not hinge on the frames sampled.
EVERY_FRAME = PipelineConfig(detect_fps=0, idle_fps=0, frames_per_call=1)

# Measured on the held-out clip with EVERY_FRAME and yolo11n_int8.tflite. Issue 12 made the tracker
# predict at constant velocity over misses (it extrapolated quadratically before): the red saloon,
# whose only boxes are at the two frame edges, is no longer carried across the frame by that
# over-extrapolation, so 1 of 4 is found where 2 were (re-measured 2026-11-30, with and without the
# appearance gate and the close-up scales: the same).
HAND_COUNT = 4
FOUND = 1
SPLIT = 0
COLOUR_RIGHT, COLOUR_N = 1, 1
TYPE_RIGHT, TYPE_N = 1, 1
# Measured with the attribute functions alone on the labelled boxes of the whole cars.
BOX_COLOUR_RIGHT, BOX_N = 3, 4
BOX_TYPES = {"van": 4}


@dataclass(frozen=True)
class LabelRow:
    vehicle: int
    frame: int
    cx: float
    cy: float
    w: float
    h: float
    colour: str
    vtype: str
    note: str

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return (self.cx - self.w / 2, self.cy - self.h / 2, self.cx + self.w / 2, self.cy + self.h / 2)

    def inside(self, width: int, height: int) -> bool:
        """The whole box is in the frame (the car is not cut by an edge)."""
        x1, y1, x2, y2 = self.xyxy
        return x1 > 2 and y1 > 2 and x2 < width - 2 and y2 < height - 2


def load_labels(path: Path = LABELS) -> list[LabelRow]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            LabelRow(
                vehicle=int(r["vehicle"]),
                frame=int(r["frame"]),
                cx=float(r["cx"]),
                cy=float(r["cy"]),
                w=float(r["w"]),
                h=float(r["h"]),
                colour=r["colour"],
                vtype=r["type"],
                note=r["note"],
            )
            for r in csv.DictReader(fh)
        ]
    for i, row in enumerate(rows, start=2):
        assert row.colour in PALETTE, f"{path.name}: line {i}: colour must be one of {PALETTE}, got {row.colour!r}"
        assert row.vtype in (*VEHICLE_TYPES, "unsure"), f"{path.name}: line {i}: unknown type {row.vtype!r}"
    return rows


def by_vehicle(rows: list[LabelRow]) -> dict[int, list[LabelRow]]:
    out: dict[int, list[LabelRow]] = {}
    for row in rows:
        out.setdefault(row.vehicle, []).append(row)
    return dict(sorted(out.items()))


def matches(row: LabelRow, sighting: Sighting) -> bool:
    """The sighting's point nearest in time to the labelled frame is close to the labelled box."""
    near = [p for p in sighting.points if abs(p.frame - row.frame) <= MAX_FRAME_GAP]
    if not near:
        return False
    p = min(near, key=lambda q: abs(q.frame - row.frame))
    shift = math.hypot((p.x1 + p.x2) / 2 - row.cx, (p.y1 + p.y2) / 2 - row.cy)
    return shift <= MAX_CENTRE_SHIFT * max(row.w, row.h)


@dataclass(frozen=True)
class Outcome:
    """Per labelled vehicle (its first label row gives its colour and type): the sightings that match any of
    its rows, the one matching most rows."""

    label: LabelRow
    track_ids: tuple[int, ...]
    main: Sighting | None


def outcomes(result: FileResult, rows: list[LabelRow]) -> list[Outcome]:
    out = []
    for vrows in by_vehicle(rows).values():
        hits = Counter(s.track_id for row in vrows for s in result.sightings if matches(row, s))
        main_id = max(sorted(hits), key=lambda t: hits[t]) if hits else None
        main = next((s for s in result.sightings if s.track_id == main_id), None)
        out.append(Outcome(vrows[0], tuple(sorted(hits)), main))
    return out


def read_frames(path: Path, indices: set[int]) -> dict[int, np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames: dict[int, np.ndarray] = {}
    index = 0
    while len(frames) < len(indices):
        ok, frame = cap.read()
        assert ok, f"{path.name}: no frame {index}"
        if index in indices:
            frames[index] = frame
        index += 1
    cap.release()
    return frames


@pytest.fixture(scope="module")
def labels() -> list[LabelRow]:
    return load_labels()


@pytest.fixture(scope="module")
def intel_run(tmp_path_factory: pytest.TempPathFactory) -> FileResult:
    clip = shared_file(CLIP)
    detector = load_detector(DetectorSpec(weights=str(weights())))
    return process_video(
        probe(clip),
        camera_id="intel",
        start=START,
        detector=detector,
        config=EVERY_FRAME,
        media_dir=tmp_path_factory.mktemp("intel_media"),
    )


def test_labels_are_one_colour_and_type_per_vehicle(labels: list[LabelRow]) -> None:
    vehicles = by_vehicle(labels)
    assert len(vehicles) == HAND_COUNT
    for vehicle, vrows in vehicles.items():
        assert len({(r.colour, r.vtype) for r in vrows}) == 1, f"vehicle {vehicle}: rows disagree"
        assert any(r.inside(WIDTH, HEIGHT) for r in vrows), f"vehicle {vehicle}: no row with the whole car"


def test_labelled_vehicles_found_and_not_split(intel_run: FileResult, labels: list[LabelRow]) -> None:
    found = [o for o in outcomes(intel_run, labels) if o.main is not None]
    split = [o for o in found if len(o.track_ids) > 1]
    detail = [(o.label.vehicle, o.track_ids) for o in outcomes(intel_run, labels)]
    assert len(found) >= FOUND, detail
    assert len(split) <= SPLIT, detail


@pytest.mark.xfail(
    reason="the one car found (light-silver Prius) reads wrong at its best frame: it read white/suv with the "
    "geometry type and lightness colour; it still fails with the learned type head, and also did with palette "
    "thresholds retuned on the tuning crops (tried in issue 12's second pass, not kept; checked 2026-11-30)",
    strict=False,
)
def test_colour_and_type_of_found_vehicles(intel_run: FileResult, labels: list[LabelRow]) -> None:
    found = [o for o in outcomes(intel_run, labels) if o.main is not None]
    seen = [(o.label, o.main) for o in found if o.main is not None]
    colour = [(label.colour, main.colour.value) for label, main in seen]
    vtype = [(label.vtype, main.vehicle_type.value) for label, main in seen if label.vtype != "unsure"]
    colour_right = sum(want == got for want, got in colour)
    type_right = sum(want == got for want, got in vtype)
    assert colour_right >= COLOUR_RIGHT and colour_right / len(colour) >= COLOUR_RIGHT / COLOUR_N, colour
    assert type_right >= TYPE_RIGHT and type_right / len(vtype) >= TYPE_RIGHT / TYPE_N, vtype


def test_attributes_on_labelled_boxes_of_whole_cars(labels: list[LabelRow]) -> None:
    """Colour and type from the labelled boxes alone, without the detector: one row per vehicle, the
    one where the whole car is in view. Seen from above, a car's box is long and narrow (height/width
    1.7-2.0), so the box-geometry type reads every one of them as a ``van``."""
    clip = shared_file(CLIP)
    whole = [r for r in labels if r.inside(WIDTH, HEIGHT)]
    assert len(whole) == BOX_N
    frames = read_frames(clip, {r.frame for r in whole})
    classifier = GeometryTypeClassifier()
    colour, vtype = [], []
    for r in whole:
        frame = frames[r.frame]
        colour.append((r.colour, body_colour(frame, list(r.xyxy)).value))
        x1, y1, x2, y2 = (round(v) for v in r.xyxy)
        vtype.append(classifier.classify(frame[y1:y2, x1:x2], "car").value)
    assert sum(want == got for want, got in colour) >= BOX_COLOUR_RIGHT, colour
    # a characterisation, not a goal: when the type classifier changes, update docs/vision.md
    assert Counter(vtype) == BOX_TYPES, vtype
