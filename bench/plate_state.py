"""Plate state and text on real plate photos with synthesized covers (tests/vision/data/plates_labels.csv).

    python bench/plate_state.py [--split tuning|heldout] [--seeds 3] [--scale 1.0]

Each labelled photo is cropped to its vehicle box (5 % margin, as the pipeline does). A plated
photo gives its original (``visible``) plus ``--seeds`` variants of each cover of
:mod:`vision.plate_covers` (``covered``; ``removed`` = ``absent``); a photo of an unplated car gives
itself (``absent``). ``--scale`` shrinks every vehicle crop first (small vehicles on the tuning
part); the hidden-plate targets are also printed leaving out the crops under
``PlateConfig.min_vehicle_width``, which read ``unknown``. The split is by photo, fixed in the
labels file: tune on ``tuning``, score ``heldout`` once at the end. Prints the targets of issue 12
and the confusion matrix, and the share of correct states per deciding branch (what
``vision.plates.STATE_CONFIDENCE`` holds).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import zlib
from collections import Counter

from _root import ROOT

os.environ.setdefault("YOLO_OFFLINE", "1")

import cv2
import numpy as np
import numpy.typing as npt

from vision.decode import crop_of
from vision.plate_covers import COVERS, apply_cover
from vision.plates import STATE_CONFIDENCE, PlateReader, consistent, normalise_plate

LABELS = ROOT / "tests" / "vision" / "data" / "plates_labels.csv"
DATA = ROOT.parent / "shared" / "data"
STATES = ("visible", "covered", "absent", "unknown")


def vehicle_crop(img: npt.NDArray[np.uint8], row: dict[str, str]) -> npt.NDArray[np.uint8]:
    """The labelled vehicle with a 5 % margin, as the pipeline crops it."""
    return crop_of(img, [float(row[k]) for k in ("vehicle_x1", "vehicle_y1", "vehicle_x2", "vehicle_y2")], 0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("tuning", "heldout"), default="tuning")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="scale every vehicle crop by this first")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"skipped: {DATA} not found (the shared photos)")
    rows = [r for r in csv.DictReader(LABELS.open(encoding="utf-8")) if r["split"] == args.split]
    reader = PlateReader()
    branch_of = {v: k for k, v in STATE_CONFIDENCE.items()}
    confusion: Counter[tuple[str, str]] = Counter()
    branches: Counter[tuple[str, bool]] = Counter()
    by_cover: Counter[tuple[str, str]] = Counter()
    small: Counter[tuple[str, str]] = Counter()  # confusion on crops narrower than min_vehicle_width
    invented = hidden = exact = wide = 0
    for row in rows:
        img = np.asarray(cv2.imread(str(DATA / row["photo"])), np.uint8)
        cases: list[tuple[str, str, npt.NDArray[np.uint8]]] = [("original", row["state"], img)]
        if row["state"] == "visible":
            box = tuple(int(row[k]) for k in ("plate_x1", "plate_y1", "plate_x2", "plate_y2"))
            for cover in COVERS:
                for s in range(args.seeds):
                    seed = zlib.crc32(f"{row['photo']}|{cover}|{s}".encode())
                    res = apply_cover(img, box, cover, seed=seed)  # type: ignore[arg-type]
                    cases.append((cover, res.state, res.image))
        for cover, truth, image in cases:
            crop = vehicle_crop(image, row)
            if args.scale != 1.0:
                crop = np.asarray(cv2.resize(crop, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_AREA))
            r = reader.read(crop)
            confusion[(truth, r.state)] += 1
            if crop.shape[1] < reader.config.min_vehicle_width:
                small[(truth, r.state)] += 1
            by_cover[(cover, r.state)] += 1
            branch = branch_of.get(r.state_confidence, "other")
            branches[(branch, r.state == truth)] += 1
            true_text = row["plate_text"]
            if truth != "visible":
                hidden += 1
                if r.text and (normalise_plate(r.text) or not consistent(r.text, true_text)):
                    invented += 1
            elif cover == "original":
                plate_w = int(row["plate_x2"]) - int(row["plate_x1"])
                if plate_w >= 70:
                    wide += 1
                    got = normalise_plate(r.text or "")
                    exact += got == true_text
                    if got != true_text:
                        print(f"  text: {row['photo']}: expected {true_text}, got {r.text} ({r.state})")
    print(f"split {args.split}: {len(rows)} photos, {sum(confusion.values())} cases")

    def share(num: int, den: int) -> str:
        return f"{num}/{den} = {num / den:.1%}" if den else "n/a"

    hidden_ok = sum(confusion[(t, p)] for t in ("covered", "absent") for p in ("covered", "absent"))
    print("hidden plates found as covered-or-absent:", share(hidden_ok, hidden))
    small_hidden = sum(v for (t, _), v in small.items() if t != "visible")
    small_ok = sum(small[(t, p)] for t in ("covered", "absent") for p in ("covered", "absent"))
    print(
        f"  leaving out the {small_hidden} hidden cases under {reader.config.min_vehicle_width} px wide "
        f"(read unknown): {share(hidden_ok - small_ok, hidden - small_hidden)}"
    )
    cov = sum(v for (t, _), v in confusion.items() if t == "covered")
    print("covered where a cover is visible:", share(confusion[("covered", "covered")], cov))
    small_cov = sum(v for (t, _), v in small.items() if t == "covered")
    big_cov_ok = confusion[("covered", "covered")] - small[("covered", "covered")]
    print(f"  leaving out the small ones: {share(big_cov_ok, cov - small_cov)}")
    ab = sum(v for (t, _), v in confusion.items() if t == "absent")
    print("absent where the plate is gone:", share(confusion[("absent", "absent")], ab))
    print("invented text on hidden plates:", share(invented, hidden))
    print("plate text exact (plates >= 70 px wide):", share(exact, wide))
    print("\nconfusion (rows truth, columns state):")
    print(f"{'':10s}" + "".join(f"{s:>9s}" for s in STATES))
    for t in STATES[:3]:
        print(f"{t:10s}" + "".join(f"{confusion[(t, p)]:9d}" for p in STATES))
    print("\nby cover:")
    for c in ("original", *COVERS):
        print(f"  {c:11s}" + "".join(f"{s}={by_cover[(c, s)]:<4d}" for s in STATES))
    print("\nshare of correct states per deciding branch:")
    for b in (*STATE_CONFIDENCE, "other"):
        n = branches[(b, True)] + branches[(b, False)]
        if n:
            print(f"  {b:12s} {share(branches[(b, True)], n)}")


if __name__ == "__main__":
    main()
