"""One file through the pipeline: decode -> motion gate -> detect -> track -> sightings with attributes.

Pure with respect to the database: :func:`process_video` returns a :class:`FileResult`; writing it
(in one transaction) is :mod:`vision.index`'s job. Thumbnails and frames are written under the media
directory with deterministic names, so a rerun after a crash overwrites rather than duplicates.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vision.appearance import with_appearance
from vision.attributes import TypeClassifier
from vision.closeup import MultiScaleDetector, PlateFallbackDetector
from vision.colour import balanced_colour
from vision.decode import Frame, FrameReader, crop_of
from vision.detect import Detector
from vision.embed import EMBEDDING_MODEL, Embedder, to_bytes
from vision.motion import MotionConfig, MotionGate
from vision.plates import PlateReader
from vision.tiling import TiledDetector
from vision.track import ByteTracker, TrackerConfig, TrackState
from vision.type_model import LearnedTypeClassifier
from vision.types import VEHICLE_CLASSES, Attribute, PlateReading, Sighting, TrackPoint, VideoInfo

ProgressFn = Callable[[int, int], None]  # (frames decoded so far, frames in file)


@dataclass(frozen=True)
class PipelineConfig:
    """``detect_fps``: how many frames per second of video may go to the detector while a vehicle is
    moving in view (the others are only decoded; the tracker predicts across them); 0 = every frame.
    ``idle_fps``: the rate while no tracked vehicle moves (0 = same as ``detect_fps``). ``motion``
    then gates the scheduled frames: no detection on a frame where nothing changed."""

    detect_fps: float = 4.0
    idle_fps: float = 2.0
    motion: MotionConfig = field(default_factory=MotionConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    plates: bool = True
    embeddings: bool = True
    max_frames: int | None = None
    #: a user's ONNX vehicle-type classifier (and its labels file) instead of the box geometry
    type_model: str | None = None
    type_labels: str | None = None
    #: tracks whose centre moves less than this many box diagonals are ``stationary``
    stationary_diagonals: float = 0.5
    #: frames per detector call for fixed-input detectors (:mod:`vision.tiling`); 1 = one frame a call
    frames_per_call: int = 2
    #: close-ups (:mod:`vision.closeup`): grey-canvas scales tried when the first pass looks like a
    #: missed close-up, and when ("empty", "no_large" for checkpoint cameras, "always"); () = off
    closeup_scales: tuple[float, ...] = (1.5, 2.0)
    closeup_when: str = "empty"
    #: where the detector still finds nothing, a plate found by hyperlpr2's SSD yields a vehicle box
    #: (only with ``plates`` on)
    plate_fallback: bool = True

    def step(self, fps: float) -> int:
        if self.detect_fps <= 0:
            return 1
        return max(1, round(fps / self.detect_fps))

    def idle_step(self, fps: float) -> int:
        """Frames between detections while nothing moves: a multiple of :meth:`step`."""
        step = self.step(fps)
        if self.idle_fps <= 0 or self.detect_fps <= 0:
            return step
        return step * max(1, round(fps / self.idle_fps / step))


@dataclass(frozen=True)
class FileStats:
    frames_decoded: int
    frames_scheduled: int
    frames_detected: int
    seconds: float
    video_seconds: float

    @property
    def gated_fraction(self) -> float:
        return 1.0 - self.frames_detected / self.frames_scheduled if self.frames_scheduled else 0.0

    @property
    def speed(self) -> float:
        """Video seconds processed per wall-clock second (× real time)."""
        return self.video_seconds / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class FileResult:
    info: VideoInfo
    camera_id: str
    start: dt.datetime
    detector: str
    sightings: tuple[Sighting, ...]
    stats: FileStats


@dataclass
class Analysers:
    """The per-process models a file needs besides the detector; each loads on first use."""

    type_classifier: TypeClassifier = field(default_factory=LearnedTypeClassifier.load)
    plates: PlateReader = field(default_factory=PlateReader)
    embedder: Embedder = field(default_factory=Embedder)

    @classmethod
    def for_config(cls, config: PipelineConfig) -> Analysers:
        """The analysers a config asks for: ``type_model`` is a user's ONNX classifier (``.onnx``) or a
        linear head over the embedding (``.npz``, as :mod:`vision.type_model` ships); default: the
        shipped head."""
        if config.type_model is None:
            return cls()
        if Path(config.type_model).suffix.lower() == ".npz":
            return cls(type_classifier=LearnedTypeClassifier.load(config.type_model))
        from vision.attributes import OnnxTypeClassifier

        return cls(type_classifier=OnnxTypeClassifier(config.type_model, config.type_labels))


def direction_of(points: list[TrackPoint], stationary_diagonals: float) -> tuple[str, float | None]:
    """Image-plane direction of travel: 8-way label (``up`` = towards the top of the frame) and the
    bearing in degrees clockwise from image-up; ``stationary`` when the centre barely moved."""
    a, b = points[0], points[-1]
    dx = (b.x1 + b.x2 - a.x1 - a.x2) / 2
    dy = (b.y1 + b.y2 - a.y1 - a.y2) / 2
    diag = max(math.hypot(a.x2 - a.x1, a.y2 - a.y1), math.hypot(b.x2 - b.x1, b.y2 - b.y1), 1.0)
    if math.hypot(dx, dy) < stationary_diagonals * diag:
        return "stationary", None
    bearing = (math.degrees(math.atan2(dx, -dy)) + 360.0) % 360.0
    labels = ("up", "up-right", "right", "down-right", "down", "down-left", "left", "up-left")
    return labels[int(((bearing + 22.5) % 360) // 45)], round(bearing, 1)


@dataclass
class _Best:
    score: float
    frame_index: int
    frame: Frame
    box: np.ndarray


def _score(box: np.ndarray, conf: float, width: int, height: int) -> float:
    area = float((box[2] - box[0]) * (box[3] - box[1]))
    touches = box[0] <= 2 or box[1] <= 2 or box[2] >= width - 2 or box[3] >= height - 2
    return conf * math.sqrt(max(area, 0.0)) * (0.4 if touches else 1.0)


def _finish_track(
    t: TrackState,
    best: _Best,
    *,
    info: VideoInfo,
    start: dt.datetime,
    config: PipelineConfig,
    analysers: Analysers,
    media_dir: Path | None,
) -> Sighting:
    import cv2

    fps = info.fps
    points = tuple(
        TrackPoint(
            frame=f,
            t=round(f / fps, 4),
            x1=round(float(b[0]), 1),
            y1=round(float(b[1]), 1),
            x2=round(float(b[2]), 1),
            y2=round(float(b[3]), 1),
            confidence=round(c, 3),
        )
        for f, b, c in zip(t.frames, t.boxes, t.confidences, strict=True)
    )
    weights: dict[int, float] = {}
    for cls, c in zip(t.classes, t.confidences, strict=True):
        weights[cls] = weights.get(cls, 0.0) + c
    cls = max(weights, key=lambda k: weights[k])
    det_class = Attribute.rounded(VEHICLE_CLASSES.get(cls, str(cls)), weights[cls] / sum(weights.values()))
    crop = crop_of(best.frame, best.box, 0.05)
    colour = balanced_colour(best.frame, [float(v) for v in best.box])
    vector = (
        analysers.embedder.embed([crop])[0]
        if config.embeddings or isinstance(analysers.type_classifier, LearnedTypeClassifier)
        else None
    )
    if isinstance(analysers.type_classifier, LearnedTypeClassifier) and vector is not None:
        vtype = analysers.type_classifier.classify_embedding(vector, det_class.value)
    else:
        vtype = analysers.type_classifier.classify(crop_of(best.frame, best.box), det_class.value)
    plate = analysers.plates.read(crop) if config.plates else PlateReading(state="unknown", state_confidence=0.0)
    embedding = to_bytes(vector) if config.embeddings and vector is not None else None
    direction, bearing = direction_of(list(points), config.stationary_diagonals)
    thumb = frame_path = None
    if media_dir is not None:
        rel = Path("sightings") / info.sha256[:16]
        (media_dir / rel).mkdir(parents=True, exist_ok=True)
        thumb = str(rel / f"track{t.track_id:05d}_thumb.jpg")
        frame_path = str(rel / f"track{t.track_id:05d}_frame.jpg")
        cv2.imwrite(str(media_dir / thumb), crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
        cv2.imwrite(str(media_dir / frame_path), best.frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return Sighting(
        track_id=t.track_id,
        first_seen=start + dt.timedelta(seconds=points[0].t),
        last_seen=start + dt.timedelta(seconds=points[-1].t),
        points=points,
        detector_class=det_class,
        colour=colour,
        vehicle_type=vtype,
        plate=plate,
        direction=direction,
        direction_deg=bearing,
        best_frame=best.frame_index,
        thumbnail=thumb,
        frame_image=frame_path,
        embedding=embedding,
        embedding_model=EMBEDDING_MODEL if embedding else None,
    )


def _tiled(detector: Detector, config: PipelineConfig, info: VideoInfo) -> TiledDetector | None:
    """The detector wrapped to take ``frames_per_call`` frames a call, when that pays for this video."""
    size = getattr(detector, "input_size", None)
    if config.frames_per_call < 2 or size is None:
        return None
    tiled = TiledDetector(detector, input_size=size, n=config.frames_per_call)
    return tiled if tiled.plan(info.width, info.height) is not None else None


def process_video(
    info: VideoInfo,
    *,
    camera_id: str,
    start: dt.datetime,
    detector: Detector,
    config: PipelineConfig | None = None,
    analysers: Analysers | None = None,
    media_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> FileResult:
    """Run one probed video through the pipeline.

    Raises :class:`vision.decode.VideoError` when the file turns out truncated."""
    config = config or PipelineConfig()
    analysers = analysers or Analysers()
    t0 = time.perf_counter()
    reader = FrameReader(info, max_frames=config.max_frames, step=config.step(info.fps))
    gate = MotionGate(config.motion)
    tracker = ByteTracker(config.tracker)
    best: dict[int, _Best] = {}
    sightings: list[Sighting] = []
    scheduled = detected = 0
    total = info.frame_count if config.max_frames is None else min(config.max_frames, info.frame_count)

    def finish(tracks: list[TrackState]) -> None:
        for t in tracks:
            b = best.pop(t.track_id, None)
            if b is not None:
                sightings.append(
                    _finish_track(t, b, info=info, start=start, config=config, analysers=analysers, media_dir=media_dir)
                )

    tiled = _tiled(detector, config, info)
    batch = tiled.n if tiled is not None else 1
    pending: list[tuple[int, Frame]] = []
    closeup = (
        MultiScaleDetector(detector, config.closeup_scales, config.closeup_when) if config.closeup_scales else None
    )
    fallback = PlateFallbackDetector(detector) if config.plate_fallback and config.plates else None

    def detect_pending() -> None:
        """Detect the frames waiting (one call when tiled), then track them in time order."""
        frames = [f for _, f in pending]
        found = tiled.detect_many(frames) if tiled is not None else [detector.detect(f) for f in frames]
        for (index, frame), dets in zip(pending, found, strict=True):
            if closeup is not None:
                dets = closeup.more(frame, dets)
            if fallback is not None and not len(dets):
                dets = fallback.plates(frame)
            tracked = tracker.update(with_appearance(frame, dets), index)
            assert tracked.tracker_id is not None
            for k in np.flatnonzero(tracked.tracker_id >= 0):
                tid = int(tracked.tracker_id[k])
                box = tracked.xyxy[k]
                s = _score(box, float(tracked.confidence[k]), info.width, info.height)
                if tid not in best or s > best[tid].score:
                    best[tid] = _Best(score=s, frame_index=index, frame=frame.copy(), box=box.copy())
            finish(tracker.pop_finished())
            for tid in set(best) - tracker.live_ids():
                del best[tid]  # dropped before confirmation
        pending.clear()

    idle_step = config.idle_step(info.fps)
    for index, frame in reader:
        # the schedule follows the tracker as of the last frame tracked: with frames waiting for a
        # shared detector call, it reacts one detection later
        if index % idle_step and not tracker.moving_tracks(config.tracker.moving_speed):
            continue
        scheduled += 1
        if progress is not None and scheduled % 25 == 0:
            progress(index, total)
        if not gate.moving(frame):
            continue
        detected += 1
        pending.append((index, frame))
        if len(pending) >= batch:
            detect_pending()
    if pending:
        detect_pending()
    finish(tracker.finish())
    best.clear()
    if progress is not None:
        progress(reader.decoded, total)
    stats = FileStats(
        frames_decoded=reader.decoded,
        frames_scheduled=scheduled,
        frames_detected=detected,
        seconds=time.perf_counter() - t0,
        video_seconds=reader.decoded / info.fps,
    )
    name = str(getattr(detector, "name", type(detector).__name__))
    if tiled is not None:
        name += f" ({tiled.n} frames per call)"
    return FileResult(
        info=info,
        camera_id=camera_id,
        start=start,
        detector=str(name),
        sightings=tuple(sorted(sightings, key=lambda s: (s.first_seen, s.track_id))),
        stats=stats,
    )
