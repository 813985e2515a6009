"""Checkpoint passes: ingest speed and each tactic on DuckDB (and Spark local), with same-run pandas ratios.

    python bench/tactics.py [--passes 10000000] [--ingest 200000] [--pandas-max 3000000] [--pg URL]
                            [--spark-passes 1000000] [--spark-memory 4g] [--threads 2] [--keep DIR] [--out DIR]

1. Ingest. A generated city stream of about ``--ingest`` passes as one GA/T 1400 JSON file (and copies of it
   2, 4, 6 days later, or under other MotorVehicleIDs). CPU is this process's plus that of the child
   processes it waited for (ours forks one to check half of a big file, and one to read the next file).
   * ours, parse: ``read_passes`` (msgspec decode; every field checked and code-mapped column-wise, once
     per distinct value, times with numpy; rejections kept, as record by record), in 1 process and in 2
     (``workers=2``: the two halves of the record list checked at once, joined);
   * ours, import: ``import_files`` (what ``xueliang passes import FILE...`` runs): the file read in 2
     processes, the devices checked, one prepared ``INSERT OR IGNORE`` run by the driver's executemany
     (the unique MotorVehicleID index is the idempotence check), the file's new plates into the plate
     gram index (their entries computed in a thread meanwhile), one transaction, audit row; a load at
     least as large as the table drops the secondary indexes and rebuilds them after (into an empty
     table the unique index too). Into an empty table; then a file 2 days later into that table (same
     size: rebuilt); the first file's passes under new ids (same times) into twice that; a re-import
     (nothing added); a quarter-size file (indexes kept);
   * ours, 4 files in a row (8 days) into a fresh table: the bulk-history case (file k+1 read in a second
     process while file k is stored);
   * ours, one later file into a table of ``--ingest-big`` files' passes (built in SQL, not timed);
   * SQLite alone: the first file's rows, ready as tuples, by one executemany with the indexes dropped,
     the indexes built again, commit: what the database itself costs (no parse, no check, no plate
     index), the floor of any import into this table; into an empty table and into one of the same size;
   * SQLite alone, narrow table: the same rows as a table that is not built (integer times and codes,
     4 indexes: MotorVehicleID, plate + time, camera + time, time): what the "lean store" would cost;
   * pandas: ``json.loads`` + ``DataFrame`` + ``to_datetime(format=...)`` + ``tz_convert`` (no checks,
     no code mapping, no rejection report), in 1 process and in 2 (the same two halves, a process pool:
     what ours gets), and, for the import, the faster parse + ``DataFrame.to_sql`` (chunks of 50,000)
     into a table with no indexes and no idempotence.
   Printed: wall and CPU seconds, passes/s on each, the load average.
1b. With ``--pg URL`` (a PostgreSQL server where the user may create databases): the same loads into a
   new database there (dropped after), against pandas ``to_sql``; the server's CPU too when it runs on
   this machine (``bench_ingest_pg``).
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
   said so). Both answers are compared (same plates). Every tactic runs with its defaults (companions'
   days together: 2, or one per 30 days the target was seen, ``run.companion_min_days``).
3. Plate search (``--plate-sightings`` sightings of a tenth as many plates over 30 days, SQLite, built
   straight into the file): ``plate_search`` — the first page of 50 hits by time and a total (or an
   estimate) — p50/p95 over ``--repeats`` draws of each kind (exact with --exact, one wildcard,
   prefix+suffix, a pattern of ~120,000 hits, a loose prefix), with and without a 24 h window, wall
   and CPU ms, the whole mix's p95 and the load average; then the scan (``run_query`` returning every
   matching row, as search did) on two of them, same run, whose row count is the true total beside
   the paged search's estimate. ``--plate-db FILE`` keeps the fixture there (built if missing, reused
   if present: building 10M takes about 15 min).
4. Spark local (``local[threads]``, ``--spark-memory`` driver heap) over a ``--spark-passes`` city's
   Parquet (``--keep``'s when it holds that city), the same tactic SQL, and DuckDB
   over the same files in the same run: wall and CPU seconds (Spark's: its JVM's, read from /proc),
   same JSON, precision/recall.

Times are wall-clock seconds of one run each (after one warm-up query per engine), on whatever the
machine is doing at the time: the ratios are the figure to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
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
from xueliang.investigate.passes_store import import_files, ingest  # noqa: E402
from xueliang.investigate.tactics.columnar import city_plates, passes_from_city, write_parquet  # noqa: E402
from xueliang.investigate.tactics.engines import DuckEngine  # noqa: E402
from xueliang.investigate.tactics.planted import (  # noqa: E402
    found,
    planted_answers,
    planted_calls,
    precision_recall,
    window,
)
from xueliang.investigate.tactics.run import companion_min_days  # noqa: E402

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


def _key(plan: CityPlan) -> dict[str, int]:
    return {"plates": len(plan.plates), "days": plan.days_n, "seed": plan.seed, "side": plan.side}


def kept(plan: CityPlan, folder: Path) -> bool:
    """Whether ``folder`` holds this city's passes, written by an earlier run (``--keep``)."""
    marker = folder / "_city.json"
    return marker.exists() and json.loads(marker.read_text())["key"] == _key(plan)


def write_plan(plan: CityPlan, folder: Path) -> int:
    """The city's passes as an export folder, one generated day at a time; returns the passes."""
    marker = folder / "_city.json"
    key = _key(plan)
    if kept(plan, folder):
        return int(json.loads(marker.read_text())["passes"])  # kept from an earlier run (--keep)
    city_plates(plan).save(folder)
    n = 0
    for rows in plan.days():
        write_parquet(passes_from_city(plan, rows, first_id=n + 1), folder)
        n += len(rows[1])
    marker.write_text(json.dumps({"key": key, "passes": n}))
    return n


# --- ingest ----------------------------------------------------------------------------------------
def cpu_timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process and of the child processes it waited for, result)."""
    w, c = time.perf_counter(), time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    c_kids = after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime
    return time.perf_counter() - w, time.process_time() - c + c_kids, out


def _gat_file(path: Path, recs: list[dict[str, Any]], *, days: int = 0, suffix: str = "") -> Path:
    """``recs`` as one GA/T 1400 file, ``days`` later and with ``suffix`` on every MotorVehicleID."""
    if days or suffix:
        shift = dt.timedelta(days=days)
        recs = [
            r
            | {
                "MotorVehicleID": f"{r['MotorVehicleID']}{suffix}",
                "PassTime": (dt.datetime.strptime(r["PassTime"], "%Y%m%d%H%M%S") + shift).strftime("%Y%m%d%H%M%S"),
            }
            for r in recs
        ]
    path.write_text(json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": recs}}, ensure_ascii=False))
    return path


def _load_floor(
    con: sqlite3.Connection, table: str, insert: str, ready: list[tuple[Any, ...]], id_at: int, stored: bool
) -> tuple[float, float]:
    """SQLite's own part of a load of ``ready`` (rows as tuples) into ``table``: with ``stored``, the same rows
    first under other ids (column ``id_at``; not timed); then, timed: the table's indexes dropped, one
    executemany, the indexes built again, commit. No parse, check or plate index. Closes ``con``."""
    q = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL"
    if stored:
        con.execute("BEGIN IMMEDIATE")
        con.executemany(insert, [(*r[:id_at], f"{r[id_at]}~", *r[id_at + 1 :]) for r in ready])
        con.execute("COMMIT")

    def floor() -> None:
        con.execute("BEGIN IMMEDIATE")
        ddl = con.execute(q).fetchall()
        for name, _ in ddl:
            con.execute(f'DROP INDEX "{name}"')
        con.executemany(insert, ready)
        for _, sql in ddl:
            con.execute(sql)
        con.execute("COMMIT")

    w, c, _ = cpu_timed(floor)
    con.close()
    return w, c


def _sqlite_floor(path: Path, ready: list[tuple[Any, ...]], stored: int) -> tuple[float, float]:
    """:func:`_load_floor` into ``path``'s sightings (holding ``stored`` rows more first)."""
    from xueliang.investigate import passes_store

    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA cache_size = {-passes_store.CACHE_KIB}")
    return _load_floor(con, "sightings", passes_store._SQLITE_INSERT, ready, 9, bool(stored))


_NARROW = (
    "CREATE TABLE passes (id INTEGER PRIMARY KEY, external_id TEXT NOT NULL, camera INTEGER NOT NULL, "
    "at INTEGER NOT NULL, plate TEXT, plate_state INTEGER, plate_colour INTEGER, vehicle_type INTEGER, "
    "colour INTEGER, brand TEXT, lane INTEGER, direction INTEGER)",
    "CREATE UNIQUE INDEX ix_passes_external_id ON passes (external_id)",
    "CREATE INDEX ix_passes_plate_at ON passes (plate, at)",
    "CREATE INDEX ix_passes_camera_at ON passes (camera, at)",
    "CREATE INDEX ix_passes_at ON passes (at)",
)


def _narrow_floor(path: Path, batch: Any, stored: int) -> tuple[float, float]:
    """What a narrow pass table would cost SQLite (the "lean store" option, not built): integer times and
    codes, 4 indexes (MotorVehicleID, plate+time, camera+time, time); the same load as :func:`_sqlite_floor`."""
    codes = {n: pd.factorize(getattr(batch, n))[0].tolist() for n in ("device_id", "plate_state", "plate_colour")}
    codes |= {n: pd.factorize(getattr(batch, n))[0].tolist() for n in ("vehicle_type", "colour", "direction")}
    cols = [
        batch.external_id.tolist(),
        codes["device_id"],
        (batch.at_us // 1_000_000).tolist(),
        batch.plate_text.tolist(),
        *(codes[n] for n in ("plate_state", "plate_colour", "vehicle_type", "colour")),
        batch.brand.tolist(),
        batch.lane.tolist(),
        codes["direction"],
    ]
    ready = list(zip(*cols, strict=True))
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA cache_size = -262144")
    for ddl in _NARROW:
        con.execute(ddl)
    insert = f"INSERT OR IGNORE INTO passes VALUES (NULL, {', '.join('?' * 11)})"
    return _load_floor(con, "passes", insert, ready, 0, bool(stored))


def _grow(db: Any, copies: int) -> int:
    """The sightings' rows ``copies`` times more (other MotorVehicleIDs, times a day later per copy), straight
    in SQL with the indexes rebuilt once; the plate index marked current (same plates). Returns the rows."""
    from xueliang.investigate.passes_store import secondary_indexes

    cols = (
        "video_id, camera_id, track_id, first_seen, last_seen, detector_class, detector_confidence, colour, "
        "colour_confidence, vehicle_type, vehicle_type_confidence, plate_state, plate_state_confidence, plate_text, "
        "plate_text_confidence, plate_colour, direction, direction_deg, best_frame, source, external_id, lane, brand"
    )
    with db.transaction() as s:
        from sqlalchemy import text

        top = s.scalar(text("SELECT max(id) FROM sightings"))
        ddl = secondary_indexes(s, unique=True)
        for name, _ in ddl:
            s.execute(text(f'DROP INDEX "{name}"'))
        for k in range(1, copies + 1):
            shifted = cols.replace("first_seen, last_seen", f"{_later(k)} AS a, {_later(k)} AS b").replace(
                "external_id", f"external_id || '~{k}'"
            )
            s.execute(text(f"INSERT INTO sightings ({cols}) SELECT {shifted} FROM sightings WHERE id <= {top}"))
        for _, sql in ddl:
            s.execute(text(sql))
        n = int(s.scalar(text("SELECT max(id) FROM sightings")))
        s.execute(text(f"UPDATE plate_index_state SET last_sighting_id = {n}"))
    return n


def pandas_parse(data: bytes) -> pd.DataFrame:
    """The pandas baseline's parse: ``json.loads``, ``DataFrame``, ``to_datetime`` (no checks, no code mapping)."""
    doc = json.loads(data)
    df = pd.DataFrame(doc if isinstance(doc, list) else doc["MotorVehicleListObject"]["MotorVehicleObject"])
    df["PassTime"] = pd.to_datetime(df["PassTime"], format="%Y%m%d%H%M%S").dt.tz_localize("+08:00").dt.tz_convert("UTC")
    return df


def _later(days: int) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%f000', first_seen, '+{days * 2} days')"


def bench_ingest(n: int, tmp: Path, *, big: int = 0) -> None:
    """Section 1 (see the module text): ours keeps every check, the rejection report and idempotence."""
    from xueliang.investigate import passes_store
    from xueliang.investigate.passes_store import DEFER_MIN, device_map
    from xueliang.storage import open_database

    city = city_for(n, days=2)
    recs = to_gat1400(city)
    path = _gat_file(tmp / "passes.json", recs)
    same = _gat_file(tmp / "same.json", recs, suffix="b")  # the same passes again under other ids
    later = [_gat_file(tmp / f"later{k}.json", recs, days=2 * k, suffix=f"d{k}") for k in (1, 2, 3)]
    quarter = _gat_file(tmp / "quarter.json", recs[: len(recs) // 4], days=8, suffix="q")
    n_rec = len(recs)
    print(
        f"\n== ingest: {n_rec:,} passes per GA/T 1400 JSON file of {path.stat().st_size / 1e6:.0f} MB "
        f"(load {load_average()}); cpu = this process + the child processes it waited for",
        flush=True,
    )

    def fresh(name: str) -> Any:
        db = open_database(f"sqlite:///{tmp / name}")
        register_checkpoints(db, city)
        return db

    def run(db: Any, files: list[Path]) -> list[Any]:
        return list(import_files(db, files))  # what `xueliang passes import FILE...` runs

    rows: list[tuple[str, int, float, float]] = []
    print(f"{'':48}{'wall s':>8}{'cpu s':>8}{'passes/s (cpu)':>16}{'passes/s (wall)':>17}")

    def add(label: str, k: int, wall: float, cpu: float) -> None:
        rows.append((label, k, wall, cpu))
        print(f"{label:48}{wall:8.2f}{cpu:8.2f}{k / cpu:16,.0f}{k / wall:17,.0f}", flush=True)

    read_passes(quarter)  # warm: the decoders are built, the code imported
    w, c, parsed = cpu_timed(lambda: read_passes(path))
    add("ours: parse + check, 1 process", n_rec, w, c)
    w, c, _ = cpu_timed(lambda: read_passes(path, workers=2))
    add("ours: parse + check, 2 processes", n_rec, w, c)
    db = fresh("ingest.db")
    w, c, res = cpu_timed(lambda: run(db, [path]))
    assert [r.added for r in res] == [n_rec], res
    add("ours: import 1 file, empty table", n_rec, w, c)
    w, c, res = cpu_timed(lambda: run(db, [later[0]]))
    assert [r.added for r in res] == [n_rec], res
    add(f"ours: 1 later file into {n_rec:,}", n_rec, w, c)
    w, c, res = cpu_timed(lambda: run(db, [same]))
    assert [r.added for r in res] == [n_rec], res
    add(f"ours: same times, new ids, into {2 * n_rec:,}", n_rec, w, c)
    w, c, res = cpu_timed(lambda: run(db, [path]))
    assert [(r.added, r.already) for r in res] == [(0, n_rec)], res
    add("ours: re-import (all already stored)", n_rec, w, c)
    w, c, res = cpu_timed(lambda: run(db, [quarter]))
    assert [r.added for r in res] == [len(recs) // 4], res
    add(f"ours: {len(recs) // 4:,} into {3 * n_rec:,} (indexes kept)", len(recs) // 4, w, c)
    db.dispose()
    db = fresh("history.db")
    w, c, res = cpu_timed(lambda: run(db, [path, *later]))
    assert [r.added for r in res] == [n_rec] * 4, res
    add("ours: 4 files in a row (8 days), empty table", 4 * n_rec, w, c)
    db.dispose()
    if big:
        db = fresh("big.db")
        run(db, [path])
        stored = _grow(db, big - 1)
        w, c, res = cpu_timed(lambda: run(db, [later[2]]))
        assert [r.added for r in res] == [n_rec], res
        add(f"ours: 1 later file into {stored:,}", n_rec, w, c)
        db.dispose()
    # SQLite's own part: the first file's rows ready as tuples (no parse, no check, no plate index)
    floor_db = fresh("floor.db")
    cams = passes_store._cameras(parsed.batch, device_map(floor_db))[0]
    floor_db.dispose()
    ready = list(passes_store._rows(parsed.batch, cams, passes_store.sql_times(parsed.batch.at_us)))
    w, c = _sqlite_floor(tmp / "floor.db", ready, 0)
    add("sqlite alone: rows + indexes + commit, empty", n_rec, w, c)
    floor_db = fresh("floor2.db")
    floor_db.dispose()
    w, c = _sqlite_floor(tmp / "floor2.db", ready, n_rec)
    add(f"sqlite alone: the same into {n_rec:,}", n_rec, w, c)
    w, c = _narrow_floor(tmp / "narrow.db", parsed.batch, 0)
    add("sqlite alone, narrow table (not built), empty", n_rec, w, c)
    w, c = _narrow_floor(tmp / "narrow2.db", parsed.batch, n_rec)
    add(f"sqlite alone, narrow table, into {n_rec:,}", n_rec, w, c)

    w_pd, c_pd, df = cpu_timed(lambda: pandas_parse(path.read_bytes()))
    add("pandas: parse (no checks), 1 process", n_rec, w_pd, c_pd)

    def pandas_parse_2() -> pd.DataFrame:  # the two halves of the list parsed in 2 processes, as ours
        from concurrent.futures import ProcessPoolExecutor

        from xueliang.investigate.passes import _halves

        halves = _halves(path.read_bytes())
        assert halves is not None
        with ProcessPoolExecutor(2) as pool:
            return pd.concat(list(pool.map(pandas_parse, halves)), ignore_index=True)

    w_pd2, c_pd2, _ = cpu_timed(pandas_parse_2)
    add("pandas: parse (no checks), 2 processes", n_rec, w_pd2, c_pd2)
    con = sqlite3.connect(tmp / "pandas.db")
    w, c, _ = cpu_timed(lambda: df.to_sql("passes", con, index=False, chunksize=50_000))
    con.close()
    w_best = min(w_pd, w_pd2)
    add("pandas: parse + to_sql (no checks, no index)", n_rec, w_best + w, (c_pd if w_pd <= w_pd2 else c_pd2) + c)
    by = {label: (wall, cpu) for label, _, wall, cpu in rows}
    ours, theirs = by["ours: import 1 file, empty table"], by["pandas: parse + to_sql (no checks, no index)"]
    print(
        f"ratio ours / pandas: import wall {ours[0] / theirs[0]:.2f}, CPU {ours[1] / theirs[1]:.2f}; parse wall "
        f"{by['ours: parse + check, 2 processes'][0] / min(w_pd, w_pd2):.2f}; indexes rebuilt after a load of "
        f">= {DEFER_MIN:,} into a table no larger; load average {load_average()}"
    )


def _proc_cpu(pid: int, *, children: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11 : 15 if children else 13]) / os.sysconf("SC_CLK_TCK")


def server_cpu(engine: Any) -> float | None:
    """CPU seconds of a PostgreSQL server on this machine: its postmaster with its reaped backends, plus
    the live backends (None when the server is elsewhere or /proc is not readable)."""
    with engine.connect() as c:
        backend = int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar())
    try:
        master = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        live = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(int(p.name)) == master]
        return _proc_cpu(master, children=True) + sum(_proc_cpu(p, children=False) for p in live)
    except (OSError, ValueError):
        return None


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def bench_ingest_pg(n: int, tmp: Path, server: str) -> None:
    """Section 1b: the same loads into a new PostgreSQL database on ``server`` (``--pg URL``, a server where
    the user may create databases; dropped after): ours (``ingest``: COPY into a temporary table, then
    ``INSERT ... ON CONFLICT DO NOTHING`` on the MotorVehicleID index, every check, the audit row) vs
    pandas ``to_sql`` (psycopg executemany, chunks of 50,000, no checks, no indexes, no idempotence).
    CPU: this process's, and the server's when it runs on this machine (its postmaster and backends, from
    /proc); passes/s of CPU counts both."""
    import uuid

    import sqlalchemy as sa

    from xueliang.storage import open_database

    city = city_for(n, days=2)
    recs = to_gat1400(city)
    path = tmp / "pg-passes.json"
    path.write_text(json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": recs}}, ensure_ascii=False))
    for r in recs:
        r["MotorVehicleID"] = str(r["MotorVehicleID"]) + "b"
    second = tmp / "pg-passes2.json"
    second.write_text(json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": recs}}, ensure_ascii=False))
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"xueliang_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    rows: list[tuple[str, float, float, float | None]] = []

    def both(fn: Callable[[], Any]) -> tuple[float, float, float | None, Any]:
        before = server_cpu(admin)
        w, c, out = cpu_timed(fn)
        after = server_cpu(admin)
        return w, c, (None if before is None or after is None else after - before), out

    try:
        db = open_database(url)
        register_checkpoints(db, city)
        parsed = read_passes(path)
        w, cpu, srv, res = both(lambda: ingest(db, parsed))
        assert res.added == len(recs), res
        rows.append(("ours: import, parsed (empty table)", w, cpu, srv))
        w, cpu, srv, res = both(lambda: ingest(db, read_passes(second)))
        assert res.added == len(recs), res
        rows.append((f"ours: parse + import into {len(recs):,}", w, cpu, srv))
        w, cpu, srv, res = both(lambda: ingest(db, read_passes(path)))
        assert (res.added, res.already) == (0, len(recs)), res
        rows.append(("ours: re-import (all already stored)", w, cpu, srv))
        db.dispose()
        df = pd.DataFrame(json.loads(path.read_bytes())["MotorVehicleListObject"]["MotorVehicleObject"])
        pg = sa.create_engine(url)
        w, cpu, srv, _ = both(lambda: df.to_sql("pandas_passes", pg, index=False, chunksize=50_000))
        pg.dispose()
        rows.append(("pandas: to_sql, parsed (no checks, no index)", w, cpu, srv))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(f"\n== ingest into PostgreSQL: {len(recs):,} passes per file (load {load_average()})")
    print(f"{'':46}{'wall s':>8}{'cpu s':>8}{'server':>8}{'passes/s (cpu, both)':>22}{'passes/s (wall)':>17}")
    for label, wall, cpu, srv in rows:
        both_cpu = "-" if srv is None else f"{len(recs) / (cpu + srv):,.0f}"
        server_s = "-" if srv is None else f"{srv:.2f}"
        print(f"{label:46}{wall:8.2f}{cpu:8.2f}{server_s:>8}{both_cpu:>22}{len(recs) / wall:17,.0f}")


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
        seen = d.groupby(["plate", col]).size()
        many = seen[seen >= 2].reset_index().groupby("plate")[col].nunique()
        conflict |= set(many[many > 1].index)
    return speed | conflict


def pd_companions(df: pd.DataFrame, plate: str, k: int = 3, dt_s: int = 120) -> set[str]:
    tgt = df.loc[df.plate == plate, ["camera_id", "t"]].rename(columns={"t": "tt"}).sort_values("tt")
    min_days = companion_min_days(int(((tgt["tt"] + 8 * 3600) // 86400).nunique()))  # the default rule
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
        "companions": lambda: pd_companions(df, target),
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
        t_load, df = timed(
            lambda: pd.concat([pd.read_parquet(f, columns=PANDAS_COLUMNS) for f in day_files], ignore_index=True)
        )
        print(f"pandas: the same rows read into memory in {t_load:.0f} s (not counted below)")
    want = planted_answers(plan.truths)
    print(
        f"{'tactic':16}{'duckdb s':>9}{'cpu s':>7}{'load':>6}{'P':>6}{'R':>6}"
        f"{'pandas s':>10}{'pandas/duckdb':>15}  same answer"
    )
    for name, call in planted_calls(plan.truths).items():
        cpu = time.process_time()
        t_d, res = timed(partial(call, duck))
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


def bench_spark(n: int, days: int, threads: int, tmp: Path, keep: Path | None, memory: str) -> None:
    """Section 4: Spark ``local[threads]`` and DuckDB over the same Parquet (``keep``'s, if the same city)."""
    from xueliang.investigate.tactics.engines import SparkEngine

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    plan = plan_for(n, days=days)
    folder = keep if keep is not None and kept(plan, keep) else tmp / "spark-parquet"
    folder.mkdir(parents=True, exist_ok=True)
    n_passes = write_plan(plan, folder)
    t_start, spark = timed(lambda: SparkEngine(parquet=folder, master=f"local[{threads}]", driver_memory=memory))
    duck = DuckEngine(parquet=folder, threads=threads, memory="4GB", temp_dir=tmp)
    spark.query("SELECT COUNT(*) FROM passes", {})
    duck.query("SELECT COUNT(*) FROM passes", {})
    want = planted_answers(plan.truths)
    print(
        f"\n== Spark local[{threads}] (driver {memory}) vs DuckDB ({threads} threads, 4 GB): {n_passes:,} passes, "
        f"{days} days (session start {t_start:.0f} s, load {load_average()}); cpu = the JVM's / this process's CPU s",
        flush=True,
    )
    print(
        f"{'tactic':16}{'spark s':>9}{'cpu s':>7}{'duckdb s':>10}{'cpu s':>7}{'spark/duckdb':>14}{'load':>6}"
        f"{'P':>6}{'R':>6}  same JSON"
    )
    for name, call in planted_calls(plan.truths).items():
        jvm = spark.cpu_seconds() or 0.0
        t_s, rs = timed(partial(call, spark))
        jvm = (spark.cpu_seconds() or 0.0) - jvm
        cpu = time.process_time()
        t_d, rd = timed(partial(call, duck))
        cpu = time.process_time() - cpu
        same = {**rs.to_json(), "engine": ""} == {**rd.to_json(), "engine": ""}
        p, r = precision_recall(found(name, rs), want[name])
        print(
            f"{name:16}{t_s:9.2f}{jvm:7.1f}{t_d:10.2f}{cpu:7.1f}{t_s / t_d:14.1f}{os.getloadavg()[0]:6.1f}"
            f"{p:6.2f}{r:6.2f}  {same}",
            flush=True,
        )
    spark.close()
    duck.close()


# --- plate search at scale -------------------------------------------------------------------------
PLATE_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
PROVINCES = np.array(list("晋京冀粤湘"))


def plate_fixture(n: int, tmp: Path, seed: int = 5, name: str = "plates.db") -> tuple[Any, list[str]]:
    """``n`` checkpoint sightings of ``n // 10`` plates over 30 days, written straight into a migrated
    SQLite file (raw executemany with the secondary indexes dropped, then rebuilt, ANALYZE), and the
    gram index filled directly (sorted (gram, plate) rows; the state row says every sighting is in)."""
    from xueliang.investigate.passes_store import secondary_indexes, sql_times
    from xueliang.investigate.plate_index import grams
    from xueliang.storage import open_database

    db = open_database(f"sqlite:///{tmp / name}")
    rng = np.random.default_rng(seed)
    pool_n = max(1000, n // 10)
    prov = PROVINCES[rng.choice(len(PROVINCES), pool_n, p=[0.6, 0.1, 0.1, 0.1, 0.1])]
    letters = PLATE_CHARS[10 + rng.integers(0, 13, pool_n)]
    tails = PLATE_CHARS[rng.integers(0, len(PLATE_CHARS), (pool_n, 5))]
    pool = sorted({a + b + "".join(t) for a, b, t in zip(prov.tolist(), letters.tolist(), tails.tolist(), strict=True)})
    t0 = int(dt.datetime(2024, 5, 1, tzinfo=dt.UTC).timestamp())
    raw = sqlite3.connect(tmp / name, isolation_level=None)
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute(
        "INSERT INTO cameras (id, lon, lat, channels, kind, imported_at) "
        "VALUES ('kk-1', 112.5, 37.8, 1, 'bullet', '2024-05-01 00:00:00.000000')"
    )
    with db.sessions() as s:
        ddl = secondary_indexes(s)
    db.dispose()
    for name, _ in ddl:
        raw.execute(f'DROP INDEX "{name}"')
    times = np.sort(rng.integers(0, 30 * 86400, n)) + t0
    picks = rng.integers(0, len(pool), n)
    sql = (
        "INSERT INTO sightings (camera_id, track_id, first_seen, last_seen, detector_class, detector_confidence, "
        "colour, colour_confidence, vehicle_type, vehicle_type_confidence, plate_state, plate_state_confidence, "
        "plate_text, plate_text_confidence, direction, best_frame, source) VALUES ('kk-1', 0, ?1, ?1, 'car', 1.0, "
        "'white', 1.0, 'sedan', 1.0, 'visible', 1.0, ?2, 1.0, 'unknown', 0, 'checkpoint')"
    )
    raw.execute("BEGIN")
    for lo in range(0, n, 1_000_000):
        hi = min(n, lo + 1_000_000)
        text_times = sql_times(times[lo:hi] * 1_000_000)
        raw.executemany(sql, zip(text_times, [pool[i] for i in picks[lo:hi].tolist()], strict=True))
    raw.execute("COMMIT")
    for _, sql_ddl in ddl:
        raw.execute(sql_ddl)
    rows = sorted((g, p) for p in pool for g in ("", *grams(p)))
    counts: dict[str, int] = {}
    for g, _ in rows:
        counts[g] = counts.get(g, 0) + 1
    counts.pop("")
    raw.execute("BEGIN")
    raw.executemany("INSERT INTO plate_grams (gram, plate) VALUES (?, ?)", rows)
    raw.executemany("INSERT INTO plate_gram_counts (gram, n) VALUES (?, ?)", sorted(counts.items()))
    raw.execute("INSERT INTO plate_index_state (id, last_sighting_id) VALUES (1, ?)", (n,))
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.close()
    return db, pool


def plate_mix(pool: list[str], rng: np.random.Generator) -> dict[str, Callable[[], tuple[str, int]]]:
    """The query kinds: (pattern, max_edits) drawn afresh each call, as the CLI takes them."""

    def plate() -> str:
        return pool[int(rng.integers(len(pool)))]

    return {
        "exact (--exact)": lambda: (plate(), 0),
        "one wildcard 湘A7K2Q?": lambda: (plate()[:-1] + "?", 1),
        "prefix+suffix 粤B*23": lambda: ((p := plate())[:2] + "*" + p[-2:], 1),
        "120k-hit 晋M*12*": lambda: ("晋M*12*", 1),
        "loose 晋*": lambda: ("晋*", 0),
    }


def bench_plates(n: int, repeats: int, tmp: Path, page: int = 50, plate_db: Path | None = None) -> None:
    """Plate search at ``n`` sightings: ``plate_search`` (a first page of ``page`` hits by time plus a
    total or an estimate) vs ``run_query`` (the scan: every matching row, as search did), same run."""
    from xueliang.investigate.plate_search import plate_search
    from xueliang.investigate.plates_match import parse_plate_pattern
    from xueliang.investigate.search import SightingQuery, TimeWindow, camera_positions, run_query

    if plate_db is not None and not plate_db.exists():  # build it there and keep it
        t_build, (db, pool) = timed(lambda: plate_fixture(n, plate_db.parent, name=plate_db.name))
    elif plate_db is not None:  # a fixture an earlier run left (same seed and size)
        from sqlalchemy import text

        from xueliang.storage import open_database

        t_build, db = 0.0, open_database(f"sqlite:///{plate_db}")
        with db.engine.connect() as c:
            pool = list(c.execute(text("SELECT plate FROM plate_grams WHERE gram = '' ORDER BY plate")).scalars())
    else:
        t_build, (db, pool) = timed(lambda: plate_fixture(n, tmp))
    print(f"\n== plate search: {n:,} sightings of {len(pool):,} plates over 30 days (SQLite; fixture {t_build:.0f} s)")
    positions = camera_positions(db)
    rng = np.random.default_rng(7)
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)

    def window() -> TimeWindow:
        start = t0 + dt.timedelta(hours=float(rng.uniform(0, 29 * 24)))
        return TimeWindow(start, start + dt.timedelta(hours=24))

    print(f"{'query':34}{'p50 ms':>9}{'p95 ms':>9}{'cpu ms/q':>10}  method, total (~ = estimate)")
    every: list[float] = []
    for name, draw in plate_mix(pool, rng).items():
        for windowed in (False, True):
            times, cpu = [], 0.0
            for _ in range(repeats):
                text_, edits = draw()
                w = window() if windowed else None
                pattern = parse_plate_pattern(text_, max_edits=edits)
                c0 = time.process_time()
                t, res = timed(partial(plate_search, db, pattern, window=w, limit=page, positions=positions))
                cpu += time.process_time() - c0
                times.append(t * 1000)
            every += times
            p50, p95 = np.percentile(times, [50, 95])
            label = f"{name}{' + 24 h' if windowed else ''}"
            total = f"{'~' if res.total_is_estimate else ''}{res.total:,}"
            print(f"{label:34}{p50:9.1f}{p95:9.1f}{cpu / repeats * 1000:10.1f}  {res.method}, {total}", flush=True)
    print(f"{'whole mix':34}{np.percentile(every, 50):9.1f}{np.percentile(every, 95):9.1f}  (load {load_average()})")
    print(f"scan (run_query, every matching row; {max(2, repeats // 10)} runs each), same run:")
    for text_, edits in (("晋M*12*", 1), (pool[123], 0)):
        pattern = parse_plate_pattern(text_, max_edits=edits)
        ts = [
            timed(partial(run_query, db, SightingQuery(plate=pattern, limit=10**7), positions))[0] * 1000
            for _ in range(max(2, repeats // 10))
        ]
        every_row = len(run_query(db, SightingQuery(plate=pattern, limit=10**7), positions).hits)
        first = plate_search(db, pattern, limit=page, positions=positions)
        shown = f"{'~' if first.total_is_estimate else ''}{first.total:,}"
        ours = [
            timed(partial(plate_search, db, pattern, limit=page, positions=positions))[0] * 1000
            for _ in range(max(2, repeats // 10))
        ]
        scan95, ours95 = np.percentile(ts, 95), np.percentile(ours, 95)
        print(
            f"  {text_:12} scan p95 {scan95:9.1f} ms  paged p95 {ours95:7.1f} ms  scan/paged x{scan95 / ours95:.0f}"
            f"  (rows {every_row:,}; paged total {shown})"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passes", type=int, default=10_000_000)
    ap.add_argument("--ingest", type=int, default=200_000)
    ap.add_argument(
        "--ingest-big", type=int, default=10, help="Also a file into a table of this many files' passes (0 = skip)."
    )
    ap.add_argument("--pandas-max", type=int, default=3_000_000)
    ap.add_argument("--spark-passes", type=int, default=1_000_000, help="0 = skip Spark")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--pg",
        default=os.environ.get("XUELIANG_TEST_PG", ""),
        help="Ingest also into PostgreSQL: a postgresql+psycopg:// URL of a server where databases may be created "
        "(default $XUELIANG_TEST_PG; empty = skip).",
    )
    ap.add_argument("--spark-memory", default="4g", help="Spark's driver memory (local mode: its whole heap).")
    ap.add_argument("--days", type=int, default=30, help="Days of the tactic cities (vehicles sized to --passes).")
    ap.add_argument("--plate-sightings", type=int, default=10_000_000, help="0 = skip the plate search")
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--plate-db", type=Path, default=None, help="Reuse the plate fixture an earlier run built.")
    ap.add_argument("--out", type=Path, default=None, help="Work folder (default: a temporary one).")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the tactic city's Parquet here (reused if the same).")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.out) as tmp_name:
        tmp = Path(tmp_name)
        if a.ingest:
            bench_ingest(a.ingest, tmp, big=a.ingest_big)
        if a.ingest and a.pg:
            bench_ingest_pg(a.ingest, tmp, a.pg)
        if a.passes:
            bench_tactics(a.passes, a.days, a.pandas_max, a.threads, tmp, a.keep)
        if a.plate_sightings:
            bench_plates(a.plate_sightings, a.repeats, tmp, plate_db=a.plate_db)
        if a.spark_passes:
            bench_spark(a.spark_passes, a.days, a.threads, tmp, a.keep, a.spark_memory)


if __name__ == "__main__":
    main()
