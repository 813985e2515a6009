"""Sightings as a columnar ``passes`` relation (Arrow), and as Parquet partitioned by day.

Columns: ``id`` (sighting id), ``camera_id``, ``t`` (UTC epoch seconds of ``first_seen``, whole
seconds), ``plate_id`` (int32 id of the plate in the ``plates`` relation; NULL when not read),
``plate`` (the text, NULL when not read), ``plate_state``, ``colour``, ``vehicle_type``, ``brand``,
``source`` (checkpoint | video), ``lon``/``lat`` (the camera's registry position, WGS84).
Every source of sightings is included: checkpoint passes and indexed video. ``plates`` holds
``(plate_id, plate)``: the tactics group, partition and join on the integer, and name plates only
for their results.

``export_parquet`` writes one file per UTC day, ``DIR/day=YYYY-MM-DD/passes.parquet``, sorted by
``(plate_id, t, id)`` in row groups of :data:`ROW_GROUP` rows (a plate's passes are adjacent, and a
lookup of one plate skips the other row groups by their statistics), with four layout columns:
``prev_id``, ``prev_t``, ``prev_metres``, ``prev_kmh``, the plate's previous pass if on that or the
previous UTC day, the distance from it and the speed that needs (:func:`with_previous`; what makes
cloned-plates one scan instead of a sort of every pass),
and the plate dictionary as ``DIR/plates/part-<first plate id>.parquet`` (append-only: a plate keeps
its id). It is incremental: ``DIR/_export.json`` records the highest id written, and a later export
adds only newer sightings (a day receiving passes is merged and rewritten) and new plates. A sighting
deleted or changed after its export is not reflected: export into a new folder to start over.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.errors import InputError
from xueliang.investigate.search import haversine_m
from xueliang.storage import CameraRow, Database

if TYPE_CHECKING:
    import pyarrow as pa

    from xueliang.investigate.passes_generate import City, CityPlan

COLUMNS = (
    "id",
    "camera_id",
    "t",
    "plate_id",
    "plate",
    "plate_state",
    "colour",
    "vehicle_type",
    "brand",
    "source",
    "lon",
    "lat",
    "prev_id",
    "prev_t",
    "prev_metres",
    "prev_kmh",
)
LAYOUT_COLUMNS = ("prev_id", "prev_t", "prev_metres", "prev_kmh")
DAY_FILE = "passes.parquet"
STATE_FILE = "_export.json"
PLATES_DIR = "plates"
BATCH = 200_000
ROW_GROUP = 32_768


def schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.int64()),
            ("camera_id", pa.string()),
            ("t", pa.int64()),
            ("plate_id", pa.int32()),
            ("plate", pa.string()),
            ("plate_state", pa.string()),
            ("colour", pa.string()),
            ("vehicle_type", pa.string()),
            ("brand", pa.string()),
            ("source", pa.string()),
            ("lon", pa.float64()),
            ("lat", pa.float64()),
            ("prev_id", pa.int64()),
            ("prev_t", pa.int64()),
            ("prev_metres", pa.float64()),
            ("prev_kmh", pa.float64()),
        ]
    )


def _source_schema() -> pa.Schema:
    """The columns read from the database or a generated city (without the layout's prev_*)."""
    import pyarrow as pa

    return pa.schema([f for f in schema() if f.name not in LAYOUT_COLUMNS])


def with_previous(table: pa.Table, before: pa.Table | None = None) -> pa.Table:
    """``table`` sorted by ``(plate_id, t, id)`` with each pass's predecessor of the last two UTC days.

    ``prev_id``/``prev_t``/``prev_metres``/``prev_kmh``: the plate's previous pass (by ``t``, then
    ``id``) if it was on the same or the previous UTC day, the straight-line metres from its
    checkpoint and the speed that needs (infinite within the same second); NULL otherwise and for
    passes without a plate. The row groups' statistics of ``prev_kmh`` let cloned-plates skip
    every row group without a pass fast enough. ``before``: passes of the previous day (a day file's
    predecessors are there), not returned.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    own = [c for c in COLUMNS if c not in LAYOUT_COLUMNS]
    table = table.select(own).append_column("_own", pa.array(np.ones(table.num_rows, bool)))
    if before is not None and before.num_rows:
        prior = before.select(own).append_column("_own", pa.array(np.zeros(before.num_rows, bool)))
        table = pa.concat_tables([prior, table])
    table = table.sort_by([("plate_id", "ascending"), ("t", "ascending"), ("id", "ascending")])
    n = table.num_rows
    plate = table["plate_id"].to_numpy(zero_copy_only=False)  # float with NaN where NULL
    t = table["t"].to_numpy()
    lon = table["lon"].to_numpy(zero_copy_only=False)
    lat = table["lat"].to_numpy(zero_copy_only=False)
    same = np.zeros(n, bool)
    if n > 1:
        same[1:] = (plate[1:] == plate[:-1]) & (t[1:] // 86400 - t[:-1] // 86400 <= 1)
    prev = np.maximum(np.arange(n) - 1, 0)
    metres = haversine_m(lon[prev], lat[prev], lon, lat)
    same &= ~np.isnan(metres)
    mask = ~same
    seconds = (t - t[prev]).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        kmh = np.where(metres > 0, metres * 3.6 / seconds, 0.0)  # the same second: inf
    out = (
        table.append_column("prev_id", pa.array(table["id"].to_numpy()[prev], pa.int64(), mask=mask))
        .append_column("prev_t", pa.array(t[prev], pa.int64(), mask=mask))
        .append_column("prev_metres", pa.array(metres, pa.float64(), mask=mask))
        .append_column("prev_kmh", pa.array(kmh, pa.float64(), mask=mask))
    )
    return out.filter(pc.field("_own")).drop_columns(["_own"])


def plates_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([("plate_id", pa.int32()), ("plate", pa.string())])


class PlateIds:
    """Plate text -> int32 id, append-only (ids 0, 1, ... in order of first sight)."""

    def __init__(self, known: Sequence[str] = (), *, saved: bool = True) -> None:
        self.plates: list[str] = list(known)
        self._index = {p: i for i, p in enumerate(self.plates)}
        self.saved = len(self.plates) if saved else 0  # how many are in the folder already

    @classmethod
    def load(cls, out: Path) -> PlateIds:
        """The dictionary written under ``out/plates`` (empty when there is none)."""
        import pyarrow.parquet as pq

        files = sorted((out / PLATES_DIR).glob("part-*.parquet"))
        if not files:
            return cls()
        table = pq.read_table(files).sort_by("plate_id")
        ids = table["plate_id"].to_pylist()
        if ids != list(range(len(ids))):
            raise InputError(str(out / PLATES_DIR), "expected plate ids 0..n-1 once each, got gaps or repeats")
        return cls(table["plate"].to_pylist())

    def encode(self, plates: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The ids of ``plates`` (NULL stays NULL), adding the plates not seen before."""
        import pyarrow as pa
        import pyarrow.compute as pc

        for p in pc.unique(plates).to_pylist():
            if p is not None and p not in self._index:
                self._index[p] = len(self.plates)
                self.plates.append(p)
        return pc.index_in(plates, value_set=pa.array(self.plates, pa.string())).cast(pa.int32())

    def table(self, start: int = 0) -> pa.Table:
        """``(plate_id, plate)`` from id ``start`` on."""
        import pyarrow as pa

        return pa.table(
            {"plate_id": pa.array(range(start, len(self.plates)), pa.int32()), "plate": self.plates[start:]},
            schema=plates_schema(),
        )

    def save(self, out: Path) -> None:
        """Write the plates added since the last save as one new part file under ``out/plates``."""
        import pyarrow.parquet as pq

        if len(self.plates) == self.saved:
            return
        folder = out / PLATES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{self.saved:09d}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(self.table(self.saved), tmp)
        os.replace(tmp, path)
        self.saved = len(self.plates)


def _epoch(value: dt.datetime) -> int:
    v = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return int(v.timestamp() // 1)


@dataclass(frozen=True)
class Reads:
    """What a tactic needs of the database: passes in any of ``windows`` (UTC epoch s, inclusive),
    only of ``plate`` and only at ``cameras`` when given. The default reads everything."""

    windows: tuple[tuple[int, int], ...] = ()
    plate: str | None = None
    cameras: tuple[str, ...] | None = None

    def where(self) -> list[Any]:
        """SQLAlchemy conditions on ``sightings`` (pushed down: rows outside are never read)."""
        from sqlalchemy import and_, or_

        out: list[Any] = []
        if self.windows:
            out.append(
                or_(
                    *(
                        and_(SightingRow.first_seen >= _utc(lo), SightingRow.first_seen < _utc(hi + 1))
                        for lo, hi in self.windows
                    )
                )
            )
        if self.plate is not None:
            out.append(SightingRow.plate_text == self.plate)
        if self.cameras is not None:
            out.append(SightingRow.camera_id.in_(sorted(set(self.cameras))))
        return out


def _utc(epoch: int) -> dt.datetime:
    lo, hi = -62_135_596_800, 253_402_300_799  # 0001-01-01 .. 9999-12-31
    return dt.datetime.fromtimestamp(min(max(epoch, lo), hi), dt.UTC)


def _batches(db: Database, after_id: int, plate_ids: PlateIds, reads: Reads = Reads()) -> Any:
    import pyarrow as pa

    with db.sessions() as s:
        pos = {r.id: (r.lon, r.lat) for r in s.execute(select(CameraRow.id, CameraRow.lon, CameraRow.lat))}
    cols = (
        SightingRow.id,
        SightingRow.camera_id,
        SightingRow.first_seen,
        SightingRow.plate_text,
        SightingRow.plate_state,
        SightingRow.colour,
        SightingRow.vehicle_type,
        SightingRow.brand,
        SightingRow.source,
    )
    last = after_id
    with db.engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(*cols).where(SightingRow.id > last, *reads.where()).order_by(SightingRow.id).limit(BATCH)
            ).all()
            if not rows:
                return
            last = rows[-1].id
            lonlat = [pos.get(r.camera_id, (None, None)) for r in rows]
            plates = pa.array([r.plate_text for r in rows], pa.string())
            yield pa.table(
                {
                    "id": [r.id for r in rows],
                    "camera_id": [r.camera_id for r in rows],
                    "t": [_epoch(r.first_seen) for r in rows],
                    "plate_id": plate_ids.encode(plates),
                    "plate": plates,
                    "plate_state": [r.plate_state for r in rows],
                    "colour": [r.colour for r in rows],
                    "vehicle_type": [r.vehicle_type for r in rows],
                    "brand": [r.brand for r in rows],
                    "source": [r.source for r in rows],
                    "lon": [p[0] for p in lonlat],
                    "lat": [p[1] for p in lonlat],
                },
                schema=_source_schema(),
            )


def passes_from_db(db: Database, reads: Reads = Reads()) -> tuple[pa.Table, pa.Table]:
    """The sightings ``reads`` asks for as one Arrow table, and their plates (for DuckDB in memory)."""
    import pyarrow as pa

    ids = PlateIds()
    tables = list(_batches(db, 0, ids, reads))
    return with_previous(pa.concat_tables(tables) if tables else _source_schema().empty_table()), ids.table()


def city_plates(city: City | CityPlan) -> PlateIds:
    """The plate dictionary of a generated city (clones share their plate's id)."""
    return PlateIds(list(dict.fromkeys(city.plates)), saved=False)


def passes_from_city(city: City | CityPlan, rows: tuple[Any, Any, Any] | None = None, *, first_id: int = 1) -> pa.Table:
    """A generated city's passes straight to Arrow (ids ``first_id``... in time order), no database.

    ``rows`` is (camera index, t, vehicle index) arrays, by default the whole :class:`City`'s; one day
    of :meth:`CityPlan.days` streams. Vectorised (``take`` of small dictionaries by index).
    """
    import numpy as np
    import pyarrow as pa

    from xueliang.investigate.codes import COLOUR_OF_CODE, vehicle_type_of

    def by(values: list[str], index: Any) -> pa.Array:
        return pa.array(values, pa.string()).take(pa.array(index))

    camera, t, vehicle = rows if rows is not None else (city.camera, city.t, city.vehicle)  # type: ignore[union-attr]
    cps = city.checkpoints
    n = len(t)
    ids = city_plates(city)
    plate_id = ids.encode(pa.array(city.plates, pa.string())).to_numpy()[vehicle]
    return pa.table(
        {
            "id": np.arange(first_id, first_id + n, dtype=np.int64),
            "camera_id": by([c.id for c in cps], camera),
            "t": t,
            "plate_id": plate_id,
            "plate": by(list(city.plates), vehicle),
            "plate_state": by(["visible"], np.zeros(n, np.int8)),
            "colour": by([COLOUR_OF_CODE[c] for c in city.colour], vehicle),
            "vehicle_type": by([vehicle_type_of(c) or "unknown" for c in city.vclass], vehicle),
            "brand": by(list(city.brand), vehicle),
            "source": by(["checkpoint"], np.zeros(n, np.int8)),
            "lon": np.array([c.lon for c in cps])[camera],
            "lat": np.array([c.lat for c in cps])[camera],
        },
        schema=_source_schema(),
    )


def write_city_parquet(city: City, out: Path) -> int:
    """A generated city's passes and plates as an export folder; returns the day files written."""
    city_plates(city).save(out)
    return write_parquet(passes_from_city(city), out)


def write_parquet(table: pa.Table, out: Path) -> int:
    """Add ``table``'s passes to ``out``, one file per UTC day; returns the day files written.

    A day already in ``out`` is read, merged and rewritten (replaced atomically), so each day stays
    one file sorted by ``(plate_id, t, id)`` with its passes' predecessors (:func:`with_previous`, the
    previous day's file giving those of the first passes); the next day's file, if there is one, is
    rewritten too (its first passes' predecessors may have changed). The plates of ``plate_id`` must
    be saved (:meth:`PlateIds.save`) in the same folder.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return 0
    days = pc.divide(table["t"], 86400).to_numpy()
    written = 0
    for day in np.unique(days).tolist():
        part = table.filter(pa.array(days == day))
        old = _read_day(out, day)
        _write_day(out, day, part if old is None else pa.concat_tables([old.select(part.column_names), part]))
        written += 1
        nxt = _read_day(out, day + 1)
        if nxt is not None and day + 1 not in days:
            _write_day(out, day + 1, nxt)
    return written


def relayout(out: Path) -> int:
    """Rewrite every day file of ``out`` through :func:`with_previous` (after a layout change); returns days."""
    days = sorted(
        (dt.date.fromisoformat(p.parent.name.removeprefix("day=")) - dt.date(1970, 1, 1)).days
        for p in out.glob(f"day=*/{DAY_FILE}")
    )
    for day in days:
        passes = _read_day(out, day)
        if passes is not None:
            _write_day(out, day, passes)
    return len(days)


def _day_path(out: Path, day: int) -> Path:
    name = (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()
    return out / f"day={name}" / DAY_FILE


def _read_day(out: Path, day: int) -> pa.Table | None:
    import pyarrow.parquet as pq

    path = _day_path(out, day)
    return pq.read_table(path) if path.exists() else None


def _write_day(out: Path, day: int, passes: pa.Table) -> None:
    import pyarrow.parquet as pq

    path = _day_path(out, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(with_previous(passes, _read_day(out, day - 1)), tmp, row_group_size=ROW_GROUP)
    os.replace(tmp, path)


def export_parquet(db: Database, out: Path) -> tuple[int, int]:
    """Write sightings newer than the last export to ``out``; returns (rows, files)."""
    out.mkdir(parents=True, exist_ok=True)
    state = out / STATE_FILE
    after = json.loads(state.read_text())["last_id"] if state.exists() else 0
    if after and not (out / PLATES_DIR).is_dir():
        raise InputError(str(out), "expected an export with plate ids (plates/), got an older layout: export anew")
    plate_ids = PlateIds.load(out)
    rows = files = 0
    for batch in _batches(db, after, plate_ids):
        plate_ids.save(out)  # the plates first: every written pass has its plate
        files += write_parquet(batch, out)
        rows += batch.num_rows
        after = int(batch["id"][-1].as_py())
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps({"last_id": after, "database": db.url}))
        os.replace(tmp, state)
    return rows, files
