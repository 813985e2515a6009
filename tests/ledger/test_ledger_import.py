"""Import: validation report, one transaction, idempotency, history, encodings, Excel, column mapping."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from xueliang.errors import ConfigError, InputError, SchemaError
from xueliang.ledger import store
from xueliang.ledger.io import load_mapping, read_ledger, write_rejections
from xueliang.ledger.schema import ALL_FIELDS, REQUIRED_FIELDS, get_zone
from xueliang.ledger.store import case_history, import_ledger, import_ledger_file, load_cases
from xueliang.ledger.tables import LedgerCaseCameraRow, LedgerCaseRow, LedgerHistoryRow
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def case(case_id: str, **over: str) -> dict[str, str]:
    row = {
        "case_id": case_id,
        "case_type": "theft",
        "occurred_start": "2024-03-01 14:30",
        "occurred_end": "2024-03-01 15:00",
        "lon": "7.42",
        "lat": "43.73",
        "area": "Hexi",
        "status": "solved",
        "solved_at": "2024-03-01",
        "video_requested_at": "2024-03-02",
        "video_expires_at": "2024-03-31",
        "video_obtained": "yes",
        "video_contribution": "lead",
        "hours_reviewed": "2.5",
        "vehicles_screened": "10",
        "vehicles_eliminated": "8",
        "cameras": "CAM-2;CAM-1",
        "sightings": "",
    }
    row.update(over)
    return row


def write_csv(
    path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8", header: list[str] | None = None
) -> Path:
    header = header or list(ALL_FIELDS)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def count(db: Database, model: Any) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_import_stores_cases_links_and_history(db: Database, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "cases.csv", [case("A1"), case("A2", status="open", solved_at="", cameras="")])
    r = import_ledger_file(db, f, now=NOW)
    assert (r.rows_read, r.added, r.updated, r.unchanged, r.rejected_rows) == (2, 2, 0, 0, 0)
    with db.sessions() as s:
        a1 = s.get(LedgerCaseRow, "A1")
        assert a1 is not None
        assert a1.video_obtained is True and a1.video_contribution == "lead" and a1.vehicles_screened == 10
        assert a1.occurred_start == dt.datetime(2024, 3, 1, 14, 30, tzinfo=dt.UTC)
        refs = list(s.scalars(select(LedgerCaseCameraRow.camera_ref).order_by(LedgerCaseCameraRow.camera_ref)))
        assert refs == ["CAM-1", "CAM-2"]
    hist = case_history(db, "A1")
    by_field = {h.field: h for h in hist}
    assert by_field["cameras"].new_value == "CAM-1;CAM-2" and by_field["cameras"].old_value is None
    assert by_field["status"].source == str(f) and by_field["status"].source_row == 2
    assert "sightings" not in by_field  # empty stays empty: no change to record
    t = load_cases(db)
    assert list(t.case_id) == ["A1", "A2"] and t.cameras == (("CAM-1", "CAM-2"), ())


def test_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "cases.csv", [case("A1"), case("A2", video_contribution="none")])
    first = import_ledger_file(db, f, now=NOW)
    n_hist = count(db, LedgerHistoryRow)
    assert first.history_rows == n_hist > 0
    again = import_ledger_file(db, f, now=NOW + dt.timedelta(days=1))
    assert (again.added, again.updated, again.unchanged, again.history_rows) == (0, 0, 2, 0)
    assert count(db, LedgerHistoryRow) == n_hist
    with db.sessions() as s:
        row = s.get(LedgerCaseRow, "A1")
        assert row is not None and row.updated_at == NOW


def test_changed_row_gets_history_with_old_and_new(db: Database, tmp_path: Path) -> None:
    import_ledger_file(db, write_csv(tmp_path / "v1.csv", [case("A1", status="open", solved_at="")]), now=NOW)
    before = count(db, LedgerHistoryRow)
    v2 = write_csv(tmp_path / "v2.csv", [case("A1", solved_at="2024-04-02", cameras="CAM-3")])
    r = import_ledger_file(db, v2, now=NOW + dt.timedelta(hours=1))
    assert (r.added, r.updated, r.history_rows) == (0, 1, 3)
    new = case_history(db, "A1")[before:]
    assert [(h.field, h.old_value, h.new_value) for h in new] == [
        ("status", "open", "solved"),
        ("solved_at", None, "2024-04-02T00:00:00+00:00"),
        ("cameras", "CAM-1;CAM-2", "CAM-3"),
    ]
    assert all(h.source == str(v2) and h.changed_at == NOW + dt.timedelta(hours=1) for h in new)
    assert load_cases(db).cameras == (("CAM-3",),)


def test_file_without_optional_columns_leaves_them_alone(db: Database, tmp_path: Path) -> None:
    import_ledger_file(db, write_csv(tmp_path / "full.csv", [case("A1")]), now=NOW)
    slim = write_csv(tmp_path / "slim.csv", [case("A1", area="Nanhu")], header=list(REQUIRED_FIELDS))
    r = import_ledger_file(db, slim, now=NOW)
    assert (r.updated, r.history_rows) == (1, 1)
    t = load_cases(db)
    assert t.cameras == (("CAM-1", "CAM-2"),) and t.area[0] == "Nanhu" and t.hours_reviewed[0] == 2.5


BAD = [
    (
        case("F1", occurred_start="2026-01-01 10:00", occurred_end="", solved_at=""),
        "occurred_start",
        "in the future",
    ),
    (case("F2", solved_at="2024-02-28"), "solved_at", "is before the occurrence '2024-03-01 14:30'"),
    (case("F3", video_contribution="helpful"), "video_contribution", "expected one of none, corroborating"),
    (case("F4", video_obtained="maybe"), "video_obtained", "expected yes or no, got 'maybe'"),
    (case("F5", video_obtained="no"), "video_contribution", "is 'lead' but video_obtained is no"),
    (case("F6", lat="95"), "lat", "expected a number from -90 to 90, got 95"),
    (case("F7", status="solved", solved_at=""), "solved_at", "is empty but status is solved"),
    (case("F8", occurred_start="01/03/2024"), "occurred_start", "expected a date like 2024-03-01"),
    (case("F9", vehicles_eliminated="11"), "vehicles_eliminated", "more than vehicles_screened (10)"),
    (case("F10", status="open"), "solved_at", "is set but status is 'open'"),
    (case("F11", lon=""), "lon", "lon and lat must be given together"),
    (case(""), "case_id", "is empty; a value is required"),
    (case("L" * 65), "case_id", "expected at most 64 characters, got 65"),
    (case("F13", cameras="CAM-1;" + "X" * 201), "cameras", "expected ids of at most 200 characters"),
]


def test_bad_rows_are_reported_and_the_rest_imported(db: Database, tmp_path: Path) -> None:
    rows = [case("OK1"), *(b[0] for b in BAD), case("D1"), case("OK2"), case("D1", area="Nanhu")]
    f = write_csv(tmp_path / "mixed.csv", rows)
    parsed = read_ledger(f, now=NOW)
    for i, (_, field, reason) in enumerate(BAD):
        problems = [r for r in parsed.rejections if r.row == i + 3]
        assert any(p.field == field and reason in p.reason for p in problems), (field, problems)
    dup = [r for r in parsed.rejections if r.case_id == "D1"]
    assert [r.row for r in dup] == [17, 19] and "also on row(s) 19" in dup[0].reason
    assert parsed.rejected_rows == len(BAD) + 2
    msg = parsed.rejections[0].message(str(f))
    assert msg.startswith(f"{f}: row 3: 'occurred_start': is in the future")
    result = import_ledger(db, parsed, now=NOW)
    assert (result.added, result.rejected_rows) == (2, len(BAD) + 2)
    assert sorted(load_cases(db).case_id) == ["OK1", "OK2"]
    report = tmp_path / "report.csv"
    write_rejections(report, parsed)
    lines = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert len(lines) == len(parsed.rejections) and lines[0]["row"] == "3" and lines[0]["field"] == "occurred_start"


def test_date_only_solved_on_the_day_of_the_occurrence_is_fine(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "c.csv",
        [case("A1", occurred_start="2024-03-01 23:00", occurred_end="", solved_at="2024-03-01")],
    )
    assert read_ledger(f, now=NOW).rejections == ()


def test_local_times_are_stored_as_utc(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "c.csv", [case("A1", occurred_start="2024-03-01 08:00", occurred_end="")])
    parsed = read_ledger(f, now=NOW, tz=get_zone("Asia/Shanghai"))
    assert parsed.rejections == ()  # solved 2024-03-01 is the same local day, though 2024-02-29 in UTC
    rec = parsed.rows[0].record
    assert rec.occurred_start == dt.datetime(2024, 3, 1, 0, 0, tzinfo=dt.UTC)
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Base'"):
        get_zone("Mars/Base")


def test_missing_columns_fail_the_whole_file(db: Database, tmp_path: Path) -> None:
    header = [h for h in ALL_FIELDS if h not in ("status", "video_obtained")]
    f = write_csv(tmp_path / "c.csv", [case("A1")], header=header)
    with pytest.raises(SchemaError, match=r"row 1: missing column\(s\) status, video_obtained; found 'case_id'"):
        import_ledger_file(db, f, now=NOW)
    assert count(db, LedgerCaseRow) == 0


def test_header_case_does_not_matter(tmp_path: Path) -> None:
    upper = {k.upper(): v for k, v in case("A1").items()}
    f = write_csv(tmp_path / "c.csv", [upper], header=[h.upper() for h in ALL_FIELDS])
    parsed = read_ledger(f, now=NOW)
    assert (len(parsed.rows), parsed.rejections, parsed.fields) == (1, (), frozenset(ALL_FIELDS))


def test_title_rows_above_the_header(tmp_path: Path) -> None:
    f = tmp_path / "titled.csv"
    body = write_csv(tmp_path / "body.csv", [case("A1"), case("A2", status="maybe")]).read_text(encoding="utf-8")
    f.write_text("城关县案件台账 2024,,\n\n" + body, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"row 1: missing column.*point --header-row at the header"):
        read_ledger(f, now=NOW)
    parsed = read_ledger(f, now=NOW, header_row=3)
    assert len(parsed.rows) == 1 and [r.row for r in parsed.rejections] == [5]
    with pytest.raises(InputError, match="the file has only 5 row\\(s\\); expected a header on row 9"):
        read_ledger(f, now=NOW, header_row=9)
    with pytest.raises(ConfigError, match="--header-row: expected a row number from 1, got 0"):
        read_ledger(f, now=NOW, header_row=0)


def test_doubled_column_fails(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "c.csv", [case("A1")], header=[*ALL_FIELDS, "area"])
    with pytest.raises(SchemaError, match="column\\(s\\) 'area' appear more than once"):
        read_ledger(f, now=NOW)


CHINESE = {
    "case_id": "案件编号",
    "case_type": "案件类别",
    "occurred_start": "发案时间",
    "occurred_end": "发案结束时间",
    "lon": "经度",
    "lat": "纬度",
    "area": "辖区",
    "status": "状态",
    "solved_at": "破案日期",
    "video_requested_at": "调取日期",
    "video_expires_at": "视频到期日",
    "video_obtained": "是否调取到视频",
    "video_contribution": "视频作用",
}


def test_gbk_file_with_chinese_headers_and_mapping(db: Database, tmp_path: Path) -> None:
    rows = [
        {CHINESE[k]: v for k, v in case(f"刑{i}", area="城关派出所", video_obtained="是").items() if k in CHINESE}
        for i in range(3)
    ]
    f = write_csv(tmp_path / "gbk.csv", rows, encoding="gbk", header=[*CHINESE.values(), "备注"])
    raw = f.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    mapping = load_mapping(pairs=[f"{k}={v}" for k, v in CHINESE.items()])
    r = import_ledger_file(db, f, mapping=mapping, now=NOW)
    assert (r.encoding, r.added, r.rejected_rows, r.ignored_columns) == ("gb18030", 3, 0, ("备注",))
    t = load_cases(db)
    assert list(t.case_id) == ["刑0", "刑1", "刑2"] and t.area[0] == "城关派出所" and bool(t.obtained.all())


def test_utf8_bom_file(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "bom.csv", [case("A1")], encoding="utf-8-sig")
    parsed = read_ledger(f, now=NOW)
    assert (parsed.encoding, len(parsed.rows)) == ("utf-8", 1)


def test_mapping_file_rejects_unknown_keys(tmp_path: Path) -> None:
    good = tmp_path / "map.toml"
    good.write_text('case_id = "编号"\nstatus = "状态"\n', encoding="utf-8")
    m = load_mapping(good, ["status=State"])
    assert (m.column_for("case_id"), m.column_for("status"), m.column_for("lon")) == ("编号", "State", "lon")
    bad = tmp_path / "bad.toml"
    bad.write_text('case_ids = "编号"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="case_ids: unknown key"):
        load_mapping(bad)
    with pytest.raises(ConfigError, match="expected FIELD=COLUMN, got 'case_id'"):
        load_mapping(pairs=["case_id"])


def test_mapping_file_translates_values(tmp_path: Path) -> None:
    m = tmp_path / "map.toml"
    m.write_text(
        'status = "状态"\n[values.status]\n"已破" = "solved"\n"未破" = "open"\n'
        '[values.video_contribution]\n"直接破案" = "decisive"\n',
        encoding="utf-8",
    )
    header = ["状态" if h == "status" else h for h in ALL_FIELDS]
    rows = [
        {**case("A1", video_contribution="直接破案"), "状态": "已破"},
        {**case("A2", solved_at=""), "状态": "未破"},
        {**case("A3"), "状态": "在侦"},
    ]
    parsed = read_ledger(write_csv(tmp_path / "c.csv", rows, header=header), mapping=load_mapping(m), now=NOW)
    assert [(r.record.status, r.record.video_contribution) for r in parsed.rows] == [
        ("solved", "decisive"),
        ("open", "lead"),
    ]
    assert [(r.row, r.column) for r in parsed.rejections] == [(4, "状态")]
    assert "expected one of open, solved, closed, got '在侦'" in parsed.rejections[0].reason
    bad = tmp_path / "bad.toml"
    bad.write_text('[values.lon]\n"x" = "1"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="values for lon: expected only case_type, area, status"):
        load_mapping(bad)


def test_mapped_column_absent_is_named(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "c.csv", [case("A1")])
    with pytest.raises(SchemaError, match=r"case_id \(mapped to '编号'\)"):
        read_ledger(f, mapping=load_mapping(pairs=["case_id=编号"]), now=NOW)


def test_excel_file(db: Database, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件"
    ws.append(list(REQUIRED_FIELDS))
    ws.append(
        [
            "X1",
            "Fraud",
            dt.datetime(2024, 5, 1, 9, 30),
            None,
            7.42,
            43.73,
            "Hexi",
            "solved",
            dt.datetime(2024, 5, 3),
            dt.date(2024, 5, 2),
            dt.date(2024, 5, 31),
            True,
            "decisive",
        ]
    )
    ws.append(
        [
            "X2",
            "fraud",
            dt.datetime(2024, 5, 2, 9, 30),
            None,
            None,
            None,
            None,
            "open",
            None,
            None,
            None,
            False,
            "none",
        ]
    )
    ws.append([None] * len(REQUIRED_FIELDS))  # blank rows are skipped
    ws.append([3, "fraud", "2024-05-04", None, None, None, None, "closed", None, None, None, "no", "nonsense"])
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    r = import_ledger_file(db, path, now=NOW)
    assert (r.encoding, r.rows_read, r.added, r.rejected_rows) == ("xlsx", 3, 2, 1)
    assert r.rejections[0].row == 5 and r.rejections[0].case_id == "3"
    t = load_cases(db)
    assert list(t.case_type) == ["fraud", "fraud"] and bool(t.solved[0]) and bool(t.obtained[0])
    assert import_ledger_file(db, path, now=NOW).history_rows == 0
    with pytest.raises(InputError, match="no sheet 'cases'; sheets are 案件"):
        read_ledger(path, sheet="cases")


def test_nothing_is_half_written(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_ledger_file(db, write_csv(tmp_path / "v1.csv", [case("A1")]), now=NOW)
    before = (count(db, LedgerCaseRow), count(db, LedgerHistoryRow))
    real_insert = store.insert

    def failing_insert(table: Any) -> Any:
        if getattr(table, "name", None) == "ledger_history":
            raise RuntimeError("disk full")
        return real_insert(table)

    monkeypatch.setattr(store, "insert", failing_insert)
    v2 = write_csv(tmp_path / "v2.csv", [case("A1", area="Nanhu"), case("A2"), case("A3")])
    with pytest.raises(RuntimeError, match="disk full"):
        import_ledger_file(db, v2, now=NOW)
    assert (count(db, LedgerCaseRow), count(db, LedgerHistoryRow)) == before
    assert load_cases(db).area[0] == "Hexi"


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        read_ledger(empty)
    with pytest.raises(InputError, match="cannot read"):
        read_ledger(tmp_path / "absent.csv")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf")
    with pytest.raises(InputError, match=r"old \.xls workbooks are not read"):
        read_ledger(old)


def test_cases_and_their_cameras_come_back_in_code_point_order(db: Database, tmp_path: Path) -> None:
    """The same order on SQLite and on PostgreSQL with a linguistic collation (zh-Hans-CN: 晋 before 京, b before B)."""
    ids = ["京A1", "晋M1", "b-1", "B-1", "a_2", "a-2"]
    import_ledger_file(
        db, write_csv(tmp_path / "f.csv", [case(i, cameras="cam-b;CAM-B;晋CAM;京CAM") for i in ids]), now=NOW
    )
    t = load_cases(db)
    assert list(t.case_id) == sorted(ids)
    assert t.cameras[0] == tuple(sorted(["cam-b", "CAM-B", "晋CAM", "京CAM"]))
