"""Motion gating: skip the detector on frames where nothing moved since the last checked frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vision.decode import Frame


@dataclass(frozen=True)
class MotionConfig:
    """``threshold``: grey-level change that counts as motion (0-255); ``min_fraction``: share of the
    (downscaled) frame that must change for the frame to go to the detector; ``width``: analysis width."""

    enabled: bool = True
    threshold: int = 20
    min_fraction: float = 0.0015
    width: int = 160


@dataclass
class MotionGate:
    """Compares each checked frame with the previously checked one on a small blurred grey image."""

    config: MotionConfig = field(default_factory=MotionConfig)
    _previous: npt.NDArray[np.uint8] | None = None
    last_fraction: float = 0.0

    def _small(self, frame: Frame) -> npt.NDArray[np.uint8]:
        import cv2

        h, w = frame.shape[:2]
        scale = self.config.width / w
        small = cv2.resize(frame, (self.config.width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)

    def moving(self, frame: Frame) -> bool:
        """True when the frame differs enough from the last checked frame (always True for the first)."""
        if not self.config.enabled:
            return True
        small = self._small(frame)
        prev, self._previous = self._previous, small
        if prev is None:
            self.last_fraction = 1.0
            return True
        diff = np.abs(small.astype(np.int16) - prev.astype(np.int16))
        self.last_fraction = float(np.mean(diff > self.config.threshold))
        return self.last_fraction >= self.config.min_fraction
