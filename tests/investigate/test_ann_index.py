"""The persisted ANN index: recall against exact search, incremental adds, filters, bad files, crash safety.

Real faiss on the generated world of tests/investigate/conftest.py (3,000 random 32-d unit vectors) with
small thresholds, so each test runs in about a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from tests.investigate.conftest import at
from vision.synth import SYNTH_MODEL, SynthWorld, generate, plant, setup_world, unit
from vision.tables import SightingRow
from xueliang.cli import cli
from xueliang.investigate import ann_index
from xueliang.investigate.ann_index import (
    AnnIndexError,
    build_index,
    count_vectors,
    ensure_index,
    filtered_ids,
    open_index,
    search_persisted,
    sidecar_path,
    update_index,
)
from xueliang.investigate.search import SightingQuery, TimeWindow
from xueliang.investigate.similar import load_index, similar
from xueliang.storage import Database, open_database

pytest.importorskip("faiss")


def exact_top(db: Database, q: np.ndarray, k: int, filters: SightingQuery | None = None) -> list[int]:
    return load_index(db, SYNTH_MODEL, filters).search(q, k, method="exact")[0].tolist()


def test_persisted_index_recall_against_exact(db: Database, tmp_path: Path) -> None:
    # random 128-d unit vectors: no structure for the graph to exploit, the hard case for HNSW
    generate(db, setup_world(db, cameras=16, dim=128), 4000, seed=17, days=2.0)
    messages: list[str] = []
    meta = build_index(db, SYNTH_MODEL, tmp_path, batch=500, progress=messages.append)
    assert meta.count == count_vectors(db, SYNTH_MODEL) == 4000 and meta.dimensions == 128
    assert len(messages) == 8 and messages[-1].startswith(f"ANN index {SYNTH_MODEL}: 4,000 / 4,000 vectors")
    side = json.loads(sidecar_path(tmp_path, SYNTH_MODEL).read_text(encoding="utf-8"))
    assert side["max_sighting_id"] == meta.max_sighting_id and side["hnsw_m"] == 32 and side["database_id"]
    rng = np.random.default_rng(3)
    found = 0
    exact = load_index(db, SYNTH_MODEL)
    for q in unit(rng, 100, 128):
        got = search_persisted(db, SYNTH_MODEL, q, 10, tmp_path, exact_below=1)
        assert got.method == "hnsw-persisted"
        found += len(set(got.ids.tolist()) & set(exact.search(q, 10, method="exact")[0].tolist()))
    recall = found / 1000
    assert recall >= 0.99, recall  # measured 0.993 (faiss-cpu 1.15.1, M 32, efSearch 128)


def test_similar_builds_then_reuses_the_index_and_audits(db: Database, world: SynthWorld, tmp_path: Path) -> None:
    c = world.camera_ids
    ids = plant(db, world, at=[(c[0], at(1)), (c[3], at(2)), (c[7], at(4))], seed=31, noise=0.03)
    said: list[str] = []
    res = similar(db, sighting_id=ids[0], k=2, media_dir=tmp_path, ann_threshold=1000, progress=said.append)
    assert res.method == "hnsw-persisted" and {r.hit.sighting_id for r in res.results} == set(ids[1:])
    assert any("building the ANN index" in m for m in said)
    assert db.audit_log()[0].action == "similar" and db.audit_log()[0].result_count == 2
    file = open_index(db, SYNTH_MODEL, tmp_path).path
    said.clear()
    again = similar(db, sighting_id=ids[0], k=2, media_dir=tmp_path, ann_threshold=1000, progress=said.append)
    assert again.results == res.results and not said and open_index(db, SYNTH_MODEL, tmp_path).path == file
    assert len(db.audit_log()) == 2
    # below the threshold and without an index: exact, as before, and no file is written
    small = tmp_path / "small"
    assert similar(db, sighting_id=ids[0], k=2, media_dir=small, ann_threshold=10**6).method == "exact"
    assert not small.exists()


def test_new_sightings_are_found_then_added(db: Database, world: SynthWorld, tmp_path: Path) -> None:
    build_index(db, SYNTH_MODEL, tmp_path)
    before = open_index(db, SYNTH_MODEL, tmp_path).meta
    c = world.camera_ids
    ids = plant(db, world, at=[(c[2], at(3)), (c[9], at(8))], seed=41, noise=0.02)
    assert min(ids) > before.max_sighting_id
    # a few new sightings: searched exactly next to the index, file untouched
    res = similar(db, sighting_id=ids[0], k=1, media_dir=tmp_path, ann_threshold=1000)
    assert [r.hit.sighting_id for r in res.results] == [ids[1]]
    assert open_index(db, SYNTH_MODEL, tmp_path).meta == before
    # enough new sightings: added and persisted before the search
    vec = np.frombuffer(db.sessions().get(SightingRow, ids[1]).embedding or b"", np.float32)  # type: ignore[union-attr]
    got = search_persisted(db, SYNTH_MODEL, vec, 1, tmp_path, exact_below=1, persist_min_new=2)
    assert got.ids.tolist() == [ids[1]]
    after = open_index(db, SYNTH_MODEL, tmp_path).meta
    assert (after.count, after.max_sighting_id) == (before.count + 2, ids[1])
    generate(db, world, 300, seed=99, days=2.0)
    pi, added = update_index(db, SYNTH_MODEL, tmp_path, batch=100)
    assert added == 300 and pi.meta.count == before.count + 302 and pi.meta.max_sighting_id == pi.ids[-1]
    assert ensure_index(db, SYNTH_MODEL, tmp_path)[1] == "up to date"


@pytest.mark.parametrize("exact_below", [1, 10**6], ids=["hnsw+selector", "exact-subset"])
def test_filters_are_honoured(db: Database, world: SynthWorld, tmp_path: Path, exact_below: int) -> None:
    build_index(db, SYNTH_MODEL, tmp_path)
    c = world.camera_ids
    f = SightingQuery(colours=("white", "black"), window=TimeWindow(at(0), at(30)), camera_ids=c[:8])
    allowed = set(filtered_ids(db, f).tolist())  # type: ignore[union-attr]
    assert 50 < len(allowed) < 1000
    rng = np.random.default_rng(8)
    found = 0
    for q in unit(rng, 30, 32):
        got = search_persisted(db, SYNTH_MODEL, q, 10, tmp_path, filters=f, exact_below=exact_below)
        assert got.method == ("exact" if exact_below > 1 else "hnsw-persisted")
        assert set(got.ids.tolist()) <= allowed and len(got.ids) == 10
        exact = exact_top(db, q, 10, f)
        if exact_below > 1:
            assert got.ids.tolist() == exact
        found += len(set(got.ids.tolist()) & set(exact))
    assert found / 300 >= 0.99, found / 300  # measured 0.993 (HNSW + selector), 1.000 exact
    near_nothing = SightingQuery(camera_ids=(c[0],), window=TimeWindow(at(100), at(101)))
    empty = search_persisted(db, SYNTH_MODEL, unit(rng, 1, 32)[0], 5, tmp_path, filters=near_nothing, exact_below=1)
    assert len(empty.ids) == 0


def test_similar_with_filters_through_the_cli(db_url: str, db: Database, world: SynthWorld, tmp_path: Path) -> None:
    media = tmp_path / "media"
    run = CliRunner().invoke(cli, ["similar-index", "--media", str(media), "--db", db_url])
    assert run.exit_code == 0, run.output
    assert f"{SYNTH_MODEL}: built; 3,000 x 32-d vectors" in run.output
    args = ["similar", "--sighting", "5", "-k", "5", "--colour", "red", "--media", str(media), "--db", db_url]
    res = CliRunner().invoke(cli, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["method"] == "exact" and out["count"] == 5 and {r["colour"] for r in out["results"]} == {"red"}
    again = CliRunner().invoke(cli, ["similar-index", "--media", str(media), "--db", db_url])
    assert "up to date" in again.output
    assert CliRunner().invoke(cli, ["similar-index", "--rebuild", "--media", str(media), "--db", db_url]).exit_code == 0


def test_corrupt_or_truncated_index_file_is_named(db: Database, world: SynthWorld, tmp_path: Path) -> None:
    meta = build_index(db, SYNTH_MODEL, tmp_path)
    data = sidecar_path(tmp_path, SYNTH_MODEL).parent / meta.index_file
    good = data.read_bytes()
    data.write_bytes(good[: len(good) // 2])
    with pytest.raises(AnnIndexError, match=rf"{data.name}: expected [\d,]+ bytes .*truncated or replaced; rebuild"):
        open_index(db, SYNTH_MODEL, tmp_path)
    data.write_bytes(b"garbage!" * (len(good) // 8) + b"x" * (len(good) % 8))
    with pytest.raises(AnnIndexError, match=rf"{data.name}: not a readable faiss index"):
        open_index(db, SYNTH_MODEL, tmp_path)
    ids = plant(db, world, at=[(world.camera_ids[0], at(1))], seed=3)
    with pytest.raises(AnnIndexError, match="not a readable faiss index"):
        similar(db, sighting_id=ids[0], media_dir=tmp_path)
    said: list[str] = []
    meta2, done = ensure_index(db, SYNTH_MODEL, tmp_path, progress=said.append)
    assert done.startswith("rebuilt (not a readable faiss index") and said[0].startswith("rebuilding: ")
    assert meta2.count == 3001 and not data.exists()
    side = sidecar_path(tmp_path, SYNTH_MODEL)
    (side.parent / meta2.index_file).unlink()
    with pytest.raises(AnnIndexError, match="index file named by the sidecar is missing"):
        open_index(db, SYNTH_MODEL, tmp_path)
    side.write_text('{"format": 1, "model": "x"', encoding="utf-8")
    with pytest.raises(AnnIndexError, match=rf"{side.name}: expected the JSON sidecar of an ANN index"):
        open_index(db, SYNTH_MODEL, tmp_path)


def test_index_of_another_database_is_not_used(db: Database, world: SynthWorld, tmp_path: Path) -> None:
    build_index(db, SYNTH_MODEL, tmp_path / "media")
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        w2 = setup_world(other, cameras=16, dim=32)
        generate(other, w2, 3000, seed=7, days=2.0)  # the same rows, ids and vectors: only the id differs
        with pytest.raises(AnnIndexError, match="built for another database"):
            open_index(other, SYNTH_MODEL, tmp_path / "media")
        with pytest.raises(AnnIndexError, match="built for another database"):
            similar(other, sighting_id=1, media_dir=tmp_path / "media")
    finally:
        other.dispose()


def test_deleted_sightings_make_the_index_stale(db: Database, world: SynthWorld, tmp_path: Path) -> None:
    build_index(db, SYNTH_MODEL, tmp_path)
    with db.engine.begin() as conn:  # on SQLite a deleted highest id is reused by the next sighting
        top = conn.execute(select(SightingRow.id).order_by(SightingRow.id.desc()).limit(2)).scalars().all()
        conn.execute(delete(SightingRow).where(SightingRow.id.in_(top)))
    with pytest.raises(AnnIndexError, match="2 embedded sightings were deleted or re-embedded since it was built"):
        open_index(db, SYNTH_MODEL, tmp_path)
    meta, done = ensure_index(db, SYNTH_MODEL, tmp_path)
    assert done.startswith("rebuilt (2 embedded") and meta.count == 2998


def test_a_failed_write_leaves_the_previous_index(
    db: Database, world: SynthWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(db, SYNTH_MODEL, tmp_path)
    before = open_index(db, SYNTH_MODEL, tmp_path)
    files = sorted(p.name for p in (tmp_path / "ann").iterdir())
    generate(db, world, 50, seed=5, days=2.0)

    def crash(index: object, path: Path) -> None:
        path.write_bytes(b"half an index")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ann_index, "write_index_file", crash)
    with pytest.raises(OSError, match="No space left"):
        update_index(db, SYNTH_MODEL, tmp_path)
    assert sorted(p.name for p in (tmp_path / "ann").iterdir()) == files
    assert open_index(db, SYNTH_MODEL, tmp_path).meta == before.meta
    monkeypatch.undo()
    assert update_index(db, SYNTH_MODEL, tmp_path)[1] == 50
    assert len(list((tmp_path / "ann").iterdir())) == 2  # the new file and the sidecar; the old file removed
