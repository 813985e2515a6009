"""Refit the plate-zone window classifier (``vision/models/plate_zone.npz``) from the TUNING photos only.

    python bench/train_plate_zone.py [--seeds 2] [--out vision/models/plate_zone.npz] [--cv]

Training images: every tuning photo of tests/vision/data/plates_labels.csv cropped to its vehicle
(5 % margin, as the pipeline crops), as it is (``visible`` plate, or an unplated car), and with
``--seeds`` variants of each synthesized cover of :mod:`vision.plate_covers` (``removed`` = no
plate); each also flipped left-right and scaled down to 300 and 180 px wide vehicles. Windows
(:func:`vision.plate_zone.windows`) overlapping the labelled plate box at IoU >= 0.45 are
``visible`` or ``covered`` (by the image's cover); windows under IoU 0.2, and every window of an
unplated car or a removed plate, are ``background``: 400 at random per image, plus, after a first
fit, the 40 most plate-like background windows of each image (one round of hard-negative mining).
Classes are balanced; L2 = 0.01 on standardised features. The held-back photos are never read.

``--cv`` also runs a 4-fold cross-validation by photo on the tuning photos and prints, per threshold on
the best ``covered`` window's probability, the share of hidden plates called covered / absent
correctly (each photo scored by a head fitted without it; still the tuning part). It takes about ten
fits; this session's machine was too loaded to finish it, so ``PlateConfig.zone_covered`` is the
plain 0.5 and the ``zone`` entries of ``STATE_CONFIDENCE`` come from ``bench/plate_state.py``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from _root import ROOT

os.environ.setdefault("YOLO_OFFLINE", "1")

import cv2
import numpy as np
import numpy.typing as npt

from vision.labelled import crop_of
from vision.linear_head import LinearHead, fit_head
from vision.plate_covers import COVERS, apply_cover
from vision.plate_zone import ZONE_LABELS, windows
from vision.track import iou_matrix

LABELS = ROOT / "tests" / "vision" / "data" / "plates_labels.csv"
DATA = ROOT.parent / "shared" / "data"
HEAD_NAME = "plate-zone-v1"
L2 = 1e-2
POS_IOU, NEG_IOU = 0.45, 0.2
N_RANDOM, N_HARD = 400, 40
SMALL_WIDTHS = (300, 180)
FOLDS = 4


@dataclass(frozen=True)
class Example:
    """One training image: its photo, cover, state, and windows with their labels."""

    photo: str
    cover: str
    state: str  # visible / covered / absent (the vehicle's truth)
    boxes: npt.NDArray[np.int64]
    features: npt.NDArray[np.float32]
    labels: npt.NDArray[np.int64]  # index into ZONE_LABELS, -1 = ambiguous (not used)


def vehicle_box(row: dict[str, str]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (int(row[k]) for k in ("vehicle_x1", "vehicle_y1", "vehicle_x2", "vehicle_y2"))
    return x1, y1, x2, y2


def variants(row: dict[str, str], seeds: int) -> Iterator[tuple[str, str, npt.NDArray[np.uint8]]]:
    """(cover, state, full image) of one photo: the original and its synthesized covers."""
    img = np.asarray(cv2.imread(str(DATA / row["photo"])), np.uint8)
    yield "original", row["state"], img
    if row["state"] != "visible":
        return
    box = tuple(int(row[k]) for k in ("plate_x1", "plate_y1", "plate_x2", "plate_y2"))
    for cover in COVERS:
        for s in range(seeds):
            # different seeds from bench/plate_state.py's ("|train" in the key)
            seed = zlib.crc32(f"{row['photo']}|{cover}|{s}|train".encode())
            res = apply_cover(img, box, cover, seed=seed)  # type: ignore[arg-type]
            yield cover, res.state, res.image


def augmented(
    crop: npt.NDArray[np.uint8], plate: npt.NDArray[np.float64] | None
) -> Iterator[tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64] | None]]:
    """The crop as it is, flipped left-right, and scaled down to a small vehicle; the plate box follows."""
    h, w = crop.shape[:2]
    yield crop, plate
    flipped = None if plate is None else np.array([[w - plate[0, 2], plate[0, 1], w - plate[0, 0], plate[0, 3]]])
    yield np.ascontiguousarray(crop[:, ::-1]), flipped
    for width in SMALL_WIDTHS:
        if w > width * 1.2:
            f = width / w
            small = cv2.resize(crop, (width, max(16, round(h * f))), interpolation=cv2.INTER_AREA)
            yield np.asarray(small, np.uint8), None if plate is None else plate * f


def examples(rows: list[dict[str, str]], seeds: int) -> list[Example]:
    out = []
    for row in rows:
        vx1, vy1, vx2, vy2 = vehicle_box(row)
        px, py = 0.05 * (vx2 - vx1), 0.05 * (vy2 - vy1)
        ox, oy = max(0, int(vx1 - px)), max(0, int(vy1 - py))
        plate = None
        if row["state"] == "visible":
            plate = np.array([[float(row[k]) for k in ("plate_x1", "plate_y1", "plate_x2", "plate_y2")]])
            plate -= np.array([ox, oy, ox, oy])
        for cover, state, img in variants(row, seeds):
            crop = np.asarray(crop_of(img, vehicle_box(row), 0.05), np.uint8)
            for image, pbox in augmented(crop, plate if state != "absent" else None):
                win = windows(image)
                labels = np.zeros(len(win.boxes), np.int64)
                if pbox is not None:
                    iou = iou_matrix(win.boxes.astype(np.float64), pbox)[:, 0]
                    labels[iou >= POS_IOU] = ZONE_LABELS.index("visible" if state == "visible" else "covered")
                    labels[(iou >= NEG_IOU) & (iou < POS_IOU)] = -1
                out.append(Example(row["photo"], cover, state, win.boxes, win.features, labels))
    return out


def training_rows(
    exs: list[Example], head: LinearHead | None, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], list[str]]:
    xs, ys = [], []
    for ex in exs:
        pos = np.flatnonzero(ex.labels > 0)
        neg = np.flatnonzero(ex.labels == 0)
        take = list(pos) + list(rng.choice(neg, size=min(N_RANDOM, len(neg)), replace=False))
        if head is not None and len(neg):
            p = head.proba(ex.features[neg])
            worst = np.argsort(-(1 - p[:, 0]))[:N_HARD]
            take += list(neg[worst])
        xs.append(ex.features[take])
        ys += [ZONE_LABELS[int(ex.labels[i])] for i in take]
    return np.concatenate(xs), ys


def fit(exs: list[Example], seed: int = 0) -> LinearHead:
    rng = np.random.default_rng(seed)
    head = None
    for _ in range(2):  # a first fit, then one round with the hard negatives it finds
        x, y = training_rows(exs, head, rng)
        counts = {lab: y.count(lab) for lab in ZONE_LABELS}
        w = np.array([1.0 / counts[v] for v in y])
        head = fit_head(x, y, labels=ZONE_LABELS, name=HEAD_NAME, l2=L2, sample_weight=w)
    assert head is not None
    return head


def best(head: LinearHead, ex: Example) -> tuple[float, float]:
    """The best window's probability of ``covered`` and of ``visible``."""
    p = head.proba(ex.features)
    return float(p[:, 2].max()), float(p[:, 1].max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "vision" / "models" / "plate_zone.npz"))
    ap.add_argument("--cv", action="store_true")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"skipped: {DATA} not found (the shared photos)")
    rows = [r for r in csv.DictReader(LABELS.open(encoding="utf-8")) if r["split"] == "tuning"]
    exs = examples(rows, args.seeds)
    print(f"{len(rows)} tuning photos, {len(exs)} training images, {sum(len(e.boxes) for e in exs)} windows")
    if args.cv:
        scored: list[tuple[str, str, float, float]] = []
        photos = sorted({e.photo for e in exs})
        for k in range(FOLDS):
            out = set(photos[k::FOLDS])
            head = fit([e for e in exs if e.photo not in out])
            scored += [(e.cover, e.state, *best(head, e)) for e in exs if e.photo in out]
        for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            cov = [c >= t for cover, s, c, _ in scored if s == "covered"]
            ab = [c < t for cover, s, c, _ in scored if s == "absent"]
            print(
                f"  covered if p >= {t:.1f}: covered {np.mean(cov):.1%} of {len(cov)}, "
                f"absent {np.mean(ab):.1%} of {len(ab)}"
            )
        for cover in ("original", *COVERS):
            ps = [c for cv, _, c, _ in scored if cv == cover]
            print(f"  {cover:10s} p(covered) median {np.median(ps):.2f}, min {min(ps):.2f}, max {max(ps):.2f}")
    head = fit(exs)
    head.save(Path(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
