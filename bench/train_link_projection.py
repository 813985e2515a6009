"""Refit the re-id projection and link settings (``vision/models/link_projection.npz``) from the TUNING part only.

    python bench/train_link_projection.py [--data ../shared/data] [--out FILE.npz] [--cache DIR]

1. Views: every tuning crop (padded 5 % as the pipeline pads it) as labelled, flipped, cast warm /
   cool / green, down-scaled to 35 %, blurred (sigma 2), cropped 8 % tighter, with its plate covered
   (dark paint / body-colour paint / cloth, cycling), and redrawn as a second camera
   (``bench/vision_accuracy.second_camera``: cast, down-sampled, plate covered) and that flipped.
2. The projection (:mod:`vision.reid`): PCA to DIM components, within-vehicle whitening (RIDGE).
   DIM/RIDGE chosen by 3-fold cross-validation by vehicle inside the tuning part (recall at precision
   >= 95 % of the pairs below): raw cosine 8.3 %; 16/0.1: 15.3 %; 32/0.1: 17.4 %; 32/0.3: 16.0 %.
3. Link settings: pairs as ``bench/vision_accuracy.py`` makes them (a crop as labelled against the
   second-camera view of another crop; same vehicle or not), scored with the projection refitted
   WITHOUT the scored fold's vehicles (3 folds by vehicle); the type and colour weights (grid) and the
   threshold with the highest recall at precision >= 95 % on those out-of-fold scores are stored.
The held-back part is never read here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _root import ROOT
from train_type_head import refit_arguments
from vision_accuracy import pair_scores, recall_at_precision, second_camera

from vision.augment import CASTS, COVERS, colour_cast, cover_plate, flip, rescale
from vision.colour import balanced_colour
from vision.decode import Frame
from vision.embed import Embedder
from vision.labelled import LabelledCrop, crop_of, load_frames
from vision.reid import ReidProjection, fit_projection
from vision.type_model import decide_type, load_type_head
from xueliang.investigate.link import agreement

LABELS = ROOT / "tests" / "vision" / "data" / "vehicle_labels.csv"
VIEWS = ("orig", "flip", "warm", "cool", "green", "scale", "cover", "blur", "crop", "sec", "secflip")
DIM, RIDGE = 32, 0.1
FOLDS = 3
NAME = "reid-wccn-v1"
PRECISION_TARGET = 0.95


def view(kind: str, crop: Frame, second: Frame, k: int) -> Frame:
    import cv2

    if kind == "flip":
        return flip(crop)
    if kind in CASTS:
        return colour_cast(crop, CASTS[kind])
    if kind == "scale":
        return rescale(crop, 0.35)
    if kind == "cover":
        return cover_plate(crop, COVERS[k % len(COVERS)], seed=k)
    if kind == "blur":
        return np.asarray(cv2.GaussianBlur(crop, (0, 0), 2.0), dtype=np.uint8)
    if kind == "crop":
        h, w = crop.shape[:2]
        return crop[int(0.08 * h) : int(0.92 * h) + 1, int(0.08 * w) : int(0.92 * w) + 1]
    if kind == "sec":
        return second
    if kind == "secflip":
        return flip(second)
    return crop


def embeddings(
    rows: list[LabelledCrop], frames: dict[tuple[str, int], Frame], cache: Path | None
) -> dict[str, np.ndarray]:
    file = cache / "link_tuning_embeddings.npz" if cache else None
    key = np.array([r.crop for r in rows])
    if file is not None and file.exists():
        with np.load(file) as z:
            if np.array_equal(z["crops"], key):
                return {k: z[k] for k in VIEWS}
    crops = [crop_of(frames[(r.source, r.frame)], r.box, 0.05) for r in rows]
    seconds = [crop_of(second_camera(frames[(r.source, r.frame)], r.box, r.crop), r.box, 0.05) for r in rows]
    emb = Embedder(threads=2)
    out: dict[str, np.ndarray] = {}
    for kind in VIEWS:
        imgs = [view(kind, c, s, r.crop) for c, s, r in zip(crops, seconds, rows, strict=True)]
        out[kind] = np.concatenate([emb.embed(imgs[i : i + 32]) for i in range(0, len(imgs), 32)])
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(file, crops=key, **out)  # type: ignore[arg-type]
    return out


def fit(rows: list[LabelledCrop], emb: dict[str, np.ndarray], keep: np.ndarray) -> ReidProjection:
    x = np.vstack([emb[k][keep] for k in VIEWS])
    groups = [rows[i].unit for i in np.flatnonzero(keep)] * len(VIEWS)
    return fit_projection(x, groups, dim=DIM, ridge=RIDGE, name=NAME)


def main() -> None:
    args, rows = refit_arguments(__doc__ or "", "link_projection.npz")
    frames = load_frames(rows, args.data)
    emb = embeddings(rows, frames, args.cache)
    head = load_type_head()
    types = [decide_type(head, emb["orig"][i], r.detector_class).value for i, r in enumerate(rows)]
    types2 = [decide_type(head, emb["sec"][i], r.detector_class).value for i, r in enumerate(rows)]
    colours = [balanced_colour(frames[(r.source, r.frame)], r.box).value for r in rows]
    colours2 = [balanced_colour(second_camera(frames[(r.source, r.frame)], r.box, r.crop), r.box).value for r in rows]
    units = sorted({r.unit for r in rows})
    order = np.random.default_rng(0).permutation(len(units))
    fold_of = {units[j]: k % FOLDS for k, j in enumerate(order)}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for f in range(FOLDS):
        inside = np.array([fold_of[r.unit] == f for r in rows])
        proj = fit(rows, emb, ~inside)
        idx = np.flatnonzero(inside)
        sub = [rows[i] for i in idx]
        a, b = proj.project(emb["orig"][idx]), proj.project(emb["sec"][idx])
        ta = agreement([types[i] for i in idx], [types2[i] for i in idx])
        ca = agreement([colours[i] for i in idx], [colours2[i] for i in idx])
        # the cosine and the two agreements of each pair, kept apart to try the weights
        s0, pos = _pairs(sub, a, b, np.zeros_like(ta))
        st, _ = _pairs(sub, a, b, ta)
        sc, _ = _pairs(sub, a, b, ca)
        parts.append((s0, st - s0, sc - s0, pos))
    cos = np.concatenate([p[0] for p in parts])
    tag = np.concatenate([p[1] for p in parts])
    cag = np.concatenate([p[2] for p in parts])
    pos = np.concatenate([p[3] for p in parts])
    best = (-1.0, 0.0, 0.0, float("inf"))
    for wt in (0.0, 0.05, 0.1, 0.2):
        for wc in (0.0, 0.05, 0.1, 0.2, 0.3):
            thr, rec = recall_at_precision(cos + wt * tag + wc * cag, pos, PRECISION_TARGET)
            print(f"out-of-fold tuning pairs, type weight {wt}, colour weight {wc}: recall {rec:.1%} at {thr:.3f}")
            if rec > best[0]:
                best = (rec, wt, wc, thr)
    rec, wt, wc, thr = best
    thr0, rec0 = recall_at_precision(cos, pos, PRECISION_TARGET)
    print(f"projection alone: recall {rec0:.1%} at {thr0:.3f}")
    print(f"chosen: type weight {wt}, colour weight {wc}, threshold {thr:.3f} (out-of-fold recall {rec:.1%})")
    final = fit(rows, emb, np.ones(len(rows), dtype=bool)).with_link(round(thr, 3), wt, wc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    final.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), {len(rows)} tuning crops x {len(VIEWS)} views")


def _pairs(sub: list[LabelledCrop], a: np.ndarray, b: np.ndarray, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pair_scores over precomputed projected vectors: cosine plus ``extra`` (an agreement matrix)."""
    from vision_accuracy import View

    first = [View(a[i], "", "") for i in range(len(sub))]
    second = [View(b[i], "", "") for i in range(len(sub))]
    return pair_scores(sub, first, second, 0.0, 0.0, extra=extra)


if __name__ == "__main__":
    main()
