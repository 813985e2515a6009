"""Write validated ledger records (one transaction, a history row per changed field) and read them back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from xueliang.ledger.io import ColumnMapping, LedgerFileRead, ParsedLedger, read_ledger
from xueliang.ledger.metrics import CaseTable
from xueliang.ledger.schema import ALL_FIELDS, CaseRecord
from xueliang.ledger.tables import LedgerCaseCameraRow, LedgerCaseRow, LedgerCaseSightingRow, LedgerHistoryRow
from xueliang.storage import CameraRow, Database
from xueliang.storage.collation import code_point
from xueliang.storage.times import as_utc

_SCALARS = tuple(f for f in ALL_FIELDS if f not in ("cameras", "sightings"))
_CHUNK = 500


@dataclass(frozen=True)
class ImportResult(LedgerFileRead):
    """The file read and what its import changed: cases added, updated, unchanged; history rows written."""

    added: int
    updated: int
    unchanged: int
    history_rows: int


@dataclass(frozen=True)
class HistoryEntry:
    case_id: str
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: dt.datetime
    source: str
    source_row: int | None


def canonical(value: object) -> str | None:
    """The text kept in the history and used to decide whether a field changed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()  # a parsed record's time, or a stored (UTC) one
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return ";".join(value) or None
    return str(value)


def _record_values(rec: CaseRecord, fields: Iterable[str]) -> dict[str, str | None]:
    return {f: canonical(getattr(rec, f)) for f in fields}


def _row_values(row: LedgerCaseRow, cameras: Sequence[str], sightings: Sequence[str]) -> dict[str, str | None]:
    values = {f: canonical(getattr(row, f)) for f in _SCALARS}
    values["cameras"] = canonical(tuple(sorted(cameras)))
    values["sightings"] = canonical(tuple(sorted(sightings)))
    return values


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _bulk_insert(s: Session, table: Any, rows: Sequence[dict[str, Any]], batch: int = 5000) -> None:
    """Core executemany in batches (much lighter than ORM objects for tens of thousands of rows)."""
    for i in range(0, len(rows), batch):
        s.execute(insert(table), rows[i : i + batch])


def import_ledger(db: Database, parsed: ParsedLedger, *, now: dt.datetime | None = None) -> ImportResult:
    """Insert new cases and update changed ones in one transaction; unchanged cases are not touched.

    Only the fields whose column is in the file are compared and written, so a file without the
    optional ``cameras`` column leaves the stored camera links alone. Every changed field gets a
    history row (old and new value, time, file, row).
    """
    now = now or dt.datetime.now(dt.UTC)
    fields = [f for f in ALL_FIELDS if f in parsed.fields]
    added = updated = unchanged = 0
    history: list[dict[str, Any]] = []
    ids = [sr.record.case_id for sr in parsed.rows]
    with db.exclusive_transaction("ledger import") as s:  # a concurrent import waits, then sees this one's cases
        existing: dict[str, LedgerCaseRow] = {}
        links: dict[str, dict[str, list[str]]] = {"cameras": {}, "sightings": {}}
        for chunk in _chunks(ids):
            existing.update(
                {r.case_id: r for r in s.scalars(select(LedgerCaseRow).where(LedgerCaseRow.case_id.in_(chunk)))}
            )
            for cid, ref in s.execute(
                select(LedgerCaseCameraRow.case_id, LedgerCaseCameraRow.camera_ref).where(
                    LedgerCaseCameraRow.case_id.in_(chunk)
                )
            ):
                links["cameras"].setdefault(cid, []).append(ref)
            for cid, ref in s.execute(
                select(LedgerCaseSightingRow.case_id, LedgerCaseSightingRow.sighting_ref).where(
                    LedgerCaseSightingRow.case_id.in_(chunk)
                )
            ):
                links["sightings"].setdefault(cid, []).append(ref)
        new_cases: list[dict[str, Any]] = []
        new_cameras: list[dict[str, str]] = []
        new_sightings: list[dict[str, str]] = []
        for sr in parsed.rows:
            rec = sr.record
            new = _record_values(rec, fields)
            row = existing.get(rec.case_id)
            if row is None:
                old: dict[str, str | None] = {}
            else:
                stored = _row_values(
                    row, links["cameras"].get(rec.case_id, []), links["sightings"].get(rec.case_id, [])
                )
                old = {f: stored[f] for f in fields}
            changed = [f for f in fields if old.get(f) != new[f]]
            if row is not None and not changed:
                unchanged += 1
                continue
            for f in changed:
                history.append(
                    {
                        "case_id": rec.case_id,
                        "field": f,
                        "old_value": old.get(f),
                        "new_value": new[f],
                        "changed_at": now,
                        "source": parsed.source,
                        "source_sha256": parsed.sha256,
                        "source_row": sr.row,
                    }
                )
            if row is None:
                added += 1
                new_cases.append({f: getattr(rec, f) for f in _SCALARS} | {"source": parsed.source, "updated_at": now})
                new_cameras += [{"case_id": rec.case_id, "camera_ref": c} for c in rec.cameras]
                new_sightings += [{"case_id": rec.case_id, "sighting_ref": c} for c in rec.sightings]
                continue
            updated += 1
            for f in changed:
                if f == "cameras":
                    s.execute(delete(LedgerCaseCameraRow).where(LedgerCaseCameraRow.case_id == rec.case_id))
                    new_cameras += [{"case_id": rec.case_id, "camera_ref": c} for c in rec.cameras]
                elif f == "sightings":
                    s.execute(delete(LedgerCaseSightingRow).where(LedgerCaseSightingRow.case_id == rec.case_id))
                    new_sightings += [{"case_id": rec.case_id, "sighting_ref": c} for c in rec.sightings]
                else:
                    setattr(row, f, getattr(rec, f))
            row.source, row.updated_at = parsed.source, now
        s.flush()
        _bulk_insert(s, LedgerCaseRow.__table__, new_cases)
        _bulk_insert(s, LedgerCaseCameraRow.__table__, new_cameras)
        _bulk_insert(s, LedgerCaseSightingRow.__table__, new_sightings)
        _bulk_insert(s, LedgerHistoryRow.__table__, history)
    return ImportResult(
        **parsed.file_read(), added=added, updated=updated, unchanged=unchanged, history_rows=len(history)
    )


def import_ledger_file(
    db: Database,
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
    sheet: str | None = None,
) -> ImportResult:
    """Read, validate and import a ledger file: valid rows go in together, rejected rows are reported."""
    now = now or dt.datetime.now(dt.UTC)
    parsed = read_ledger(path, mapping=mapping, tz=tz, now=now, sheet=sheet)
    return import_ledger(db, parsed, now=now)


def case_history(db: Database, case_id: str | None = None) -> list[HistoryEntry]:
    with db.sessions() as s:
        q = select(LedgerHistoryRow).order_by(LedgerHistoryRow.id)
        if case_id is not None:
            q = q.where(LedgerHistoryRow.case_id == case_id)
        return [
            HistoryEntry(r.case_id, r.field, r.old_value, r.new_value, r.changed_at, r.source, r.source_row)
            for r in s.scalars(q)
        ]


def _dt64(values: Sequence[dt.datetime | None]) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    return np.array(
        [np.datetime64(v.replace(tzinfo=None), "s") if v is not None else np.datetime64("NaT") for v in values],
        dtype="datetime64[s]",
    )


def load_cases(db: Database) -> CaseTable:
    """Every stored case as columns (sorted by case id), with its linked camera references."""
    with db.sessions() as s:
        rows = list(s.scalars(select(LedgerCaseRow).order_by(code_point(LedgerCaseRow.case_id))))
        cams: dict[str, list[str]] = {}
        for cid, ref in s.execute(
            select(LedgerCaseCameraRow.case_id, LedgerCaseCameraRow.camera_ref).order_by(
                code_point(LedgerCaseCameraRow.case_id), code_point(LedgerCaseCameraRow.camera_ref)
            )
        ):
            cams.setdefault(cid, []).append(ref)
    nan = float("nan")
    return CaseTable(
        case_id=np.array([r.case_id for r in rows], dtype=object),
        case_type=np.array([r.case_type for r in rows], dtype=object),
        area=np.array([r.area or "" for r in rows], dtype=object),
        occurred=_dt64([r.occurred_start for r in rows]),
        solved=np.array([r.status == "solved" for r in rows], dtype=bool),
        obtained=np.array([r.video_obtained for r in rows], dtype=bool),
        contribution=np.array([r.video_contribution for r in rows], dtype=object),
        requested_at=_dt64([r.video_requested_at for r in rows]),
        expires_at=_dt64([r.video_expires_at for r in rows]),
        lon=np.array([nan if r.lon is None else r.lon for r in rows], dtype=float),
        lat=np.array([nan if r.lat is None else r.lat for r in rows], dtype=float),
        hours_reviewed=np.array([nan if r.hours_reviewed is None else r.hours_reviewed for r in rows], dtype=float),
        vehicles_screened=np.array([nan if r.vehicles_screened is None else r.vehicles_screened for r in rows]),
        vehicles_eliminated=np.array([nan if r.vehicles_eliminated is None else r.vehicles_eliminated for r in rows]),
        cameras=tuple(tuple(cams.get(r.case_id, ())) for r in rows),
        solved_at=_dt64([r.solved_at for r in rows]),
    )


def registered_camera_ids(db: Database) -> frozenset[str]:
    with db.sessions() as s:
        return frozenset(s.scalars(select(CameraRow.id)))
