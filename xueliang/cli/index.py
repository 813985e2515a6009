"""``xueliang index``: turn recorded video into searchable vehicle sightings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xueliang.cli._common import FILE, FOLDER, db_option, open_db
from xueliang.cli._lang import _


class _RichProgress:
    """Per-file and overall progress on stderr."""

    def __init__(self, bar: Any, n_files: int) -> None:
        self.bar = bar
        self.overall = bar.add_task("files", total=n_files)
        self.tasks: dict[str, Any] = {}

    def file_started(self, path: str, total_frames: int) -> None:
        self.tasks[path] = self.bar.add_task(Path(path).name, total=max(total_frames, 1))

    def frames(self, path: str, done: int, total: int) -> None:
        if path in self.tasks:
            self.bar.update(self.tasks[path], completed=done, total=max(total, 1))

    def file_done(self, outcome: Any) -> None:
        self.bar.advance(self.overall)
        task = self.tasks.get(outcome.path)
        if task is not None:
            self.bar.update(task, completed=self.bar.tasks[task].total)
        label = {"indexed": f"{outcome.sightings} sightings", "skipped": outcome.message}.get(outcome.status, "")
        if outcome.status == "error":
            self.bar.console.print(f"error: {outcome.message}", markup=False, highlight=False)
        else:
            self.bar.console.print(f"{outcome.status}: {outcome.path}: {label}", markup=False, highlight=False)


@click.command("index")
@click.argument("paths", nargs=-1, type=FILE)
@click.option("--camera", "camera_id", metavar="ID", help="Camera ID (registered) of the PATHs.")
@click.option("--start", metavar="ISO8601", help="Start time of the PATHs' first frame (no offset = UTC).")
@click.option("--manifest", type=FILE, help="CSV/JSON mapping files to camera_id and start.")
@click.option("--model", metavar="WEIGHTS", help="Detector weights (default: $XUELIANG_MODEL, else yolo11n.pt).")
@click.option(
    "--detector-plugin",
    metavar="MODULE:FACTORY",
    envvar="XUELIANG_DETECTOR_PLUGIN",
    help="Use a detector plugin instead of Ultralytics YOLO.",
)
@click.option("--workers", default=1, show_default=True, type=int, help="Local worker processes.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="CPU threads per detector (default: all cores, shared among --workers; 1 per Ray actor).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="'ray': the same per-file tasks on a Ray cluster ($RAY_ADDRESS, else a local Ray), --workers actors.",
)
@click.option("--media", "media", type=FOLDER, help="Media folder (default: $XUELIANG_MEDIA).")
@click.option("--detect-fps", default=None, type=float, help="Frames per video second sent to the detector (0 = all).")
@click.option(
    "--frames-per-call",
    default=None,
    type=click.IntRange(min=1),
    help="Frames stacked into one call of a fixed-input detector (default 2 where it pays; 1 = off).",
)
@click.option("--no-motion-gate", is_flag=True, help="Send every scheduled frame to the detector.")
@click.option(
    "--type-model",
    type=FILE,
    help="Vehicle-type model: an .npz linear head over the embedding, or your ONNX classifier.",
)
@click.option("--type-labels", type=FILE, help="Its labels, one per line.")
@click.option("--no-plates", is_flag=True, help="Skip plate reading.")
@click.option("--no-embeddings", is_flag=True, help="Skip appearance embeddings.")
@db_option
def index(
    paths: tuple[str, ...],
    camera_id: str | None,
    start: str | None,
    manifest: str | None,
    model: str | None,
    detector_plugin: str | None,
    workers: int,
    threads: int | None,
    executor: str,
    media: str | None,
    detect_fps: float | None,
    frames_per_call: int | None,
    no_motion_gate: bool,
    type_model: str | None,
    type_labels: str | None,
    no_plates: bool,
    no_embeddings: bool,
    db_url: str | None,
) -> None:
    """Index video PATHs (and/or a --manifest) into vehicle sightings.

    Files already indexed (same SHA-256) are skipped; a bad file is reported and the others go on.
    Exit code 1 when any file failed.
    """
    from dataclasses import replace

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from vision.detect import DetectorSpec, resolve_weights
    from vision.index import IndexItem, index_files, parse_start
    from vision.manifest import load_manifest
    from vision.motion import MotionConfig
    from vision.pipeline import PipelineConfig
    from xueliang.config import resolve_media_dir
    from xueliang.errors import ConfigError

    if not paths and not manifest:
        raise ConfigError("index", "expected video PATHs or --manifest FILE, got neither")
    start_t = parse_start(start, source="--start") if start else None
    items = [IndexItem(path=p, camera_id=camera_id, start=start_t) for p in paths]
    if manifest:
        items += load_manifest(manifest)
    cfg = PipelineConfig(
        plates=not no_plates, embeddings=not no_embeddings, type_model=type_model, type_labels=type_labels
    )
    if detect_fps is not None:
        cfg = replace(cfg, detect_fps=detect_fps)
    if frames_per_call is not None:
        cfg = replace(cfg, frames_per_call=frames_per_call)
    if no_motion_gate:
        cfg = replace(cfg, motion=MotionConfig(enabled=False))
    spec = DetectorSpec(weights=resolve_weights(model), plugin=detector_plugin, threads=threads)
    media_dir = resolve_media_dir(media)
    db = open_db(db_url)
    before = _last_sighting_id(db)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=None,
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        bar.console.stderr = True
        summary = index_files(
            db,
            items,
            detector=spec,
            config=cfg,
            media_dir=media_dir,
            workers=workers,
            executor=executor,
            progress=_RichProgress(bar, len(items)),
        )
    click.echo(
        _(
            "%(indexed)s indexed, %(skipped)s skipped, %(failed)s failed; %(sightings)s sightings; "
            "%(decoded)s frames decoded, %(detected)s sent to the detector (%(gated)s of scheduled frames gated "
            "by motion); %(video)s s of video in %(wall)s s = %(speed)sx real time",
            indexed=summary.indexed,
            skipped=summary.skipped,
            failed=len(summary.errors),
            sightings=summary.sightings,
            decoded=summary.frames_decoded,
            detected=summary.frames_detected,
            gated=f"{summary.gated_fraction:.0%}",
            video=f"{summary.video_seconds:.1f}",
            wall=f"{summary.wall_seconds:.1f}",
            speed=f"{summary.speed:.2f}",
        )
    )
    if summary.sightings:
        from xueliang.investigate.plate_index import refresh
        from xueliang.investigate.watch import check_new, describe_alert

        for alert in check_new(db, after_id=before):
            click.echo(describe_alert(alert))
        refresh(db)  # the plate index of `search --plate` without a window
    if summary.errors:
        raise SystemExit(1)


def _last_sighting_id(db: Any) -> int:
    """The highest sighting id now: the watch lists check the ones indexed after it."""
    from sqlalchemy import func, select

    from vision.tables import SightingRow

    with db.sessions() as s:
        return int(s.scalar(select(func.max(SightingRow.id))) or 0)
