"""Run a tactic end to end for a shell (CLI, web): open the engine, run, add pass details, audit.

:func:`execute` is what ``xueliang tactics NAME`` and the web Tactics page call: the engine is
DuckDB over the database's sightings (or a Parquet export), or Spark over Parquet; the audit row
(and the case's query row) is written under ``actor`` as every search does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xueliang.errors import InputError
from xueliang.investigate.tactics.columnar import Reads
from xueliang.investigate.tactics.engines import Engine
from xueliang.investigate.tactics.run import SceneCameras, TacticResult, Window, with_passes
from xueliang.storage import Database

TacticCall = Callable[[Engine], TacticResult]


@contextmanager
def open_engine(
    db: Database,
    engine: str = "duckdb",
    *,
    master: str = "local[2]",
    parquet: str | None = None,
    reads: Reads | None = None,
) -> Iterator[Any]:
    """DuckDB over the Parquet export, or over the sightings ``reads`` asks for (pushed down to the
    database as SQL: only those rows and columns come into memory); Spark over the Parquet export
    (made into a temporary folder when none is given)."""
    from xueliang.investigate.tactics.columnar import export_parquet, passes_from_db
    from xueliang.investigate.tactics.engines import DuckEngine, SparkEngine

    if engine not in ("duckdb", "spark"):
        raise InputError("--engine", f"expected duckdb or spark, got {engine!r}")
    if engine == "duckdb":
        if parquet:
            e: Any = DuckEngine(parquet=Path(parquet))
        else:
            table, plates = passes_from_db(db, reads or Reads())
            e = DuckEngine(table=table, plates=plates)
        try:
            yield e
        finally:
            e.close()
        return
    with tempfile.TemporaryDirectory(prefix="xueliang-passes-") as tmp:
        folder = Path(parquet) if parquet else Path(tmp)
        if not parquet:
            export_parquet(db, folder)
        e = SparkEngine(parquet=folder, master=master)
        try:
            yield e
        finally:
            e.close()


def execute(
    db: Database,
    name: str,
    call: TacticCall,
    *,
    engine: str = "duckdb",
    master: str = "local[2]",
    parquet: str | None = None,
    reads: Reads | None = None,
    actor: str | None = None,
    case_id: str | None = None,
) -> TacticResult:
    """Run ``call`` on the engine, with the justifying passes' details, and audit it.

    ``reads``: what the tactic needs of the database (without ``parquet``); default everything.
    """
    from xueliang.investigate.search import record

    with open_engine(db, engine, master=master, parquet=parquet, reads=reads) as e:
        result = with_passes(e, call(e))
    record(
        db,
        kind=f"tactic-{name}",
        query={"tactic": name, "engine": result.engine, **result.params},
        sighting_ids=result.pass_ids,
        actor=actor,
        case_id=case_id,
    )
    return result


def reads_for(
    name: str,
    window: Window,
    *,
    plate: str | None = None,
    seconds: int = 120,
    lookback_days: float = 30.0,
    scenes: Sequence[SceneCameras] = (),
    area: Sequence[str] = (),
) -> Reads:
    """The passes tactic ``name`` reads, for :func:`execute` over the database (docs/tactics.md)."""
    span = (window.t1, window.t2)
    if name == "companions":
        return Reads(((window.t1 - seconds, window.t2 + seconds),))
    if name == "footholds":
        return Reads((span,), plate=plate)
    if name == "first-entry":
        return Reads(((window.t1 - int(lookback_days * 86400), window.t2),))
    if name == "frequent" and area:
        return Reads((span,), cameras=tuple(area))
    if name == "area-collision":
        return Reads(
            tuple((s.window.t1, s.window.t2) for s in scenes), cameras=tuple(c for s in scenes for c in s.cameras)
        )
    return Reads((span,))


def check_plate(value: str, *, source: str = "--plate") -> str:
    """A whole plate (upper-cased), or an InputError naming ``source``."""
    from xueliang.investigate.passes import PLATE_RE

    plate = value.strip().upper()
    if not PLATE_RE.match(plate):
        raise InputError(source, f"expected a whole plate (province character, A-Z, 0-9), got {value!r}")
    return plate


def scene_cameras(db: Database, scenes: list[Any]) -> list[Any]:
    """``xueliang.investigate.scenes.Scene`` values resolved to the checkpoints within their radius."""
    from xueliang.investigate.search import camera_positions, cameras_near

    positions = camera_positions(db)
    return [
        SceneCameras(cameras_near(positions, s.place), Window(s.window.start, s.window.end), s.label) for s in scenes
    ]


def check_cameras(db: Database, cams: list[str], option: str) -> None:
    from xueliang.errors import NotFoundError
    from xueliang.investigate.search import camera_positions
    from xueliang.investigate.search import check_cameras as check

    try:
        check(camera_positions(db), cams)
    except NotFoundError as exc:
        raise InputError(option, str(exc).split(": ", 1)[-1]) from exc
