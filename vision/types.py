"""The columnar value that flows through the pipeline, and the frozen records between modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from xueliang.errors import XueliangError

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: COCO class ids of vehicles and their names (the detector's class ids are COCO ids).
VEHICLE_CLASSES: dict[int, str] = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}


class DetectionsError(XueliangError):
    """A Detections value was built with columns of the wrong shape or type."""


@dataclass
class Detections:
    """Parallel arrays, one row per box: ``xyxy`` (N, 4) pixels, ``confidence`` (N,), ``class_id`` (N,),
    ``tracker_id`` (N,) or None before tracking, and ``data`` for extra columns of length N.

    Filter with a boolean mask or an index array: ``d[d.confidence > 0.5]``.
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray
    tracker_id: IntArray | None = None
    data: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32)
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        self.class_id = np.asarray(self.class_id, dtype=np.int64)
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise DetectionsError(f"Detections.xyxy: expected shape (N, 4), got {self.xyxy.shape}")
        n = self.xyxy.shape[0]
        for name in ("confidence", "class_id"):
            shape = getattr(self, name).shape
            if shape != (n,):
                raise DetectionsError(f"Detections.{name}: expected shape ({n},), got {shape}")
        if self.tracker_id is not None:
            self.tracker_id = np.asarray(self.tracker_id, dtype=np.int64)
            if self.tracker_id.shape != (n,):
                raise DetectionsError(f"Detections.tracker_id: expected shape ({n},), got {self.tracker_id.shape}")
        for key, col in self.data.items():
            if len(col) != n:
                raise DetectionsError(f"Detections.data[{key!r}]: expected length {n}, got {len(col)}")
        if n and not np.all(self.xyxy[:, 2:] >= self.xyxy[:, :2]):
            raise DetectionsError("Detections.xyxy: expected x2 >= x1 and y2 >= y1 in every row")

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros(0, np.float32),
            class_id=np.zeros(0, np.int64),
        )

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __getitem__(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | slice) -> Detections:
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            tracker_id=None if self.tracker_id is None else self.tracker_id[index],
            data={k: v[index] for k, v in self.data.items()},
        )

    @property
    def area(self) -> FloatArray:
        wh = self.xyxy[:, 2:] - self.xyxy[:, :2]
        return (wh[:, 0] * wh[:, 1]).astype(np.float32)


@dataclass(frozen=True)
class VideoInfo:
    """What a video file is: where, its content hash and its stream geometry."""

    path: str
    sha256: str
    size_bytes: int
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


@dataclass(frozen=True)
class Attribute:
    """A label with the confidence the method gives it (0-1)."""

    value: str
    confidence: float

    @classmethod
    def rounded(cls, value: str, confidence: float) -> Attribute:
        """The label with its confidence rounded to 3 decimals, as the methods store and show it."""
        return cls(value, round(confidence, 3))


@dataclass(frozen=True)
class PlateReading:
    """The plate of one sighting: state (visible/covered/absent/unknown), text and colour when read."""

    state: str
    state_confidence: float
    text: str | None = None
    text_confidence: float | None = None
    colour: str | None = None
    box: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class TrackPoint:
    """One box of a track, at a frame and a time offset (seconds from the start of the file)."""

    frame: int
    t: float
    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float


@dataclass(frozen=True)
class Sighting:
    """One vehicle track in one file, with its attributes; written to the database at the end of the file."""

    track_id: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    points: tuple[TrackPoint, ...]
    detector_class: Attribute
    colour: Attribute
    vehicle_type: Attribute
    plate: PlateReading
    direction: str
    direction_deg: float | None
    best_frame: int
    thumbnail: str | None
    frame_image: str | None
    embedding: bytes | None
    embedding_model: str | None
