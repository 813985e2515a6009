"""Checked checkpoint passes as columns, and the column-wise check every reader uses.

:func:`check_columns` takes one list per GA/T 1400 field (the raw values, one per record) and
applies each field's function of :mod:`xueliang.investigate.pass_cells` once per *distinct* value
(plates, devices, codes and lanes repeat across a file), the common ``yyyyMMddHHmmss`` times with
numpy, and combines the fields with array operations. A record any of that finds unusable (or of an
unusual form: a ShotTime, an ISO time, a number where text is usual) goes through
:func:`~xueliang.investigate.pass_cells.check_record`, the one-record check, which names the first
unusable field exactly as before; so the passes and the rejection report are those of checking
record by record, at a fraction of the cost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from xueliang.investigate.codes import detector_class_of
from xueliang.investigate.pass_cells import (
    MAX_ID,
    NO_PLATE_MARK,
    Pass,
    PassRejection,
    _Bad,
    brand_of,
    check_record,
    colour_of,
    device_of,
    direction_of,
    ext_id_of,
    flag_of,
    lane_of,
    plate_of,
    vehicle_type_cell,
)

Objects = npt.NDArray[np.object_]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PassBatch:
    """Checked passes as parallel columns, in record order (object columns hold str/int/None)."""

    record: npt.NDArray[np.int64]  # the record number each pass came from
    external_id: Objects
    device_id: Objects
    at_us: npt.NDArray[np.int64]  # UTC microseconds since 1970-01-01
    plate_text: Objects
    plate_state: Objects
    plate_colour: Objects
    vehicle_type: Objects
    detector_class: Objects
    colour: Objects
    brand: Objects
    lane: Objects
    direction: Objects

    def __post_init__(self) -> None:
        n = len(self.record)
        for f in fields(self):
            got = len(getattr(self, f.name))
            if got != n:
                raise ValueError(f"PassBatch.{f.name}: expected {n} values (one per pass), got {got}")

    def __len__(self) -> int:
        return len(self.record)

    def take(self, rows: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> PassBatch:
        return PassBatch(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @classmethod
    def empty(cls) -> PassBatch:
        return cls.from_passes([], [])

    @classmethod
    def from_passes(cls, numbers: Sequence[int], passes: Sequence[Pass]) -> PassBatch:
        def col(name: str) -> Objects:
            out = np.empty(len(passes), dtype=object)
            out[:] = [getattr(p, name) for p in passes]
            return out

        at = np.array([(p.at - EPOCH) // dt.timedelta(microseconds=1) for p in passes], dtype=np.int64)
        names = [f.name for f in fields(cls) if f.name not in ("record", "at_us")]
        return cls(record=np.asarray(numbers, dtype=np.int64), at_us=at, **{n: col(n) for n in names})

    @classmethod
    def concat(cls, parts: Sequence[PassBatch]) -> PassBatch:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def times(self) -> list[dt.datetime]:
        """Each pass's time, aware UTC."""
        return [EPOCH + dt.timedelta(microseconds=us) for us in self.at_us.tolist()]

    def passes(self) -> tuple[Pass, ...]:
        cols = [getattr(self, n).tolist() for n in ("external_id", "device_id")]
        rest = [
            getattr(self, n).tolist()
            for n in (
                "plate_text",
                "plate_state",
                "plate_colour",
                "vehicle_type",
                "detector_class",
                "colour",
                "brand",
                "lane",
                "direction",
            )
        ]
        return tuple(Pass(r[0], r[1], at, *r[2:]) for *r, at in zip(*cols, *rest, self.times(), strict=True))


@dataclass(frozen=True)
class ParsedPasses:
    """One file's usable passes (columns) and its rejections, by record."""

    source: str
    records_read: int
    batch: PassBatch
    rejections: tuple[PassRejection, ...]

    @cached_property
    def passes(self) -> tuple[Pass, ...]:
        return self.batch.passes()

    @property
    def record_numbers(self) -> tuple[int, ...]:
        return tuple(self.batch.record.tolist())

    def numbered(self) -> list[tuple[int, Pass]]:
        return list(zip(self.record_numbers, self.passes, strict=True))


# --- the column-wise check -------------------------------------------------------------------------
class _Odd:
    """Stands for a value of an unusual type (float, bool, list, object): its record is checked alone."""


ODD = _Odd()
_PLAIN = frozenset({str, int, type(None)})  # bool is not int here: True must not meet 1 in one hash slot


def _plain(col: Sequence[Any]) -> Sequence[Any]:
    """``col``, with values of an unusual type (float, bool, list, object) replaced by :data:`ODD`."""
    if set(map(type, col)) <= _PLAIN:
        return col
    return [v if v.__class__ in _PLAIN else ODD for v in col]


def _mapped(col: Sequence[Any], fn: Callable[[Any], Any]) -> tuple[Objects, npt.NDArray[np.bool_]]:
    """``fn`` of each value, computed once per distinct value; and where ``fn`` raised ``_Bad``."""
    col = _plain(col)
    memo: dict[Any, Any] = {}
    bad_values = set()
    for u in set(col):
        try:
            memo[u] = fn(u)
        except _Bad:
            memo[u] = None
            bad_values.add(u)
    values = np.empty(len(col), dtype=object)
    values[:] = list(map(memo.__getitem__, col))
    if not bad_values:
        return values, np.zeros(len(col), dtype=bool)
    return values, np.fromiter(map(bad_values.__contains__, col), dtype=bool, count=len(col))


def _ids(col: Sequence[Any]) -> tuple[Objects, npt.NDArray[np.bool_]]:
    """MotorVehicleIDs (nearly all distinct): checked with Arrow when every one is a stripped text of
    1-64 characters, the common case; else one by one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(col)
    if n and set(map(type, col)) == {str}:
        arr = pa.array(col, pa.string())
        length = pc.utf8_length(arr)
        stripped = pc.all(pc.equal(pc.utf8_trim_whitespace(arr), arr)).as_py()
        if stripped and pc.min(length).as_py() >= 1 and pc.max(length).as_py() <= MAX_ID:
            values = np.empty(n, dtype=object)
            values[:] = col
            return values, np.zeros(n, dtype=bool)
    return _mapped(col, ext_id_of)


def digit_times(col: Sequence[Any], tz: dt.tzinfo) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """``yyyyMMddHHmmss`` texts (exactly 14 digits, a real local time, years 1900-2200) in the fixed
    offset ``tz`` as UTC microseconds; False where a value is anything else (checked alone instead)."""
    n = len(col)
    offset = tz.utcoffset(None) if isinstance(tz, dt.timezone) else None
    if offset is None or n == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    text = np.array([v if v.__class__ is str and len(v) == 14 else "" for v in col], dtype="U14")
    d = text.view(np.uint32).reshape(n, 14).astype(np.int64) - 48
    ok = ((d >= 0) & (d <= 9)).all(axis=1)
    d[~ok] = 0

    def num(a: int, b: int) -> npt.NDArray[np.int64]:
        out = np.zeros(n, dtype=np.int64)
        for k in range(a, b):
            out = out * 10 + d[:, k]
        return out

    year, month, day, hour, minute, sec = num(0, 4), num(4, 6), num(6, 8), num(8, 10), num(10, 12), num(12, 14)
    ok &= (year >= 1900) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    ok &= (hour < 24) & (minute < 60) & (sec < 60)
    year, month, day = np.where(ok, year, 2000), np.where(ok, month, 1), np.where(ok, day, 1)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    ok &= days.astype("datetime64[M]") == months  # 20240230 is no day
    secs = days.astype(np.int64) * 86400 + hour * 3600 + minute * 60 + sec - int(offset.total_seconds())
    return secs * 1_000_000, ok


def _states(absent: npt.NDArray[np.bool_], covered: Objects, plate: Objects) -> Objects:
    names = np.array(["absent", "covered", "unknown", "visible"], dtype=object)
    unread = pd.isna(plate)
    pick = np.where(absent, 0, np.where(covered == 1, 1, np.where(unread, 2, 3)))
    out: Objects = names[pick]
    return out


def check_columns(
    columns: Mapping[str, Sequence[Any]],
    numbers: npt.NDArray[np.int64],
    record_of: Callable[[int], Any],
    *,
    source: str,
    tz: dt.tzinfo,
    records_read: int,
    dedupe: bool = True,
) -> ParsedPasses:
    """Check the records given as columns (``columns[field][i]`` is record ``numbers[i]``'s raw value;
    ``record_of(i)`` the record itself). A MotorVehicleID repeated within the file keeps its first
    record (the later ones are rejected, naming the first); not with ``dedupe=False`` (a part of a file,
    joined by :func:`join_parts`)."""
    n = len(numbers)
    none: list[Any] = [None] * n

    def col(name: str) -> Sequence[Any]:
        return columns.get(name, none)

    ext, bad = _ids(col("MotorVehicleID"))
    device, b = _mapped(col("DeviceID"), device_of)
    bad |= b
    at_us, t_ok = digit_times(col("PassTime"), tz)
    bad |= ~t_ok

    def flag(name: str) -> tuple[Objects, npt.NDArray[np.bool_]]:
        return _mapped(col(name), lambda v: {True: 1, False: 0, None: -1}[flag_of(v, name)])

    has_plate, b = flag("HasPlate")
    bad |= b
    covered, b = flag("IsCovered")
    bad |= b
    plate, plate_bad = _mapped(col("PlateNo"), plate_of)
    absent = (plate == NO_PLATE_MARK) | (has_plate == 0)
    bad |= plate_bad & ~absent
    plate[absent] = None
    plate_colour, b = _mapped(col("PlateColor"), lambda v: colour_of(v, "PlateColor"))
    bad |= b & ~absent
    plate_colour[absent] = None
    vtype, b = _mapped(col("VehicleClass"), vehicle_type_cell)
    bad |= b
    colour, b = _mapped(col("VehicleColor"), lambda v: colour_of(v, "VehicleColor") or "unknown")
    bad |= b
    lane, b = _mapped(col("LaneNo"), lane_of)
    bad |= b
    brand, b = _mapped(col("VehicleBrand"), brand_of)
    bad |= b
    direction, b = _mapped(col("Direction"), direction_of)
    bad |= b
    if "PlateNo" in columns:  # a plate of an odd type is bad even when HasPlate says there is none
        bad |= np.fromiter((v.__class__ not in _PLAIN for v in columns["PlateNo"]), dtype=bool, count=n)

    good = np.flatnonzero(~bad)
    fast = PassBatch(
        record=numbers[good],
        external_id=ext[good],
        device_id=device[good],
        at_us=at_us[good],
        plate_text=plate[good],
        plate_state=_states(absent, covered, plate)[good],
        plate_colour=plate_colour[good],
        vehicle_type=vtype[good],
        detector_class=_mapped(vtype[good].tolist(), detector_class_of)[0],
        colour=colour[good],
        brand=brand[good],
        lane=lane[good],
        direction=direction[good],
    )
    rejections: list[PassRejection] = []
    slow_numbers: list[int] = []
    slow: list[Pass] = []
    for i in np.flatnonzero(bad).tolist():
        rec = record_of(i)
        try:
            slow.append(check_record(rec, tz))
            slow_numbers.append(int(numbers[i]))
        except _Bad as exc:
            rejections.append(PassRejection(int(numbers[i]), _id_of(rec), exc.field, exc.reason, exc.value))
    batch = PassBatch.concat([fast, PassBatch.from_passes(slow_numbers, slow)]) if slow else fast
    if slow:
        batch = batch.take(np.argsort(batch.record, kind="stable"))
    if dedupe:
        batch, repeats = _first_of_each_id(batch)
        rejections += repeats
        rejections.sort(key=lambda r: r.record)
    return ParsedPasses(source, records_read, batch, tuple(rejections))


def join_parts(source: str, parts: Sequence[ParsedPasses]) -> ParsedPasses:
    """Consecutive parts of one file, each checked with ``dedupe=False`` and numbered from 1, as the whole
    file checked at once: numbers follow on, and an id repeated anywhere keeps its first record."""
    batches: list[PassBatch] = []
    rejections: list[PassRejection] = []
    before = 0
    for part in parts:
        b = part.batch
        batches.append(
            PassBatch(**{f.name: getattr(b, f.name) for f in fields(b) if f.name != "record"}, record=b.record + before)
        )
        rejections += [dataclasses.replace(r, record=r.record + before) for r in part.rejections]
        before += part.records_read
    batch, repeats = _first_of_each_id(PassBatch.concat(batches))
    rejections += repeats
    rejections.sort(key=lambda r: r.record)
    return ParsedPasses(source, before, batch, tuple(rejections))


def _id_of(rec: Any) -> str | None:
    ext = rec.get("MotorVehicleID") if isinstance(rec, dict) else None
    return str(ext)[:MAX_ID] if isinstance(ext, str | int) and not isinstance(ext, bool) else None


def _first_of_each_id(batch: PassBatch) -> tuple[PassBatch, list[PassRejection]]:
    if len(set(batch.external_id.tolist())) == len(batch):  # the usual file: every id once
        return batch, []
    codes, _ = pd.factorize(batch.external_id)
    _, first = np.unique(codes, return_index=True)
    keep = np.zeros(len(batch), dtype=bool)
    keep[first] = True
    if keep.all():
        return batch, []
    first_record = batch.record[first[codes]]
    out = [
        PassRejection(int(r), str(e), "MotorVehicleID", f"repeats the id of record {int(f)}; kept that one", None)
        for r, e, f in zip(batch.record[~keep], batch.external_id[~keep], first_record[~keep], strict=True)
    ]
    return batch.take(keep), out
