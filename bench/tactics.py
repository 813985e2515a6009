"""Checkpoint passes: ingest speed and each tactic on DuckDB (and Spark local), with same-run pandas ratios.

    python bench/tactics.py [--passes 10000000] [--ingest 200000] [--pandas-max 3000000]
                            [--spark-passes 1000000] [--threads 2] [--out DIR]

1. Ingest. A generated city stream of about ``--ingest`` passes as one GA/T 1400 JSON file.
   * ours, parse: ``read_passes`` (JSON decode, every field checked and mapped, rejections kept);
   * ours, import: parse + ``ingest`` into a fresh SQLite file (the id check per 5,000, Core
     executemany into ``sightings`` with its 17 indexes, one transaction);
   * pandas: ``json.load`` + ``DataFrame`` + ``to_datetime(format=...)`` + ``tz_convert`` (no checks,
     no code mapping) and, for the import, ``DataFrame.to_sql`` into a table with no indexes.
2. Tactics. A city of about ``--passes`` passes (169 checkpoints: 150 rounded up to a 13 x 13 grid;
   ``--days`` days, default 30; as many commuting vehicles as make the size), generated one day at
   a time and written as the export layout (``passes export``: one Parquet file per UTC day sorted by
   plate id and time, the plate dictionary, the same-day predecessors; ``--keep DIR`` keeps it for
   the next run). Each tactic run by DuckDB over the Parquet (``--threads``, 4 GB memory limit,
   spilling to the work folder), with wall seconds, this process's CPU seconds (DuckDB's threads
   included), the 1-minute load average, and precision/recall against the planted truths; and by a
   straightforward pandas implementation of the same definition (vectorised: ``groupby``/``shift``,
   ``merge_asof`` for companions; one thread) over the same rows already in memory (without the
   layout's columns; loading not counted), up to ``--pandas-max`` rows (above, pandas is skipped and
   said so). Both answers are compared (same plates). Companions over spans longer than a month ask
   for one day together a month (``planted.companion_days``).
3. Plate search without a window (``--plate-sightings`` sightings of a tenth as many plates, SQLite):
   the gram index (lookup + ``run_query`` of those plates) vs the scan (``run_query`` as before).
4. Spark local (``local[threads]``) over a ``--spark-passes`` city's Parquet, the same tactic SQL, and
   DuckDB over the same files: same JSON, precision/recall (Spark's CPU is in its JVM: wall only).

Times are wall-clock seconds of one run each (after one warm-up query per engine), on whatever the
machine is doing at the time: the ratios are the figure to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xueliang.investigate.passes import read_passes  # noqa: E402
from xueliang.investigate.passes_generate import (  # noqa: E402
    City,
    CityPlan,
    generate_city,
    plan_city,
    register_checkpoints,
    to_gat1400,
)
from xueliang.investigate.passes_store import ingest  # noqa: E402
from xueliang.investigate.tactics.columnar import city_plates, passes_from_city, write_parquet  # noqa: E402
from xueliang.investigate.tactics.engines import DuckEngine  # noqa: E402
from xueliang.investigate.tactics.planted import (  # noqa: E402
    companion_days,
    found,
    planted_answers,
    planted_calls,
    precision_recall,
    window,
)

PASSES_PER_VEHICLE_DAY = 11.25  # measured on the generator's commutes (49.16M for 50M asked at 11.5)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def city_for(passes: int, *, days: int, seed: int = 1) -> City:
    vehicles = max(200, int(passes / (days * PASSES_PER_VEHICLE_DAY)))
    return generate_city(checkpoints=150, vehicles=vehicles, days=days, seed=seed)


def plan_for(passes: int, *, days: int, seed: int = 1) -> CityPlan:
    vehicles = max(200, int(passes / (days * PASSES_PER_VEHICLE_DAY)))
    return plan_city(checkpoints=150, vehicles=vehicles, days=days, seed=seed)


def write_plan(plan: CityPlan, folder: Path) -> int:
    """The city's passes as an export folder, one generated day at a time; returns the passes."""
    marker = folder / "_city.json"
    key = {"plates": len(plan.plates), "days": plan.days_n, "seed": plan.seed, "side": plan.side}
    if marker.exists() and json.loads(marker.read_text())["key"] == key:
        return int(json.loads(marker.read_text())["passes"])  # kept from an earlier run (--keep)
    city_plates(plan).save(folder)
    n = 0
    for rows in plan.days():
        write_parquet(passes_from_city(plan, rows, first_id=n + 1), folder)
        n += len(rows[1])
    marker.write_text(json.dumps({"key": key, "passes": n}))
    return n


# --- ingest ----------------------------------------------------------------------------------------
def bench_ingest(n: int, tmp: Path) -> None:
    from xueliang.storage import open_database

    city = city_for(n, days=2)
    recs = to_gat1400(city)
    path = tmp / "passes.json"
    path.write_text(json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": recs}}, ensure_ascii=False))
    size = path.stat().st_size / 1e6
    print(f"\n== ingest: {len(recs):,} passes, one GA/T 1400 JSON file of {size:.0f} MB")
    t_parse, parsed = timed(lambda: read_passes(path))
    db = open_database(f"sqlite:///{tmp / 'ingest.db'}")

    register_checkpoints(db, city)
    t_ingest, res = timed(lambda: ingest(db, parsed))
    assert res.added == len(recs), res

    def pandas_parse() -> pd.DataFrame:
        doc = json.loads(path.read_bytes())
        df = pd.DataFrame(doc["MotorVehicleListObject"]["MotorVehicleObject"])
        df["PassTime"] = (
            pd.to_datetime(df["PassTime"], format="%Y%m%d%H%M%S").dt.tz_localize("+08:00").dt.tz_convert("UTC")
        )
        return df

    t_pd, df = timed(pandas_parse)
    con = sqlite3.connect(tmp / "pandas.db")
    t_pd_sql, _ = timed(lambda: df.to_sql("passes", con, index=False, chunksize=50_000))
    con.close()
    n_rec = len(recs)
    print(f"{'':34}{'seconds':>10}{'passes/s':>12}")
    for label, secs in (
        ("ours: parse + check", t_parse),
        ("ours: parse + check + import", t_parse + t_ingest),
        ("pandas: parse (no checks)", t_pd),
        ("pandas: parse + to_sql (no index)", t_pd + t_pd_sql),
    ):
        print(f"{label:34}{secs:10.2f}{n_rec / secs:12,.0f}")
    ratio_import = (t_parse + t_ingest) / (t_pd + t_pd_sql)
    print(f"ratio ours / pandas time: parse {t_parse / t_pd:.2f}, import {ratio_import:.2f}")
    db.dispose()


# --- pandas baselines (straightforward implementations of the same definitions) --------------------
def hav(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))


def pd_cloned(df: pd.DataFrame) -> set[str]:
    d = df.sort_values(["plate", "t", "id"])
    g = d.groupby("plate", sort=False)
    prev = g[["camera_id", "t", "lon", "lat"]].shift()
    ok = prev["t"].notna() & (prev["camera_id"] != d["camera_id"])
    metres = hav(prev["lon"], prev["lat"], d["lon"], d["lat"])
    fast = ok & (metres >= 1000) & (metres * 3.6 > 150 * (d["t"] - prev["t"]))
    speed = set(d.loc[fast, "plate"])
    conflict: set[str] = set()
    for col in ("colour", "vehicle_type", "brand"):
        n = d.groupby(["plate", col]).size()
        n = n[n >= 2].reset_index()
        many = n.groupby("plate")[col].nunique()
        conflict |= set(many[many > 1].index)
    return speed | conflict


def pd_companions(df: pd.DataFrame, plate: str, k: int = 3, min_days: int = 2, dt_s: int = 120) -> set[str]:
    tgt = df.loc[df.plate == plate, ["camera_id", "t"]].rename(columns={"t": "tt"}).sort_values("tt")
    tgt["t"] = tgt["tt"]
    others = df.loc[df.plate != plate, ["plate", "camera_id", "t"]].sort_values("t")
    m = pd.merge_asof(others, tgt, on="t", by="camera_id", tolerance=dt_s, direction="nearest").dropna()
    m["day"] = (m["t"] + 8 * 3600) // 86400
    cams = m.groupby(["plate", "day"])["camera_id"].nunique()
    days = (cams[cams >= k]).groupby("plate").size()
    return set(days[days >= min_days].index)


def pd_first_entry(df: pd.DataFrame, entries: set[str], t1: int, t2: int, lookback: int) -> set[str]:
    w = df[(df.t >= t1 - lookback) & (df.t <= t2)]
    first = w.groupby("plate")["t"].min()
    e = w[(w.t >= t1) & w.camera_id.isin(entries)]
    e = e[e["t"].to_numpy() == first.reindex(e["plate"]).to_numpy()]
    return set(e["plate"])


def pd_nocturnal(df: pd.DataFrame) -> set[str]:
    sod = (df.t + 8 * 3600) % 86400
    night = (sod >= 22 * 3600) | (sod < 6 * 3600)
    nights = ((df.t + 8 * 3600 - 6 * 3600) // 86400).where(night)
    g = pd.DataFrame({"plate": df.plate, "night": night, "nights": nights}).groupby("plate")
    s = g.agg(n=("night", "size"), k=("night", "sum"), nights=("nights", "nunique"))
    return set(s[(s.n >= 10) & (s.k >= 0.8 * s.n) & (s.nights >= 3)].index)


def pd_frequent(df: pd.DataFrame, t1: int, t2: int) -> set[str]:
    n = df[(df.t >= t1) & (df.t <= t2)].groupby(["plate", "camera_id"]).size()
    return {p for p, _ in n[n >= 8].index}


def pd_footholds(df: pd.DataFrame, plate: str) -> set[str]:
    p = df[df.plate == plate].sort_values(["t", "id"])
    gap = p["t"].shift(-1) - p["t"]
    ends = p[gap.isna() | (gap >= 7200)]
    n = ends.groupby("camera_id").size()
    return set(n[n >= 2].index)


def pd_area(df: pd.DataFrame, scenes: list[tuple[str, int, int]]) -> set[str]:
    s = pd.DataFrame(scenes, columns=["camera_id", "t1", "t2"]).reset_index(names="scene")
    m = df.merge(s, on="camera_id")
    m = m[(m.t >= m.t1) & (m.t <= m.t2)]
    n = m.groupby("plate")["scene"].nunique()
    return set(n[n >= 2].index)


# --- tactics ----------------------------------------------------------------------------------------
iso = window


def baselines(city: City | CityPlan, df: pd.DataFrame) -> dict[str, Callable[[], set[str]]]:
    t = city.truths
    (target, _), *_ = t.companions.items()
    (foot, _), *_ = t.footholds.items()
    w1, w2 = iso(t.first_entry_window).t1, iso(t.first_entry_window).t2
    f1, f2 = iso(t.frequent_window).t1, iso(t.frequent_window).t2
    scenes = [(s.camera_id, iso((s.start, s.end)).t1, iso((s.start, s.end)).t2) for s in t.scenes]
    return {
        "cloned-plates": lambda: pd_cloned(df),
        "companions": lambda: pd_companions(df, target, min_days=companion_days(t)),
        "first-entry": lambda: pd_first_entry(df, set(t.entry_cameras), w1, w2, 30 * 86400),
        "footholds": lambda: pd_footholds(df, foot),
        "nocturnal": lambda: pd_nocturnal(df),
        "frequent": lambda: pd_frequent(df, f1, f2),
        "area-collision": lambda: pd_area(df, scenes),
    }


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def bench_tactics(n: int, days: int, pandas_max: int, threads: int, tmp: Path, keep: Path | None) -> None:
    plan = plan_for(n, days=days)
    folder = keep or tmp / "parquet"
    folder.mkdir(parents=True, exist_ok=True)
    t_gen, n_passes = timed(lambda: write_plan(plan, folder))
    files = len(list(folder.glob("day=*/*.parquet")))
    mb = sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 1e6
    print(
        f"\n== tactics: {n_passes:,} passes, {len(plan.checkpoints)} checkpoints, {days} days, "
        f"{len(set(plan.plates)):,} plates; generated and written day by day in {t_gen:.0f} s "
        f"(Parquet: {files} day files, {mb:.0f} MB, sorted by plate id and time; load {load_average()})"
    )
    duck = DuckEngine(parquet=folder, threads=threads, memory="4GB", temp_dir=tmp)
    duck.query("SELECT COUNT(*) FROM passes", {})
    df = None
    if n_passes <= pandas_max * 1.1:  # the generator hits the size within a few per cent
        day_files = sorted(folder.glob("day=*/*.parquet"))
        t_load, df = timed(lambda: pd.read_parquet(day_files, columns=PANDAS_COLUMNS))
        print(f"pandas: the same rows read into memory in {t_load:.0f} s (not counted below)")
    want = planted_answers(plan.truths)
    print(
        f"{'tactic':16}{'duckdb s':>9}{'cpu s':>7}{'load':>6}{'P':>6}{'R':>6}"
        f"{'pandas s':>10}{'pandas/duckdb':>15}  same answer"
    )
    for name, call in planted_calls(plan.truths).items():
        cpu = time.process_time()
        t_d, res = timed(lambda call=call: call(duck))
        cpu = time.process_time() - cpu
        got = found(name, res)
        p, r = precision_recall(got, want[name])
        line = f"{name:16}{t_d:9.2f}{cpu:7.1f}{os.getloadavg()[0]:6.1f}{p:6.2f}{r:6.2f}"
        if df is None:
            print(f"{line}{'-':>10}{'-':>15}  (pandas skipped above --pandas-max)")
            continue
        t_p, base = timed(baselines(plan, df)[name])
        print(f"{line}{t_p:10.2f}{t_p / t_d:15.1f}  {base == got}")
    duck.close()


PANDAS_COLUMNS = ["id", "camera_id", "t", "plate", "colour", "vehicle_type", "brand", "lon", "lat"]


def bench_spark(n: int, days: int, threads: int, tmp: Path) -> None:
    from xueliang.investigate.tactics.engines import SparkEngine

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    plan = plan_for(n, days=days)
    folder = tmp / "spark-parquet"
    n_passes = write_plan(plan, folder)
    t_start, spark = timed(lambda: SparkEngine(parquet=folder, master=f"local[{threads}]"))
    duck = DuckEngine(parquet=folder, threads=threads)
    spark.query("SELECT COUNT(*) FROM passes", {})
    duck.query("SELECT COUNT(*) FROM passes", {})
    want = planted_answers(plan.truths)
    print(
        f"\n== Spark local[{threads}] vs DuckDB: {n_passes:,} passes (session start {t_start:.0f} s, "
        f"load {load_average()}); Spark's CPU is in its JVM, not counted here"
    )
    print(f"{'tactic':16}{'spark s':>10}{'duckdb s':>10}{'spark/duckdb':>14}{'P':>6}{'R':>6}  same JSON")
    for name, call in planted_calls(plan.truths).items():
        t_s, rs = timed(lambda call=call: call(spark))
        t_d, rd = timed(lambda call=call: call(duck))
        same = {**rs.to_json(), "engine": ""} == {**rd.to_json(), "engine": ""}
        p, r = precision_recall(found(name, rs), want[name])
        print(f"{name:16}{t_s:10.2f}{t_d:10.2f}{t_s / t_d:14.1f}{p:6.2f}{r:6.2f}  {same}")
    spark.close()
    duck.close()


# --- plate lookups without a window -----------------------------------------------------------------
def bench_plates(n: int, repeats: int, tmp: Path) -> None:
    """``search --plate`` without a window: the gram index vs the scan (the same run_query otherwise)."""
    from dataclasses import replace

    from sqlalchemy import insert, text

    from tests.investigate.checkpoint_rows import checkpoint_camera, checkpoint_sighting
    from vision.tables import SightingRow
    from xueliang.investigate.plate_index import candidate_plates, refresh
    from xueliang.investigate.plates_match import parse_plate_pattern
    from xueliang.investigate.search import SightingQuery, camera_positions, run_query
    from xueliang.storage import CameraRow, open_database

    db = open_database(f"sqlite:///{tmp / 'plates.db'}")
    rng = np.random.default_rng(5)
    chars = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
    pool_n = max(1000, n // 10)  # a vehicle passes ten times on average
    pool = ["晋" + "".join(r) for r in chars[rng.integers(0, len(chars), (pool_n, 6))].tolist()]
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    with db.engine.begin() as conn:
        conn.execute(insert(CameraRow), [checkpoint_camera(t0)])
        keep = {"ix_sightings_plate_text"}
        dropped = [
            (name, sql)
            for name, sql in conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND "
                    "tbl_name='sightings' AND sql IS NOT NULL"
                )
            )
            if name not in keep
        ]
        for name, _ in dropped:
            conn.execute(text(f'DROP INDEX "{name}"'))
    t_load = time.perf_counter()
    table = SightingRow.metadata.tables["sightings"]
    for lo in range(0, n, 100_000):
        k = min(100_000, n - lo)
        picks = rng.integers(0, pool_n, k)
        rows = [checkpoint_sighting(t0 + dt.timedelta(seconds=int(lo + i)), pool[int(p)]) for i, p in enumerate(picks)]
        with db.engine.begin() as conn:
            conn.execute(insert(table), rows)
    t_load = time.perf_counter() - t_load
    t_build, plates = timed(lambda: refresh(db))
    print(
        f"\n== plate search without a window: {n:,} sightings of {len(set(pool)):,} plates (SQLite; loaded in "
        f"{t_load:.0f} s, gram index built in {t_build:.0f} s over {plates:,} plates)"
    )
    positions = camera_positions(db)
    print(f"{'pattern':22}{'index p50/p95 ms':>20}{'scan p50/p95 ms':>20}{'scan/index p95':>16}  same hits")
    for text_, edits in (("晋M*12*", 1), ("*12*", 0), ("晋?7K*", 1), ("*Q9Z", 0)):
        pattern = parse_plate_pattern(text_, max_edits=edits)
        q = SightingQuery(plate=pattern, limit=100_000)
        t_idx, t_scan = [], []
        for _ in range(repeats):
            t1, found = timed(lambda pattern=pattern: candidate_plates(db, pattern))
            t2, r_idx = timed(lambda q=q, found=found: run_query(db, replace(q, plates=found.plates), positions))
            t_idx.append((t1 + t2) * 1000)
            t3, r_scan = timed(lambda q=q: run_query(db, q, positions))
            t_scan.append(t3 * 1000)
        same = {h.sighting_id for h in r_idx.hits} == {h.sighting_id for h in r_scan.hits}
        pi, ps = np.percentile(t_idx, [50, 95]), np.percentile(t_scan, [50, 95])
        print(
            f"{text_ + (' ~1' if edits else ''):22}{pi[0]:10.1f}/{pi[1]:8.1f}{ps[0]:11.1f}/{ps[1]:8.1f}"
            f"{ps[1] / pi[1]:16.1f}  {same} ({len(r_idx.hits):,} hits)"
        )
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passes", type=int, default=10_000_000)
    ap.add_argument("--ingest", type=int, default=200_000)
    ap.add_argument("--pandas-max", type=int, default=3_000_000)
    ap.add_argument("--spark-passes", type=int, default=1_000_000, help="0 = skip Spark")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--days", type=int, default=30, help="Days of the tactic cities (vehicles sized to --passes).")
    ap.add_argument("--plate-sightings", type=int, default=1_000_000, help="0 = skip the plate lookups")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None, help="Work folder (default: a temporary one).")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the tactic city's Parquet here (reused if the same).")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.out) as tmp_name:
        tmp = Path(tmp_name)
        if a.ingest:
            bench_ingest(a.ingest, tmp)
        if a.passes:
            bench_tactics(a.passes, a.days, a.pandas_max, a.threads, tmp, a.keep)
        if a.plate_sightings:
            bench_plates(a.plate_sightings, a.repeats, tmp)
        if a.spark_passes:
            bench_spark(a.spark_passes, a.days, a.threads, tmp)


if __name__ == "__main__":
    main()
