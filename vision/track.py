"""ByteTrack (Zhang et al. 2022) on IoU with ``lap``: a constant-velocity Kalman filter per track,
high-confidence boxes matched first, low-confidence boxes second, then a centre-distance pass for
young tracks (the detector may run only every few frames, so a fast car can move past its own box).

``ByteTracker.update(detections, frame) -> detections`` with ``tracker_id`` set (-1 = not tracked);
finished tracks come back from :meth:`ByteTracker.pop_finished` and :meth:`ByteTracker.finish`.

Prediction over misses is at constant velocity from the last observed state (never compounded
from one prediction to the next), for at most ``max_predict_frames`` and at most
``max_predict_diagonals`` box diagonals: a car missed on several detector calls is looked for
where it would be, not flung out of the frame.

Appearance gate: when the detections carry ``data["appearance"]`` (one L1-normalised histogram per
box, :func:`vision.appearance.appearance`), a track that missed at least one detector call is only
continued by a box whose appearance is similar enough to the track's (histogram intersection
>= ``min_appearance``), and never by a box of an incompatible class (a motorcycle for a car). Two
different vehicles passing the same spot a moment apart stay two tracks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vision.types import Detections

F64 = npt.NDArray[np.float64]
MOTORCYCLE = 3  # COCO


@dataclass(frozen=True)
class TrackerConfig:
    high_threshold: float = 0.45
    low_threshold: float = 0.1
    new_track_threshold: float = 0.5
    match_iou: float = 0.15
    max_lost_frames: int = 48
    min_hits: int = 2
    #: centre distance, in units of the track's box diagonal, still accepted by the distance pass
    max_centre_distance: float = 0.8
    #: the same for tracks seen once (no velocity estimate yet)
    max_centre_distance_young: float = 1.8
    #: box diagonals per 25 frames (about a second) above which a track counts as moving
    moving_speed: float = 0.15
    #: constant-velocity prediction over misses stops after this many frames since the last box
    max_predict_frames: int = 48
    #: ... and after moving this many box diagonals from the last box
    max_predict_diagonals: float = 6.0
    #: appearance similarity (histogram intersection, 0-1) a box needs to continue a track that
    #: missed a detector call; 0 disables the gate
    min_appearance: float = 0.5


@dataclass
class TrackState:
    """A live track; ``boxes`` holds every matched box (frame, xyxy, confidence, class)."""

    track_id: int
    mean: F64
    cov: F64
    last_frame: int
    hits: int = 1
    frames: list[int] = field(default_factory=list)
    boxes: list[F64] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)
    #: running mean of the boxes' appearance histograms (None without appearance data)
    appearance: F64 | None = None
    #: detector calls since the last matched box
    misses: int = 0

    def box(self, mean: F64 | None = None) -> F64:
        cx, cy, w, h = (self.mean if mean is None else mean)[:4]
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def _xyxy_to_z(b: F64) -> F64:
    return np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, max(b[2] - b[0], 1.0), max(b[3] - b[1], 1.0)])


def iou_matrix(a: F64, b: F64) -> F64:
    """Pairwise IoU of boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def _assign(cost: F64, limit: float) -> list[tuple[int, int]]:
    if cost.size == 0:
        return []
    import lap

    _, x, _ = lap.lapjv(cost, extend_cost=True, cost_limit=limit)
    return [(i, int(j)) for i, j in enumerate(x) if j >= 0]


class ByteTracker:
    """Tracks boxes over frames; time is the frame index, so gaps from skipped frames are predicted over."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._tracks: list[TrackState] = []
        self._finished: list[TrackState] = []
        self._next_id = 1

    # --- Kalman filter on (cx, cy, w, h) with velocities, per frame ---
    def _predict(self, t: TrackState, frame: int) -> tuple[F64, F64]:
        """The track's state at ``frame``, from its last observed state at constant velocity, capped
        at ``max_predict_frames`` and ``max_predict_diagonals``; the track itself is not changed."""
        cfg = self.config
        dt = float(min(max(frame - t.last_frame, 0), cfg.max_predict_frames))
        if dt <= 0:
            return t.mean.copy(), t.cov.copy()
        w, h = t.mean[2], t.mean[3]
        step = float(np.hypot(t.mean[4], t.mean[5]))
        limit = cfg.max_predict_diagonals * float(np.hypot(w, h))
        if step * dt > limit > 0:
            dt = limit / step
        f = np.eye(8)
        f[:4, 4:] = np.eye(4) * dt
        q = np.diag([w, h, w, h, w, h, w, h]) ** 2 * np.array([1, 1, 1, 1, 0.05, 0.05, 0.05, 0.05]) ** 2
        return f @ t.mean, f @ t.cov @ f.T + q * 1e-3 * dt

    @staticmethod
    def _correct(t: TrackState, z: F64) -> None:
        hm = np.eye(4, 8)
        w, h = t.mean[2], t.mean[3]
        r = np.diag([0.05 * w, 0.05 * h, 0.05 * w, 0.05 * h]) ** 2
        s = hm @ t.cov @ hm.T + r
        k = t.cov @ hm.T @ np.linalg.inv(s)
        t.mean = t.mean + k @ (z - hm @ t.mean)
        t.cov = (np.eye(8) - k @ hm) @ t.cov

    def _new_track(self, box: F64, conf: float, cls: int, frame: int, look: F64 | None) -> TrackState:
        z = _xyxy_to_z(box)
        w, h = z[2], z[3]
        cov = np.diag([w, h, w, h, 2 * w, 2 * h, w, h]) ** 2 * 0.05
        t = TrackState(track_id=self._next_id, mean=np.concatenate([z, np.zeros(4)]), cov=cov, last_frame=frame)
        self._next_id += 1
        t.appearance = None if look is None else look.astype(np.float64)
        t.frames.append(frame)
        t.boxes.append(box.astype(np.float64))
        t.confidences.append(conf)
        t.classes.append(cls)
        return t

    def _update_track(self, t: TrackState, box: F64, conf: float, cls: int, frame: int, look: F64 | None) -> None:
        z = _xyxy_to_z(box)
        if t.hits == 1 and frame > t.last_frame:
            # second observation: initialise the velocity from the displacement
            t.mean[4:] = (z - t.mean[:4]) / (frame - t.last_frame)
            t.mean[:4] = z
        else:
            t.mean, t.cov = self._predict(t, frame)
            self._correct(t, z)
        if look is not None:
            t.appearance = look.astype(np.float64) if t.appearance is None else 0.7 * t.appearance + 0.3 * look
        t.misses = 0
        t.hits += 1
        t.last_frame = frame
        t.frames.append(frame)
        t.boxes.append(box.astype(np.float64))
        t.confidences.append(conf)
        t.classes.append(cls)

    def update(self, detections: Detections, frame: int) -> Detections:
        """Match ``detections`` of ``frame`` to tracks; returns them with ``tracker_id`` (-1 if unmatched)."""
        cfg = self.config
        boxes = detections.xyxy.astype(np.float64)
        conf = detections.confidence
        ids = np.full(len(detections), -1, dtype=np.int64)
        looks = detections.data.get("appearance")
        predicted = np.array([t.box(self._predict(t, frame)[0]) for t in self._tracks]).reshape(-1, 4)
        gate = self._gate(detections, looks)

        high = np.flatnonzero(conf >= cfg.high_threshold)
        low = np.flatnonzero((conf >= cfg.low_threshold) & (conf < cfg.high_threshold))
        free_tracks = list(range(len(self._tracks)))

        def match(det_idx: npt.NDArray[np.int64], use_distance: bool) -> npt.NDArray[np.int64]:
            nonlocal free_tracks
            if len(det_idx) == 0 or not free_tracks:
                return det_idx
            tb = predicted[free_tracks]
            if use_distance:
                tc = (tb[:, :2] + tb[:, 2:]) / 2
                dc = (boxes[det_idx, :2] + boxes[det_idx, 2:]) / 2
                diag = np.hypot(tb[:, 2] - tb[:, 0], tb[:, 3] - tb[:, 1])
                dist = np.linalg.norm(tc[:, None, :] - dc[None, :, :], axis=2) / np.maximum(diag[:, None], 1.0)
                ta = (tb[:, 2] - tb[:, 0]) * (tb[:, 3] - tb[:, 1])
                da = (boxes[det_idx, 2] - boxes[det_idx, 0]) * (boxes[det_idx, 3] - boxes[det_idx, 1])
                ratio = np.maximum(ta[:, None], da[None, :]) / np.maximum(np.minimum(ta[:, None], da[None, :]), 1.0)
                # a track seen once has no velocity yet: its prediction may lag a whole box behind
                young = np.array([self._tracks[i].hits == 1 for i in free_tracks])
                allowed = np.where(young, cfg.max_centre_distance_young, cfg.max_centre_distance)
                cost = np.where(ratio < 2.5, dist / allowed[:, None], 1e6)
                cost = np.where(gate[np.ix_(np.asarray(free_tracks, np.int64), det_idx)], cost, 1e6)
                pairs = _assign(cost, 1.0)
            else:
                cost = 1.0 - iou_matrix(tb, boxes[det_idx])
                cost = np.where(gate[np.ix_(np.asarray(free_tracks, np.int64), det_idx)], cost, 1e6)
                pairs = _assign(cost, 1.0 - cfg.match_iou)
            used_t, used_d = set(), set()
            for ti, di in pairs:
                track = self._tracks[free_tracks[ti]]
                d = int(det_idx[di])
                look = None if looks is None else np.asarray(looks[d], np.float64)
                self._update_track(track, boxes[d], float(conf[d]), int(detections.class_id[d]), frame, look)
                ids[d] = track.track_id
                used_t.add(ti)
                used_d.add(di)
            free_tracks = [t for k, t in enumerate(free_tracks) if k not in used_t]
            return np.array([d for k, d in enumerate(det_idx) if k not in used_d], dtype=np.int64)

        high_left = match(high, use_distance=False)
        match(low, use_distance=False)
        high_left = match(high_left, use_distance=True)

        for d in high_left:
            if conf[d] >= cfg.new_track_threshold:
                look = None if looks is None else np.asarray(looks[d], np.float64)
                t = self._new_track(boxes[d], float(conf[d]), int(detections.class_id[d]), frame, look)
                self._tracks.append(t)
                ids[d] = t.track_id

        matched = set(ids[ids >= 0].tolist())
        alive: list[TrackState] = []
        for t in self._tracks:
            if t.track_id not in matched and t.last_frame < frame:
                t.misses += 1
            if frame - t.last_frame > cfg.max_lost_frames:
                self._retire(t)
            else:
                alive.append(t)
        self._tracks = alive
        return Detections(
            xyxy=detections.xyxy,
            confidence=detections.confidence,
            class_id=detections.class_id,
            tracker_id=ids,
            data=dict(detections.data),
        )

    def _gate(self, detections: Detections, looks: npt.NDArray[np.float32] | None) -> npt.NDArray[np.bool_]:
        """(tracks, detections) pairs allowed to match: a track that missed a detector call needs a
        box of a compatible class and, with appearance data, of a similar appearance."""
        n_t, n_d = len(self._tracks), len(detections)
        allowed = np.ones((n_t, n_d), dtype=bool)
        if n_t == 0 or n_d == 0:
            return allowed
        two_wheels = detections.class_id == MOTORCYCLE
        for i, t in enumerate(self._tracks):
            if t.misses == 0:
                continue
            track_two_wheels = max(set(t.classes), key=t.classes.count) == MOTORCYCLE
            allowed[i] &= two_wheels == track_two_wheels
            if looks is not None and t.appearance is not None and self.config.min_appearance > 0:
                sim = np.minimum(np.asarray(looks, np.float64), t.appearance[None, :]).sum(axis=1)
                allowed[i] &= sim >= self.config.min_appearance
        return allowed

    def _retire(self, t: TrackState) -> None:
        if t.hits >= self.config.min_hits:
            self._finished.append(t)

    def moving_tracks(self, min_speed: float) -> int:
        """How many live tracks move faster than ``min_speed`` box diagonals per second-of-frames
        (a parked car has none; a young track counts as moving until it has a velocity)."""
        n = 0
        for t in self._tracks:
            diag = float(np.hypot(t.mean[2], t.mean[3]))
            speed = float(np.hypot(t.mean[4], t.mean[5]))
            n += t.hits == 1 or speed * 25.0 >= min_speed * diag
        return n

    def live_ids(self) -> set[int]:
        return {t.track_id for t in self._tracks}

    def pop_finished(self) -> list[TrackState]:
        """Tracks lost for longer than ``max_lost_frames`` since the last call."""
        out, self._finished = self._finished, []
        return out

    def finish(self) -> list[TrackState]:
        """End of the video: retire every live track and return all finished ones, by id."""
        for t in self._tracks:
            self._retire(t)
        self._tracks = []
        return sorted(self.pop_finished(), key=lambda t: t.track_id)
