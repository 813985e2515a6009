"""One checkpoint pass record, field by field: the checks and code mappings every reader shares.

Each field has one function from its raw value to what a sighting stores (or ``_Bad`` naming the
field, the reason and the value). :func:`check_record` applies them to one record in the order the
rejection report names the first unusable field; :mod:`xueliang.investigate.pass_batch` applies the
same functions to each distinct value of a column, so both give the same passes and rejections.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from xueliang.errors import SchemaError
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
MAX_ID = 64


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
        shown = " ".join((self.external_id or "").split())  # one line, whatever whitespace the id holds
        where = f"record {self.record}" + (f" ({shown})" if shown else "")
        return str(SchemaError(source, self.reason, where=where, field=self.field))


class _Bad(Exception):
    def __init__(self, field: str, reason: str, value: object) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason
        self.value = None if value is None else str(value)[:80]


_SCALARS = (str, int, float)


def cell_text(v: Any, key: str) -> str:
    """A field's raw value as stripped text ("" when absent); ``_Bad`` for a list, object or bool."""
    if v.__class__ is str:  # the common case first
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


# --- one field each: raw value -> stored value (or _Bad) -------------------------------------------
def ext_id_of(v: Any) -> str:
    ext = cell_text(v, "MotorVehicleID")
    if not 1 <= len(ext) <= MAX_ID:
        raise _Bad("MotorVehicleID", f"expected an id of 1-{MAX_ID} characters, got {len(ext)}", ext or None)
    return ext


def device_of(v: Any) -> str:
    device = cell_text(v, "DeviceID")
    if not 1 <= len(device) <= MAX_ID:
        raise _Bad("DeviceID", f"expected a device id of 1-{MAX_ID} characters, got {len(device)}", device or None)
    return device


def flag_of(v: Any, key: str) -> bool | None:
    text = cell_text(v, key)
    if text == "":
        return None
    if text in ("1", "true", "True"):
        return True
    if text in ("0", "false", "False"):
        return False
    raise _Bad(key, "expected 1 or 0", text)


def colour_of(v: Any, key: str) -> str | None:
    code = cell_text(v, key)
    if code == "":
        return None
    name = COLOUR_OF_CODE.get(code.lstrip("0") or "0")
    if name is None:
        raise _Bad(key, "expected a GA/T 1400 ColorType code (1-13 or 99, see docs/tactics.md)", code)
    return name


#: what :func:`plate_of` returns for a "no plate" text (the pass is ``absent`` whatever HasPlate says)
NO_PLATE_MARK = "\x00absent"


def plate_of(v: Any) -> str | None:
    """The plate text, None when unread, :data:`NO_PLATE_MARK` for "no plate"; ``_Bad`` for a value
    that is no plate (which matters only when the pass has a plate: see :func:`check_record`)."""
    raw = cell_text(v, "PlateNo").upper()
    if raw in NO_PLATE:
        return NO_PLATE_MARK
    if raw in UNREAD:
        return None
    if not PLATE_RE.match(raw):
        raise _Bad("PlateNo", "expected a plate (province character, A-Z, 0-9; 2-10 characters)", raw)
    return raw


def vehicle_type_cell(v: Any) -> str:
    cls = cell_text(v, "VehicleClass")
    if not cls:
        return "unknown"
    found = vehicle_type_of(cls)
    if found is None:
        raise _Bad("VehicleClass", "expected a GA 24.4 vehicle-type code like K33 (see docs/tactics.md)", cls)
    return found


def lane_of(v: Any) -> int | None:
    text = cell_text(v, "LaneNo")
    if not text:
        return None
    if not text.isdigit() or int(text) > 99:
        raise _Bad("LaneNo", "expected a lane number 0-99", text)
    return int(text)


def brand_of(v: Any) -> str | None:
    return cell_text(v, "VehicleBrand")[:32] or None


def direction_of(v: Any) -> str:
    return cell_text(v, "Direction")[:16] or "unknown"


def time_key(rec: dict[str, Any]) -> str:
    """``PassTime``, or ``ShotTime`` when PassTime is absent or empty."""
    return "PassTime" if rec.get("PassTime") not in (None, "") else "ShotTime"


def pass_time_of(v: Any, key: str, tz: dt.tzinfo) -> dt.datetime:
    when = cell_text(v, key)
    if not when:
        raise _Bad("PassTime", "missing: expected yyyyMMddHHmmss", None)
    try:
        return parse_pass_time(when, tz)
    except (ValueError, OverflowError):
        raise _Bad(key, "expected yyyyMMddHHmmss (local time) or ISO 8601 with an offset", when) from None


def plate_state_of(plate: str | None, has_plate: bool | None, covered: bool | None) -> str:
    if plate == NO_PLATE_MARK or has_plate is False:
        return "absent"
    return "covered" if covered else "visible" if plate is not None else "unknown"


def check_record(rec: Any, tz: dt.tzinfo) -> Pass:
    """One record as a :class:`Pass`; raises ``_Bad`` naming the first field that is unusable."""
    if not isinstance(rec, dict):
        raise _Bad("MotorVehicleObject", f"expected an object, got {type(rec).__name__}", rec)
    ext = ext_id_of(rec.get("MotorVehicleID"))
    device = device_of(rec.get("DeviceID"))
    key = time_key(rec)
    at = pass_time_of(rec.get(key), key, tz)
    cell_text(rec.get("PlateNo"), "PlateNo")  # a plate of the wrong type is named before the flags
    has_plate, covered = flag_of(rec.get("HasPlate"), "HasPlate"), flag_of(rec.get("IsCovered"), "IsCovered")
    try:
        plate: str | None = plate_of(rec.get("PlateNo"))
    except _Bad:
        if has_plate is not False:
            raise
        plate = None  # "no plate" by HasPlate: the text is not read
    state = plate_state_of(plate, has_plate, covered)
    vtype = vehicle_type_cell(rec.get("VehicleClass"))
    lane = lane_of(rec.get("LaneNo"))
    brand = brand_of(rec.get("VehicleBrand"))
    return Pass(
        external_id=ext,
        device_id=device,
        at=at,
        plate_text=None if state == "absent" else plate,
        plate_state=state,
        plate_colour=colour_of(rec.get("PlateColor"), "PlateColor") if state != "absent" else None,
        vehicle_type=vtype,
        detector_class=detector_class_of(vtype),
        colour=colour_of(rec.get("VehicleColor"), "VehicleColor") or "unknown",
        brand=brand,
        lane=lane,
        direction=direction_of(rec.get("Direction")),
    )
