"""Where the tactic SQL runs: DuckDB (embedded, the default) or Apache Spark (local mode or a cluster).

Both read the same ``passes`` and ``plates`` relations (columns in
:data:`xueliang.investigate.tactics.columnar.COLUMNS`; ``plates`` is ``(plate_id, plate)``): from an
export folder (``DIR/day=YYYY-MM-DD/*.parquet`` and ``DIR/plates/*.parquet``) or, for DuckDB, from
Arrow tables in memory. Tactic SQL is written once, in the dialect both accept (standard SQL with
window functions, ``CAST``, ``FLOOR``, ``%``, ``ASIN``/``SQRT``/``RADIANS``), with named parameters
``:name`` (Spark's markers; DuckDB's ``$name`` is substituted) — values are bound, never spliced.
Small parameter relations (entry checkpoints, scene cameras) are registered as views (on Spark
hinted for broadcast); an intermediate result a tactic reads more than once is materialized.
"""

from __future__ import annotations

import os
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

    def materialize(self, name: str, sql: str, params: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def _ddl_columns(schema: str) -> list[tuple[str, str]]:
    out = []
    for part in schema.split(","):
        name, typ = part.split()
        out.append((name, typ.upper()))
    return out


def check_export(parquet: Path) -> None:
    """An export folder of this layout (day files and the plate dictionary), or an InputError."""
    if not any(Path(parquet).glob("day=*/*.parquet")):
        raise InputError(str(parquet), "expected Parquet files day=YYYY-MM-DD/*.parquet, found none")
    if not any((Path(parquet) / "plates").glob("*.parquet")):
        raise InputError(
            str(parquet), "expected the plate dictionary plates/*.parquet (an older export?): export into a new folder"
        )


def _local_cores(master: str) -> int:
    """N of ``local[N]`` (``local[*]`` and ``local``: this machine's cores)."""
    inner = master.removeprefix("local").strip("[]").split(",")[0]
    return int(inner) if inner.isdigit() else (os.cpu_count() or 1) if inner in ("*", "") else 1


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names (``:name``): the engines refuse unused ones."""
    return {k: params[k] for k in set(_PARAM.findall(sql))}


def _dollars(sql: str) -> str:
    """DuckDB's parameter markers: ``:name`` -> ``$name``."""
    return _PARAM.sub(r"$\1", sql)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckEngine:
    """DuckDB in this process.

    ``threads`` caps its worker threads (default: DuckDB's own), ``memory`` its memory (e.g. ``"4GB"``),
    beyond which sorts and joins spill to ``temp_dir`` (default: DuckDB's own under the system temp).
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        parquet: Path | None = None,
        table: Any = None,
        plates: Any = None,
        threads: int | None = None,
        memory: str | None = None,
        temp_dir: Path | None = None,
    ) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory is not None:
            self.con.execute("SET memory_limit = ?", [memory])
        if temp_dir is not None:
            self.con.execute("SET temp_directory = ?", [str(temp_dir)])
        if parquet is not None:
            check_export(Path(parquet))
            days = _literal(Path(parquet) / "day=*" / "*.parquet")
            self.con.execute(
                f"CREATE VIEW passes AS SELECT * EXCLUDE (day) FROM read_parquet({days}, hive_partitioning = true)"
            )
            plate_files = _literal(Path(parquet) / "plates" / "*.parquet")
            self.con.execute(f"CREATE VIEW plates AS SELECT * FROM read_parquet({plate_files})")
        elif table is not None and plates is not None:
            self.con.register("passes_arrow", table)
            self.con.register("plates_arrow", plates)
            self.con.execute("CREATE VIEW passes AS SELECT * FROM passes_arrow")
            self.con.execute("CREATE VIEW plates AS SELECT * FROM plates_arrow")
        else:
            raise InputError("engine", "expected Parquet files or Arrow tables of passes and plates, got neither")

    def query(self, sql: str, params: dict[str, Any]) -> list[Row]:
        return [tuple(r) for r in self.con.execute(_dollars(sql), _used(sql, params)).fetchall()]

    def materialize(self, name: str, sql: str, params: dict[str, Any]) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {_dollars(sql)}", _used(sql, params))

    def register(self, name: str, schema: str, rows: Sequence[Row]) -> None:
        import pyarrow as pa

        types = {"STRING": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
        cols = _ddl_columns(schema)
        table = pa.table(
            {n: pa.array([r[i] for r in rows], types[t]) for i, (n, t) in enumerate(cols)},
        )
        self.con.register(f"{name}_arrow", table)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """pyspark: ``master`` ``local[N]`` (default ``local[2]``) or a cluster URL; reads Parquet.

    A session this engine starts gets ``driver_memory`` (the whole heap in local mode; default 4g),
    shuffles into twice as many partitions as local cores (a cluster keeps Spark's 200) and no UI or
    console progress bars. ``cpu_seconds()`` is the CPU time of the JVM it launched (local mode).
    """

    name = "spark"

    def __init__(
        self, *, parquet: Path, master: str = "local[2]", session: Any = None, driver_memory: str = "4g"
    ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - optional extra
            raise InputError("--engine spark", "needs pyspark: pip install 'xueliang[spark]'") from exc
        local = master.startswith("local")
        builder = (
            SparkSession.builder.master(master)
            .appName("xueliang-tactics")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(2 * _local_cores(master)) if local else "200")
            .config("spark.driver.memory", driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if local:  # no host name lookups for a local session
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        self.spark = session or builder.getOrCreate()
        self._own = session is None
        self._kept: dict[str, Any] = {}
        check_export(Path(parquet))
        day_dirs = [str(d) for d in sorted(Path(parquet).glob("day=*")) if d.is_dir()]  # no glob: Spark warns
        days = self.spark.read.option("basePath", str(parquet)).parquet(*day_dirs)
        days.drop("day").createOrReplaceTempView("passes")
        self.spark.read.parquet(str(Path(parquet) / "plates")).createOrReplaceTempView("plates")

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the JVM this process launched (None when not known)."""
        pid: Any = getattr(getattr(self.spark.sparkContext._gateway, "proc", None), "pid", None)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def query(self, sql: str, params: dict[str, Any]) -> list[Row]:
        return [tuple(r) for r in self.spark.sql(sql, args=_used(sql, params)).collect()]

    def register(self, name: str, schema: str, rows: Sequence[Row]) -> None:
        """A small relation, hinted for broadcast: a local DataFrame has no size statistics, so Spark
        would otherwise sort-merge join it, shuffling every pass to meet a few rows."""
        from pyspark.sql.functions import broadcast

        ddl = ", ".join(f"{n} {t}" for n, t in _ddl_columns(schema))
        broadcast(self.spark.createDataFrame([tuple(r) for r in rows], schema=ddl)).createOrReplaceTempView(name)

    def materialize(self, name: str, sql: str, params: dict[str, Any]) -> None:
        """``sql``'s rows computed once and kept as ``name`` (cached: Spark inlines a CTE at each use)."""
        frame = self.spark.sql(sql, args=_used(sql, params)).persist()
        frame.count()
        frame.createOrReplaceTempView(name)
        old = self._kept.pop(name, None)
        if old is not None:
            old.unpersist()
        self._kept[name] = frame

    def close(self) -> None:
        if self._own:
            self.spark.stop()
