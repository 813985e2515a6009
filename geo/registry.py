"""The camera registry in the database: import (all or nothing) and load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from geo.cameras import Camera, CameraRead, read_camera_file
from xueliang.errors import InputError
from xueliang.storage import CameraRow, Database
from xueliang.storage.collation import code_point
from xueliang.storage.files import sha256_file

_FIELDS = [f.name for f in fields(Camera)]


@dataclass(frozen=True)
class ImportResult:
    source: str
    sha256: str
    added: int
    updated: int
    unknown_direction: int
    read: CameraRead | None = None  # the file's records and the decisions noted while reading them


def import_camera_file(db: Database, path: str | Path, *, skip_bad_rows: bool = False) -> ImportResult:
    """Validate the whole file, then write it in one transaction (update by id, insert new).

    A registry (CSV, GeoJSON) goes in whole or not at all unless ``skip_bad_rows``; an OSM extract keeps
    every camera it can place (see :mod:`geo.osm_cameras`). ``result.read.notes`` lists what was left out.
    """
    read = read_camera_file(path, skip_bad_rows=skip_bad_rows)
    result = import_cameras(db, read.cameras, source=str(path), sha256=sha256_file(path))
    return replace(result, read=read)


def import_cameras(db: Database, cams: Sequence[Camera], *, source: str, sha256: str) -> ImportResult:
    now = dt.datetime.now(dt.UTC)
    added = updated = 0
    try:
        with db.transaction() as s:
            existing = {r.id: r for r in s.scalars(select(CameraRow).where(CameraRow.id.in_([c.id for c in cams])))}
            for cam in cams:
                values = {name: getattr(cam, name) for name in _FIELDS}
                row = existing.get(cam.id)
                if row is None:
                    s.add(CameraRow(**values, source=source, source_sha256=sha256, imported_at=now))
                    added += 1
                else:
                    for k, v in values.items():
                        setattr(row, k, v)
                    row.source, row.source_sha256, row.imported_at = source, sha256, now
                    updated += 1
            s.flush()
    except IntegrityError as exc:
        raise InputError(source, f"conflicts with cameras already stored ({exc.orig}); nothing was imported") from None
    return ImportResult(source, sha256, added, updated, sum(c.heading_deg is None for c in cams))


def load_cameras(db: Database) -> list[Camera]:
    with db.sessions() as s:
        rows = s.scalars(select(CameraRow).order_by(code_point(CameraRow.id))).all()  # the same on every database
        return [Camera(**{name: getattr(r, name) for name in _FIELDS}) for r in rows]
