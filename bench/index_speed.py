"""Indexing speed on real footage, three ways side by side in one run.

    python bench/index_speed.py [--video PATH] [--model WEIGHTS] [--seconds S]

1. decode only (every frame read by OpenCV),
2. the detector on every frame (no motion gate, no frame skipping): the accuracy baseline,
3. the pipeline as configured by default (adaptive detection rate + motion gate + attributes,
   plates and embeddings).
Prints × real time of each, the pipeline's speed as a ratio of the other two, and the pipeline's
track recall against the every-frame baseline: a baseline vehicle track (moving, >= 5 boxes) is
recalled when some pipeline sighting overlaps it (box IoU >= 0.3) at most of their common frames.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YOLO_OFFLINE", "1")

import numpy as np  # noqa: E402

from vision.decode import FrameReader, probe  # noqa: E402
from vision.detect import DetectorSpec, load_detector  # noqa: E402
from vision.motion import MotionConfig  # noqa: E402
from vision.pipeline import Analysers, FileResult, PipelineConfig, process_video  # noqa: E402
from vision.track import iou_matrix  # noqa: E402
from vision.types import Sighting  # noqa: E402

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", default=str(ROOT.parent / "shared/data/video/street_two_lane.mp4"))
    ap.add_argument("--model", default=str(ROOT.parent / "shared/models/yolo11n_int8.tflite"))
    ap.add_argument("--seconds", type=float, default=20.0, help="length of video to use (from the start)")
    ap.add_argument(
        "--detect-fps",
        type=float,
        nargs="+",
        default=[PipelineConfig().detect_fps],
        help="pipeline detection rates to compare (idle rate = half)",
    )
    a = ap.parse_args()

    info = probe(a.video)
    max_frames = min(info.frame_count, round(a.seconds * info.fps))
    video_s = max_frames / info.fps
    det = load_detector(DetectorSpec(weights=a.model))
    print(f"{Path(a.video).name}: {info.width}x{info.height} @ {info.fps:.1f} fps, first {video_s:.1f} s")
    print(f"detector {det.name}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")

    t0 = time.perf_counter()
    reader = FrameReader(info, max_frames=max_frames)
    for _ in reader:
        pass
    decode_s = time.perf_counter() - t0

    every = PipelineConfig(
        detect_fps=0,
        idle_fps=0,
        motion=MotionConfig(enabled=False),
        plates=False,
        embeddings=False,
        max_frames=max_frames,
    )
    base = process_video(info, camera_id="bench", start=START, detector=det, config=every)
    # models load once per worker process in real runs: load them before timing
    analysers = Analysers()
    analysers.embedder.embed([np.zeros((64, 64, 3), np.uint8)])
    analysers.plates.read(np.zeros((200, 200, 3), np.uint8))
    pipes = {
        rate: process_video(
            info,
            camera_id="bench",
            start=START,
            detector=det,
            analysers=analysers,
            config=PipelineConfig(max_frames=max_frames, detect_fps=rate, idle_fps=rate / 2),
        )
        for rate in a.detect_fps
    }

    bt = moving(base, 5)
    print(
        f"{'mode':34s} {'wall s':>7s} {'x real':>7s} {'/decode':>8s} {'/every':>7s} {'detected':>8s} "
        f"{'gated':>6s} {'tracks':>6s} {'recall':>7s}"
    )
    print(f"{'decode only':34s} {decode_s:7.2f} {video_s / decode_s:7.2f} {1.0:8.3f} {'':>7s} {0:8d}")
    s = base.stats
    print(
        f"{'detector on every frame':34s} {s.seconds:7.2f} {s.speed:7.2f} {decode_s / s.seconds:8.3f} "
        f"{1.0:7.2f} {s.frames_detected:8d} {'':>6s} {len(bt):6d} {'100%':>7s}"
    )
    for rate, pipe in pipes.items():
        s = pipe.stats
        pt = moving(pipe, 2)
        tol = PipelineConfig(detect_fps=rate).step(info.fps)
        hit = sum(recalled(b, pt, tolerance=tol) for b in bt)
        name = f"pipeline detect {rate:g}/s idle {rate / 2:g}/s"
        print(
            f"{name:34s} {s.seconds:7.2f} {s.speed:7.2f} {decode_s / s.seconds:8.3f} "
            f"{base.stats.seconds / s.seconds:7.2f} {s.frames_detected:8d} {s.gated_fraction:6.1%} "
            f"{len(pt):6d} {hit / max(len(bt), 1):7.1%}"
        )
    print("x real = video seconds per wall second; /decode, /every = pipeline speed as a ratio of the")
    print("decode-only and every-frame speeds; recall = every-frame moving tracks found by the pipeline.")


if __name__ == "__main__":
    main()
