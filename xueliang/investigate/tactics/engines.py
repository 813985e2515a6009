"""Where the tactic SQL runs: DuckDB (embedded, the default) or Apache Spark (local mode or a cluster).

Both read the same ``passes`` and ``plates`` relations (columns in
:data:`xueliang.investigate.tactics.columnar.COLUMNS`; ``plates`` is ``(plate_id, plate)``): from an
export folder (``DIR/day=YYYY-MM-DD/*.parquet`` and ``DIR/plates/*.parquet``) or, for DuckDB, from
Arrow tables in memory. Tactic SQL is written once, in the dialect both accept (standard SQL with
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


def check_export(parquet: Path) -> None:
    """An export folder of this layout (day files and the plate dictionary), or an InputError."""
    if not any(Path(parquet).glob("day=*/*.parquet")):
        raise InputError(str(parquet), "expected Parquet files day=YYYY-MM-DD/*.parquet, found none")
    if not any((Path(parquet) / "plates").glob("*.parquet")):
        raise InputError(
            str(parquet), "expected the plate dictionary plates/*.parquet (an older export?): export into a new folder"
        )


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
        used = set(_PARAM.findall(sql))
        return [tuple(r) for r in self.con.execute(_PARAM.sub(r"$\1", sql), {k: params[k] for k in used}).fetchall()]

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
        check_export(Path(parquet))
        day_dirs = [str(d) for d in sorted(Path(parquet).glob("day=*")) if d.is_dir()]  # no glob: Spark warns
        days = self.spark.read.option("basePath", str(parquet)).parquet(*day_dirs)
        days.drop("day").createOrReplaceTempView("passes")
        self.spark.read.parquet(str(Path(parquet) / "plates")).createOrReplaceTempView("plates")

    def query(self, sql: str, params: dict[str, Any]) -> list[Row]:
        used = set(_PARAM.findall(sql))
        return [tuple(r) for r in self.spark.sql(sql, args={k: params[k] for k in used}).collect()]

    def register(self, name: str, schema: str, rows: Sequence[Row]) -> None:
        ddl = ", ".join(f"{n} {t}" for n, t in _ddl_columns(schema))
        self.spark.createDataFrame([tuple(r) for r in rows], schema=ddl).createOrReplaceTempView(name)

    def close(self) -> None:
        if self._own:
            self.spark.stop()
