"""The labelled vehicle crops: the reader (property-based: it never fails on any row), and the set's
own invariants (>= 300 crops, one split per vehicle, labels from the vocabularies)."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vision.labelled import COLUMNS, LABEL_TYPES, PLATE_STATES, parse_row, read_labels

LABELS = Path(__file__).parent / "data" / "vehicle_labels.csv"
GOOD = {
    "crop": "7",
    "unit": "street_red_sedan",
    "split": "heldback",
    "source": "video/street_two_lane.mp4",
    "frame": "12",
    "x1": "10",
    "y1": "20",
    "x2": "50",
    "y2": "60",
    "type": "sedan",
    "colour": "red",
    "plate_state": "visible",
    "plate_text": "",
    "detector_class": "car",
    "note": "",
}


def test_a_good_row() -> None:
    row = parse_row(dict(GOOD))
    assert (row.crop, row.box, row.vehicle_type, row.split) == (7, (10, 20, 50, 60), "sedan", "heldback")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("type", "lorry", "'type': expected one of sedan"),
        ("colour", "purple", "'colour': expected one of"),
        ("x2", "5", "box: expected 0 <= x1 < x2"),
        ("frame", "x", "'frame': expected an integer, got 'x'"),
        ("split", "test", "'split': expected one of tuning, heldback"),
    ],
)
def test_bad_rows_name_the_field(field: str, value: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_row({**GOOD, field: value})


@given(st.dictionaries(st.sampled_from(COLUMNS), st.text(max_size=12)))
def test_parse_row_raises_only_value_error(raw: dict[str, str]) -> None:
    with contextlib.suppress(ValueError):
        parse_row({**GOOD, **raw})


def test_read_labels_keeps_good_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    header = ",".join(COLUMNS)
    good = ",".join(GOOD[c] for c in COLUMNS)
    bad = good.replace(",sedan,", ",lorry,")
    dup = good
    p = tmp_path / "labels.csv"
    p.write_text("\n".join([header, good, bad, dup]) + "\n", encoding="utf-8")
    rows, problems = read_labels(p)
    assert len(rows) == 1
    assert [q.where for q in problems] == ["labels.csv: line 3", "labels.csv: line 4"]
    assert "'type'" in problems[0].message and "already labelled" in problems[1].message


def test_the_labelled_set() -> None:
    rows, problems = read_labels(LABELS)
    assert problems == []
    assert len(rows) >= 300
    splits: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        splits[r.unit].add(r.split)
        assert r.vehicle_type in LABEL_TYPES and r.plate_state in PLATE_STATES
    # split by vehicle, never by crop: no vehicle on both sides
    assert all(len(s) == 1 for s in splits.values())
    held = [r for r in rows if r.split == "heldback"]
    assert 0.3 <= len(held) / len(rows) <= 0.6
    # every source kind of ../shared/data is used: both videos and the photos, we0091234 included
    sources = {r.source.split("/")[0] for r in rows} | {r.source.split("/")[1] for r in rows if "/" in r.source}
    assert {"video", "plates", "we0091234", "street_two_lane.mp4", "intel_car-detection.mp4"} <= sources
