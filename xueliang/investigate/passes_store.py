"""Store checked checkpoint passes as sightings (``source = 'checkpoint'``, no video).

One file is one transaction: its new passes go in together or not at all. A pass whose
``MotorVehicleID`` is already stored is skipped (a re-import adds nothing); a pass whose
``DeviceID`` is neither a registered camera's GB/T 28181 id nor its camera id is rejected.

The rows go straight to the database driver, column by column, not through ORM objects or
per-value bind processing: SQLite gets one prepared ``INSERT OR IGNORE`` run by ``executemany``
(the unique index on ``external_id`` is the MotorVehicleID check: an id already stored is skipped
and counted); PostgreSQL gets ``COPY`` into a temporary table, then one ``INSERT ... SELECT ... ON
CONFLICT (external_id) DO NOTHING``. A load larger than the table it goes into
(:data:`DEFER_MIN` passes or more) drops the sightings' secondary indexes first and builds them
again after the rows, in the same transaction (one sort per index instead of a B-tree insert per
row and index; on PostgreSQL readers of the table wait for the commit meanwhile); nothing else
changes, and a failure rolls the whole file back, indexes included. The file's plates go into the
plate gram index in the same transaction (:func:`~xueliang.investigate.plate_index.refresh_with`),
so the passes are searchable by plate pattern when they commit (a big file's gram entries are
computed in a thread while SQLite, which lets go of the GIL, stores the rows and builds the indexes).
:func:`import_files` reads its first file in two processes (a big JSON file's halves at once) and
then the next file in a second process while one is stored.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from vision.tables import SOURCE_CHECKPOINT, SightingRow
from xueliang.errors import InputError, StorageError
from xueliang.investigate.pass_batch import ParsedPasses, PassBatch
from xueliang.investigate.passes import CHINA_TZ, PassColumns, PassRejection, read_passes
from xueliang.investigate.plate_index import PlateGrams, plate_grams, refresh_with
from xueliang.storage import CameraRow, Database
from xueliang.storage.database import check_actor, current_user

DEFER_MIN = 10_000  # SQLite: rebuild the secondary indexes after a load this big into a smaller table
CACHE_KIB = 256 * 1024  # SQLite page cache of the connection while it inserts (default 2 MiB)
_UNKNOWN_DEVICE = "expected a registered camera (GB/T 28181 id or camera id; `xueliang cameras import`)"
_COLUMNS = (
    "camera_id",
    "first_seen",
    "detector_class",
    "colour",
    "vehicle_type",
    "plate_state",
    "plate_text",
    "plate_colour",
    "direction",
    "external_id",
    "lane",
    "brand",
)
# a checkpoint record carries no confidences: 1.0 is stored; first_seen = last_seen = PassTime
_SQLITE_INSERT = f"""
INSERT OR IGNORE INTO sightings (
    video_id, camera_id, track_id, first_seen, last_seen, detector_class, detector_confidence, colour,
    colour_confidence, vehicle_type, vehicle_type_confidence, plate_state, plate_state_confidence, plate_text,
    plate_text_confidence, plate_colour, direction, direction_deg, best_frame, source, external_id, lane, brand)
VALUES (NULL, ?1, 0, ?2, ?2, ?3, 1.0, ?4, 1.0, ?5, 1.0, ?6, 1.0, ?7,
    CASE WHEN ?7 IS NULL THEN NULL ELSE 1.0 END, ?8, ?9, NULL, 0, '{SOURCE_CHECKPOINT}', ?10, ?11, ?12)
"""
_PG_SELECT = f"""
INSERT INTO sightings (
    video_id, camera_id, track_id, first_seen, last_seen, detector_class, detector_confidence, colour,
    colour_confidence, vehicle_type, vehicle_type_confidence, plate_state, plate_state_confidence, plate_text,
    plate_text_confidence, plate_colour, direction, direction_deg, best_frame, source, external_id, lane, brand)
SELECT NULL, camera_id, 0, first_seen, first_seen, detector_class, 1.0, colour, 1.0, vehicle_type, 1.0,
    plate_state, 1.0, plate_text, CASE WHEN plate_text IS NULL THEN NULL ELSE 1.0 END, plate_colour, direction,
    NULL, 0, '{SOURCE_CHECKPOINT}', external_id, lane, brand
FROM passes_in ORDER BY n
ON CONFLICT (external_id) DO NOTHING
"""


@dataclass(frozen=True)
class IngestResult:
    source: str
    records_read: int
    added: int
    already: int  # MotorVehicleIDs stored before (re-import)
    rejections: tuple[PassRejection, ...]  # the reader's and the unknown devices, by record
    first_id: int | None  # sighting ids of this file's new passes: first_id..last_id (None when none)
    last_id: int | None


def device_map(db: Database) -> dict[str, str]:
    """DeviceID -> camera id: every camera's GB/T 28181 id and its own id."""
    with db.sessions() as s:
        rows = s.execute(select(CameraRow.id, CameraRow.gb_id)).all()
    out = {r.id: r.id for r in rows}
    out.update({r.gb_id: r.id for r in rows if r.gb_id})
    return out


def _cameras(batch: PassBatch, devices: dict[str, str]) -> tuple[list[str | None], npt.NDArray[np.bool_]]:
    memo = {d: devices.get(d) for d in set(batch.device_id.tolist())}
    cams = list(map(memo.__getitem__, batch.device_id.tolist()))
    if all(memo.values()):
        return cams, np.ones(len(cams), dtype=bool)
    return cams, np.array([c is not None for c in cams], dtype=bool)


def sql_times(at_us: npt.NDArray[np.int64], *, offset: str = "") -> list[str]:
    """UTC microseconds as SQLAlchemy stores a UTC ``DateTime`` on SQLite (``2024-05-01 00:30:00.000000``),
    with ``offset`` appended (``+00:00`` for PostgreSQL's COPY)."""
    if len(at_us) == 0:
        return []
    iso = np.datetime_as_string(at_us.astype("datetime64[us]"), unit="us")  # fixed width: 'T' at 10
    iso.view(np.uint32).reshape(len(iso), -1)[:, 10] = ord(" ")
    out: list[str] = (np.char.add(iso, offset) if offset else iso).tolist()
    return out


def _rows(batch: PassBatch, cams: list[str | None], times: list[str]) -> Iterator[tuple[Any, ...]]:
    return zip(
        cams,
        times,
        batch.detector_class.tolist(),
        batch.colour.tolist(),
        batch.vehicle_type.tolist(),
        batch.plate_state.tolist(),
        batch.plate_text.tolist(),
        batch.plate_colour.tolist(),
        batch.direction.tolist(),
        batch.external_id.tolist(),
        batch.lane.tolist(),
        batch.brand.tolist(),
        strict=True,
    )


def secondary_indexes(s: Session, *, unique: bool = False) -> list[tuple[str, str]]:
    """SQLite: (name, DDL) of the sightings' indexes a bulk load may drop and rebuild: not the unique ones,
    unless ``unique`` (a load into an empty table: no stored id to skip, and the file's ids are distinct)."""
    rows = s.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sightings' AND sql IS NOT NULL")
    ).all()
    return [(r.name, r.sql) for r in rows if unique or not r.sql.upper().startswith("CREATE UNIQUE")]


def _insert_sqlite(s: Session, batch: PassBatch, cams: list[str | None], *, stored: int) -> int:
    raw = s.connection().connection.driver_connection
    assert raw is not None
    deferred = secondary_indexes(s, unique=stored == 0) if len(batch) >= max(DEFER_MIN, stored) else []
    for name, _ in deferred:
        s.execute(text(f'DROP INDEX "{name}"'))
    cur = raw.cursor()
    (cache,) = cur.execute("PRAGMA cache_size").fetchone()
    cur.execute(f"PRAGMA cache_size = {-CACHE_KIB}")  # the indexes' pages stay in memory while they grow
    try:
        cur.executemany(_SQLITE_INSERT, _rows(batch, cams, sql_times(batch.at_us)))
        added = max(int(cur.rowcount), 0)
    finally:
        raw.execute(f"PRAGMA cache_size = {int(cache)}")
    for _, ddl in deferred:
        s.execute(text(ddl))
    return added


def pg_secondary_indexes(s: Session) -> list[tuple[str, str]]:
    """PostgreSQL: (name, DDL) of the sightings' indexes a bulk load may drop and rebuild (not the unique ones)."""
    rows = s.execute(
        text(
            "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS ddl FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'sightings'::regclass "
            "AND NOT i.indisunique AND NOT i.indisprimary ORDER BY c.relname"
        )
    ).all()
    return [(r.name, r.ddl) for r in rows]


def _insert_postgresql(s: Session, batch: PassBatch, cams: list[str | None], *, stored: int) -> int:
    raw = s.connection().connection.driver_connection
    assert raw is not None
    # as on SQLite: a load at least as large as the table rebuilds the secondary indexes after the rows (in
    # this transaction: DDL rolls back too); readers of sightings wait for the commit meanwhile
    deferred = pg_secondary_indexes(s) if len(batch) >= max(DEFER_MIN, stored) else []
    if deferred:
        s.execute(text(f"SET LOCAL maintenance_work_mem = '{CACHE_KIB // 1024}MB'"))
    for name, _ in deferred:
        s.execute(text(f'DROP INDEX "{name}"'))
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE passes_in (n integer, camera_id text, first_seen timestamptz, "
            "detector_class text, colour text, vehicle_type text, plate_state text, plate_text text, "
            "plate_colour text, direction text, external_id text, lane integer, brand text) ON COMMIT DROP"
        )
        with cur.copy(f"COPY passes_in (n, {', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for n, row in enumerate(_rows(batch, cams, sql_times(batch.at_us, offset="+00:00"))):
                copy.write_row((n, *row))
        cur.execute(_PG_SELECT)
        added = max(int(cur.rowcount), 0)
        cur.execute("DROP TABLE passes_in")
    for _, ddl in deferred:
        s.execute(text(ddl))
    return added


def _store(
    db: Database, s: Session, batch: PassBatch, cams: list[str | None], source: str, ahead: Future[PlateGrams] | None
) -> tuple[int, int | None, int | None]:
    """``batch``'s new rows, in ``s``, and their plates into the plate index: (added, first id, last id)."""
    before = s.scalar(select(func.max(SightingRow.id))) or 0
    if not len(batch):
        return 0, None, None
    try:
        if db.engine.dialect.name == "postgresql":
            added = _insert_postgresql(s, batch, cams, stored=before)
        else:
            added = _insert_sqlite(s, batch, cams, stored=before)
        if not added:
            return 0, None, None
        first_id, last_id, above = s.execute(
            select(func.min(SightingRow.id), func.max(SightingRow.id), func.count()).where(SightingRow.id > before)
        ).one()
        if above == added:  # only this file's rows above `before` (no other writer's in between)
            # the plate index takes the file's plates in this transaction: searchable on commit
            plates = plate_grams(batch.plate_text.tolist()) if ahead is None else ahead.result()
            refresh_with(s, plates, after_id=before, last_id=last_id)
    except Exception as exc:  # the driver's own error (sqlite3, psycopg; or wrapped by SQLAlchemy): rolled back
        if not (isinstance(exc, DBAPIError) or type(exc).__module__.startswith(("sqlite3", "psycopg"))):
            raise
        raise StorageError(
            f"{source}: storing its passes failed ({' '.join(str(exc).split())}); nothing of this file was written"
        ) from exc
    return added, first_id, last_id


def ingest(
    db: Database,
    parsed: ParsedPasses,
    *,
    devices: dict[str, str] | None = None,
    actor: str | None = None,
) -> IngestResult:
    """Write ``parsed``'s new passes in one transaction and one audit row (action ``passes-import``)."""
    devices = device_map(db) if devices is None else devices
    who = check_actor(actor or current_user())
    batch = parsed.batch
    cams, known = _cameras(batch, devices)
    rejections = list(parsed.rejections)
    if not known.all():
        unknown = np.flatnonzero(~known)
        rejections += [
            PassRejection(
                int(batch.record[i]), str(batch.external_id[i]), "DeviceID", _UNKNOWN_DEVICE, batch.device_id[i]
            )
            for i in unknown.tolist()
        ]
        rejections.sort(key=lambda r: r.record)
        batch = batch.take(known)
        cams = [c for c in cams if c is not None]
    with ThreadPoolExecutor(max_workers=1) as pool:
        # a big file's plate index entries are computed in a thread meanwhile (SQLite lets go of the GIL)
        ahead = pool.submit(plate_grams, batch.plate_text.tolist()) if len(batch) >= DEFER_MIN else None
        with db.exclusive_transaction("passes import") as s:
            added, first_id, last_id = _store(db, s, batch, cams, parsed.source, ahead)
            already = len(batch) - added
            query = {
                "file": parsed.source,
                "read": parsed.records_read,
                "already": already,
                "rejected": len(rejections),
            }
            db.audit(actor=who, action="passes-import", query=query, result_count=added, session=s)
    return IngestResult(parsed.source, parsed.records_read, added, already, tuple(rejections), first_id, last_id)


# --- several files: the next one read in a second process while this one is stored -----------------
@dataclass(frozen=True)
class _Unreadable:
    """A file the reader refused, as values (an InputError does not survive pickling): raised in turn."""

    kind: type[InputError]
    source: str
    detail: str
    where: str | None
    field: str | None

    def error(self) -> InputError:
        return self.kind(self.source, self.detail, where=self.where, field=self.field)


def _read(path: str | Path, columns: PassColumns | None, tz: dt.tzinfo) -> ParsedPasses | _Unreadable:
    try:
        return read_passes(path, columns=columns, tz=tz)
    except InputError as exc:
        return _Unreadable(type(exc), exc.source, exc.detail, exc.where, exc.field)


def import_files(
    db: Database,
    paths: Sequence[str | Path],
    *,
    columns: PassColumns | None = None,
    tz: dt.tzinfo = CHINA_TZ,
    devices: dict[str, str] | None = None,
    actor: str | None = None,
) -> Iterator[IngestResult]:
    """Read and store ``paths`` in order, each file as :func:`ingest` does (one transaction), yielding
    each file's result once it has committed. Both cores work: the first file is read in two processes
    (a big JSON file's halves, :func:`~xueliang.investigate.passes.read_passes` ``workers=2``); then a
    second process reads file k+1 while this one stores file k (reading is Python, storing mostly SQLite).
    A file the reader refuses raises its :class:`InputError` when its turn comes: the files before it
    are stored, the ones after it are not read."""
    devices = device_map(db) if devices is None else devices
    if not paths:
        return
    first = read_passes(paths[0], columns=columns, tz=tz, workers=2)
    if len(paths) < 2:
        yield ingest(db, first, devices=devices, actor=actor)
        return
    current: ParsedPasses | _Unreadable = first
    # fork on Linux: the reader needs only the code already imported here and never touches the database
    ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")
    pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
    try:
        ahead: Future[ParsedPasses | _Unreadable] = pool.submit(_read, paths[1], columns, tz)
        for k in range(len(paths)):
            if isinstance(current, _Unreadable):
                raise current.error()
            yield ingest(db, current, devices=devices, actor=actor)
            if k + 1 < len(paths):
                current = ahead.result()
                if k + 2 < len(paths):
                    ahead = pool.submit(_read, paths[k + 2], columns, tz)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
