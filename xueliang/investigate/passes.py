"""Read checkpoint (卡口) pass records: GA/T 1400 ``MotorVehicleObject`` JSON, or CSV with a column map.

Nothing here touches the database: :func:`read_passes` returns the usable passes and the
rejections (record, field, reason, value); :mod:`xueliang.investigate.passes_store` writes them as
sightings. A bad record never stops the file; a file that is not what was expected (not JSON, not
the GA/T 1400 envelope, a required CSV column missing) raises one :class:`InputError`.

Fields read (GA/T 1400 names; CSV columns default to the same names, ``--map FIELD=COLUMN``):

* ``MotorVehicleID`` (required, 1-64 characters: what makes a re-import idempotent),
  ``DeviceID`` (required: a registered camera's GB/T 28181 id or camera id, checked on import),
  ``PassTime`` (required; ``ShotTime`` when absent): ``yyyyMMddHHmmss`` (or with ``SSS``
  milliseconds) in local time, ``+08:00`` unless ``tz`` says otherwise; an ISO 8601 value with an
  offset (``2024-05-01T08:00:00+09:00``) carries its own;
* ``PlateNo``, ``HasPlate``, ``IsCovered``, ``PlateColor``, ``VehicleClass``, ``VehicleColor``,
  ``VehicleBrand``, ``LaneNo``, ``Direction`` (optional; code tables in docs/tactics.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import operator
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict

from xueliang.config import ColumnMap, load_column_map
from xueliang.errors import InputError, SchemaError
from xueliang.investigate.pass_batch import ParsedPasses, PassBatch, check_columns, join_parts
from xueliang.investigate.pass_cells import (
    CHINA_TZ,
    FIELDS,
    PLATE_RE,
    REQUIRED,
    Pass,
    PassRejection,
    check_record,
    parse_pass_time,
)

__all__ = [
    "CHINA_TZ",
    "FIELDS",
    "PLATE_RE",
    "ParsedPasses",
    "Pass",
    "PassBatch",
    "PassColumns",
    "PassRejection",
    "check_record",
    "load_columns",
    "parse_csv",
    "parse_json",
    "parse_offset",
    "parse_pass_time",
    "read_passes",
    "write_rejections",
]


class PassColumns(ColumnMap):
    """CSV column of each field (unset = the field's own name), from ``--map``/``--mapping``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    MotorVehicleID: str | None = None
    DeviceID: str | None = None
    PassTime: str | None = None
    PlateNo: str | None = None
    HasPlate: str | None = None
    IsCovered: str | None = None
    PlateColor: str | None = None
    VehicleClass: str | None = None
    VehicleColor: str | None = None
    VehicleBrand: str | None = None
    LaneNo: str | None = None
    Direction: str | None = None


def load_columns(path: str | Path | None = None, pairs: Sequence[str] = ()) -> PassColumns:
    """A column map from a TOML/JSON file and/or ``FIELD=COLUMN`` pairs (pairs win)."""
    return load_column_map(PassColumns, path, pairs, fields_hint=f" (FIELD one of {', '.join(FIELDS)})")


def parse_offset(value: str, *, source: str = "--tz") -> dt.timezone:
    """``+08:00`` / ``-05:30`` / ``Z`` as a fixed offset."""
    text = value.strip()
    if text in ("Z", "UTC", "+00:00"):
        return dt.UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if m is None or int(m.group(2)) > 14 or int(m.group(3)) > 59:
        raise InputError(source, f"expected a UTC offset like +08:00, got {value!r}")
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return dt.timezone(dt.timedelta(minutes=minutes if m.group(1) == "+" else -minutes))


_LISTED = (*FIELDS, "ShotTime")


_DECODERS: dict[str, Any] = {}
SPLIT_MIN_BYTES = 8_000_000  # a JSON file at least this big may be checked in two processes (``workers=2``)
_BETWEEN = re.compile(rb"\}\s*,\s*\{")  # where one record ends and the next begins (or inside a text)
_HEAD = re.compile(rb'\s*\{\s*"MotorVehicleListObject"\s*:\s*\{\s*"MotorVehicleObject"\s*:\s*\[')
_TAIL = re.compile(rb"\]\s*\}\s*\}\s*\Z")


def _decoders() -> dict[str, Any]:
    """msgspec decoders: the envelope into typed records (no dict per record); a bare list of records."""
    import msgspec

    if not _DECODERS:
        record = msgspec.defstruct("MotorVehicleObject", [(f, Any, None) for f in _LISTED])
        listing = msgspec.defstruct("MotorVehicleListObject", [("MotorVehicleObject", list[record])])  # type: ignore[valid-type]
        envelope = msgspec.defstruct("Envelope", [("MotorVehicleListObject", listing)])
        _DECODERS["records"] = msgspec.json.Decoder(envelope)
        _DECODERS["list"] = msgspec.json.Decoder(list[record])  # type: ignore[valid-type]
    return _DECODERS


def _fast_records(data: bytes) -> list[Any] | None:
    """The records as msgspec structs, or None when the file needs the generic reader (not JSON,
    not the envelope, a record that is not an object): that reader then says what is wrong."""
    doc = _decode("records", data)
    return None if doc is None else list(doc.MotorVehicleListObject.MotorVehicleObject)


def _decode(kind: str, data: bytes) -> Any:
    """``data`` decoded by the ``kind`` decoder of :func:`_decoders`, or None when it does not fit."""
    import msgspec

    try:
        return _decoders()[kind].decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _halves(data: bytes) -> tuple[bytes, bytes] | None:
    """The record list cut in two JSON lists at a record boundary near its middle, or None. Only for a file
    that is the bare envelope (``{"MotorVehicleListObject": {"MotorVehicleObject": [`` ... ``]}}``): a cut
    there lies inside the list, and a cut inside a text or a nested value leaves its half unbalanced, so
    that half fails to decode and the caller reads the file whole."""
    head = _HEAD.match(data)
    if head is None:
        return None
    tail = _TAIL.search(data, max(head.end(), len(data) - 64))
    if tail is None:
        return None
    m = _BETWEEN.search(data, max(head.end(), len(data) // 2), tail.start())
    if m is None:
        return None
    view = memoryview(data)
    return b"".join((b"[", view[head.end() : m.start() + 1], b"]")), b"".join(
        (b"[", view[m.end() - 1 : tail.start()], b"]")
    )


def _check_structs(structs: list[Any], *, source: str, tz: dt.tzinfo, dedupe: bool = True) -> ParsedPasses:
    columns = {f: list(map(operator.attrgetter(f), structs)) for f in _LISTED}

    def struct_record(i: int) -> dict[str, Any]:
        return {f: columns[f][i] for f in _LISTED if columns[f][i] is not None}

    numbers = np.arange(1, len(structs) + 1, dtype=np.int64)
    return check_columns(
        columns, numbers, struct_record, source=source, tz=tz, records_read=len(structs), dedupe=dedupe
    )


def _check_part(part: bytes, source: str, tz: dt.tzinfo) -> ParsedPasses | None:
    """One half's records checked (numbered from 1; repeated ids left for :func:`join_parts`), or None when
    the half is no list of records."""
    structs = _decode("list", part)
    return None if structs is None else _check_structs(structs, source=source, tz=tz, dedupe=False)


def _child(send: Any, part: bytes, source: str, tz: dt.tzinfo) -> None:
    """The forked process: its half checked, sent back (None: the parent checks that half itself)."""
    try:
        result = _check_part(part, source, tz)
    except Exception:
        result = None
    try:
        send.send(result)
    except (OSError, ValueError):  # the parent stopped listening: nothing to say, and no traceback
        pass
    finally:
        send.close()


def _parse_split(data: bytes, *, source: str, tz: dt.tzinfo) -> ParsedPasses | None:
    """The file's records checked in two processes (this one and a forked child, each half the list),
    joined as checking them in one would (the same passes, rejections and numbers; an id repeated
    across the halves keeps its first record). None when the file does not split (read it whole)."""
    import multiprocessing as mp

    halves = _halves(data)
    if halves is None:
        return None
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, halves[1], source, tz), daemon=True)
    child.start()
    send.close()
    right = None
    try:
        left = _check_part(halves[0], source, tz)
        if left is not None:  # else a cut inside a text: the file is read whole
            try:
                right = recv.recv()  # None: the other half did not decode either (read whole)
            except EOFError:  # the child died: this process checks the half
                right = _check_part(halves[1], source, tz)
    finally:
        recv.close()
        if right is None:
            child.kill()
        child.join()
    return None if left is None or right is None else join_parts(source, [left, right])


def parse_json(data: bytes, *, source: str, tz: dt.tzinfo = CHINA_TZ, workers: int = 1) -> ParsedPasses:
    """``{"MotorVehicleListObject": {"MotorVehicleObject": [...]}}``. With ``workers=2`` (and fork, and a
    file of :data:`SPLIT_MIN_BYTES` or more) the records are checked in two processes; the result is the same."""
    if workers > 1 and len(data) >= SPLIT_MIN_BYTES and sys.platform == "linux":
        split = _parse_split(data, source=source, tz=tz)
        if split is not None:
            return split
    structs = _fast_records(data)
    if structs is not None:
        return _check_structs(structs, source=source, tz=tz)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(source, f"expected GA/T 1400 JSON, got invalid JSON ({exc})") from exc
    listing = doc.get("MotorVehicleListObject") if isinstance(doc, dict) else None
    records = listing.get("MotorVehicleObject") if isinstance(listing, dict) else None
    if not isinstance(records, list):
        got = sorted(doc)[:5] if isinstance(doc, dict) else type(doc).__name__
        raise InputError(source, f'expected {{"MotorVehicleListObject": {{"MotorVehicleObject": [...]}}}}, got {got}')
    odd = object()  # a record that is no object: every field odd, so check_record reports it
    columns = {f: [r.get(f, None) if r.__class__ is dict else odd for r in records] for f in _LISTED}
    numbers = np.arange(1, len(records) + 1, dtype=np.int64)
    return check_columns(columns, numbers, records.__getitem__, source=source, tz=tz, records_read=len(records))


def parse_csv(
    data: bytes, *, source: str, columns: PassColumns | None = None, tz: dt.tzinfo = CHINA_TZ
) -> ParsedPasses:
    """A CSV (UTF-8 or GB18030) whose header names the fields, or is mapped by ``columns``."""
    from xueliang.storage.files import decode_text

    columns = columns or PassColumns()
    text, _ = decode_text(data, source)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(source, f"not a readable CSV file: {exc}") from exc
    if not lines:
        raise InputError(source, "the file is empty; expected a header and one pass per row")
    header = [h.strip().lstrip("\ufeff") for h in lines[0]]
    index = {h: i for i, h in enumerate(header) if h}
    positions: dict[str, int] = {}
    missing = []
    for field in FIELDS:
        col = columns.column_for(field)
        if col in index:
            positions[field] = index[col]
        elif field in REQUIRED or getattr(columns, field) is not None:
            missing.append(field if col == field else f"{field} (mapped to {col!r})")
    if missing:
        raise SchemaError(
            source,
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(repr, header)) or 'none'}. "
            "Map them with --map FIELD=COLUMN or --mapping FILE",
            where="row 1",
        )
    kept = [(row_no, line) for row_no, line in enumerate(lines[1:], start=2) if any(c.strip() for c in line)]
    cells = {f: [line[i] if i < len(line) else "" for _, line in kept] for f, i in positions.items()}

    def csv_record(k: int) -> dict[str, str]:
        return {f: values[k] for f, values in cells.items()}

    numbers = np.array([row_no for row_no, _ in kept], dtype=np.int64)
    return check_columns(cells, numbers, csv_record, source=source, tz=tz, records_read=len(kept))


def read_passes(
    path: str | Path, *, columns: PassColumns | None = None, tz: dt.tzinfo = CHINA_TZ, workers: int = 1
) -> ParsedPasses:
    """Read one file by its extension: ``.json`` (GA/T 1400; a big one checked in two processes with
    ``workers=2``) or ``.csv``/``.tsv``/``.txt``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from exc
    if p.suffix.lower() == ".json":
        return parse_json(data, source=str(p), tz=tz, workers=workers)
    if p.suffix.lower() in (".csv", ".tsv", ".txt"):
        return parse_csv(data, source=str(p), columns=columns, tz=tz)
    raise InputError(str(p), f"expected a .json (GA/T 1400) or .csv file, got {p.suffix or 'no extension'!r}")


def write_rejections(path: str | Path, files: Sequence[tuple[str, Sequence[PassRejection]]]) -> int:
    """The rejection report as CSV: file, record, MotorVehicleID, field, reason, value."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "record", "MotorVehicleID", "field", "reason", "value"])
        for source, rejections in files:
            for r in rejections:
                w.writerow([source, r.record, r.external_id or "", r.field or "", r.reason, r.value or ""])
                n += 1
    return n
