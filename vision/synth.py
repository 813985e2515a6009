"""Generated cameras, videos and sightings with known answers, for tests and the benchmark.

``generate`` inserts rows straight into the tables (Core ``executemany``, no video decoding):
a grid of cameras around a centre, one video row per camera, and ``n`` random sightings spread
over ``days``; embeddings are random unit vectors of ``dim`` dimensions (``dim=0`` stores none).
``plant`` adds a known vehicle (plate text or none, one embedding with small noise) at chosen
cameras and times, which the tests then expect to find among the decoys.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert, select

from vision.tables import SightingRow, VideoRow
from xueliang.storage import CameraRow, Database

COLOURS = ("white", "black", "grey", "silver", "red", "blue", "brown", "yellow", "green")
TYPES = ("sedan", "suv", "van", "pickup", "bus", "truck", "motorcycle")
PLATE_STATES = ("visible", "covered", "absent", "unknown")
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PROVINCES = "京津沪晋冀豫鲁苏浙粤"
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
SYNTH_MODEL = "synthetic-random"


@dataclass(frozen=True)
class SynthWorld:
    camera_ids: tuple[str, ...]
    video_ids: dict[str, int]
    lon0: float
    lat0: float
    dim: int


def camera_grid(
    n: int, *, lon0: float = 112.55, lat0: float = 37.87, spacing_m: float = 500.0
) -> list[dict[str, object]]:
    side = max(1, math.ceil(math.sqrt(n)))
    dlat = spacing_m / 111_320.0
    dlon = dlat / math.cos(math.radians(lat0))
    rows = []
    for k in range(n):
        i, j = divmod(k, side)
        rows.append(
            {
                "id": f"cam-{k:04d}",
                "lon": lon0 + (j - side / 2) * dlon,
                "lat": lat0 + (i - side / 2) * dlat,
                "channels": 1,
                "kind": "fixed",
                "imported_at": T0,
            }
        )
    return rows


def unit(rng: np.random.Generator, n: int, dim: int) -> npt.NDArray[np.float32]:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def setup_world(db: Database, *, cameras: int = 16, dim: int = 64, video_path: str = "synthetic.mp4") -> SynthWorld:
    cams = camera_grid(cameras)
    with db.engine.begin() as conn:
        conn.execute(insert(CameraRow), cams)
        conn.execute(
            insert(VideoRow),
            [
                {
                    "sha256": f"{k:064x}",
                    "path": video_path,
                    "size_bytes": 0,
                    "camera_id": c["id"],
                    "start_time": T0,
                    "end_time": T0 + dt.timedelta(days=365),
                    "fps": 25.0,
                    "frame_count": 0,
                    "duration_s": 0.0,
                    "width": 1280,
                    "height": 720,
                    "detector": "synthetic",
                    "frames_decoded": 0,
                    "frames_detected": 0,
                    "processing_s": 0.0,
                    "indexed_at": T0,
                }
                for k, c in enumerate(cams)
            ],
        )
        vids = {r.camera_id: r.id for r in conn.execute(select(VideoRow.camera_id, VideoRow.id))}
    ids = tuple(str(c["id"]) for c in cams)
    return SynthWorld(ids, vids, 112.55, 37.87, dim)


def random_plate(rng: np.random.Generator) -> str:
    return (
        PROVINCES[rng.integers(len(PROVINCES))]
        + LETTERS[rng.integers(len(LETTERS))]
        + "".join(rng.choice(list(LETTERS[:10] + "0123456789"), 5))
    )


def random_plates(rng: np.random.Generator, mask: npt.NDArray[np.bool_]) -> list[str | None]:
    """A random plate where ``mask`` is true, None elsewhere (vectorised)."""
    tail = np.array(list(LETTERS[:10] + "0123456789"))
    prov = np.array(list(PROVINCES))[rng.integers(len(PROVINCES), size=len(mask))]
    letter = np.array(list(LETTERS))[rng.integers(len(LETTERS), size=len(mask))]
    rest = tail[rng.integers(len(tail), size=(len(mask), 5))]
    text = np.char.add(np.char.add(prov, letter), ["".join(r) for r in rest])
    return [str(t) if k else None for t, k in zip(text, mask, strict=True)]


def generate(db: Database, world: SynthWorld, n: int, *, seed: int = 0, days: float = 30.0, batch: int = 50_000) -> int:
    """Insert ``n`` random decoy sightings in batches; returns how many were inserted.

    On SQLite rows go straight through the DB-API ``executemany`` (datetimes in SQLAlchemy's SQLite
    text format), elsewhere through a Core ``insert`` with the same values.
    """
    rng = np.random.default_rng(seed)
    # one prototype row: its keys are the columns, its non-varying values are shared by every row
    proto = sighting_row(
        world,
        camera_id=world.camera_ids[0],
        first=T0,
        last=T0,
        colour="",
        vehicle_type="",
        plate_state="",
        plate_text=None,
        embedding=None,
    )
    cols = list(proto)
    const = {k: v for k, v in proto.items() if k not in _VARYING}
    sqlite = db.engine.dialect.name == "sqlite"
    sql = f"INSERT INTO sightings ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    done = 0
    while done < n:
        m = min(batch, n - done)
        cam = rng.integers(len(world.camera_ids), size=m)
        start = rng.uniform(0, days * 86400.0, size=m)
        dur = rng.uniform(1.0, 30.0, size=m)
        colour = rng.integers(len(COLOURS), size=m)
        vtype = rng.integers(len(TYPES), size=m)
        state = rng.choice(len(PLATE_STATES), size=m, p=[0.7, 0.05, 0.05, 0.2])
        emb = unit(rng, m, world.dim) if world.dim else None
        plates = random_plates(rng, state == PLATE_STATES.index("visible"))
        if sqlite:
            base = np.datetime64(T0.replace(tzinfo=None), "us")
            f_us = base + (start * 1e6).astype("timedelta64[us]")
            l_us = f_us + (dur * 1e6).astype("timedelta64[us]")
            firsts = [t.replace("T", " ") for t in np.datetime_as_string(f_us, unit="us")]
            lasts = [t.replace("T", " ") for t in np.datetime_as_string(l_us, unit="us")]
            tuples = []
            for i in range(m):
                c = world.camera_ids[int(cam[i])]
                vt = TYPES[int(vtype[i])]
                row = const | {
                    "video_id": world.video_ids[c],
                    "camera_id": c,
                    "first_seen": firsts[i],
                    "last_seen": lasts[i],
                    "detector_class": _det_class(vt),
                    "colour": COLOURS[int(colour[i])],
                    "vehicle_type": vt,
                    "plate_state": PLATE_STATES[int(state[i])],
                    "plate_text": plates[i],
                    "plate_text_confidence": None if plates[i] is None else 0.9,
                    "plate_colour": "blue" if plates[i] else None,
                    "embedding": None if emb is None else emb[i].tobytes(),
                    "embedding_model": None if emb is None else SYNTH_MODEL,
                }
                tuples.append(tuple(row[k] for k in cols))
            raw = db.engine.raw_connection()
            try:
                raw.cursor().executemany(sql, tuples)
                raw.commit()
            finally:
                raw.close()
        else:
            rows = []
            for i in range(m):
                first = T0 + dt.timedelta(seconds=float(start[i]))
                rows.append(
                    sighting_row(
                        world,
                        camera_id=world.camera_ids[int(cam[i])],
                        first=first,
                        last=first + dt.timedelta(seconds=float(dur[i])),
                        colour=COLOURS[int(colour[i])],
                        vehicle_type=TYPES[int(vtype[i])],
                        plate_state=PLATE_STATES[int(state[i])],
                        plate_text=plates[i],
                        embedding=None if emb is None else emb[i].tobytes(),
                    )
                )
            with db.engine.begin() as conn:
                conn.execute(insert(SightingRow), rows)
        done += m
    return done


_VARYING = {
    "video_id",
    "camera_id",
    "first_seen",
    "last_seen",
    "detector_class",
    "colour",
    "vehicle_type",
    "plate_state",
    "plate_text",
    "plate_text_confidence",
    "plate_colour",
    "embedding",
    "embedding_model",
}


def _det_class(vehicle_type: str) -> str:
    return vehicle_type if vehicle_type in ("motorcycle", "bus") else "car"


def sighting_row(
    world: SynthWorld,
    *,
    camera_id: str,
    first: dt.datetime,
    last: dt.datetime,
    colour: str,
    vehicle_type: str,
    plate_state: str,
    plate_text: str | None,
    embedding: bytes | None,
    track_id: int = 0,
) -> dict[str, object]:
    return {
        "video_id": world.video_ids[camera_id],
        "camera_id": camera_id,
        "track_id": track_id,
        "first_seen": first,
        "last_seen": last,
        "detector_class": _det_class(vehicle_type),
        "detector_confidence": 0.8,
        "colour": colour,
        "colour_confidence": 0.7,
        "vehicle_type": vehicle_type,
        "vehicle_type_confidence": 0.6,
        "plate_state": plate_state,
        "plate_state_confidence": 0.9,
        "plate_text": plate_text,
        "plate_text_confidence": None if plate_text is None else 0.9,
        "plate_colour": "blue" if plate_text else None,
        "direction": "up",
        "direction_deg": 0.0,
        "best_frame": 0,
        "thumbnail_path": None,
        "frame_path": None,
        "embedding": embedding,
        "embedding_model": None if embedding is None else SYNTH_MODEL,
    }


def plant(
    db: Database,
    world: SynthWorld,
    *,
    at: Sequence[tuple[str, dt.datetime]],
    colour: str = "white",
    vehicle_type: str = "suv",
    plate_state: str = "covered",
    plate_text: str | None = None,
    base: npt.NDArray[np.float32] | None = None,
    noise: float = 0.05,
    seed: int = 1,
) -> list[int]:
    """Insert one known vehicle seen at each (camera, time); returns the new sighting ids in order."""
    rng = np.random.default_rng(seed)
    v = unit(rng, 1, world.dim)[0] if base is None else base
    ids = []
    with db.engine.begin() as conn:
        for cam, t in at:
            e = v + noise * rng.standard_normal(world.dim).astype(np.float32)
            e = (e / np.linalg.norm(e)).astype(np.float32)
            row = sighting_row(
                world,
                camera_id=cam,
                first=t,
                last=t + dt.timedelta(seconds=8),
                colour=colour,
                vehicle_type=vehicle_type,
                plate_state=plate_state,
                plate_text=plate_text,
                embedding=e.tobytes(),
                track_id=999,
            )
            ids.append(int(conn.execute(insert(SightingRow).returning(SightingRow.id), row).scalar_one()))
    return ids
