"""Index video files into the database: the library entry point behind ``xueliang index``.

Each file is validated (camera registered, start time given, a decodable video), hashed, skipped
when its SHA-256 is already indexed, run through :func:`vision.pipeline.process_video` (in this
process, or in a local process pool with ``workers > 1``), and written with all its sightings in ONE
transaction. A run killed at any point leaves each file either fully indexed or absent, so a rerun
yields exactly the sightings of an uninterrupted run. A bad file becomes an error outcome; the rest
of the batch goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vision.decode import probe
from vision.detect import Detector, DetectorSpec, load_detector
from vision.leases import DEFAULT_TTL_S, Leases
from vision.pipeline import Analysers, FileResult, FileStats, PipelineConfig, process_video
from vision.tables import SightingPointRow, SightingRow, VideoRow
from vision.types import VideoInfo
from xueliang.errors import ConfigError, InputError, NotFoundError, XueliangError
from xueliang.storage import CameraRow, Database
from xueliang.storage.files import sha256_file
from xueliang.storage.times import parse_iso


@dataclass(frozen=True)
class IndexItem:
    """One file to index; ``source`` says where the item came from (for error messages)."""

    path: str
    camera_id: str | None
    start: dt.datetime | None
    source: str = "command line"


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: str  # "indexed" | "skipped" | "error"
    message: str = ""
    sha256: str | None = None
    sightings: int = 0
    stats: FileStats | None = None


@dataclass(frozen=True)
class IndexSummary(FileStats):
    """A whole run: its files and their stats summed, over the run's wall time (``seconds``, so ``speed`` is the
    run's, waits for other runs' leases included)."""

    files: tuple[FileOutcome, ...] = ()

    @classmethod
    def of(cls, files: tuple[FileOutcome, ...], wall_seconds: float) -> IndexSummary:
        stats = [f.stats for f in files if f.stats is not None]
        return cls(
            frames_decoded=sum(s.frames_decoded for s in stats),
            frames_scheduled=sum(s.frames_scheduled for s in stats),
            frames_detected=sum(s.frames_detected for s in stats),
            seconds=wall_seconds,
            video_seconds=sum(s.video_seconds for s in stats),
            files=files,
        )

    @property
    def wall_seconds(self) -> float:
        return self.seconds

    @property
    def indexed(self) -> int:
        return sum(f.status == "indexed" for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.status == "skipped" for f in self.files)

    @property
    def errors(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.status == "error")

    @property
    def sightings(self) -> int:
        return sum(f.sightings for f in self.files)


class Progress(Protocol):
    def file_started(self, path: str, total_frames: int) -> None: ...
    def frames(self, path: str, done: int, total: int) -> None: ...
    def file_done(self, outcome: FileOutcome) -> None: ...


def parse_start(value: str, *, source: str) -> dt.datetime:
    """ISO 8601 start time; a value without offset is taken as UTC. Returned in UTC."""
    return parse_iso(value, source=source, field="start")


# --- per-process state for the pool: models load once per worker process -------------------------
@dataclass
class _Worker:
    spec: DetectorSpec
    config: PipelineConfig
    media_dir: Path | None
    detector: Detector | None = None
    analysers: Analysers | None = None

    def run(self, info: VideoInfo, camera_id: str, start: dt.datetime) -> FileResult:
        if self.detector is None:
            self.detector = load_detector(self.spec)
        if self.analysers is None:
            self.analysers = Analysers.for_config(self.config)
        return process_video(
            info,
            camera_id=camera_id,
            start=start,
            detector=self.detector,
            config=self.config,
            analysers=self.analysers,
            media_dir=self.media_dir,
        )


_POOL_WORKER: _Worker | None = None


def _init_pool_worker(spec: DetectorSpec, config: PipelineConfig, media_dir: Path | None) -> None:
    global _POOL_WORKER
    import cv2

    cv2.setNumThreads(1)
    _POOL_WORKER = _Worker(spec=spec, config=config, media_dir=media_dir)


def _run_in_pool(info: VideoInfo, camera_id: str, start: dt.datetime) -> FileResult:
    assert _POOL_WORKER is not None, "pool worker not initialised"
    return _POOL_WORKER.run(info, camera_id, start)


def _run_on_ray(
    ready: list[tuple[int, VideoInfo, str, dt.datetime]],
    spec: DetectorSpec,
    config: PipelineConfig,
    media_dir: Path | None,
    workers: int,
    progress: Progress | None,
) -> Iterator[tuple[int, VideoInfo, FileResult | BaseException]]:
    """The same per-file tasks on a Ray cluster: ``workers`` actors each load the models once.

    Connects to ``$RAY_ADDRESS`` when set (a cluster whose nodes see the same file paths and media
    folder), else starts a local Ray. Results come back to this process, which writes them to the one
    database, file by file, exactly as the local executor does.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor", "the ray executor needs Ray: pip install 'ray>=2.9'") from None
    if not ray.is_initialized():
        import os
        import sys

        ray.init(
            address=os.environ.get("RAY_ADDRESS") or None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}},
        )

    @ray.remote
    class _RayWorker:
        def __init__(self, spec: DetectorSpec, config: PipelineConfig, media_dir: Path | None) -> None:
            _init_pool_worker(spec, config, media_dir)

        def run(self, info: VideoInfo, camera_id: str, start: dt.datetime) -> FileResult:
            return _run_in_pool(info, camera_id, start)

    actors = [
        _RayWorker.options(num_cpus=spec.thread_count()).remote(spec, config, media_dir)  # type: ignore[attr-defined]
        for _ in range(min(workers, len(ready)))
    ]
    refs = {}
    for i, (k, info, cam, start) in enumerate(ready):
        if progress is not None:
            progress.file_started(info.path, info.frame_count)
        refs[actors[i % len(actors)].run.remote(info, cam, start)] = (k, info)
    pending = list(refs)
    try:
        while pending:
            done_refs, pending = ray.wait(pending, num_returns=1)
            for ref in done_refs:
                k, info = refs[ref]
                try:
                    result: FileResult | BaseException = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    result = exc.cause if isinstance(exc.cause, BaseException) else exc
                except ray.exceptions.RayError as exc:
                    result = exc
                yield k, info, result
    finally:
        for a in actors:
            ray.kill(a)


# --- database ---------------------------------------------------------------------------------------
def indexed_hashes(db: Database) -> set[str]:
    with db.sessions() as s:
        return set(s.scalars(select(VideoRow.sha256)))


def write_result(db: Database, result: FileResult) -> int:
    """Store a file and its sightings in one transaction; returns the number of sightings written."""
    info, stats = result.info, result.stats
    with db.transaction() as s:
        video = VideoRow(
            sha256=info.sha256,
            path=info.path,
            size_bytes=info.size_bytes,
            camera_id=result.camera_id,
            start_time=result.start,
            end_time=result.start + dt.timedelta(seconds=stats.video_seconds),
            fps=info.fps,
            frame_count=stats.frames_decoded,
            duration_s=round(stats.video_seconds, 3),
            width=info.width,
            height=info.height,
            detector=result.detector,
            frames_decoded=stats.frames_decoded,
            frames_detected=stats.frames_detected,
            processing_s=round(stats.seconds, 3),
            indexed_at=dt.datetime.now(dt.UTC),
        )
        for sg in result.sightings:
            row = SightingRow(
                camera_id=result.camera_id,
                track_id=sg.track_id,
                first_seen=sg.first_seen,
                last_seen=sg.last_seen,
                detector_class=sg.detector_class.value,
                detector_confidence=sg.detector_class.confidence,
                colour=sg.colour.value,
                colour_confidence=sg.colour.confidence,
                vehicle_type=sg.vehicle_type.value,
                vehicle_type_confidence=sg.vehicle_type.confidence,
                plate_state=sg.plate.state,
                plate_state_confidence=sg.plate.state_confidence,
                plate_text=sg.plate.text,
                plate_text_confidence=sg.plate.text_confidence,
                plate_colour=sg.plate.colour,
                direction=sg.direction,
                direction_deg=sg.direction_deg,
                best_frame=sg.best_frame,
                thumbnail_path=sg.thumbnail,
                frame_path=sg.frame_image,
                embedding=sg.embedding,
                embedding_model=sg.embedding_model,
            )
            row.points = [
                SightingPointRow(
                    frame=p.frame,
                    at=result.start + dt.timedelta(seconds=p.t),
                    x1=p.x1,
                    y1=p.y1,
                    x2=p.x2,
                    y2=p.y2,
                    confidence=p.confidence,
                )
                for p in sg.points
            ]
            video.sightings.append(row)
        s.add(video)
    return len(result.sightings)


# --- the entry point ----------------------------------------------------------------------------------
def index_files(
    db: Database,
    items: Sequence[IndexItem],
    *,
    detector: DetectorSpec | None = None,
    config: PipelineConfig | None = None,
    media_dir: Path | None = None,
    workers: int = 1,
    executor: str = "local",
    progress: Progress | None = None,
    lease_s: float = DEFAULT_TTL_S,
) -> IndexSummary:
    """Index ``items``; returns one outcome per item, in input order. Raises only for problems that
    stop every file (unusable detector weights, unknown executor); bad files become error outcomes.

    Each file is claimed by its SHA-256 before work starts (:mod:`vision.leases`): a file another run on
    the database is indexing is skipped with a line saying so, and a stale lease (its run was killed
    ``lease_s`` seconds ago or more) is taken over."""
    t0 = time.perf_counter()
    spec = detector or DetectorSpec()
    config = config or PipelineConfig()
    if executor not in ("local", "ray"):
        raise ConfigError("--executor", f"expected 'local' or 'ray', got {executor!r}")
    if workers < 1:
        raise ConfigError("--workers", f"expected 1 or more, got {workers}")
    local = _Worker(spec=spec, config=config, media_dir=media_dir)
    local.detector = load_detector(spec)  # fail fast, once, on unusable weights (and type model)
    local.analysers = Analysers.for_config(config)

    with Leases(db, ttl_s=lease_s) as leases:
        with db.sessions() as s:
            cameras = set(s.scalars(select(CameraRow.id)))
        done = indexed_hashes(db)
        outcomes: dict[int, FileOutcome] = {}
        ready: list[tuple[int, VideoInfo, str, dt.datetime]] = []
        seen: dict[str, str] = {}
        for k, item in enumerate(items):
            try:
                if not item.camera_id:
                    raise InputError(
                        item.path,
                        f"no camera ID (give --camera or a manifest column; {item.source})",
                        field="camera",
                    )
                if item.camera_id not in cameras:
                    raise NotFoundError(
                        f"{item.path}: camera {item.camera_id!r} is not in the camera registry "
                        f"({item.source}; import it with `xueliang cameras import`)"
                    )
                if item.start is None:
                    raise InputError(
                        item.path,
                        f"no start time (give --start or a manifest column; {item.source})",
                        field="start",
                    )
                digest = sha256_file(item.path) if Path(item.path).is_file() else None
                if digest is not None and (digest in done or digest in seen):
                    where = "already indexed" if digest in done else f"same content as {seen[digest]}"
                    outcomes[k] = FileOutcome(item.path, "skipped", where, sha256=digest)
                    continue
                if digest is not None:
                    why = leases.claim(digest, item.path)  # another run may be on it (or have stored it)
                    if why is not None:
                        outcomes[k] = FileOutcome(item.path, "skipped", why, sha256=digest)
                        if progress is not None:
                            progress.file_done(outcomes[k])
                        continue
                try:
                    info = probe(item.path, sha256=digest)
                except XueliangError:
                    if digest is not None:
                        leases.release(digest)
                    raise
                seen[info.sha256] = item.path
                ready.append((k, info, item.camera_id, item.start))
            except XueliangError as exc:
                outcomes[k] = FileOutcome(item.path, "error", str(exc))
            if k in outcomes and progress is not None:
                progress.file_done(outcomes[k])

        def finished(k: int, info: VideoInfo, result: FileResult | BaseException) -> None:
            if isinstance(result, XueliangError):
                outcomes[k] = FileOutcome(info.path, "error", str(result), sha256=info.sha256)
            elif isinstance(result, BaseException):
                outcomes[k] = FileOutcome(
                    info.path, "error", f"{info.path}: {type(result).__name__}: {result}", sha256=info.sha256
                )
            else:
                try:
                    n = write_result(db, result)
                    outcomes[k] = FileOutcome(info.path, "indexed", sha256=info.sha256, sightings=n, stats=result.stats)
                except IntegrityError:  # stored meanwhile by a run that took over a lease it thought stale
                    why = "indexed meanwhile by another run"
                    outcomes[k] = FileOutcome(info.path, "skipped", why, sha256=info.sha256)
            leases.release(info.sha256)
            if progress is not None:
                progress.file_done(outcomes[k])

        if executor == "ray" and ready:
            ray_spec = replace(spec, threads=spec.threads or 1)  # an actor reserves one CPU unless told more
            for k, info, result in _run_on_ray(ready, ray_spec, config, media_dir, workers, progress):
                finished(k, info, result)
        elif workers == 1 or len(ready) <= 1:
            for k, info, cam, start in ready:
                if progress is not None:
                    progress.file_started(info.path, info.frame_count)
                try:
                    prog = None
                    if progress is not None:
                        path = info.path
                        prog = lambda done_, total, _p=path: progress.frames(_p, done_, total)  # noqa: E731
                    result = process_video(
                        info,
                        camera_id=cam,
                        start=start,
                        detector=local.detector,
                        config=config,
                        analysers=local.analysers,
                        media_dir=media_dir,
                        progress=prog,
                    )
                except Exception as exc:  # one bad file must not stop the batch
                    result = exc
                finished(k, info, result)
        else:
            ctx = multiprocessing.get_context("spawn")
            n = min(workers, len(ready))
            pool_spec = replace(spec, threads=spec.threads or max(1, (os.cpu_count() or 1) // n))
            with cf.ProcessPoolExecutor(
                max_workers=n,
                mp_context=ctx,
                initializer=_init_pool_worker,
                initargs=(pool_spec, config, media_dir),
            ) as pool:
                futures = {}
                for k, info, cam, start in ready:
                    if progress is not None:
                        progress.file_started(info.path, info.frame_count)
                    futures[pool.submit(_run_in_pool, info, cam, start)] = (k, info)
                for fut in cf.as_completed(futures):
                    k, info = futures[fut]
                    error = fut.exception()
                    finished(k, info, error if error is not None else fut.result())
    return IndexSummary.of(tuple(outcomes[k] for k in range(len(items))), wall_seconds=time.perf_counter() - t0)
