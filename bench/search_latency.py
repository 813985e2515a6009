"""Search latency over generated sightings, at several table sizes, in one run.

    python bench/search_latency.py [--sizes 100000,1000000] [--db URL] [--repeats 40] [--ann-n 50000]

For each size a fresh database (SQLite file in a temp folder by default; ``--db URL`` of an empty
PostgreSQL database instead) gets 400 cameras on a 500 m grid and N random sightings over 30 days
(16-d random embeddings). On SQLite the bulk load drops the sightings indexes and recreates them
afterwards (the same definitions, read back from ``sqlite_master``). Then each query kind runs
``--repeats`` times with random cameras/places/windows, and p50/p95 are printed with the growth
ratio against the smallest size. The plate pattern runs both as the scan (``run_query``: every
matching row) and paged (``plate_search``: the first 50 by time and a total; the gram index is
built after the load). Finally exact vs HNSW (faiss) top-10 recall and speed on
``--ann-n`` clustered 1280-d vectors (the real embedding size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from vision.synth import T0, generate, setup_world  # noqa: E402
from xueliang.investigate.plate_index import refresh  # noqa: E402
from xueliang.investigate.plate_search import plate_search  # noqa: E402
from xueliang.investigate.plates_match import parse_plate_pattern  # noqa: E402
from xueliang.investigate.scenes import Scene, run_multi_scene  # noqa: E402
from xueliang.investigate.search import Place, SightingQuery, TimeWindow, camera_positions, run_query  # noqa: E402
from xueliang.investigate.similar import VectorIndex  # noqa: E402
from xueliang.storage import Database, open_database  # noqa: E402


def load(db: Database, n: int, seed: int) -> float:
    t = time.perf_counter()
    w = setup_world(db, cameras=400, dim=16)
    sqlite = db.engine.dialect.name == "sqlite"
    saved: list[str] = []
    if sqlite:
        where = "where type='index' and tbl_name='sightings' and sql is not null"
        with db.engine.begin() as c:
            rows = c.execute(sa.text(f"select name, sql from sqlite_master {where}")).all()
            saved = [r[1] for r in rows]
            for r in rows:
                c.execute(sa.text(f'DROP INDEX "{r[0]}"'))
    generate(db, w, n, seed=seed, days=30.0, batch=100_000)
    if sqlite:
        with db.engine.begin() as c:
            for ddl in saved:
                c.execute(sa.text(ddl))
            c.execute(sa.text("ANALYZE"))
    refresh(db)  # the plate gram index of the paged plate search
    return time.perf_counter() - t


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    fn()  # warm the cache once
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(ts, 50)), float(np.percentile(ts, 95))


def queries(db: Database, rng: np.random.Generator) -> dict[str, Callable[[], object]]:
    pos = camera_positions(db)
    cams = sorted(pos)

    def window(hours: float) -> TimeWindow:
        s = T0 + dt.timedelta(hours=float(rng.uniform(0, 30 * 24 - hours)))
        return TimeWindow(s, s + dt.timedelta(hours=hours))

    def place(metres: float) -> Place:
        lon, lat = pos[cams[int(rng.integers(len(cams)))]]
        return Place(lon, lat, metres)

    return {
        "attr+time(2h)+camera": lambda: run_query(
            db,
            SightingQuery(
                colours=("white",),
                vehicle_types=("suv",),
                window=window(2),
                camera_ids=(cams[int(rng.integers(len(cams)))],),
            ),
            pos,
        ),
        "attr+time(24h), all cameras": lambda: run_query(
            db,
            SightingQuery(colours=("white",), vehicle_types=("suv",), plate_states=("covered",), window=window(24)),
            pos,
        ),
        "near 600 m + time(1h)": lambda: run_query(db, SightingQuery(near=place(600), window=window(1)), pos),
        "plate 晋M*12* + time(24h)": lambda: run_query(
            db, SightingQuery(plate=parse_plate_pattern("晋M*12*"), window=window(24), sort="score"), pos
        ),
        "plate 晋M*12*, all time": lambda: run_query(db, SightingQuery(plate=parse_plate_pattern("晋M*12*")), pos),
        "plate 晋M*12*, paged (50)": lambda: plate_search(db, parse_plate_pattern("晋M*12*"), limit=50, positions=pos),
        "plate 晋M*12* + 24h, paged": lambda: plate_search(
            db, parse_plate_pattern("晋M*12*"), window=window(24), limit=50, positions=pos
        ),
        "3 scenes (600 m, 1 h each)": lambda: run_multi_scene(
            db, [Scene(place(600), window(1)) for _ in range(3)], min_scenes=2
        ),
    }


def ann(n: int, dim: int = 1280, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 20, dim)).astype(np.float32)
    vecs = centres[rng.integers(len(centres), size=n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = VectorIndex(np.arange(n, dtype=np.int64), vecs, ann_threshold=1)
    t = time.perf_counter()
    idx.search(vecs[0], 10, method="hnsw")
    build = time.perf_counter() - t
    qs = vecs[rng.integers(n, size=100)] + 0.1 * rng.standard_normal((100, dim)).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    rec, te, th = 0, 0.0, 0.0
    for q in qs:
        t = time.perf_counter()
        e = set(idx.search(q, 10, method="exact")[0].tolist())
        te += time.perf_counter() - t
        t = time.perf_counter()
        h = set(idx.search(q, 10, method="hnsw")[0].tolist())
        th += time.perf_counter() - t
        rec += len(e & h)
    print(f"\nANN: {n} x {dim}-d clustered unit vectors; HNSW (faiss, M=32, efSearch=128) built in {build:.1f} s")
    print(
        f"  top-10 recall vs exact: {rec / (10 * len(qs)):.3f}; per query exact {te * 10:.2f} ms, "
        f"HNSW {th * 10:.2f} ms (x{te / max(th, 1e-9):.1f} faster)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--db", default=None, help="URL of an EMPTY database (one size only); default temp SQLite")
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--slow-repeats", type=int, default=10, help="repeats of the whole-table plate scan")
    ap.add_argument("--ann-n", type=int, default=50_000, help="0 skips the ANN part")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    table: dict[str, dict[int, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            url = args.db or f"sqlite:///{Path(tmp) / f'bench_{n}.db'}"
            db = open_database(url)
            secs = load(db, n, seed=n)
            print(f"{n:>10,} sightings loaded in {secs:.0f} s ({db.engine.dialect.name})", flush=True)
            rng = np.random.default_rng(1)
            for name, fn in queries(db, rng).items():
                reps = args.slow_repeats if "all time" in name else args.repeats
                table.setdefault(name, {})[n] = timed(fn, reps)
                p50, p95 = table[name][n]
                print(f"   {name:<30} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms", flush=True)
            db.dispose()
            if args.db:
                break
    base = sizes[0]
    print(f"\nlatency growth (p95 at each size / p95 at {base:,}):")
    for name, by in table.items():
        ratios = "  ".join(f"{n:,}: x{by[n][1] / max(by[base][1], 1e-9):.1f}" for n in sizes if n in by)
        print(f"   {name:<30} {ratios}")
    if args.ann_n:
        ann(args.ann_n)


if __name__ == "__main__":
    main()
