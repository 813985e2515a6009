"""The camera registry in the database: import (all or nothing) and load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from geo.cameras import Camera, read_cameras
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


def import_camera_file(db: Database, path: str | Path) -> ImportResult:
    """Validate the whole file, then write it in one transaction (update by id, insert new)."""
    cams = read_cameras(path)
    return import_cameras(db, cams, source=str(path), sha256=sha256_file(path))


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
