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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xueliang.config import ColumnMap, load_column_map
from xueliang.errors import InputError, SchemaError
from xueliang.investigate.codes import COLOUR_OF_CODE, detector_class_of, vehicle_type_of

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
FIELDS = (
    "MotorVehicleID",
    "DeviceID",
    "PassTime",
    "PlateNo",
    "HasPlate",
    "IsCovered",
    "PlateColor",
    "VehicleClass",
    "VehicleColor",
    "VehicleBrand",
    "LaneNo",
    "Direction",
)
REQUIRED = ("MotorVehicleID", "DeviceID", "PassTime")
NO_PLATE = ("无车牌", "无牌", "NOPLATE")
UNREAD = ("未识别", "未知", "UNKNOWN", "-", "")
PLATE_CHARS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领警学港澳挂临"
PLATE_RE = re.compile(rf"^[{PLATE_CHARS}A-Z0-9]{{2,10}}$")
_DIGITS_TIME = re.compile(r"^\d{14}(\d{3})?$")
_MAX_ID = 64


@dataclass(frozen=True)
class Pass:
    """One checkpoint pass, checked: the values a sighting row takes."""

    external_id: str
    device_id: str
    at: dt.datetime  # aware UTC
    plate_text: str | None
    plate_state: str  # visible | covered | absent | unknown
    plate_colour: str | None
    vehicle_type: str
    detector_class: str
    colour: str
    brand: str | None
    lane: int | None
    direction: str


@dataclass(frozen=True)
class PassRejection:
    """Why one record was not imported."""

    record: int  # 1-based position in the JSON list; the spreadsheet row number in a CSV
    external_id: str | None
    field: str | None
    reason: str
    value: str | None

    def message(self, source: str) -> str:
        where = f"record {self.record}" + (f" ({self.external_id})" if self.external_id else "")
        return str(SchemaError(source, self.reason, where=where, field=self.field))


@dataclass(frozen=True)
class ParsedPasses:
    source: str
    records_read: int
    passes: tuple[Pass, ...]
    rejections: tuple[PassRejection, ...]
    record_numbers: tuple[int, ...] = ()  # of each pass, as in the rejections

    def numbered(self) -> list[tuple[int, Pass]]:
        return list(zip(self.record_numbers, self.passes, strict=True))


class PassColumns(ColumnMap):
    """CSV column of each field (unset = the field's own name), from ``--map``/``--mapping``."""

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
    return load_column_map(path, pairs, PassColumns, fields=FIELDS)


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


class _Bad(Exception):
    def __init__(self, field: str, reason: str, value: object) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason
        self.value = None if value is None else str(value)[:80]


_SCALARS = (str, int, float)


def _text(rec: dict[str, Any], key: str) -> str:
    v = rec.get(key)
    if v.__class__ is str:  # the common case first: this runs ~12 times per record
        return str(v).strip()
    if v is None:
        return ""
    if isinstance(v, bool) or not isinstance(v, _SCALARS):
        raise _Bad(key, f"expected a text or number value, got {type(v).__name__}", v)
    return str(v).strip()


def parse_pass_time(text: str, tz: dt.tzinfo) -> dt.datetime:
    """``yyyyMMddHHmmss[SSS]`` in ``tz``, or ISO 8601 (its own offset, else ``tz``), as aware UTC."""
    if _DIGITS_TIME.match(text):
        t = dt.datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:14])
        )
        if len(text) == 17:
            t = t.replace(microsecond=int(text[14:17]) * 1000)
    else:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.astimezone(dt.UTC)


def _flag(rec: dict[str, Any], key: str) -> bool | None:
    v = _text(rec, key)
    if v == "":
        return None
    if v in ("1", "true", "True"):
        return True
    if v in ("0", "false", "False"):
        return False
    raise _Bad(key, "expected 1 or 0", v)


def _colour(rec: dict[str, Any], key: str) -> str | None:
    code = _text(rec, key)
    if code == "":
        return None
    name = COLOUR_OF_CODE.get(code.lstrip("0") or "0")
    if name is None:
        raise _Bad(key, "expected a GA/T 1400 ColorType code (1-13 or 99, see docs/tactics.md)", code)
    return name


def check_record(rec: Any, tz: dt.tzinfo) -> Pass:
    """One record as a :class:`Pass`; raises ``_Bad`` naming the first field that is unusable."""
    if not isinstance(rec, dict):
        raise _Bad("MotorVehicleObject", f"expected an object, got {type(rec).__name__}", rec)
    ext = _text(rec, "MotorVehicleID")
    if not 1 <= len(ext) <= _MAX_ID:
        raise _Bad("MotorVehicleID", f"expected an id of 1-{_MAX_ID} characters, got {len(ext)}", ext or None)
    device = _text(rec, "DeviceID")
    if not 1 <= len(device) <= _MAX_ID:
        raise _Bad("DeviceID", f"expected a device id of 1-{_MAX_ID} characters, got {len(device)}", device or None)
    key = "PassTime" if rec.get("PassTime") not in (None, "") else "ShotTime"
    when = _text(rec, key)
    if not when:
        raise _Bad("PassTime", "missing: expected yyyyMMddHHmmss", None)
    try:
        at = parse_pass_time(when, tz)
    except (ValueError, OverflowError):
        raise _Bad(key, "expected yyyyMMddHHmmss (local time) or ISO 8601 with an offset", when) from None
    plate_raw = _text(rec, "PlateNo").upper()
    has_plate, covered = _flag(rec, "HasPlate"), _flag(rec, "IsCovered")
    plate: str | None = None
    if plate_raw in NO_PLATE or has_plate is False:
        state = "absent"
    else:
        if plate_raw not in UNREAD:
            if not PLATE_RE.match(plate_raw):
                raise _Bad("PlateNo", "expected a plate (province character, A-Z, 0-9; 2-10 characters)", plate_raw)
            plate = plate_raw
        state = "covered" if covered else "visible" if plate is not None else "unknown"
    cls = _text(rec, "VehicleClass")
    vtype = "unknown"
    if cls:
        found = vehicle_type_of(cls)
        if found is None:
            raise _Bad("VehicleClass", "expected a GA 24.4 vehicle-type code like K33 (see docs/tactics.md)", cls)
        vtype = found
    lane_text = _text(rec, "LaneNo")
    lane = None
    if lane_text:
        if not lane_text.isdigit() or int(lane_text) > 99:
            raise _Bad("LaneNo", "expected a lane number 0-99", lane_text)
        lane = int(lane_text)
    brand = _text(rec, "VehicleBrand")[:32] or None
    return Pass(
        external_id=ext,
        device_id=device,
        at=at,
        plate_text=plate,
        plate_state=state,
        plate_colour=_colour(rec, "PlateColor") if state != "absent" else None,
        vehicle_type=vtype,
        detector_class=detector_class_of(vtype),
        colour=_colour(rec, "VehicleColor") or "unknown",
        brand=brand,
        lane=lane,
        direction=_text(rec, "Direction")[:16] or "unknown",
    )


def check_records(records: Iterable[tuple[int, Any]], *, source: str, tz: dt.tzinfo = CHINA_TZ) -> ParsedPasses:
    """Check numbered records; a MotorVehicleID repeated within the file keeps its first record
    (the later ones are rejected, naming the first)."""
    passes: list[Pass] = []
    numbers: list[int] = []
    rejections: list[PassRejection] = []
    first_at: dict[str, int] = {}
    n = 0
    for number, rec in records:
        n += 1
        try:
            p = check_record(rec, tz)
        except _Bad as bad:
            ext = rec.get("MotorVehicleID") if isinstance(rec, dict) else None
            ext_text = str(ext)[:_MAX_ID] if isinstance(ext, str | int) and not isinstance(ext, bool) else None
            rejections.append(PassRejection(number, ext_text, bad.field, bad.reason, bad.value))
            continue
        seen = first_at.setdefault(p.external_id, number)
        if seen != number:
            rejections.append(
                PassRejection(
                    number, p.external_id, "MotorVehicleID", f"repeats the id of record {seen}; kept that one", None
                )
            )
            continue
        passes.append(p)
        numbers.append(number)
    return ParsedPasses(source, n, tuple(passes), tuple(rejections), tuple(numbers))


def parse_json(data: bytes, *, source: str, tz: dt.tzinfo = CHINA_TZ) -> ParsedPasses:
    """``{"MotorVehicleListObject": {"MotorVehicleObject": [...]}}``."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(source, f"expected GA/T 1400 JSON, got invalid JSON ({exc})") from exc
    listing = doc.get("MotorVehicleListObject") if isinstance(doc, dict) else None
    records = listing.get("MotorVehicleObject") if isinstance(listing, dict) else None
    if not isinstance(records, list):
        got = sorted(doc)[:5] if isinstance(doc, dict) else type(doc).__name__
        raise InputError(source, f'expected {{"MotorVehicleListObject": {{"MotorVehicleObject": [...]}}}}, got {got}')
    return check_records(enumerate(records, start=1), source=source, tz=tz)


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

    def records() -> Iterable[tuple[int, dict[str, str]]]:
        for row_no, line in enumerate(lines[1:], start=2):
            if any(c.strip() for c in line):
                yield row_no, {f: line[i] if i < len(line) else "" for f, i in positions.items()}

    return check_records(records(), source=source, tz=tz)


def read_passes(path: str | Path, *, columns: PassColumns | None = None, tz: dt.tzinfo = CHINA_TZ) -> ParsedPasses:
    """Read one file by its extension: ``.json`` (GA/T 1400) or ``.csv``/``.tsv``/``.txt``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from exc
    if p.suffix.lower() == ".json":
        return parse_json(data, source=str(p), tz=tz)
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
