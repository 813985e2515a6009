"""`similar` latency: the persisted ANN index against building the HNSW graph on every call, in one run.

    python bench/similar_index.py [--n 300000] [--dim 64] [--noise 0.6] [--queries 20] [--baseline-calls 1]

A fresh SQLite file in a temp folder gets 400 cameras and ``--n`` sightings over 30 days with unit
embeddings of ``--dim`` dimensions, clustered like bench/search_latency.py's ANN part (n/20
centres plus ``--noise`` per dimension; ``--noise 0`` keeps random unit vectors, the pathological
case for HNSW: at 300,000 x 128-d its top-10 recall is 0.40 with efSearch 128). Then, through
:func:`xueliang.investigate.similar.similar` (the library behind the command, audit row included):

* rebuild per call (the code before the persisted index): every embedding loaded, a graph built,
  one search; ``--baseline-calls`` calls (each takes as long as a build);
* the persisted index: built once (streamed, timed), then ``--queries`` queries without filter,
  with a filter leaving ~7/9 of the vectors (HNSW + faiss ID selector) and with a small filter
  (exact over the allowed vectors); p50/p95 and top-10 recall against exact search;
* incremental: 500 new sightings (searched exactly next to the index), then 2,000 more (added and
  persisted before the search).

Memory: the database holds n x dim x 4 bytes of embeddings (300,000 x 64-d: 77 MB; the index as
much again plus the graph, ~80 MB at M = 32), and the benchmark keeps one more copy for the exact
answers. At the real 1280 dimensions building is ~10-20x slower (~700 vectors/s on 2 cores, so
300,000 would take ~8 min per build, 1.5 GB per copy): ``--dim 1280 --n 50000`` fits a few minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from vision.synth import COLOURS, SYNTH_MODEL, T0, generate, setup_world
from xueliang.investigate.ann_index import ensure_index, stream_embeddings
from xueliang.investigate.search import SightingQuery, TimeWindow
from xueliang.investigate.similar import ANN_THRESHOLD, similar
from xueliang.storage import Database, open_database


def cluster(db: Database, dim: int, noise: float, *, seed: int) -> None:
    """Replace the random embeddings by clustered ones (n/20 centres + ``noise`` per dimension), as
    bench/search_latency.py's ANN part: real appearance embeddings cluster by vehicle and model."""
    rng = np.random.default_rng(seed)
    with db.engine.connect() as conn:
        ids = np.array(conn.execute(sa.text("select id from sightings order by id")).scalars().all(), np.int64)
    centres = rng.standard_normal((max(1, len(ids) // 20), dim)).astype(np.float32)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for i in range(0, len(ids), 50_000):
            part = ids[i : i + 50_000]
            v = centres[rng.integers(len(centres), size=len(part))]
            v = v + noise * rng.standard_normal(v.shape).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            cur.executemany(
                "UPDATE sightings SET embedding = ? WHERE id = ?",
                [(row.astype(np.float32).tobytes(), int(j)) for row, j in zip(v, part, strict=True)],
            )
        raw.commit()
    finally:
        raw.close()


def pct(ts: list[float]) -> tuple[float, float]:
    return float(np.percentile(ts, 50)), float(np.percentile(ts, 95))


def recall_of(got: list[int], want: list[int]) -> float:
    return len(set(got) & set(want)) / max(len(want), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--baseline-calls", type=int, default=1)
    ap.add_argument("--noise", type=float, default=0.6, help="clustered embeddings; 0 keeps random unit vectors")
    args = ap.parse_args()
    threshold = min(ANN_THRESHOLD, args.n)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        media = Path(tmp) / "media"
        t = time.perf_counter()
        world = setup_world(db, cameras=400, dim=args.dim)
        generate(db, world, args.n, seed=1, days=30.0, batch=50_000)
        if args.noise > 0:
            cluster(db, args.dim, args.noise, seed=2)
        kind = f"clustered (n/20 centres, noise {args.noise})" if args.noise > 0 else "random"
        print(f"{args.n:,} sightings x {args.dim}-d {kind} loaded in {time.perf_counter() - t:.0f} s", flush=True)

        ids_l, vecs_l = [], []
        for i, v in stream_embeddings(db, SYNTH_MODEL):
            ids_l.append(i)
            vecs_l.append(v.copy())
        all_ids, all_vecs = np.concatenate(ids_l), np.concatenate(vecs_l)
        del ids_l, vecs_l
        queries = [int(i) for i in rng.choice(all_ids, size=args.queries, replace=False)]

        def exact(qid: int, k: int, mask: npt.NDArray[np.bool_] | None = None) -> list[int]:
            q = all_vecs[np.searchsorted(all_ids, qid)]
            sims = all_vecs @ q
            sims[all_ids == qid] = -np.inf
            if mask is not None:
                sims[~mask] = -np.inf
            top = np.argsort(-sims, kind="stable")[:k]
            return [int(all_ids[j]) for j in top if np.isfinite(sims[j])]

        def run(label: str, fn: Callable[[int], tuple[list[int], str]], want: Callable[[int], list[int]]) -> float:
            fn(queries[0])  # warm the page cache and the mmap once
            ts, rec, how = [], [], set()
            for qid in queries:
                t = time.perf_counter()
                got, method = fn(qid)
                ts.append((time.perf_counter() - t) * 1000)
                rec.append(recall_of(got, want(qid)))
                how.add(method)
            p50, p95 = pct(ts)
            label = f"{label} [{', '.join(sorted(how))}]"
            print(f"   {label:<52} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  top-10 recall {np.mean(rec):.3f}", flush=True)
            return p50

        print(f"\nrebuild per call (load all, build HNSW M=32 efC=80, search; threshold {threshold:,}):")
        base = []
        for qid in queries[: args.baseline_calls]:
            t = time.perf_counter()
            r = similar(db, sighting_id=qid, k=10, ann_threshold=threshold)
            base.append(time.perf_counter() - t)
            got = [x.hit.sighting_id for x in r.results]
            print(f"   one call: {base[-1]:.1f} s ({r.method}), top-10 recall {recall_of(got, exact(qid, 10)):.3f}")
        per_call_ms = float(np.mean(base)) * 1000

        t = time.perf_counter()
        meta, _ = ensure_index(db, SYNTH_MODEL, media)
        build_s = time.perf_counter() - t
        size = (media / "ann" / meta.index_file).stat().st_size
        print(f"\npersisted index: built once in {build_s:.1f} s ({size / 1e6:.0f} MB file); per query:")

        def persisted(filters: SightingQuery | None) -> Callable[[int], tuple[list[int], str]]:
            def fn(qid: int) -> tuple[list[int], str]:
                r = similar(db, sighting_id=qid, k=10, filters=filters, media_dir=media, ann_threshold=threshold)
                return [x.hit.sighting_id for x in r.results], r.method

            return fn

        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("select id, colour, first_seen from sightings order by id")).all()
        colour = np.array([r.colour for r in rows])
        first = np.array([dt.datetime.fromisoformat(str(r.first_seen)).replace(tzinfo=dt.UTC) for r in rows])
        most = SightingQuery(colours=COLOURS[:7])
        day = TimeWindow(T0 + dt.timedelta(days=10), T0 + dt.timedelta(days=11))
        small = SightingQuery(colours=("white",), window=day)
        mask_most = np.isin(colour, COLOURS[:7])
        mask_small = (colour == "white") & (first >= day.start - dt.timedelta(minutes=10)) & (first <= day.end)
        p_all = run("no filter", persisted(None), lambda q: exact(q, 10))
        run(f"7 of 9 colours ({mask_most.sum():,} allowed)", persisted(most), lambda q: exact(q, 10, mask_most))
        run(f"white + 24 h ({mask_small.sum():,} allowed)", persisted(small), lambda q: exact(q, 10, mask_small))

        print("\nincremental:")
        generate(db, world, 500, seed=2, days=30.0)
        t = time.perf_counter()
        persisted(None)(queries[0])
        print(f"   500 new sightings, searched exactly next to the index: {(time.perf_counter() - t) * 1000:.0f} ms")
        generate(db, world, 2000, seed=3, days=30.0)
        t = time.perf_counter()
        persisted(None)(queries[0])
        print(f"   2,500 new sightings added and persisted, then searched: {time.perf_counter() - t:.1f} s (once)")
        t = time.perf_counter()
        persisted(None)(queries[1])
        print(f"   next query: {(time.perf_counter() - t) * 1000:.0f} ms")

        print(
            f"\nper query, rebuild per call / persisted index (no filter, p50): "
            f"{per_call_ms:,.0f} ms / {p_all:.1f} ms = x{per_call_ms / max(p_all, 1e-9):,.0f}"
        )
        print(f"the one-off build ({build_s:.0f} s) pays for itself after {build_s * 1000 / per_call_ms:.1f} calls")
        db.dispose()


if __name__ == "__main__":
    main()
