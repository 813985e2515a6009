"""Store checked checkpoint passes as sightings (``source = 'checkpoint'``, no video).

One file is one transaction: its new passes go in together or not at all. A pass whose
``MotorVehicleID`` is already stored is skipped (a re-import adds nothing); a pass whose
``DeviceID`` is neither a registered camera's GB/T 28181 id nor its camera id is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select

from vision.tables import SOURCE_CHECKPOINT, SightingRow
from xueliang.investigate.passes import ParsedPasses, Pass, PassRejection
from xueliang.storage import CameraRow, Database
from xueliang.storage.database import check_actor, current_user

CHUNK = 5000
SightingTable = SightingRow.metadata.tables["sightings"]


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


def _row(p: Pass, camera_id: str) -> dict[str, object]:
    return {
        "video_id": None,
        "camera_id": camera_id,
        "track_id": 0,
        "first_seen": p.at,
        "last_seen": p.at,
        "detector_class": p.detector_class,
        "detector_confidence": 1.0,  # a checkpoint record carries no confidences: 1.0 is stored
        "colour": p.colour,
        "colour_confidence": 1.0,
        "vehicle_type": p.vehicle_type,
        "vehicle_type_confidence": 1.0,
        "plate_state": p.plate_state,
        "plate_state_confidence": 1.0,
        "plate_text": p.plate_text,
        "plate_text_confidence": None if p.plate_text is None else 1.0,
        "plate_colour": p.plate_colour,
        "direction": p.direction,
        "direction_deg": None,
        "best_frame": 0,
        "source": SOURCE_CHECKPOINT,
        "external_id": p.external_id,
        "lane": p.lane,
        "brand": p.brand,
    }


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
    rejections = list(parsed.rejections)
    known: list[Pass] = []
    for number, p in parsed.numbered():
        if p.device_id in devices:
            known.append(p)
        else:
            rejections.append(
                PassRejection(
                    number,
                    p.external_id,
                    "DeviceID",
                    "expected a registered camera (GB/T 28181 id or camera id; `xueliang cameras import`)",
                    p.device_id,
                )
            )
    rejections.sort(key=lambda r: r.record)
    added = already = 0
    first_id = last_id = None
    with db.transaction() as s:
        before = s.scalar(select(func.max(SightingRow.id))) or 0
        for i in range(0, len(known), CHUNK):
            chunk = known[i : i + CHUNK]
            stored = set(
                s.scalars(
                    select(SightingRow.external_id).where(SightingRow.external_id.in_([p.external_id for p in chunk]))
                )
            )
            rows = [_row(p, devices[p.device_id]) for p in chunk if p.external_id not in stored]
            already += len(chunk) - len(rows)
            if rows:
                s.connection().execute(insert(SightingTable), rows)  # Core executemany, no RETURNING
                added += len(rows)
        if added:
            first_id = s.scalar(select(func.min(SightingRow.id)).where(SightingRow.id > before))
            last_id = s.scalar(select(func.max(SightingRow.id)))
        db.audit(
            actor=who,
            action="passes-import",
            query={"file": parsed.source, "read": parsed.records_read, "already": already, "rejected": len(rejections)},
            result_count=added,
            session=s,
        )
    return IngestResult(parsed.source, parsed.records_read, added, already, tuple(rejections), first_id, last_id)
