"""Generate the synthetic test clip: coloured "vehicles" crossing a static road scene.

    python sample_media/make_sample.py [OUT.mp4] [--seed N] [--seconds S]

Deterministic for a given seed. The default output, ``sample_media/synthetic_street.mp4``
(320x240, 15 fps, 6 s, MPEG-4 Part 2), is what the tests and the demo use: four vehicles
(red, blue, white, yellow) drive across a grey road with lane markings, with ~1.3 s of empty road
at the start so motion gating has static frames to skip. Ground truth is in ``VEHICLES``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

W, H, FPS = 320, 240, 15


@dataclass(frozen=True)
class Vehicle:
    colour: str
    bgr: tuple[int, int, int]
    t0: float  # seconds when it enters
    speed: float  # pixels per second (negative = right to left)
    lane_y: int
    w: int
    h: int


VEHICLES = (
    Vehicle("red", (40, 40, 200), 1.3, 120.0, 70, 56, 30),
    Vehicle("blue", (180, 80, 30), 2.0, -110.0, 150, 60, 32),
    Vehicle("white", (235, 235, 235), 3.0, 130.0, 70, 52, 28),
    Vehicle("yellow", (40, 210, 230), 3.4, -125.0, 150, 58, 30),
)


def background(seed: int) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    img = np.full((H, W, 3), (70, 120, 60), np.uint8)  # green verge
    cv2.rectangle(img, (0, 40), (W, 200), (110, 110, 110), -1)  # road
    noise = rng.integers(-6, 7, size=(H, W, 1))
    img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    for x in range(0, W, 40):
        cv2.line(img, (x, 120), (x + 20, 120), (220, 220, 220), 2)  # dashed centre line
    return img


def box_at(v: Vehicle, t: float) -> tuple[int, int, int, int] | None:
    """Ground-truth box of ``v`` at time ``t`` (None when off screen)."""
    if t < v.t0:
        return None
    travelled = (t - v.t0) * abs(v.speed)
    x = -v.w + travelled if v.speed > 0 else W - travelled
    x1 = round(x)
    x2 = x1 + v.w
    if x2 <= 0 or x1 >= W:
        return None
    y1 = v.lane_y - v.h // 2
    return max(0, x1), y1, min(W, x2), y1 + v.h


def render(t: float, bg: np.ndarray) -> np.ndarray:
    import cv2

    img = bg.copy()
    for v in VEHICLES:
        b = box_at(v, t)
        if b is None:
            continue
        x1, y1, x2, y2 = b
        cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), v.bgr, -1)
        # a dark glass band across the upper third, like a windscreen seen from above and side
        cv2.rectangle(img, (x1 + 4, y1 + 3), (x2 - 5, y1 + (y2 - y1) // 3), (50, 45, 40), -1)
    return img


def make(out: Path, *, seed: int = 0, seconds: float = 6.0) -> Path:
    import cv2

    bg = background(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {out}")
    for i in range(int(seconds * FPS)):
        writer.write(render(i / FPS, bg))
    writer.release()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default=str(Path(__file__).with_name("synthetic_street.mp4")))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=6.0)
    a = ap.parse_args()
    print(make(Path(a.out), seed=a.seed, seconds=a.seconds))


if __name__ == "__main__":
    main()
