"""Manifests for bulk recorder exports: CSV or JSON mapping files to camera IDs and start times.

CSV: a header row with ``path,camera_id,start`` (any order; no other columns).
JSON: a list of objects ``{"path": ..., "camera_id": ..., "start": ...}`` (no other keys).
Relative paths are relative to the manifest's folder; ``start`` is ISO 8601 (no offset = UTC).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from vision.index import IndexItem, parse_start
from xueliang.config import format_validation_error
from xueliang.errors import ConfigError, SchemaError

COLUMNS = ("path", "camera_id", "start")


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    camera_id: str
    start: str


def load_manifest(path: str | Path) -> list[IndexItem]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), f"cannot read manifest: {exc}") from exc
    rows: list[tuple[str, object]] = []
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(str(p), f"not valid JSON: {exc}") from exc
        if not isinstance(data, list):
            raise SchemaError(str(p), f"expected a JSON list of objects, got {type(data).__name__}")
        rows = [(f"item {i}", obj) for i, obj in enumerate(data)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        header = tuple(reader.fieldnames or ())
        if sorted(header) != sorted(COLUMNS):
            raise SchemaError(str(p), f"expected CSV columns {', '.join(COLUMNS)}, got {', '.join(header) or 'none'}")
        rows = [(f"row {i + 2}", dict(r)) for i, r in enumerate(reader)]
    items = []
    for where, obj in rows:
        try:
            e = ManifestEntry.model_validate(obj)
        except ValidationError as exc:
            raise SchemaError(str(p), format_validation_error(exc), where=where) from exc
        f = Path(e.path)
        if not f.is_absolute():
            f = p.parent / f
        items.append(
            IndexItem(
                path=str(f),
                camera_id=e.camera_id.strip() or None,
                start=parse_start(e.start, source=f"{p}: {where}") if e.start.strip() else None,
                source=f"{p.name} {where}",
            )
        )
    return items
