"""Make the demo's checkpoint clip (``checkpoint_reel.mp4``) from real vehicle photos.

    python sample_media/make_checkpoint.py [--photos ../shared/data/plates] [--out sample_media/checkpoint_reel.mp4]

A checkpoint (卡口) camera sees one vehicle at a time, close up. This clip imitates that with real
photographs whose licences allow redistribution (see README.md beside this script for the
attributions): one white sedan with a green new-energy plate (HyperLPR's street photo, Apache-2.0)
and six new cars with no plate, one of them under a temporary paper plate (CCPD's ``np`` samples,
MIT). Each photo slides across a grey road background for ``SECONDS_EACH`` seconds, with a short
empty gap between vehicles, so the motion gate, the detector and the tracker see one moving
vehicle at a time. Deterministic: the same photos give the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

W, H, FPS = 1280, 720, 10
SECONDS_EACH = 2.4
GAP_SECONDS = 0.8
PANEL_H = 560
HERE = Path(__file__).resolve().parent
#: (file under --photos, crop as fractions x0, y0, x1, y1 of the photo) in the order they pass
PHOTOS = (
    ("street/street_white_car_green_plate.jpg", (0.62, 0.28, 1.0, 0.88)),
    ("ccpd_np/np0.jpg", (0.0, 0.0, 1.0, 1.0)),
    ("ccpd_np/np1.jpg", (0.0, 0.0, 1.0, 1.0)),
    ("ccpd_np/np2.jpg", (0.0, 0.0, 1.0, 1.0)),
    ("ccpd_np/np3.jpg", (0.0, 0.0, 1.0, 1.0)),
    ("ccpd_np/np4.jpg", (0.0, 0.0, 1.0, 1.0)),
    ("ccpd_np/np5.jpg", (0.0, 0.0, 1.0, 1.0)),
)


def background() -> np.ndarray:
    """A grey road with a dashed centre line (BGR)."""
    rng = np.random.default_rng(7)
    img = np.full((H, W, 3), 96, np.uint8)
    img += rng.integers(0, 6, size=(H, W, 1), dtype=np.uint8)
    for x in range(0, W, 80):
        img[H // 2 - 3 : H // 2 + 3, x : x + 40] = 220
    return img


def panel(path: Path, crop: tuple[float, float, float, float]) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path))
    if img is None:
        raise SystemExit(f"{path}: cannot read the photo")
    h, w = img.shape[:2]
    x0, y0, x1, y1 = crop
    img = img[int(y0 * h) : int(y1 * h), int(x0 * w) : int(x1 * w)]
    scale = PANEL_H / img.shape[0]
    return cv2.resize(img, (round(img.shape[1] * scale), PANEL_H), interpolation=cv2.INTER_AREA)


def frames(photos: Path) -> list[np.ndarray]:
    bg = background()
    out: list[np.ndarray] = []
    out += [bg.copy() for _ in range(round(GAP_SECONDS * FPS))]
    for name, crop in PHOTOS:
        p = panel(photos / name, crop)
        n = round(SECONDS_EACH * FPS)
        y = (H - PANEL_H) // 2
        for i in range(n):
            # enters from the right, leaves on the left: the panel's left edge from W to -width
            x = round(W - (W + p.shape[1]) * (i + 1) / (n + 1))
            f = bg.copy()
            a, b = max(x, 0), min(x + p.shape[1], W)
            if b > a:
                f[y : y + PANEL_H, a:b] = p[:, a - x : b - x]
            out.append(f)
        out += [bg.copy() for _ in range(round(GAP_SECONDS * FPS))]
    return out


def main() -> None:
    import cv2

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=HERE.parent.parent / "shared/data/plates")
    ap.add_argument("--out", type=Path, default=HERE / "checkpoint_reel.mp4")
    args = ap.parse_args()
    writer = cv2.VideoWriter(str(args.out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for f in frames(args.photos):
        writer.write(f)
    writer.release()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
