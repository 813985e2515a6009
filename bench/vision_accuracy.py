"""Attribute accuracy and cross-camera linking on the hand-labelled crops (tests/vision/data/vehicle_labels.csv).

    python bench/vision_accuracy.py [--data ../shared/data] [--part heldback|tuning|both] [--cache DIR]

Per attribute, a confusion matrix (rows = label by eye, columns = prediction) on the chosen part:
* type: the shipped learned head (vision.type_model) on the embedding of the padded crop, with the
  detector class recorded for that box; baseline: the old box-geometry rule. ``unsure`` labels are
  not scored.
* colour: grey-edge white balance of the frame, then the palette rule (vision.colour); baseline: the
  rule without white balance. Also with the whole frame cast 15 % warm / cool / green.
* linking: pairs of crops. Same vehicle = another crop of the same vehicle (another frame, view or
  photo), redrawn as a second camera: frame cast (cycling warm / cool / green), the crop
  down-sampled to 50 %, its plate region covered (cycling dark paint / body-colour paint / cloth).
  Different = every pair of crops of different vehicles, the second redrawn the same way. At most 4
  crops per vehicle, so a 42-crop track does not weigh 42 times a photo. Scores: cosine alone, and
  the shipped scorer (xueliang.investigate.link: cosine + type and colour agreement, weights and
  threshold chosen on the tuning part), and the re-id projection of vision.reid with the weights and
  threshold bench/train_link_projection.py chose for it by cross-validation by vehicle on the tuning
  part (not adopted: see xueliang/investigate/link.py).
Accuracy is given per crop and per vehicle (majority over its crops). The tuning figures are
optimistic: the heads and the white balance were chosen on them.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _root import ROOT

from vision.attributes import PALETTE, VEHICLE_TYPES, GeometryTypeClassifier, body_colour
from vision.augment import CASTS, COVERS, colour_cast, cover_plate, rescale
from vision.colour import balanced_colour
from vision.decode import Frame
from vision.embed import Embedder
from vision.labelled import LabelledCrop, crop_of, load_frames, read_labels
from vision.type_model import decide_type, load_type_head
from xueliang.investigate.link import (
    COLOUR_WEIGHT,
    DEFAULT_LINK_THRESHOLD,
    TYPE_WEIGHT,
    agreement,
    shipped_projection,
)

LABELS = ROOT / "tests" / "vision" / "data" / "vehicle_labels.csv"
MAX_PER_UNIT = 4
PRECISION_TARGET = 0.95


@dataclass(frozen=True)
class View:
    embedding: np.ndarray
    vehicle_type: str
    colour: str


def second_camera(frame: Frame, box: tuple[int, int, int, int], k: int) -> Frame:
    """The frame as a second camera would give it: cast, the vehicle down-sampled, its plate covered."""
    cast = colour_cast(frame, list(CASTS.values())[k % len(CASTS)])
    x1, y1, x2, y2 = box
    region = cast[y1:y2, x1:x2]
    cast[y1:y2, x1:x2] = cover_plate(rescale(region, 0.5), COVERS[k % len(COVERS)], seed=k)
    return cast


def embed_all(crops: list[Frame], emb: Embedder) -> np.ndarray:
    return np.concatenate([emb.embed(crops[i : i + 32]) for i in range(0, len(crops), 32)])


def views(
    rows: list[LabelledCrop], data: Path, cache: Path | None
) -> tuple[list[View], list[View], dict[str, list[str]]]:
    """Per crop: the view as labelled, the second-camera view, and baseline/cast colour predictions."""
    frames = load_frames(rows, data)
    head = load_type_head()
    key = np.array([r.crop for r in rows])
    file = cache / "accuracy_embeddings.npz" if cache else None
    second_frames = [second_camera(frames[(r.source, r.frame)], r.box, r.crop) for r in rows]
    if file is not None and file.exists() and np.array_equal(np.load(file)["crops"], key):
        with np.load(file) as z:
            e1, e2 = z["original"], z["second"]
    else:
        emb = Embedder(threads=1)
        e1 = embed_all([crop_of(frames[(r.source, r.frame)], r.box, 0.05) for r in rows], emb)
        e2 = embed_all([crop_of(f, r.box, 0.05) for f, r in zip(second_frames, rows, strict=True)], emb)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            np.savez(file, crops=key, original=e1, second=e2)
    first, second = [], []
    extra: dict[str, list[str]] = defaultdict(list)
    geometry = GeometryTypeClassifier()
    for i, r in enumerate(rows):
        frame = frames[(r.source, r.frame)]
        first.append(View(e1[i], decide_type(head, e1[i], r.detector_class).value, balanced_colour(frame, r.box).value))
        second.append(
            View(
                e2[i], decide_type(head, e2[i], r.detector_class).value, balanced_colour(second_frames[i], r.box).value
            )
        )
        extra["colour, no white balance"].append(body_colour(frame, r.box).value)
        extra["type, box geometry (old)"].append(geometry.classify(crop_of(frame, r.box), r.detector_class).value)
        for name, gains in CASTS.items():
            cast = colour_cast(frame, [1 + (g - 1) / 2 for g in gains])  # the 15 % casts
            extra[f"colour, {name} cast 15 %, white balance"].append(balanced_colour(cast, r.box).value)
            extra[f"colour, {name} cast 15 %, no white balance"].append(body_colour(cast, r.box).value)
    return first, second, extra


def confusion(title: str, truth: list[str], pred: list[str], units: list[str], labels: tuple[str, ...]) -> str:
    keep = [i for i, t in enumerate(truth) if t in labels]
    used = [lab for lab in labels if any(truth[i] == lab or pred[i] == lab for i in keep)]
    right = sum(truth[i] == pred[i] for i in keep)
    per_unit: dict[str, list[int]] = defaultdict(list)
    for i in keep:
        per_unit[units[i]].append(i)
    unit_right = sum(Counter(pred[i] for i in idx).most_common(1)[0][0] == truth[idx[0]] for idx in per_unit.values())
    lines = [
        f"{title}: {right}/{len(keep)} crops = {right / max(len(keep), 1):.1%}; "
        f"vehicles (majority of their crops) {unit_right}/{len(per_unit)} = {unit_right / max(len(per_unit), 1):.1%}"
    ]
    width = max(12, *(len(u) + 1 for u in used))
    lines.append("truth \\ predicted".ljust(width) + "".join(u[:11].rjust(12) for u in used))
    for t in used:
        row = [sum(1 for i in keep if truth[i] == t and pred[i] == p) for p in used]
        if sum(row):
            lines.append(t.ljust(width) + "".join(str(v).rjust(12) for v in row))
    return "\n".join(lines)


def pick(rows: list[LabelledCrop]) -> list[int]:
    """At most MAX_PER_UNIT crops per vehicle, evenly spaced over its crops."""
    by_unit: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_unit[r.unit].append(i)
    out: list[int] = []
    for idx in by_unit.values():
        k = min(MAX_PER_UNIT, len(idx))
        out += [idx[int(j)] for j in np.linspace(0, len(idx) - 1, k).round().astype(int)]
    return sorted(set(out))


def pair_scores(
    rows: list[LabelledCrop],
    first: list[View],
    second: list[View],
    wt: float,
    wc: float,
    *,
    extra: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and same-vehicle flags of the pairs (first view of one crop, second view of another);
    ``extra`` (len(rows), len(rows)) is added to the scores."""
    idx = pick(rows)
    a = np.stack([first[i].embedding for i in idx])
    b = np.stack([second[i].embedding for i in idx])
    score = a @ b.T
    if extra is not None:
        score = score + extra[np.ix_(idx, idx)]
    score = score + wt * agreement([first[i].vehicle_type for i in idx], [second[i].vehicle_type for i in idx])
    score = score + wc * agreement([first[i].colour for i in idx], [second[i].colour for i in idx])
    units = np.array([rows[i].unit for i in idx])
    same = units[:, None] == units[None, :]
    multi = Counter(units.tolist())
    eye = np.eye(len(idx), dtype=bool)
    # same vehicle: another crop of it; a vehicle with one crop pairs with its own redrawn view
    single = np.array([multi[u] == 1 for u in units])
    positive = same & (~eye | single[:, None])
    mask = positive | ~same
    return score[mask], positive[mask]


def recall_at_precision(score: np.ndarray, positive: np.ndarray, target: float) -> tuple[float, float]:
    """(threshold, recall) of the lowest threshold whose precision is at least ``target``."""
    order = np.argsort(-score, kind="stable")
    tp = np.cumsum(positive[order])
    fp = np.cumsum(~positive[order])
    precision = tp / np.maximum(tp + fp, 1)
    ok = np.flatnonzero(precision >= target)
    if ok.size == 0:
        return float("inf"), 0.0
    k = int(ok.max())
    return float(score[order][k]), float(tp[k] / max(positive.sum(), 1))


def at_threshold(score: np.ndarray, positive: np.ndarray, threshold: float) -> str:
    hit = score >= threshold
    tp = int((hit & positive).sum())
    fp = int((hit & ~positive).sum())
    p = tp / max(tp + fp, 1)
    r = tp / max(int(positive.sum()), 1)
    return f"precision {p:.1%} ({tp}/{tp + fp}), recall {r:.1%} ({tp}/{int(positive.sum())})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--part", choices=("heldback", "tuning", "both"), default="both")
    ap.add_argument("--cache", type=Path, default=None, help="keep the embeddings here between runs")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"no shared data at {args.data}: nothing to measure")
        return
    rows, problems = read_labels(LABELS)
    for p in problems:
        print(f"skipped: {p.where}: {p.message}")
    first, second, extra = views(rows, args.data, args.cache)
    parts = ("tuning", "heldback") if args.part == "both" else (args.part,)
    # linking: the shipped scorer against the re-id projection (vision.reid; projection, weights and
    # threshold refitted on the tuning part by bench/train_link_projection.py, CV by vehicle)
    proj = shipped_projection()
    projected = [proj.project(np.stack([v.embedding for v in vs])) for vs in (first, second)]
    p1 = [View(projected[0][i], v.vehicle_type, v.colour) for i, v in enumerate(first)]
    p2 = [View(projected[1][i], v.vehicle_type, v.colour) for i, v in enumerate(second)]
    for part in parts:
        idx = [i for i, r in enumerate(rows) if r.split == part]
        label = "TUNING part (optimistic: chosen on it)" if part == "tuning" else "HELD-BACK part"
        print(f"=== {label}: {len(idx)} crops, {len({rows[i].unit for i in idx})} vehicles/photos ===")
        units = [rows[i].unit for i in idx]
        types = [rows[i].vehicle_type for i in idx]
        colours = [rows[i].colour for i in idx]
        print(confusion("type, learned head", types, [first[i].vehicle_type for i in idx], units, VEHICLE_TYPES))
        print(confusion("colour, white balance + palette", colours, [first[i].colour for i in idx], units, PALETTE))
        for name, preds in extra.items():
            labels = VEHICLE_TYPES if name.startswith("type") else PALETTE
            truth = types if name.startswith("type") else colours
            text = confusion(name, truth, [preds[i] for i in idx], units, labels)
            print(text.splitlines()[0])
        sub = [rows[i] for i in idx]
        f1, f2 = [first[i] for i in idx], [second[i] for i in idx]
        scorers = {
            "cosine + type + colour (shipped)": (f1, f2, TYPE_WEIGHT, COLOUR_WEIGHT, DEFAULT_LINK_THRESHOLD),
            "re-id projection + its CV-chosen weights (not adopted)": (
                [p1[i] for i in idx],
                [p2[i] for i in idx],
                proj.type_weight,
                proj.colour_weight,
                proj.link_threshold,
            ),
        }
        for name, (a, b, wt, wc, t) in scorers.items():
            s, pos = pair_scores(sub, a, b, wt, wc)
            t0, r0 = recall_at_precision(s, pos, PRECISION_TARGET)
            print(
                f"link, {name}: {int(pos.sum())} same / {int((~pos).sum())} different pairs; at its threshold "
                f"{t:.3f}: {at_threshold(s, pos, t)}; best possible recall at precision >= 95 %: {r0:.1%} "
                f"(threshold {t0:.3f})"
            )
        print()


if __name__ == "__main__":
    main()
