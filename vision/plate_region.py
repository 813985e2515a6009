"""Where hyperlpr2's SSD plate detector sees plates in a vehicle crop, with every score it gives.

:func:`ssd_candidates` - its own API drops boxes under 0.5; painted plates score 0.2-0.5. It fires
strongly only when characters are visible: covered plates are found by :mod:`vision.plate_zone`.
(An edge-rectangle "rim" search that stood here was dropped: the grille's and bumper's rectangles
outscored the plate's, and the learned window classifier replaces it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vision.decode import Frame


@dataclass(frozen=True)
class PlateCandidate:
    """A possible plate region in crop pixels, with the cue that found it and its scores."""

    box: tuple[int, int, int, int]
    source: str  # "ssd"
    score: float


def load_lpr() -> Any:
    """hyperlpr2's models (its cv2.dnn nets are built from the wheel's model folder)."""
    import os

    import hyperlpr2
    from hyperlpr2 import LPR

    return LPR(os.path.join(os.path.dirname(hyperlpr2.__file__), "models"))


def ssd_candidates(lpr: Any, crop: Frame, *, min_score: float = 0.05, max_width: int = 800) -> list[PlateCandidate]:
    """hyperlpr2's SSD on ``crop`` (scaled down to ``max_width`` first), every box above ``min_score``,
    best first."""
    import cv2

    h, w = crop.shape[:2]
    scale = min(1.0, max_width / max(w, 1))
    im = cv2.resize(crop, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else crop
    rows, cols = im.shape[:2]
    means = np.array([0.485, 0.456, 0.406], np.float32)  # RGB, hyperlpr2's own normalisation
    stds = np.array([0.229, 0.224, 0.225], np.float32)
    rgb = im[:, :, ::-1].astype(np.float32) / 255.0
    tensor = ((rgb - means) / stds).transpose(2, 0, 1)[None].astype(np.float32)
    lpr.ssd_detection.setInput(tensor)
    out = lpr.ssd_detection.forward()[0, 0]
    found = []
    for det in out:
        score = float(det[2])
        if score < min_score:
            continue
        x1, y1, x2, y2 = (float(v) for v in det[3:7])
        box = (
            max(0, int(x1 * cols / scale)),
            max(0, int(y1 * rows / scale)),
            min(w - 1, int(x2 * cols / scale)),
            min(h - 1, int(y2 * rows / scale)),
        )
        if box[2] - box[0] >= 4 and box[3] - box[1] >= 2:
            found.append(PlateCandidate(box=box, source="ssd", score=round(score, 4)))
    return sorted(found, key=lambda c: -c.score)
