"""Evidence export of a case: the kept sightings' clips and images, verified sources, the record.

``export_case`` writes, for the sightings whose current review decision is *keep*:

* ``clips/sighting_<id>.mp4`` — the source video cut from ``pad_s`` seconds before first seen to
  ``pad_s`` after last seen (OpenCV, mp4v);
* ``images/sighting_<id>_thumb.jpg`` (the vehicle crop of the best frame) and ``..._frame.jpg``;
* ``records.json`` — GA/T 1400-style ``MotorVehicleObject`` records (:mod:`xueliang.investigate.gat1400`);
* ``review_log.json`` / ``review_log.csv`` — every keep/eliminate decision of the case, in order;
* ``manifest.json`` — case, exporter, time, the queries that found the candidates, the source
  files with the SHA-256 recorded at indexing and re-computed now, models and software versions;
* ``SHA256SUMS`` — the hash of every file written.

Every source video is re-hashed BEFORE anything is written; a source that vanished or whose
SHA-256 differs from the one recorded at indexing stops the export with an error naming each
file, and nothing is left in ``out``. The export is assembled in a hidden sibling folder and
renamed into place only when complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vision.tables import SightingPointRow, SightingRow, VideoRow
from xueliang.csv_cells import safe_row
from xueliang.errors import InputError, XueliangError
from xueliang.investigate.gat1400 import motor_vehicle_object
from xueliang.investigate.review import kept, review_log
from xueliang.investigate.search import ensure_case, utc
from xueliang.investigate.tables import CaseQueryRow
from xueliang.storage import CameraRow, Database
from xueliang.storage.database import current_user
from xueliang.storage.files import sha256_file


class ExportError(XueliangError):
    """The evidence cannot be exported as it stands (changed or missing sources, bad target)."""


@dataclass(frozen=True)
class ExportSummary:
    case_id: str
    out: Path
    sightings: tuple[int, ...]
    sources: tuple[str, ...]
    files: int


def verify_sources(videos: list[VideoRow]) -> dict[int, str]:
    """Re-hash every source; raise ExportError naming each vanished or changed file."""
    problems = []
    hashes: dict[int, str] = {}
    for v in videos:
        p = Path(v.path)
        if not p.is_file():
            problems.append(f"{v.path}: vanished (expected SHA-256 {v.sha256[:16]}…)")
            continue
        try:
            now = sha256_file(p)
        except InputError as exc:
            problems.append(f"{v.path}: {exc.detail}")
            continue
        if now != v.sha256:
            problems.append(f"{v.path}: changed since indexing (expected SHA-256 {v.sha256[:16]}…, got {now[:16]}…)")
        hashes[v.id] = now
    if problems:
        raise ExportError("export refused, source footage does not match the index: " + "; ".join(problems))
    return hashes


def _prepare_out(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"--out {out}: expected a new or empty folder, got an existing non-empty one")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise ExportError(f"--out {out}: folder {parent} does not exist")
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))


def _cut(
    video: VideoRow, s: SightingRow, box: tuple[float, float, float, float] | None, work: Path, pad_s: float
) -> tuple[str | None, str | None, str | None]:
    """Write the clip, the thumbnail crop and the best frame; returns their relative paths."""
    import cv2

    cap = cv2.VideoCapture(video.path)
    if not cap.isOpened():
        raise ExportError(f"{video.path}: OpenCV cannot open the source video")
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or video.fps
        t0 = utc(video.start_time)
        a = max(0.0, (utc(s.first_seen) - t0).total_seconds() - pad_s)
        b = (utc(s.last_seen) - t0).total_seconds() + pad_s
        f0, f1 = int(a * fps), int(b * fps)
        cap.set(cv2.CAP_PROP_POS_FRAMES, f0)
        clip_rel = f"clips/sighting_{s.id}.mp4"
        writer: Any = None
        best_img = None
        frame_no = f0
        while frame_no <= f1:
            ok, frame = cap.read()
            if not ok:
                break
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(work / clip_rel), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
            writer.write(frame)
            if frame_no == s.best_frame or best_img is None:
                best_img = frame
            frame_no += 1
        if writer is None:
            return None, None, None
        writer.release()
        if not (f0 <= s.best_frame <= f1):
            cap.set(cv2.CAP_PROP_POS_FRAMES, s.best_frame)
            ok, frame = cap.read()
            if ok:
                best_img = frame
    finally:
        cap.release()
    if best_img is None:
        return clip_rel, None, None
    frame_rel = f"images/sighting_{s.id}_frame.jpg"
    cv2.imwrite(str(work / frame_rel), best_img)
    thumb_rel = None
    if box is not None and best_img is not None:
        h, w = best_img.shape[:2]
        x1, y1, x2, y2 = (round(v) for v in box)
        x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
        if x2 > x1 and y2 > y1:
            thumb_rel = f"images/sighting_{s.id}_thumb.jpg"
            cv2.imwrite(str(work / thumb_rel), best_img[y1:y2, x1:x2])
    return clip_rel, thumb_rel, frame_rel


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("xueliang", "numpy", "opencv-python", "sqlalchemy", "ultralytics", "torch", "hyperlpr2"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def export_case(
    db: Database,
    case_id: str,
    out: Path,
    *,
    actor: str | None = None,
    pad_s: float = 2.0,
    media_dir: Path | None = None,
) -> ExportSummary:
    """Export the kept sightings of ``case_id`` into the new folder ``out`` (see module doc)."""
    who = actor or current_user()
    if pad_s < 0:
        raise InputError("--pad", f"expected seconds >= 0, got {pad_s}")
    case = ensure_case(db, case_id, actor=who, create=False)
    log = review_log(db, case_id)
    ids = kept(log)
    if not ids:
        raise ExportError(f"case {case_id!r}: nothing to export, no sighting is marked keep (xueliang review --keep)")
    with db.sessions() as s:
        sightings = list(s.scalars(select(SightingRow).where(SightingRow.id.in_(ids)).order_by(SightingRow.id)))
        vids = {v.id: v for v in s.scalars(select(VideoRow).where(VideoRow.id.in_({x.video_id for x in sightings})))}
        cams = {c.id: c for c in s.scalars(select(CameraRow).where(CameraRow.id.in_({x.camera_id for x in sightings})))}
        points = list(s.scalars(select(SightingPointRow).where(SightingPointRow.sighting_id.in_(ids))))
        queries = list(s.scalars(select(CaseQueryRow).where(CaseQueryRow.case_id == case_id).order_by(CaseQueryRow.id)))
    videos = sorted(vids.values(), key=lambda v: v.id)
    try:
        hashes = verify_sources(videos)  # before anything is written
    except ExportError as exc:
        db.audit(
            actor=who,
            action="export-refused",
            query={"case": case_id, "out": str(out), "error": str(exc)},
            result_count=0,
        )
        raise
    stat_before = {v.id: os.stat(v.path) for v in videos}
    work = _prepare_out(out)
    try:
        (work / "clips").mkdir()
        (work / "images").mkdir()
        records = []
        for sg in sightings:
            pts = sorted((p for p in points if p.sighting_id == sg.id), key=lambda p: abs(p.frame - sg.best_frame))
            box = (pts[0].x1, pts[0].y1, pts[0].x2, pts[0].y2) if pts else None
            video = None if sg.video_id is None else vids[sg.video_id]  # None: a checkpoint pass, no footage
            clip, thumb, frame = (None, None, None) if video is None else _cut(video, sg, box, work, pad_s)
            if (
                thumb is None
                and media_dir is not None
                and sg.thumbnail_path
                and (media_dir / sg.thumbnail_path).is_file()
            ):
                thumb = f"images/sighting_{sg.id}_thumb.jpg"
                shutil.copyfile(media_dir / sg.thumbnail_path, work / thumb)
            cam = cams.get(sg.camera_id)
            device = cam.gb_id if cam is not None and cam.gb_id else sg.camera_id
            records.append(
                motor_vehicle_object(
                    sighting=sg,
                    device_id=device,
                    source_video_id="" if video is None else video.sha256,
                    box=box,
                    thumbnail=thumb,
                    frame=frame,
                    clip=clip,
                )
            )
        for v in videos:  # the source must not have changed while we cut it
            st = os.stat(v.path)
            if (st.st_size, st.st_mtime_ns) != (stat_before[v.id].st_size, stat_before[v.id].st_mtime_ns):
                raise ExportError(f"{v.path}: changed while exporting; export abandoned")
        _write_json(work / "records.json", {"MotorVehicleListObject": {"MotorVehicleObject": records}})
        _write_json(work / "review_log.json", [e.to_json() for e in log])
        with open(work / "review_log.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["at", "actor", "case", "sighting", "decision", "reason"])
            for e in log:
                w.writerow(safe_row([e.at.isoformat(), e.actor, e.case_id, e.sighting_id, e.decision, e.reason]))
        manifest = {
            "case": case_id,
            "ledger_case": case.ledger,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            "exported_by": who,
            "times": "UTC everywhere, also GA/T 1400 ShotTime (YYYYMMDDhhmmss)",
            "kept_sightings": ids,
            "eliminated_sightings": sorted({e.sighting_id for e in log} - set(ids)),
            "sources": [
                {
                    "video_id": v.id,
                    "path": v.path,
                    "camera_id": v.camera_id,
                    "sha256_indexed": v.sha256,
                    "sha256_at_export": hashes[v.id],
                    "verified": hashes[v.id] == v.sha256,
                    "detector": v.detector,
                }
                for v in videos
            ],
            "models": {
                "detectors": sorted({v.detector for v in videos}),
                "embedding_models": sorted({s.embedding_model for s in sightings if s.embedding_model}),
            },
            "software": _versions(),
            "queries": [
                {
                    "at": utc(q.at).isoformat(),
                    "actor": q.actor,
                    "kind": q.kind,
                    "query": json.loads(q.query),
                    "result_count": q.result_count,
                    "sighting_ids": json.loads(q.sighting_ids),
                }
                for q in queries
            ],
            "clip_padding_s": pad_s,
        }
        _write_json(work / "manifest.json", manifest)
        files = sorted(p for p in work.rglob("*") if p.is_file())
        sums = "".join(f"{sha256_file(p)}  {p.relative_to(work).as_posix()}\n" for p in files)
        (work / "SHA256SUMS").write_text(sums, encoding="utf-8")
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    db.audit(
        actor=who, action="export", query={"case": case_id, "out": str(out), "sightings": ids}, result_count=len(ids)
    )
    return ExportSummary(case_id, out, tuple(ids), tuple(v.path for v in videos), len(files) + 1)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
