"""Where the tactic SQL runs: DuckDB (embedded, the default) or Apache Spark (local mode or a cluster).

Both read the same ``passes`` relation (columns in :data:`xueliang.investigate.tactics.columnar.COLUMNS`):
from Parquet files partitioned by day (``DIR/day=YYYY-MM-DD/*.parquet``) or, for DuckDB, from an
Arrow table in memory. Tactic SQL is written once, in the dialect both accept (standard SQL with
window functions, ``CAST``, ``FLOOR``, ``%``, ``ASIN``/``SQRT``/``RADIANS``), with named parameters
``:name`` (Spark's markers; DuckDB's ``$name`` is substituted) — values are bound, never spliced.
Small parameter relations (entry checkpoints, scene cameras) are registered as views.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from xueliang.errors import InputError

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
Row = tuple[Any, ...]


class Engine(Protocol):
    name: str

    def query(self, sql: str, params: dict[str, Any]) -> list[Row]: ...

    def register(self, name: str, schema: str, rows: Sequence[Row]) -> None: ...

    def close(self) -> None: ...


def _ddl_columns(schema: str) -> list[tuple[str, str]]:
    out = []
    for part in schema.split(","):
        name, typ = part.split()
        out.append((name, typ.upper()))
    return out


class DuckEngine:
    """DuckDB in this process; ``threads`` caps its worker threads (default: DuckDB's own)."""

    name = "duckdb"

    def __init__(self, *, parquet: Path | None = None, table: Any = None, threads: int | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        if parquet is not None:
            files = sorted(Path(parquet).glob("day=*/*.parquet"))
            if not files:
                raise InputError(str(parquet), "expected Parquet files day=YYYY-MM-DD/*.parquet, found none")
            glob = str(Path(parquet) / "day=*" / "*.parquet").replace("'", "''")  # a quoted literal
            self.con.execute(
                f"CREATE VIEW passes AS SELECT * EXCLUDE (day) FROM read_parquet('{glob}', hive_partitioning = true)"
            )
        elif table is not None:
            self.con.register("passes_arrow", table)
            self.con.execute("CREATE VIEW passes AS SELECT * FROM passes_arrow")
        else:
            raise InputError("engine", "expected Parquet files or an Arrow table of passes, got neither")

    def query(self, sql: str, params: dict[str, Any]) -> list[Row]:
        used = set(_PARAM.findall(sql))
        return [tuple(r) for r in self.con.execute(_PARAM.sub(r"$\1", sql), {k: params[k] for k in used}).fetchall()]

    def register(self, name: str, schema: str, rows: Sequence[Row]) -> None:
        cols = _ddl_columns(schema)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(f'{n} {t}' for n, t in cols)})")
        if rows:
            marks = ", ".join("?" for _ in cols)
            self.con.executemany(f"INSERT INTO {name} VALUES ({marks})", [list(r) for r in rows])

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """pyspark: ``master`` ``local[N]`` (default ``local[2]``) or a cluster URL; reads Parquet."""

    name = "spark"

    def __init__(self, *, parquet: Path, master: str = "local[2]", session: Any = None) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - optional extra
            raise InputError("--engine spark", "needs pyspark: pip install 'xueliang[spark]'") from exc
        builder = (
            SparkSession.builder.master(master)
            .appName("xueliang-tactics")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "2" if master.startswith("local") else "200")
            .config("spark.ui.enabled", "false")
        )
        if master.startswith("local"):  # no host name lookups for a local session
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        self.spark = session or builder.getOrCreate()
        self._own = session is None
        if not any(Path(parquet).glob("day=*/*.parquet")):
            raise InputError(str(parquet), "expected Parquet files day=YYYY-MM-DD/*.parquet, found none")
        df = self.spark.read.parquet(str(parquet))  # partition discovery: day=...; _export.json is ignored
        df.drop("day").createOrReplaceTempView("passes")

    def query(self, sql: str, params: dict[str, Any]) -> list[Row]:
        used = set(_PARAM.findall(sql))
        return [tuple(r) for r in self.spark.sql(sql, args={k: params[k] for k in used}).collect()]

    def register(self, name: str, schema: str, rows: Sequence[Row]) -> None:
        ddl = ", ".join(f"{n} {t}" for n, t in _ddl_columns(schema))
        self.spark.createDataFrame([tuple(r) for r in rows], schema=ddl).createOrReplaceTempView(name)

    def close(self) -> None:
        if self._own:
            self.spark.stop()
