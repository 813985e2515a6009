"""Indexing speed on real footage, side by side in one run.

    python bench/index_speed.py [--video PATH] [--model WEIGHTS] [--seconds S] [--long-seconds S]

For the street clip and for a longer 25 fps clip made from it (forwards, backwards, forwards...,
re-timed to 25 fps, written to a temporary folder; ``--long-seconds 0`` skips it):

1. decode only (every frame read by OpenCV): the floor no indexer can beat,
2. the baseline a competent user would write: the detector on every frame (no motion gate, no
   frame skipping), with the SAME batching (two frames per detector call), the same thread count
   and the same attributes (colour, type, plates, embeddings) as the pipeline,
3. the pipeline (adaptive detection rate + motion gate + attributes, plates and embeddings) with
   the detector on Ultralytics' own thread count (cpu_count - 1), one frame per detector call,
4. the same with the detector on every core (``DetectorSpec.threads``, the default),
5. the same with two frames per detector call (``PipelineConfig.frames_per_call``, the default).
Prints × real time of each and the pipelines' speed as a ratio of the others, and two recalls:
``hand`` = the hand-counted moving vehicles (``--labels``: tests/vision/data/street_labels.csv for
the street clip, intel_labels.csv for the intel clip) that some moving sighting covers (a point
at most one detection step from a labelled frame, box IoU >= 0.3), with ``split`` = vehicles
covered by more than one sighting; ``vs every`` = the every-frame baseline's moving tracks
(>= 5 boxes) that the pipeline also found. The long clip (the street clip played forwards and
backwards) has no hand labels: only ``vs every``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

from _root import ROOT

os.environ.setdefault("YOLO_OFFLINE", "1")

import numpy as np

from vision.decode import FrameReader, probe
from vision.detect import DetectorSpec, load_detector
from vision.motion import MotionConfig
from vision.pipeline import Analysers, FileResult, PipelineConfig, process_video
from vision.track import iou_matrix
from vision.types import Sighting

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class HandLabel:
    """One hand-labelled vehicle at one frame (box centre and size, pixels)."""

    vehicle: int
    frame: int
    box: np.ndarray


def read_labels(path: Path) -> list[HandLabel]:
    with path.open(encoding="utf-8") as f:
        return [
            HandLabel(
                int(r["vehicle"]),
                int(r["frame"]),
                np.array(
                    [
                        float(r["cx"]) - float(r["w"]) / 2,
                        float(r["cy"]) - float(r["h"]) / 2,
                        float(r["cx"]) + float(r["w"]) / 2,
                        float(r["cy"]) + float(r["h"]) / 2,
                    ]
                ),
            )
            for r in csv.DictReader(f)
        ]


def hand_recall(labels: list[HandLabel], sightings: tuple[Sighting, ...], tolerance: int) -> tuple[int, int, int]:
    """(vehicles covered, vehicles labelled, vehicles covered by more than one sighting)."""
    covering: dict[int, set[int]] = {}
    for lab in labels:
        for s in sightings:
            for p in s.points:
                if abs(p.frame - lab.frame) <= tolerance:
                    box = np.array([[p.x1, p.y1, p.x2, p.y2]])
                    if iou_matrix(box, lab.box[None])[0, 0] >= 0.3:
                        covering.setdefault(lab.vehicle, set()).add(s.track_id)
                        break
    vehicles = {lab.vehicle for lab in labels}
    return len(covering), len(vehicles), sum(len(v) > 1 for v in covering.values())


def boxes(s: Sighting) -> dict[int, np.ndarray]:
    return {p.frame: np.array([p.x1, p.y1, p.x2, p.y2]) for p in s.points}


def recalled(base: Sighting, candidates: tuple[Sighting, ...], tolerance: int) -> bool:
    b = boxes(base)
    frames = np.array(sorted(b))
    for c in candidates:
        hits = total = 0
        for f, box in boxes(c).items():
            near = frames[np.abs(frames - f) <= tolerance]
            if len(near) == 0:
                continue
            total += 1
            nearest = int(near[np.argmin(np.abs(near - f))])
            hits += iou_matrix(box[None], b[nearest][None])[0, 0] >= 0.3
        if total and hits / total >= 0.5:
            return True
    return False


def moving(r: FileResult, min_points: int) -> tuple[Sighting, ...]:
    return tuple(s for s in r.sightings if s.direction != "stationary" and len(s.points) >= min_points)


def make_long_clip(src: str, dst: Path, seconds: float, fps: float = 25.0) -> None:
    """The source clip forwards, backwards, forwards... until ``seconds`` of video at ``fps``."""
    import cv2

    cap = cv2.VideoCapture(src)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(dst), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    total, k = round(seconds * fps), 0
    while k < total:
        for f in frames if (k // len(frames)) % 2 == 0 else frames[::-1]:
            if k >= total:
                break
            out.write(f)
            k += 1
    out.release()


def bench_clip(
    path: str, seconds: float, model: str, rates: list[float], analysers: Analysers, labels: list[HandLabel] | None
) -> None:
    info = probe(path)
    max_frames = min(info.frame_count, round(seconds * info.fps))
    video_s = max_frames / info.fps
    cores = os.cpu_count() or 1
    ours = load_detector(DetectorSpec(weights=model))
    theirs = load_detector(DetectorSpec(weights=model, threads=max(1, cores - 1)))
    print(f"\n{Path(path).name}: {info.width}x{info.height} @ {info.fps:.1f} fps, first {video_s:.1f} s")
    print(f"detector {ours.name}; {cores} CPUs; load average {os.getloadavg()[0]:.2f}")

    t0 = time.perf_counter()
    reader = FrameReader(info, max_frames=max_frames)
    for _ in reader:
        pass
    decode_s = time.perf_counter() - t0

    every = PipelineConfig(
        detect_fps=0,
        idle_fps=0,
        motion=MotionConfig(enabled=False),
        max_frames=max_frames,
        frames_per_call=2,  # the same batching and attributes as the pipeline
    )
    base = process_video(info, camera_id="bench", start=START, detector=ours, analysers=analysers, config=every)
    runs = {}
    for rate in rates:
        modes = (
            (f"{theirs.threads} thread, 1 frame/call", theirs, 1),  # type: ignore[attr-defined]
            (f"{ours.threads} threads, 1 frame/call", ours, 1),  # type: ignore[attr-defined]
            (f"{ours.threads} threads, 2 frames/call", ours, 2),  # type: ignore[attr-defined]
        )
        for label, det, per_call in modes:
            cfg = PipelineConfig(max_frames=max_frames, detect_fps=rate, idle_fps=rate / 2, frames_per_call=per_call)
            runs[f"{rate:g}/s, {label}"] = (
                rate,
                process_video(info, camera_id="bench", start=START, detector=det, analysers=analysers, config=cfg),
            )

    bt = moving(base, 5)
    print(
        f"{'mode':40s} {'wall s':>7s} {'x real':>7s} {'/decode':>8s} {'/every':>7s} {'detected':>8s} "
        f"{'gated':>6s} {'tracks':>6s} {'vs every':>8s} {'hand':>7s} {'split':>5s}"
    )

    def hand(r: FileResult, tol: int) -> str:
        if not labels:
            return f"{'n/a':>7s} {'':>5s}"
        got, n, split = hand_recall(labels, moving(r, 2), tol)
        return f"{got:3d}/{n:<3d} {split:5d}"

    print(f"{'decode only':40s} {decode_s:7.2f} {video_s / decode_s:7.2f} {1.0:8.3f} {'':>7s} {0:8d}")
    st = base.stats
    print(
        f"{'detector on every frame':40s} {st.seconds:7.2f} {st.speed:7.2f} {decode_s / st.seconds:8.3f} "
        f"{1.0:7.2f} {st.frames_detected:8d} {'':>6s} {len(bt):6d} {'100%':>8s} {hand(base, 1)}"
    )
    for name, (rate, pipe) in runs.items():
        st = pipe.stats
        pt = moving(pipe, 2)
        tol = PipelineConfig(detect_fps=rate).step(info.fps)
        hit = sum(recalled(b, pt, tolerance=tol) for b in bt)
        print(
            f"{name:40s} {st.seconds:7.2f} {st.speed:7.2f} {decode_s / st.seconds:8.3f} "
            f"{base.stats.seconds / st.seconds:7.2f} {st.frames_detected:8d} {st.gated_fraction:6.1%} "
            f"{len(pt):6d} {hit / max(len(bt), 1):8.1%} {hand(pipe, tol)}"
        )
    names = list(runs)
    for k in range(0, len(names), 3):
        one, threads, tiled = (runs[n][1].stats.seconds for n in names[k : k + 3])
        print(
            f"pipeline {names[k].split(',')[0]}: speed-up from the thread count {one / threads:.2f}x, "
            f"from 2 frames per call {threads / tiled:.2f}x, both {one / tiled:.2f}x"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", default=str(ROOT.parent / "shared/data/video/street_two_lane.mp4"))
    ap.add_argument("--model", default=str(ROOT.parent / "shared/models/yolo11n_int8.tflite"))
    ap.add_argument("--seconds", type=float, default=40.0, help="length of --video to use (from the start)")
    ap.add_argument(
        "--labels",
        default=str(ROOT / "tests/vision/data/street_labels.csv"),
        help="hand-counted vehicles of --video (CSV vehicle,frame,cx,cy,w,h,...); '' = none",
    )
    ap.add_argument("--long-seconds", type=float, default=120.0, help="length of the 25 fps clip (0 = skip)")
    ap.add_argument(
        "--detect-fps",
        type=float,
        nargs="+",
        default=[PipelineConfig().detect_fps],
        help="pipeline detection rates to compare (idle rate = half)",
    )
    a = ap.parse_args()
    # models load once per worker process in real runs: load them before timing
    analysers = Analysers()
    analysers.embedder.embed([np.zeros((64, 64, 3), np.uint8)])
    analysers.plates.read(np.zeros((200, 200, 3), np.uint8))
    labels = read_labels(Path(a.labels)) if a.labels else None
    bench_clip(a.video, a.seconds, a.model, a.detect_fps, analysers, labels)
    if a.long_seconds > 0:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            long_clip = Path(tmp) / f"{Path(a.video).stem}_25fps_long.mp4"
            make_long_clip(a.video, long_clip, a.long_seconds)
            bench_clip(str(long_clip), a.long_seconds, a.model, a.detect_fps, analysers, None)
    print("\nx real = video seconds per wall second; /decode, /every = speed as a ratio of the decode-only and")
    print("every-frame speeds; vs every = every-frame moving tracks found by the pipeline; hand = hand-counted")
    print("moving vehicles found, split = of those, found as more than one sighting.")


if __name__ == "__main__":
    main()
