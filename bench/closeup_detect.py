"""Close-up (checkpoint) vehicles detected, with both nano models, on the labelled plate photos.

    python bench/closeup_detect.py [--models DIR] [--when empty|no_large|always]

The photos of tests/vision/data/plates_labels.csv whose labelled vehicle is at least half the
photo's width or height are the close-ups (cars that fill the frame, as a 卡口 camera sees them;
the CCPD photos are cut by the frame on three sides). A close-up counts as detected when a vehicle
box (car, motorcycle, bus, truck; confidence >= 0.25) overlaps its labelled box at IoU >= 0.5.
Compared on each model: the detector alone (what the pipeline did before), plus the grey-canvas
scales of ``vision.closeup.MultiScaleDetector``, plus the plate fallback. The scales and the
trigger were chosen on these same photos (both parts): the figures per part are printed, and the
tuning part's is optimistic.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from _root import ROOT

os.environ.setdefault("YOLO_OFFLINE", "1")

import cv2
import numpy as np

from vision.closeup import MultiScaleDetector, PlateFallbackDetector
from vision.detect import Detector, DetectorSpec, YoloDetector
from vision.track import iou_matrix

LABELS = ROOT / "tests" / "vision" / "data" / "plates_labels.csv"
DATA = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=str(ROOT.parent / "shared" / "models"))
    ap.add_argument("--when", default="no_large", choices=("empty", "no_large", "always"))
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"skipped: {DATA} not found (the shared photos)")
    cases = []
    for row in csv.DictReader(LABELS.open(encoding="utf-8")):
        img = cv2.imread(str(DATA / row["photo"]))
        if img is None:
            sys.exit(f"{DATA / row['photo']}: cannot read the photo")
        h, w = img.shape[:2]
        box = np.array([[float(row[k]) for k in ("vehicle_x1", "vehicle_y1", "vehicle_x2", "vehicle_y2")]])
        if box[0, 2] - box[0, 0] >= 0.5 * w or box[0, 3] - box[0, 1] >= 0.5 * h:
            cases.append((row["photo"], row["split"], img.astype(np.uint8, copy=False), box))
    for weights in ("yolo11n_int8.tflite", "yolov8n_int8.tflite"):
        base = YoloDetector(DetectorSpec(weights=str(Path(args.models) / weights)))
        multi = MultiScaleDetector(base, when=args.when)
        variants: dict[str, Detector] = {
            "alone": base,
            "+ canvas": multi,
            "+ canvas + plate": PlateFallbackDetector(multi),
        }
        for label, det in variants.items():
            hits = {"tuning": [0, 0], "heldout": [0, 0]}
            missed = []
            for photo, split, img, box in cases:
                d = det.detect(img)
                ok = len(d) > 0 and float(iou_matrix(d.xyxy.astype(np.float64), box).max()) >= 0.5
                hits[split][0] += ok
                hits[split][1] += 1
                if not ok:
                    missed.append(Path(photo).name)
            t, hb = hits["tuning"], hits["heldout"]
            print(
                f"{weights:22s} {label:18s} tuning {t[0]}/{t[1]} (optimistic), held-back {hb[0]}/{hb[1]}, "
                f"all {t[0] + hb[0]}/{t[1] + hb[1]}; missed: {', '.join(missed) or '-'}"
            )


if __name__ == "__main__":
    main()
