"""The plate-zone window classifier (vision.plate_zone, opt-in) and the covered/absent decision."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.conftest import shared_file
from vision.linear_head import LinearHead
from vision.plate_covers import apply_cover
from vision.plate_zone import FEATURES, ZONE_LABELS, load_zone_head, windows, zone_scores
from vision.plates import PlateReader
from xueliang.errors import InputError

LABELS = Path(__file__).parent / "data" / "plates_labels.csv"
ROOT = Path(__file__).resolve().parents[2]


def label(name: str) -> dict[str, str]:
    with LABELS.open(encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["photo"].endswith(name))


def vehicle(row: dict[str, str], img: np.ndarray) -> np.ndarray:
    from vision.decode import crop_of

    box = [float(row[k]) for k in ("vehicle_x1", "vehicle_y1", "vehicle_x2", "vehicle_y2")]
    return crop_of(img, box, 0.05)


def photo(row: dict[str, str]) -> np.ndarray:
    return np.asarray(cv2.imread(str(shared_file(row["photo"]))), np.uint8)


def test_shipped_head_loads() -> None:
    head = load_zone_head()
    assert head.labels == ZONE_LABELS and head.dim == len(FEATURES)


def test_wrong_head_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "other.npz"
    LinearHead("x", ("a", "b"), np.zeros((2, 3)), np.zeros(2), np.zeros(3), np.ones(3)).save(bad)
    with pytest.raises(InputError, match=r"other\.npz.*expected labels"):
        load_zone_head(str(bad))
    with pytest.raises(InputError, match="no such file"):
        load_zone_head(str(tmp_path / "missing.npz"))


@settings(max_examples=25, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 90), st.integers(1, 120), st.just(3))))
def test_windows_of_any_crop_are_finite_and_inside(crop: np.ndarray) -> None:
    win = windows(crop)
    assert win.features.shape == (len(win.boxes), len(FEATURES))
    assert np.isfinite(win.features).all()
    if len(win.boxes):
        h, w = crop.shape[:2]
        assert (win.boxes[:, 0] >= 0).all() and (win.boxes[:, 2] <= w + 1).all()
        assert (win.boxes[:, 1] >= 0).all() and (win.boxes[:, 3] <= h + 1).all()
        assert (win.boxes[:, 2] > win.boxes[:, 0]).all()


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


@pytest.mark.parametrize(
    ("cover", "state"),
    [("paint_dark", "covered"), ("paint_body", "covered"), ("tape", "covered"), ("removed", "absent")],
)
def test_cover_on_a_tuning_photo(reader: PlateReader, cover: str, state: str) -> None:
    row = label("Quicker_20220930_180856.png")
    img = photo(row)
    box = tuple(int(row[k]) for k in ("plate_x1", "plate_y1", "plate_x2", "plate_y2"))
    got = reader.read(vehicle(row, apply_cover(img, box, cover, seed=7).image))  # type: ignore[arg-type]
    assert got.state == state
    assert got.text is None


def test_unplated_ccpd_photo_reads_absent(reader: PlateReader) -> None:
    row = label("ccpd_np/np4.jpg")
    got = reader.read(vehicle(row, photo(row)))
    assert got.state == "absent"
    assert got.text is None


def _refit_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """bench/train_plate_zone.py loaded as it runs as a script: with its folder (and so ``_root``) on the path."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("train_plate_zone", ROOT / "bench" / "train_plate_zone.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_plate_zone", module)
    spec.loader.exec_module(module)
    return module


def test_refit_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refit script's fit on two tuning photos (one seed) gives the same weights twice, of the
    shape the reader loads."""
    shared_file("plates/we0091234/single_yellow.jpg")
    script = _refit_script(monkeypatch)
    with LABELS.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["photo"].endswith(("single_yellow.jpg", "np4.jpg"))]
    assert all(r["split"] == "tuning" for r in rows)
    exs = script.examples(rows, 1)
    a, b = script.fit(exs), script.fit(exs)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.labels == ZONE_LABELS and a.dim == len(FEATURES)
    assert {e.state for e in exs} == {"visible", "covered", "absent"}
    assert all((e.labels <= 0).all() for e in exs if e.state == "absent")  # no plate window where none is


def test_zone_classifier_is_opt_in(reader: PlateReader) -> None:
    row = label("ccpd_np/np4.jpg")
    crop = vehicle(row, photo(row))
    assert PlateReader().config.zone_covered is None
    scores = zone_scores(crop)
    assert set(scores) == {"visible", "covered"}
    assert 0.0 <= scores["covered"].probability <= 1.0
