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
from vision.pipeline import FileResult, PipelineConfig, process_video  # noqa: E402
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
    pipe = process_video(
        info, camera_id="bench", start=START, detector=det, config=PipelineConfig(max_frames=max_frames)
    )

    rows = [
        ("decode only", decode_s, max_frames, 0),
        (
            "detector on every frame",
            base.stats.seconds,
            base.stats.frames_decoded,
            base.stats.frames_detected,
        ),
        ("pipeline (default)", pipe.stats.seconds, pipe.stats.frames_decoded, pipe.stats.frames_detected),
    ]
    print(f"{'mode':28s} {'wall s':>8s} {'x real time':>12s} {'decoded':>8s} {'detected':>9s}")
    for name, secs, dec, dets in rows:
        print(f"{name:28s} {secs:8.2f} {video_s / secs:12.2f} {dec:8d} {dets:9d}")
    step = PipelineConfig().step(info.fps)
    bt = moving(base, 5)
    pt = moving(pipe, 2)
    hit = sum(recalled(b, pt, tolerance=step) for b in bt)
    print(f"pipeline speed / decode-only speed: {decode_s / pipe.stats.seconds:.3f}")
    print(f"pipeline speed / every-frame speed: {base.stats.seconds / pipe.stats.seconds:.2f}")
    print(f"gated fraction (of scheduled frames): {pipe.stats.gated_fraction:.1%}")
    print(
        f"moving tracks: every-frame {len(bt)}, pipeline {len(pt)}; "
        f"track recall vs every-frame: {hit}/{len(bt)} = {hit / max(len(bt), 1):.1%}"
    )


if __name__ == "__main__":
    main()
