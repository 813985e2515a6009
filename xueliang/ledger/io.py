"""Read a case ledger (CSV in UTF-8 or GBK/GB18030, or Excel .xlsx), map its columns and validate every row.

Nothing here touches the database: :func:`read_ledger` returns the valid records and a list of
rejections (row, field, reason, value), and :mod:`xueliang.ledger.store` writes the valid ones.
The check of one row lives in :mod:`xueliang.ledger.schema`.
Rows are numbered as in a spreadsheet: the header is row 1 (or ``header_row``), cases follow.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, create_model, field_validator

from xueliang.config import ColumnMap, load_column_map
from xueliang.csv_cells import safe_row
from xueliang.errors import ConfigError, InputError, SchemaError
from xueliang.ledger.schema import ALL_FIELDS, REQUIRED_FIELDS, Rejection, SourceRow, check_row
from xueliang.storage.files import decode_text

VALUE_FIELDS = ("case_type", "area", "status", "video_obtained", "video_contribution")


# one optional column name per ledger field, the fields as the schema lists them
_COLUMNS: dict[str, Any] = {f: (str | None, None) for f in ALL_FIELDS}
_LedgerColumns = create_model("_LedgerColumns", __base__=ColumnMap, **_COLUMNS)


class ColumnMapping(_LedgerColumns):
    """Which column of the file holds each ledger field (unset = the field's own name).

    A mapping file is TOML or JSON keyed by the ledger's fields (``ALL_FIELDS``), e.g. ``case_id = "编号"``,
    and optionally a ``[values.FIELD]`` table that translates the file's values into the ledger's, e.g.
    ``[values.status]`` with ``"已破" = "solved"`` (for case_type, area, status, video_obtained and
    video_contribution). Values not listed are read as they are.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("values")
    @classmethod
    def _known_value_fields(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        unknown = sorted(set(v) - set(VALUE_FIELDS))
        if unknown:
            raise ValueError(f"values for {', '.join(unknown)}: expected only {', '.join(VALUE_FIELDS)}")
        return v

    def translate(self, field: str, value: str) -> str:
        return self.values.get(field, {}).get(value, value)


def load_mapping(path: str | Path | None = None, pairs: Sequence[str] = ()) -> ColumnMapping:
    """A mapping from a TOML/JSON file and/or ``field=column`` pairs (pairs win)."""
    return load_column_map(ColumnMapping, path, pairs)


@dataclass(frozen=True)
class LedgerFileRead:
    """What reading one ledger file found, before and after its import: the file and its rejections."""

    source: str
    sha256: str
    encoding: str
    rows_read: int
    ignored_columns: tuple[str, ...]
    rejections: tuple[Rejection, ...]

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejections})

    def file_read(self) -> dict[str, Any]:
        """This base's fields, to build a result that extends it (see :class:`~xueliang.ledger.store.ImportResult`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(LedgerFileRead)}


@dataclass(frozen=True)
class ParsedLedger(LedgerFileRead):
    """The file's valid rows, by spreadsheet row, and the ledger fields its columns provide."""

    fields: frozenset[str]
    rows: tuple[SourceRow, ...]


@dataclass(frozen=True)
class RawTable:
    """Cells as text; ``header_row`` is the spreadsheet row number of ``header`` (1 = first line)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    encoding: str
    header_row: int = 1
    # .xlsx: (index in rows, column) -> formula, for formula cells the workbook holds no computed value for
    formulas: Mapping[tuple[int, int], str] = dataclasses.field(default_factory=dict)


def _split(lines: list[tuple[str, ...]], header_row: int, encoding: str, source: str) -> RawTable:
    if len(lines) < header_row:
        where = "the file is empty" if not lines else f"the file has only {len(lines)} row(s)"
        raise InputError(source, f"{where}; expected a header on row {header_row} and cases below it")
    return RawTable(lines[header_row - 1], tuple(lines[header_row:]), encoding, header_row)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_csv(data: bytes, source: str, header_row: int) -> RawTable:
    text, encoding = decode_text(data, source)
    head = text.split("\n", header_row)
    first = head[header_row - 1] if len(head) >= header_row else ""
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = [tuple(cell.strip() for cell in line) for line in reader]
    except csv.Error as exc:
        raise InputError(source, f"not a readable CSV file: {exc}") from exc
    return _split(lines, header_row, encoding, source)


def _excel_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path, source: str, sheet: str | None, header_row: int) -> RawTable:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError(source, "reading Excel needs openpyxl: pip install openpyxl") from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(source, f"not a readable .xlsx workbook: {exc}") from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputError(source, f"no sheet {sheet!r}; sheets are {', '.join(wb.sheetnames)}")
        raw = list(ws.iter_rows(values_only=True))
        title = ws.title
    finally:
        wb.close()
    lines = [tuple(_excel_cell(v) for v in line) for line in raw]
    table = _split(lines, header_row, "xlsx", source)
    blank = {
        (i - header_row, j) for i, line in enumerate(raw) if i >= header_row for j, v in enumerate(line) if v is None
    }
    return replace(table, formulas=_uncomputed_formulas(path, title, header_row, blank)) if blank else table


def _uncomputed_formulas(
    path: Path, sheet: str, header_row: int, blank: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Which of the ``blank`` cells hold a formula: a workbook written by a program that does not compute
    formulas (a script, some exporters) stores them without a value, and they read as empty."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        out: dict[tuple[int, int], str] = {}
        for i, line in enumerate(wb[sheet].iter_rows(values_only=True)):
            for j, v in enumerate(line):
                key = (i - header_row, j)
                if key in blank and isinstance(v, str) and v.startswith("="):
                    out[key] = v
        return out
    finally:
        wb.close()


def read_table(path: str | Path, *, sheet: str | None = None, header_row: int = 1) -> tuple[RawTable, str]:
    """The header and cells of a CSV or .xlsx file, and the file's sha256.

    ``header_row`` skips title lines above the header (row numbers as in a spreadsheet).
    """
    if header_row < 1:
        raise ConfigError("--header-row", f"expected a row number from 1, got {header_row}")
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from exc
    digest = sha256_bytes(data)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p, str(p), sheet, header_row), digest
    if suffix in (".xls",):
        raise InputError(str(p), "old .xls workbooks are not read; save as .xlsx or CSV")
    return _read_csv(data, str(p), header_row), digest


def resolve_columns(
    header: Sequence[str], mapping: ColumnMapping, source: str, *, header_row: int = 1
) -> dict[str, int]:
    """Field name -> column index. Raises when a required column is absent or a column is doubled."""
    positions: dict[str, int] = {}
    counts = Counter(h for h in header if h)
    doubled = sorted(h for h, n in counts.items() if n > 1)
    if doubled:
        raise SchemaError(
            source,
            f"column(s) {', '.join(map(repr, doubled))} appear more than once",
            where=f"row {header_row}",
        )
    index = {h: i for i, h in enumerate(header)}
    folded: dict[str, int] = {}
    for i, h in enumerate(header):
        folded.setdefault(h.casefold(), i)
    missing = []
    for field in ALL_FIELDS:
        column = mapping.column_for(field)
        if column in index:
            positions[field] = index[column]
        elif column.casefold() in folded:  # "Case_ID" for case_id
            positions[field] = folded[column.casefold()]
        elif field in REQUIRED_FIELDS or getattr(mapping, field) is not None:
            missing.append(field if column == field else f"{field} (mapped to {column!r})")
    if missing:
        found = ", ".join(repr(h) for h in header if h) or "none"
        raise SchemaError(
            source,
            f"missing column(s) {', '.join(missing)}; found {found}. "
            "Rename them or map them with --map FIELD=COLUMN or --mapping FILE"
            + (" (or point --header-row at the header)" if header_row == 1 else ""),
            where=f"row {header_row}",
        )
    return positions


def validate_table(
    table: RawTable,
    *,
    source: str,
    sha256: str,
    mapping: ColumnMapping | None = None,
    tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
) -> ParsedLedger:
    """Check every row; duplicate case ids within the file reject every row that carries them."""
    mapping = mapping or ColumnMapping()
    now = now or dt.datetime.now(dt.UTC)
    header = tuple(h.strip().lstrip("\ufeff") for h in table.header)
    positions = resolve_columns(header, mapping, source, header_row=table.header_row)
    columns = {field: header[i] for field, i in positions.items()}
    used = set(positions.values())
    ignored = tuple(h for i, h in enumerate(header) if i not in used and h)
    records: list[SourceRow] = []
    rejections: list[Rejection] = []
    rows_read = 0
    for offset, line in enumerate(table.rows):
        if not any(line):
            continue
        rows_read += 1
        row = table.header_row + 1 + offset
        cells = {
            field: mapping.translate(field, line[i].strip() if i < len(line) else "") for field, i in positions.items()
        }
        record, problems = check_row(row, cells, columns, tz=tz, now=now)
        uncomputed = [(f, table.formulas[(offset, i)]) for f, i in positions.items() if (offset, i) in table.formulas]
        if uncomputed:  # the cell is not empty: its value was never computed; the row cannot go in as read
            record = None
            problems = [p for p in problems if p.field not in {f for f, _ in uncomputed}] + [
                Rejection(
                    row,
                    cells.get("case_id") or None,
                    f,
                    columns.get(f),
                    f"is a formula ({formula}) with no saved value: the workbook was written by a program that "
                    "does not compute formulas; open and save it in Excel or LibreOffice, or paste values",
                    formula,
                )
                for f, formula in uncomputed
            ]
        if record is not None:
            records.append(SourceRow(row, record))
        rejections.extend(problems)
    rows_of: dict[str, list[int]] = {}
    for sr in records:
        rows_of.setdefault(sr.record.case_id, []).append(sr.row)
    dup = {cid: rows for cid, rows in rows_of.items() if len(rows) > 1}
    if dup:
        for sr in records:
            rows = dup.get(sr.record.case_id)
            if rows:
                others = ", ".join(str(r) for r in rows if r != sr.row)
                rejections.append(
                    Rejection(
                        sr.row,
                        sr.record.case_id,
                        "case_id",
                        columns["case_id"],
                        f"duplicate case id {sr.record.case_id!r}, also on row(s) {others}; none of them imported",
                        sr.record.case_id,
                    )
                )
        records = [sr for sr in records if sr.record.case_id not in dup]
    rejections.sort(key=lambda r: (r.row, ALL_FIELDS.index(r.field) if r.field in ALL_FIELDS else -1))
    return ParsedLedger(
        source=source,
        sha256=sha256,
        encoding=table.encoding,
        fields=frozenset(positions),
        ignored_columns=ignored,
        rows_read=rows_read,
        rows=tuple(records),
        rejections=tuple(rejections),
    )


def read_ledger(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
    sheet: str | None = None,
    header_row: int = 1,
) -> ParsedLedger:
    """Read and validate a ledger file; file-level problems (unreadable, missing columns) raise."""
    table, digest = read_table(path, sheet=sheet, header_row=header_row)
    return validate_table(table, source=str(path), sha256=digest, mapping=mapping, tz=tz, now=now)


def write_rejections(path: str | Path, parsed: ParsedLedger) -> None:
    """The validation report as CSV: row, case_id, field, column, reason, value."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row", "case_id", "field", "column", "reason", "value"])
        for r in parsed.rejections:
            w.writerow(safe_row([r.row, r.case_id or "", r.field or "", r.column or "", r.reason, r.value or ""]))
