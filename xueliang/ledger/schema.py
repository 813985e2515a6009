"""The ledger's fields and the check of one row: what each value must be, and why a row is rejected.

Times come out timezone-aware UTC. :func:`check_row` collects every problem of a row rather than
stopping at the first, so a validation report can list them all.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xueliang.errors import ConfigError, SchemaError

REQUIRED_FIELDS: tuple[str, ...] = (
    "case_id",
    "case_type",
    "occurred_start",
    "occurred_end",
    "lon",
    "lat",
    "area",
    "status",
    "solved_at",
    "video_requested_at",
    "video_expires_at",
    "video_obtained",
    "video_contribution",
)
OPTIONAL_FIELDS: tuple[str, ...] = (
    "hours_reviewed",
    "vehicles_screened",
    "vehicles_eliminated",
    "cameras",
    "sightings",
)
ALL_FIELDS: tuple[str, ...] = REQUIRED_FIELDS + OPTIONAL_FIELDS
CONTRIBUTIONS: tuple[str, ...] = ("none", "corroborating", "lead", "identified", "decisive")
STATUSES: tuple[str, ...] = ("open", "solved", "closed")
#: Column widths of the tables (a longer value would fail on a strict database).
MAX_LENGTH = {"case_id": 64, "case_type": 64, "area": 200, "ref": 200}
_YES = {"yes", "y", "true", "1", "是", "有"}
_NO = {"no", "n", "false", "0", "否", "无"}
_LIST_SPLIT = re.compile(r"[;,|；，、]")
_DATE_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class CaseRecord:
    """One validated case. Times are timezone-aware UTC."""

    case_id: str
    case_type: str
    occurred_start: dt.datetime
    occurred_end: dt.datetime | None
    lon: float | None
    lat: float | None
    area: str | None
    status: str
    solved_at: dt.datetime | None
    video_requested_at: dt.datetime | None
    video_expires_at: dt.datetime | None
    video_obtained: bool
    video_contribution: str
    hours_reviewed: float | None = None
    vehicles_screened: int | None = None
    vehicles_eliminated: int | None = None
    cameras: tuple[str, ...] = ()
    sightings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceRow:
    row: int
    record: CaseRecord


@dataclass(frozen=True)
class Rejection:
    """Why one row of the file was not imported (a row may have several)."""

    row: int
    case_id: str | None
    field: str | None
    column: str | None
    reason: str
    value: str | None

    def message(self, source: str) -> str:
        return str(SchemaError(source, self.reason, where=f"row {self.row}", field=self.column or self.field))


def parse_when(text: str, tz: dt.tzinfo) -> tuple[dt.datetime, bool]:
    """A date or date-time as UTC and whether it was a bare date. Naive values are in ``tz``."""
    m = _DATE_RE.match(text.strip())
    if m is None:
        raise ValueError("expected a date like 2024-03-01 or 2024-03-01 14:30")
    y, mo, d, hh, mm, ss, frac, off = m.groups()
    value = dt.datetime(
        int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), int((frac or "0").ljust(6, "0"))
    )
    if off:
        if off == "Z":
            zone: dt.tzinfo = dt.UTC
        else:
            sign = 1 if off[0] == "+" else -1
            digits = off[1:].replace(":", "")
            zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        value = value.replace(tzinfo=zone)
    else:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC), hh is None


def get_zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("--tz", f"unknown time zone {name!r}; expected an IANA name like Asia/Shanghai") from exc


class _RowChecker:
    """Collects every problem of one row instead of stopping at the first."""

    def __init__(self, row: int, cells: Mapping[str, str], columns: Mapping[str, str], tz: dt.tzinfo):
        self.row = row
        self.cells = cells
        self.columns = columns
        self.tz = tz
        self.case_id: str | None = cells.get("case_id") or None
        self.problems: list[Rejection] = []

    def reject(self, field: str | None, reason: str) -> None:
        value = self.cells.get(field) if field else None
        column = self.columns.get(field) if field else None
        self.problems.append(Rejection(self.row, self.case_id, field, column, reason, value))

    def text(self, field: str, *, required: bool) -> str | None:
        value = self.cells.get(field, "")
        if not value:
            if required:
                self.reject(field, "is empty; a value is required")
            return None
        limit = MAX_LENGTH.get(field)
        if limit is not None and len(value) > limit:
            self.reject(field, f"expected at most {limit} characters, got {len(value)}")
            return None
        return value

    def when(self, field: str, *, required: bool) -> tuple[dt.datetime, bool] | None:
        value = self.text(field, required=required)
        if value is None:
            return None
        try:
            return parse_when(value, self.tz)
        except ValueError as exc:
            self.reject(field, f"{exc}, got {value!r}")
        return None

    def number(self, field: str, *, lo: float, hi: float, integer: bool = False) -> float | None:
        value = self.text(field, required=False)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        kind = "a whole number" if integer else "a number"
        if not math.isfinite(number) or (integer and not number.is_integer()):
            self.reject(field, f"expected {kind}, got {value!r}")
            return None
        if not lo <= number <= hi:
            self.reject(field, f"expected {kind} from {lo:g} to {hi:g}, got {value}")
            return None
        return number

    def choice(self, field: str, allowed: Sequence[str]) -> str | None:
        value = self.text(field, required=True)
        if value is None:
            return None
        if value.lower() not in allowed:
            self.reject(field, f"expected one of {', '.join(allowed)}, got {value!r}")
            return None
        return value.lower()

    def yes_no(self, field: str) -> bool | None:
        value = self.text(field, required=True)
        if value is None:
            return None
        if value.lower() in _YES:
            return True
        if value.lower() in _NO:
            return False
        self.reject(field, f"expected yes or no, got {value!r}")
        return None

    def refs(self, field: str) -> tuple[str, ...]:
        value = self.cells.get(field, "")
        refs = tuple(sorted({p.strip() for p in _LIST_SPLIT.split(value) if p.strip()}))
        long = [r for r in refs if len(r) > MAX_LENGTH["ref"]]
        if long:
            self.reject(field, f"expected ids of at most {MAX_LENGTH['ref']} characters, got {long[0][:40]!r}...")
        return refs


def _not_future(chk: _RowChecker, field: str, when: tuple[dt.datetime, bool] | None, now: dt.datetime) -> None:
    if when is not None and when[0] > now:
        chk.reject(field, f"is in the future (after {now:%Y-%m-%d %H:%M} UTC), got {chk.cells[field]!r}")


def _before(a: tuple[dt.datetime, bool], b: tuple[dt.datetime, bool], tz: dt.tzinfo) -> bool:
    """``a`` is strictly before ``b``; a bare date compares by day only (the day in ``tz``)."""
    if a[1] or b[1]:
        return a[0].astimezone(tz).date() < b[0].astimezone(tz).date()
    return a[0] < b[0]


def check_row(
    row: int, cells: Mapping[str, str], columns: Mapping[str, str], *, tz: dt.tzinfo, now: dt.datetime
) -> tuple[CaseRecord | None, list[Rejection]]:
    """Validate one row's cells (field -> text); a record, or None and the reasons."""
    chk = _RowChecker(row, cells, columns, tz)
    case_id = chk.text("case_id", required=True)
    case_type = chk.text("case_type", required=True)
    start = chk.when("occurred_start", required=True)
    end = chk.when("occurred_end", required=False)
    _not_future(chk, "occurred_start", start, now)
    _not_future(chk, "occurred_end", end, now)
    if start and end and _before(end, start, tz):
        chk.reject("occurred_end", f"is before occurred_start {chk.cells['occurred_start']!r}")
    lon = chk.number("lon", lo=-180, hi=180)
    lat = chk.number("lat", lo=-90, hi=90)
    if (cells.get("lon", "") == "") != (cells.get("lat", "") == ""):
        chk.reject("lat" if cells.get("lon") else "lon", "lon and lat must be given together or both left empty")
    area = chk.text("area", required=False)
    status = chk.choice("status", STATUSES)
    solved = chk.when("solved_at", required=False)
    _not_future(chk, "solved_at", solved, now)
    if status == "solved" and solved is None and cells.get("solved_at", "") == "":
        chk.reject("solved_at", "is empty but status is solved; the solved date is required")
    if status in ("open", "closed") and solved is not None:
        chk.reject("solved_at", f"is set but status is {status!r}; only solved cases have a solved date")
    if start and solved and _before(solved, start, tz):
        chk.reject("solved_at", f"is before the occurrence {chk.cells['occurred_start']!r}")
    requested = chk.when("video_requested_at", required=False)
    _not_future(chk, "video_requested_at", requested, now)
    if start and requested and _before(requested, start, tz):
        chk.reject("video_requested_at", f"is before the occurrence {chk.cells['occurred_start']!r}")
    expires = chk.when("video_expires_at", required=False)
    if start and expires and _before(expires, start, tz):
        chk.reject("video_expires_at", f"is before the occurrence {chk.cells['occurred_start']!r}")
    obtained = chk.yes_no("video_obtained")
    contribution = chk.choice("video_contribution", CONTRIBUTIONS)
    if obtained is False and contribution not in (None, "none"):
        chk.reject("video_contribution", f"is {contribution!r} but video_obtained is no; expected none")
    hours = chk.number("hours_reviewed", lo=0, hi=1e6)
    screened = chk.number("vehicles_screened", lo=0, hi=1e9, integer=True)
    eliminated = chk.number("vehicles_eliminated", lo=0, hi=1e9, integer=True)
    if screened is not None and eliminated is not None and eliminated > screened:
        chk.reject("vehicles_eliminated", f"is more than vehicles_screened ({screened:g}), got {eliminated:g}")
    cameras, sightings = chk.refs("cameras"), chk.refs("sightings")
    if chk.problems:
        return None, chk.problems
    assert case_id and case_type and start and status and obtained is not None and contribution
    record = CaseRecord(
        case_id=case_id,
        case_type=case_type.lower(),
        occurred_start=start[0],
        occurred_end=end[0] if end else None,
        lon=lon,
        lat=lat,
        area=area,
        status=status,
        solved_at=solved[0] if solved else None,
        video_requested_at=requested[0] if requested else None,
        video_expires_at=expires[0] if expires else None,
        video_obtained=obtained,
        video_contribution=contribution,
        hours_reviewed=hours,
        vehicles_screened=None if screened is None else int(screened),
        vehicles_eliminated=None if eliminated is None else int(eliminated),
        cameras=cameras,
        sightings=sightings,
    )
    return record, []
