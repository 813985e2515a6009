"""The schedule's bitrate and storage model, and its CSV/XLSX with totals per phase."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.schedule import (
    CODEC_FACTOR,
    ScheduleCamera,
    StreamSettings,
    bitrate_mbps,
    phase_totals,
    schedule,
    storage_tb,
    to_csv,
    to_xlsx,
)


def test_bitrate_of_a_4mp_stream_is_in_the_makers_range() -> None:
    # 2560 x 1440 x 25 fps x 0.075 bit/px = 6.91 Mbit/s in H.264; H.265 about half
    assert bitrate_mbps(2560, 25, "h264") == pytest.approx(2560 * 1440 * 25 * 0.075 / 1e6)
    assert 4.0 < bitrate_mbps(2560, 25, "h264") < 10.0
    assert bitrate_mbps(2560, 25, "h265") == pytest.approx(bitrate_mbps(2560, 25, "h264") * CODEC_FACTOR["h265"])
    assert bitrate_mbps(2560, 12.5, "h264") == pytest.approx(bitrate_mbps(2560, 25, "h264") / 2)
    assert bitrate_mbps(2560, 25, "h264", 2.0) == pytest.approx(2 * bitrate_mbps(2560, 25, "h264"))


def test_storage_for_retention() -> None:
    # 8 Mbit/s = 1 MB/s = 86.4 GB a day
    assert storage_tb(8.0, 1) == pytest.approx(0.0864)
    assert storage_tb(8.0, 30) == pytest.approx(30 * 0.0864)


def test_bad_codec_and_values_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="codec: expected one of h264, h265, mjpeg, got 'vp9'"):
        bitrate_mbps(2560, 25, "vp9")
    with pytest.raises(ValueError, match="more than 0"):
        bitrate_mbps(0, 25, "h264")


@given(st.floats(16, 20000), st.floats(0.5, 120), st.sampled_from(sorted(CODEC_FACTOR)), st.floats(0.1, 5))
def test_bitrate_grows_with_pixels(width: float, fps: float, codec: str, complexity: float) -> None:
    a = bitrate_mbps(width, fps, codec, complexity)
    assert a > 0 and bitrate_mbps(width * 2, fps, codec, complexity) == pytest.approx(4 * a)


def _cams() -> list[ScheduleCamera]:
    def cam(site: str, phase: int, cost: float, res: int) -> ScheduleCamera:
        return ScheduleCamera(site, 112.9, 28.2, "m", "bullet", 90.0, 6.0, 50.0, res, cost, phase)

    return [cam("b", 1, 6000, 2560), cam("a", 1, 9000, 3840), cam("c", 2, 5000, 2560)]


def test_rows_and_totals_per_phase() -> None:
    rows = schedule(_cams(), StreamSettings(retention_days=30))
    assert [r.camera.site for r in rows] == ["a", "b", "c"]
    totals = phase_totals(rows)
    assert [(t.phase, t.cameras, t.cost) for t in totals] == [(1, 2, 15000.0), (2, 1, 5000.0)]
    assert totals[0].bitrate_mbps == pytest.approx(rows[0].bitrate_mbps + rows[1].bitrate_mbps, abs=0.01)
    assert rows[0].storage_tb == pytest.approx(storage_tb(bitrate_mbps(3840, 25, "h265"), 30), abs=1e-3)
    assert 5.5 < rows[1].focal_mm < 6.0  # 50 degrees on a 1/2.8-inch sensor


def test_csv_and_xlsx_hold_the_same_rows_and_totals() -> None:
    import openpyxl

    rows = schedule(_cams(), StreamSettings())
    lines = list(csv.reader(io.StringIO(to_csv(rows))))
    assert lines[0][:4] == ["site", "lon", "lat", "model"]
    assert [r[0] for r in lines[1:4]] == ["a", "b", "c"]
    assert lines[-1][0] == "all" and lines[-1][1] == "3" and float(lines[-1][2]) == 20000.0
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows)))
    assert wb.sheetnames == ["schedule", "totals"]
    assert wb["schedule"].max_row == 4
    last = list(wb["totals"].iter_rows(values_only=True))[-1]
    assert last[0] == "all" and last[1] == 3 and last[2] == 20000.0
