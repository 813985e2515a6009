"""Sightings as a columnar ``passes`` relation (Arrow), and as Parquet partitioned by day.

Columns: ``id`` (sighting id), ``camera_id``, ``t`` (UTC epoch seconds of ``first_seen``, whole
seconds), ``plate`` (NULL when not read), ``plate_state``, ``colour``, ``vehicle_type``, ``brand``,
``source`` (checkpoint | video), ``lon``/``lat`` (the camera's registry position, WGS84).
Every source of sightings is included: checkpoint passes and indexed video.

``export_parquet`` writes ``DIR/day=YYYY-MM-DD/part-<first id>-<last id>.parquet`` (UTC days), sorted
by ``t``; it is incremental: ``DIR/_export.json`` records the highest id written, and a later export
adds only newer sightings (as new part files). A sighting deleted or changed after its export is not
reflected: export into a new folder to start over.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.storage import CameraRow, Database

if TYPE_CHECKING:
    import pyarrow as pa

    from xueliang.investigate.passes_generate import City

COLUMNS = ("id", "camera_id", "t", "plate", "plate_state", "colour", "vehicle_type", "brand", "source", "lon", "lat")
STATE_FILE = "_export.json"
BATCH = 200_000


def schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.int64()),
            ("camera_id", pa.string()),
            ("t", pa.int64()),
            ("plate", pa.string()),
            ("plate_state", pa.string()),
            ("colour", pa.string()),
            ("vehicle_type", pa.string()),
            ("brand", pa.string()),
            ("source", pa.string()),
            ("lon", pa.float64()),
            ("lat", pa.float64()),
        ]
    )


def _epoch(value: dt.datetime) -> int:
    v = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return int(v.timestamp() // 1)


def _batches(db: Database, after_id: int) -> Any:
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
            rows = conn.execute(select(*cols).where(SightingRow.id > last).order_by(SightingRow.id).limit(BATCH)).all()
            if not rows:
                return
            last = rows[-1].id
            lonlat = [pos.get(r.camera_id, (None, None)) for r in rows]
            yield pa.table(
                {
                    "id": [r.id for r in rows],
                    "camera_id": [r.camera_id for r in rows],
                    "t": [_epoch(r.first_seen) for r in rows],
                    "plate": [r.plate_text for r in rows],
                    "plate_state": [r.plate_state for r in rows],
                    "colour": [r.colour for r in rows],
                    "vehicle_type": [r.vehicle_type for r in rows],
                    "brand": [r.brand for r in rows],
                    "source": [r.source for r in rows],
                    "lon": [p[0] for p in lonlat],
                    "lat": [p[1] for p in lonlat],
                },
                schema=schema(),
            )


def passes_from_db(db: Database) -> pa.Table:
    """Every sighting as one Arrow table (for DuckDB in memory; fine up to a few million rows)."""
    import pyarrow as pa

    tables = list(_batches(db, 0))
    return pa.concat_tables(tables) if tables else schema().empty_table()


def passes_from_city(city: City) -> pa.Table:
    """A generated city's passes straight to Arrow (ids 1..n in time order), no database.

    Vectorised (``take`` of small dictionaries by index), so tens of millions of passes fit.
    """
    import numpy as np
    import pyarrow as pa

    from xueliang.investigate.codes import COLOUR_OF_CODE, vehicle_type_of

    def by(values: list[str], index: Any) -> pa.Array:
        return pa.array(values, pa.string()).take(pa.array(index))

    cps = city.checkpoints
    n = len(city)
    return pa.table(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "camera_id": by([c.id for c in cps], city.camera),
            "t": city.t,
            "plate": by(list(city.plates), city.vehicle),
            "plate_state": by(["visible"], np.zeros(n, np.int8)),
            "colour": by([COLOUR_OF_CODE[c] for c in city.colour], city.vehicle),
            "vehicle_type": by([vehicle_type_of(c) or "unknown" for c in city.vclass], city.vehicle),
            "brand": by(list(city.brand), city.vehicle),
            "source": by(["checkpoint"], np.zeros(n, np.int8)),
            "lon": np.array([c.lon for c in cps])[city.camera],
            "lat": np.array([c.lat for c in cps])[city.camera],
        },
        schema=schema(),
    )


def write_parquet(table: pa.Table, out: Path) -> int:
    """Append ``table`` to ``out`` as one part file per UTC day; returns the files written."""
    import numpy as np
    import pyarrow.parquet as pq

    if table.num_rows == 0:
        return 0
    t = table["t"].to_numpy()
    if np.any(np.diff(t) < 0):
        table = table.sort_by([("t", "ascending"), ("id", "ascending")])
        t = table["t"].to_numpy()
    days = t // 86400
    edges = np.flatnonzero(np.diff(days)) + 1
    written = 0
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(t)], strict=True):
        part = table.slice(int(lo), int(hi - lo))
        ids = part["id"].to_numpy()
        name = (dt.date(1970, 1, 1) + dt.timedelta(days=int(days[lo]))).isoformat()
        folder = out / f"day={name}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{int(ids.min()):012d}-{int(ids.max()):012d}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(part, tmp, row_group_size=1_000_000)
        os.replace(tmp, path)
        written += 1
    return written


def export_parquet(db: Database, out: Path) -> tuple[int, int]:
    """Write sightings newer than the last export to ``out``; returns (rows, files)."""
    out.mkdir(parents=True, exist_ok=True)
    state = out / STATE_FILE
    after = json.loads(state.read_text())["last_id"] if state.exists() else 0
    rows = files = 0
    for batch in _batches(db, after):
        files += write_parquet(batch, out)
        rows += batch.num_rows
        after = int(batch["id"][-1].as_py())
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps({"last_id": after, "database": db.url}))
        os.replace(tmp, state)
    return rows, files
