"""The whole pipeline on the synthetic clip with the fake blob detector (no weights needed)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.vision.conftest import PLUGIN, START, add_camera
from vision.detect import DetectorSpec, ModelError
from vision.embed import from_bytes
from vision.index import IndexItem, index_files
from vision.manifest import load_manifest
from vision.pipeline import PipelineConfig
from vision.tables import SightingPointRow, SightingRow, VideoRow
from xueliang.errors import SchemaError
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

FAKE = DetectorSpec(plugin=PLUGIN)
FAST = PipelineConfig(plates=False, embeddings=False)


def sightings(db: Database) -> list[SightingRow]:
    with db.sessions() as s:
        return list(s.scalars(select(SightingRow).order_by(SightingRow.first_seen)))


def count(db: Database, table: type) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_synthetic_clip_gives_one_sighting_per_vehicle(
    db: Database, camera: str, sample_clip: Path, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    summary = index_files(
        db,
        [IndexItem(str(sample_clip), camera, START)],
        detector=FAKE,
        media_dir=media,
        config=PipelineConfig(plates=True, embeddings=True),
    )
    assert summary.indexed == 1 and not summary.errors
    rows = sightings(db)
    assert [r.colour for r in rows] == ["red", "blue", "white", "yellow"]
    assert [r.direction for r in rows] == ["right", "left", "right", "left"]
    assert all(r.colour_confidence > 0.6 for r in rows)
    # absolute times: the red car enters at 1.3 s (while the road is empty the detector runs at the
    # idle rate, 2/s, so it is first seen by 2.0 s) and leaves the 320 px frame at ~4.4 s
    first = rows[0].first_seen
    assert START + dt.timedelta(seconds=1.3) <= first <= START + dt.timedelta(seconds=2.0)
    last = rows[0].last_seen
    assert START + dt.timedelta(seconds=3.9) <= last <= START + dt.timedelta(seconds=4.5)
    for r in rows:
        assert (media / r.thumbnail_path).is_file() and (media / r.frame_path).is_file()
        assert r.plate_state == "unknown"  # 50-60 px vehicles: too small for a plate
        vec = from_bytes(r.embedding)
        assert vec.shape == (1280,) and abs(float(np.linalg.norm(vec)) - 1) < 1e-3
    with db.sessions() as s:
        video = s.scalars(select(VideoRow)).one()
        assert (video.width, video.height, video.frame_count, round(video.fps)) == (320, 240, 90, 15)
        assert video.duration_s == pytest.approx(6.0)
        assert len(video.sha256) == 64
        assert s.scalar(select(func.count()).select_from(SightingPointRow)) >= 4 * 5
    # motion gating: the first 1.3 s are empty road (scheduled at the idle rate: 3 frames, 2 gated)
    assert summary.frames_decoded == 90
    assert 0.05 < summary.gated_fraction < 0.5
    assert summary.frames_detected < summary.frames_scheduled


def test_rerun_skips_indexed_files(db: Database, camera: str, sample_clip: Path) -> None:
    items = [IndexItem(str(sample_clip), camera, START)]
    index_files(db, items, detector=FAKE, config=FAST)
    again = index_files(db, items, detector=FAKE, config=FAST)
    assert again.files[0].status == "skipped" and "already indexed" in again.files[0].message
    assert count(db, SightingRow) == 4 and count(db, VideoRow) == 1


def test_bad_files_fail_alone(db: Database, camera: str, sample_clip: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(sample_clip.read_bytes()[:30_000])
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    items = [
        IndexItem(str(truncated), camera, START),
        IndexItem(str(text), camera, START),
        IndexItem(str(sample_clip), "no-such-camera", START),
        IndexItem(str(sample_clip), camera, None),
        IndexItem(str(tmp_path / "missing.mp4"), camera, START),
        IndexItem(str(sample_clip), camera, START),
    ]
    summary = index_files(db, items, detector=FAKE, config=FAST)
    status = [f.status for f in summary.files]
    assert status == ["error", "error", "error", "error", "error", "indexed"]
    msgs = [f.message for f in summary.files]
    assert "truncated.mp4" in msgs[0] and ("not a readable video" in msgs[0] or "truncated" in msgs[0])
    assert "notes.mp4: not a readable video" in msgs[1]
    assert "camera 'no-such-camera' is not in the camera registry" in msgs[2]
    assert "no start time" in msgs[3]
    assert "missing.mp4: no such file" in msgs[4]
    assert count(db, VideoRow) == 1 and count(db, SightingRow) == 4


def test_failure_inside_a_file_leaves_nothing(
    db: Database, camera: str, sample_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vision.index as vindex

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(vindex.SightingPointRow, "__init__", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        index_files(db, [IndexItem(str(sample_clip), camera, START)], detector=FAKE, config=FAST)
    assert count(db, VideoRow) == 0 and count(db, SightingRow) == 0


def test_unusable_weights_fail_before_any_file(db: Database, camera: str, sample_clip: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"\x00garbage" * 10)
    items = [IndexItem(str(sample_clip), camera, START)]
    with pytest.raises(ModelError, match=r"broken.tflite: '--model': detector weights: cannot load"):
        index_files(db, items, detector=DetectorSpec(weights=str(bad)))
    with pytest.raises(ModelError, match=r"nope.pt: '--model': detector weights: no such file"):
        index_files(db, items, detector=DetectorSpec(weights=str(tmp_path / "nope.pt")))
    with pytest.raises(ModelError, match="expected a Detector, got object"):
        index_files(db, items, detector=DetectorSpec(plugin="tests.vision.fakes:not_a_detector"))
    assert count(db, VideoRow) == 0


def test_two_workers_match_one(db: Database, sample_clip: Path, tmp_path: Path) -> None:
    add_camera(db)
    other = tmp_path / "seed1.mp4"
    from sample_media.make_sample import make

    make(other, seed=1)
    items = [IndexItem(str(sample_clip), "cam-1", START), IndexItem(str(other), "cam-1", START)]
    summary = index_files(db, items, detector=FAKE, config=FAST, workers=2)
    assert [f.status for f in summary.files] == ["indexed", "indexed"]
    pooled = sorted((r.video_id, r.first_seen, r.colour, r.direction) for r in sightings(db))
    assert len(pooled) == 8
    # the same files one by one in a fresh database give identical sightings
    from xueliang.storage import open_database

    db2 = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    add_camera(db2)
    index_files(db2, items, detector=FAKE, config=FAST, workers=1)
    single = sorted((r.video_id, r.first_seen, r.colour, r.direction) for r in sightings(db2))
    db2.dispose()
    assert pooled == single


def test_pool_workers_share_the_cores(tmp_path: Path, sample_clip: Path) -> None:
    """Without --threads each of N pool workers gets cpu_count // N detector threads (a detector per
    process on every core would oversubscribe the machine); an explicit --threads is kept."""
    from sample_media.make_sample import make
    from xueliang.storage import open_database

    other = tmp_path / "seed3.mp4"
    make(other, seed=3)
    items = [IndexItem(str(sample_clip), "cam-1", START), IndexItem(str(other), "cam-1", START)]
    names = {}
    for label, workers, threads in (("one", 1, None), ("pool", 2, None), ("explicit", 2, 3)):
        db = open_database(f"sqlite:///{tmp_path / label}.db")
        add_camera(db)
        spec = DetectorSpec(plugin="tests.vision.fakes:threads_blob", threads=threads)
        index_files(db, items, detector=spec, config=FAST, workers=workers)
        with db.sessions() as s:
            names[label] = set(s.scalars(select(VideoRow.detector)))
        db.dispose()
    cores = os.cpu_count() or 1
    assert names["one"] == {f"fake:blob/threads={cores}"}
    assert names["pool"] == {f"fake:blob/threads={max(1, cores // 2)}"}
    assert names["explicit"] == {"fake:blob/threads=3"}


@pytest.mark.sqlite_only  # slow (Ray start-up); the parent writes the rows as in test_two_workers_match_one
def test_ray_executor_matches_local(db: Database, sample_clip: Path, tmp_path: Path) -> None:
    """A real local Ray runs the same per-file tasks; the rows written are those of the local executor."""
    ray = pytest.importorskip("ray")
    add_camera(db)
    other = tmp_path / "seed2.mp4"
    from sample_media.make_sample import make

    make(other, seed=2)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(sample_clip.read_bytes()[:5000])  # truncated: fails alone, the others go in
    items = [
        IndexItem(str(sample_clip), "cam-1", START),
        IndexItem(str(other), "cam-1", START),
        IndexItem(str(broken), "cam-1", START),
    ]
    try:
        summary = index_files(db, items, detector=FAKE, config=FAST, workers=2, executor="ray")
    finally:
        ray.shutdown()
    assert [f.status for f in summary.files][:2] == ["indexed", "indexed"]
    assert summary.files[2].status == "error" and "broken.mp4" in summary.files[2].message
    on_ray = sorted((r.first_seen, r.colour, r.direction, r.track_id) for r in sightings(db))
    from xueliang.storage import open_database

    db2 = open_database(f"sqlite:///{tmp_path / 'local.db'}")
    add_camera(db2)
    index_files(db2, items[:2], detector=FAKE, config=FAST, workers=1)
    local = sorted((r.first_seen, r.colour, r.direction, r.track_id) for r in sightings(db2))
    db2.dispose()
    assert len(on_ray) == 8 and on_ray == local


def test_manifest_csv_and_json(tmp_path: Path, sample_clip: Path) -> None:
    csv = tmp_path / "export.csv"
    csv.write_text(f"path,camera_id,start\n{sample_clip},cam-1,2024-05-01T10:00:00+02:00\nrel.mp4,cam-2,\n")
    items = load_manifest(csv)
    assert items[0].start == dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
    assert items[1].path == str(tmp_path / "rel.mp4") and items[1].start is None
    js = tmp_path / "export.json"
    js.write_text(json.dumps([{"path": "a.mp4", "camera_id": "c", "start": "2024-05-01T08:00:00Z"}]))
    assert load_manifest(js)[0].camera_id == "c"
    js.write_text(json.dumps([{"path": "a.mp4", "camera": "c", "start": "2024-05-01T08:00:00Z"}]))
    with pytest.raises(SchemaError, match=r"export.json: item 0: .*camera: unknown key"):
        load_manifest(js)
    csv.write_text("file,camera_id,start\n")
    with pytest.raises(SchemaError, match="expected CSV columns path, camera_id, start, got file, camera_id, start"):
        load_manifest(csv)


def test_files_over_2_gib_are_stored(db: Database, camera: str) -> None:
    """Recorder exports are often several GB: size_bytes must hold more than a 32-bit integer (PostgreSQL's
    INTEGER stops at 2,147,483,647; SQLite's is 64-bit)."""
    size = 5 * 1024**3
    with db.transaction() as s:
        s.add(
            VideoRow(
                sha256="ab" * 32,
                path="/export/cam-1/day.mp4",
                size_bytes=size,
                camera_id=camera,
                start_time=START,
                end_time=START + dt.timedelta(hours=24),
                fps=25.0,
                frame_count=2_160_000,
                duration_s=86_400.0,
                width=1920,
                height=1080,
                detector="test",
                frames_decoded=2_160_000,
                frames_detected=172_800,
                processing_s=3600.0,
                indexed_at=START,
            )
        )
    with db.sessions() as s:
        assert s.scalar(select(VideoRow.size_bytes)) == size
