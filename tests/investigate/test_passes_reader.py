"""The GA/T 1400 / CSV pass reader: property-based (never crashes, keeps or reports every record) and examples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xueliang.errors import InputError, SchemaError
from xueliang.investigate.passes import (
    CHINA_TZ,
    FIELDS,
    load_columns,
    parse_csv,
    parse_json,
    parse_offset,
    read_passes,
)

PLATES = st.from_regex(r"\A[晋京冀][A-Z][0-9A-Z]{5}\Z")
TIMES = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)
CLASS = st.sampled_from(["K33", "K32", "K31", "K11", "H11", "H31", "M21", "X99", "Q11"])
COLOUR = st.sampled_from(["1", "2", "3", "4", "5", "9", "99"])
OK = {"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "20240501083000"}
VALUE = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats(), st.booleans(), st.lists(st.integers()))


def envelope(records: list[Any]) -> bytes:
    return json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": records}}, ensure_ascii=False).encode()


@st.composite
def valid_record(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "MotorVehicleID": draw(st.text("0123456789", min_size=1, max_size=48)),
        "DeviceID": draw(st.text("0123456789", min_size=20, max_size=20)),
        "PassTime": draw(TIMES).strftime("%Y%m%d%H%M%S"),
        "PlateNo": draw(PLATES),
        "HasPlate": "1",
        "IsCovered": draw(st.sampled_from(["0", "1"])),
        "VehicleClass": draw(CLASS),
        "VehicleColor": draw(COLOUR),
        "PlateColor": draw(st.sampled_from(["1", "2", "5", "6", "9"])),
        "LaneNo": draw(st.integers(0, 99)),
    }


@settings(max_examples=80, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from([*FIELDS, "ShotTime", "Other"]), VALUE), max_size=8))
def test_arbitrary_records_are_kept_or_reported(records: list[dict[str, Any]]) -> None:
    parsed = parse_json(envelope(records), source="f.json")
    assert parsed.records_read == len(records)
    kept, rejected = set(parsed.record_numbers), {r.record for r in parsed.rejections}
    assert kept.isdisjoint(rejected) and kept | rejected == set(range(1, len(records) + 1))
    for r in parsed.rejections:
        msg = r.message("f.json")
        assert msg.startswith(f"f.json: record {r.record}") and "\n" not in msg
    for p in parsed.passes:
        assert p.at.tzinfo == dt.UTC and p.plate_state in ("visible", "covered", "absent", "unknown")


@settings(max_examples=50, deadline=None)
@given(st.lists(valid_record(), min_size=1, max_size=6, unique_by=lambda r: r["MotorVehicleID"]))
def test_valid_records_round_trip(records: list[dict[str, Any]]) -> None:
    parsed = parse_json(envelope(records), source="f.json")
    assert parsed.rejections == ()
    for rec, p in zip(records, parsed.passes, strict=True):
        local = dt.datetime.strptime(rec["PassTime"], "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ)
        assert p.at == local.astimezone(dt.UTC)
        assert p.plate_text == rec["PlateNo"] and p.external_id == rec["MotorVehicleID"]
        assert p.plate_state == ("covered" if rec["IsCovered"] == "1" else "visible")
        assert p.lane == rec["LaneNo"]


@settings(max_examples=30, deadline=None)
@given(st.lists(valid_record(), min_size=1, max_size=5, unique_by=lambda r: r["MotorVehicleID"]), st.data())
def test_csv_with_mapped_columns_reads_as_json(records: list[dict[str, Any]], data: st.DataObject) -> None:
    names = {"MotorVehicleID": "过车编号", "DeviceID": "设备编码", "PassTime": "过车时间", "PlateNo": "号牌号码"}
    header = [names.get(f, f) for f in records[0]]
    lines = [",".join(header)] + [",".join(str(r[f]) for f in records[0]) for r in records]
    columns = load_columns(pairs=[f"{k}={v}" for k, v in names.items()])
    encoding = data.draw(st.sampled_from(["utf-8", "gb18030"]))
    from_csv = parse_csv("\n".join(lines).encode(encoding), source="f.csv", columns=columns)
    from_json = parse_json(envelope(records), source="f.json")
    assert from_csv.passes == from_json.passes
    assert from_csv.record_numbers == tuple(range(2, len(records) + 2))  # spreadsheet rows


def test_time_zone_and_formats() -> None:
    recs = [
        {"MotorVehicleID": "a", "DeviceID": "d", "PassTime": "20240501083000"},
        {"MotorVehicleID": "b", "DeviceID": "d", "PassTime": "20240501083000123"},
        {"MotorVehicleID": "c", "DeviceID": "d", "PassTime": "2024-05-01T08:30:00+09:00"},
        {"MotorVehicleID": "d", "DeviceID": "d", "ShotTime": "20240501083000"},
    ]
    p = parse_json(envelope(recs), source="f.json").passes
    assert p[0].at == dt.datetime(2024, 5, 1, 0, 30, tzinfo=dt.UTC)
    assert p[1].at == dt.datetime(2024, 5, 1, 0, 30, 0, 123000, tzinfo=dt.UTC)
    assert p[2].at == dt.datetime(2024, 4, 30, 23, 30, tzinfo=dt.UTC)
    assert p[3].at == p[0].at
    utc = parse_json(envelope(recs[:1]), source="f.json", tz=parse_offset("Z")).passes[0]
    assert utc.at == dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC)


def test_codes_and_plate_states() -> None:
    base = {"DeviceID": "d", "PassTime": "20240501083000"}
    recs = [
        base | {"MotorVehicleID": "1", "PlateNo": "无车牌", "VehicleClass": "K33", "VehicleColor": "2"},
        base | {"MotorVehicleID": "2", "PlateNo": "未识别", "VehicleClass": "H12", "VehicleColor": "3"},
        base | {"MotorVehicleID": "3", "PlateNo": "晋a12345", "IsCovered": "1", "VehicleClass": "M22"},
    ]
    a, b, c = parse_json(envelope(recs), source="f.json").passes
    assert (a.plate_state, a.plate_text, a.vehicle_type, a.colour, a.detector_class) == (
        "absent",
        None,
        "sedan",
        "white",
        "car",
    )
    assert (b.plate_state, b.vehicle_type, b.colour, b.detector_class) == ("unknown", "truck", "grey", "truck")
    assert (c.plate_state, c.plate_text, c.vehicle_type) == ("covered", "晋A12345", "motorcycle")


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"DeviceID": "d", "PassTime": "20240501083000"}, "MotorVehicleID", "expected an id of 1-64 characters"),
        ({"MotorVehicleID": "x", "PassTime": "20240501083000"}, "DeviceID", "expected a device id"),
        ({"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "2024-13-01"}, "PassTime", "expected yyyyMMddHHmmss"),
        ({"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "20240501083000", "PlateNo": "AB%"}, "PlateNo", ""),
        (
            {"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "20240501083000", "VehicleClass": "car"},
            "VehicleClass",
            "",
        ),
        (
            {"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "20240501083000", "VehicleColor": "42"},
            "VehicleColor",
            "",
        ),
        ({"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "20240501083000", "HasPlate": "yes"}, "HasPlate", ""),
    ],
)
def test_bad_field_is_named(record: dict[str, Any], field: str, reason: str) -> None:
    (r,) = parse_json(envelope([record]), source="f.json").rejections
    assert r.field == field and reason in r.reason


def test_repeated_id_keeps_the_first() -> None:
    rec = {"MotorVehicleID": "x", "DeviceID": "d", "PassTime": "20240501083000"}
    parsed = parse_json(envelope([rec, rec | {"PlateNo": "晋A12345"}]), source="f.json")
    assert len(parsed.passes) == 1 and parsed.passes[0].plate_text is None
    assert "repeats the id of record 1" in parsed.rejections[0].reason


def test_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="expected GA/T 1400 JSON, got invalid JSON"):
        read_passes(bad)
    bad.write_text('{"MotorVehicleObject": []}')
    with pytest.raises(InputError, match="MotorVehicleListObject"):
        read_passes(bad)
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("id,time\n1,2\n")
    with pytest.raises(
        SchemaError, match=r"missing column\(s\) MotorVehicleID, DeviceID, PassTime; found 'id', 'time'"
    ):
        read_passes(csv_file)
    (tmp_path / "p.xml").write_text("x")
    with pytest.raises(InputError, match=r"expected a \.json"):
        read_passes(tmp_path / "p.xml")
    with pytest.raises(InputError, match=r"expected a UTC offset like \+08:00, got '8'"):
        parse_offset("8")
