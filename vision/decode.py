"""Open a video with OpenCV: hash it, probe its stream, iterate its frames; fail loudly on bad input."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vision.types import VideoInfo
from xueliang.errors import InputError
from xueliang.storage.files import sha256_file

Frame = npt.NDArray[np.uint8]


def crop_of(frame: Frame, box: Sequence[float] | npt.NDArray[np.floating[Any]], pad: float = 0.0) -> Frame:
    """The box (x1, y1, x2, y2) of ``frame`` widened by ``pad`` of its size on each side, clipped to
    the frame (a view, not a copy)."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    px, py = pad * (x2 - x1), pad * (y2 - y1)
    return frame[max(0, int(y1 - py)) : min(h, int(y2 + py)), max(0, int(x1 - px)) : min(w, int(x2 + px))]


#: A file that decodes to fewer than this share of the frames its header announces is truncated.
MIN_DECODED_SHARE = 0.95


class VideoError(InputError):
    """A file that is not a readable video (missing, not a video, corrupt or truncated)."""


def probe(path: str | Path, *, sha256: str | None = None) -> VideoInfo:
    """Hash the file and read fps, frame count and size; the first frame must decode."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise VideoError(str(p), "no such file")
    digest = sha256 or sha256_file(p)
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise VideoError(str(p), "not a readable video (OpenCV could not open it)")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        ok, frame = cap.read()
        if not ok or frame is None:
            raise VideoError(str(p), "not a readable video (no frame decodes)")
    finally:
        cap.release()
    if not 0 < fps <= 1000:
        raise VideoError(str(p), f"frame rate: expected 0-1000 fps, got {fps}", field="fps")
    if width <= 0 or height <= 0:
        raise VideoError(str(p), f"frame size: expected positive, got {width}x{height}")
    return VideoInfo(
        path=str(p),
        sha256=digest,
        size_bytes=p.stat().st_size,
        fps=fps,
        frame_count=count,
        width=width,
        height=height,
    )


@dataclass
class FrameReader:
    """Iterate ``(index, frame)`` over a probed video; after the loop, ``decoded`` is the frame count.

    Raises :class:`VideoError` at the end when the file stops well short of its announced length.
    ``max_frames`` limits how much is read (tests, benchmarks); ``step`` > 1 yields every step-th frame.
    """

    info: VideoInfo
    max_frames: int | None = None
    #: yield every ``step``-th frame only; the others are grabbed (decoded, not converted)
    step: int = 1
    decoded: int = 0

    def __iter__(self) -> Iterator[tuple[int, Frame]]:
        import cv2

        cap = cv2.VideoCapture(self.info.path)
        try:
            limit = self.max_frames if self.max_frames is not None else 1 << 62
            while self.decoded < limit:
                if self.decoded % self.step:
                    if not cap.grab():
                        break
                    self.decoded += 1
                    continue
                ok, frame = cap.read()
                if not ok or frame is None:
                    break
                yield self.decoded, np.asarray(frame, dtype=np.uint8)
                self.decoded += 1
        finally:
            cap.release()
        expected = self.info.frame_count if self.max_frames is None else min(self.max_frames, self.info.frame_count)
        if expected > 0 and self.decoded < MIN_DECODED_SHARE * expected:
            raise VideoError(
                self.info.path, f"truncated or corrupt: decoded {self.decoded} of {expected} frames announced"
            )
