"""The command line: one line per error, exit code 2, no traceback; the demo runs end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xueliang.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


WEIGHTS = ROOT.parent / "shared/models/yolo11n_int8.tflite"


def test_demo_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All three users' answers on the sample town (the footage part needs detector weights: ../shared/models)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XUELIANG_MODEL", raising=False)
    code, out = run("demo")
    assert code == 0, out
    summary = json.loads((tmp_path / "xueliang-out/coverage/summary.json").read_text(encoding="utf-8"))
    assert (tmp_path / "xueliang.db").exists()
    cls = summary["classes"]
    assert set(cls) == {"intersections", "main_road_nodes", "crowded_areas", "key_sites", "boundary_crossings"}
    # the sample town: a 7 x 6 street grid with two exits and a driveway -> 38 intersections (3+ streets)
    assert cls["intersections"]["total"] == 38
    assert 0 < cls["intersections"]["covered"] < 38
    assert summary["cameras"]["unknown_direction"] == 3
    assert summary["villages"]["units"] == 2
    for name in ("gaps.geojson", "coverage.gpkg", "villages.csv", "coverage.png"):
        assert (tmp_path / "xueliang-out/coverage" / name).stat().st_size > 0
    gaps = json.loads((tmp_path / "xueliang-out/coverage/gaps.geojson").read_text(encoding="utf-8"))
    n_gaps = sum(c["total"] - c["covered"] for c in cls.values())
    assert len(gaps["features"]) == n_gaps
    # the reviewers' report carries the ledger just imported, with its time-to-solve and ratio charts
    html = (tmp_path / "xueliang-out/report/report.html").read_text(encoding="utf-8")
    assert 'src="ledger_km.png"' in html and 'src="ledger_forest.png"' in html and "No ledger" not in html
    # the investigators' answers: the planted masked-plate case of sample_media/make_passes.py
    inv = out[out.index("5. Investigators") : out.index("6. Report")]
    assert "602 read, 602 added" in inv
    assert "3 sightings" in inv.split("Multi-scene")[0]  # the masked white SUV at the three scenes
    assert "#1 湘A7K2Q9: 3/3 scenes" in inv and "1 candidate vehicles" in inv
    path = json.loads((tmp_path / "xueliang-out/investigate/trajectory.geojson").read_text(encoding="utf-8"))
    cams = [f["properties"]["camera_id"] for f in path["features"] if f["geometry"]["type"] == "Point"]
    assert cams == ["CAM003", "CAM013", "CAM010", "CAM019"]
    if WEIGHTS.is_file():  # the checkpoint clip: one plated car and six unplated ones pass CAM001
        assert "1 indexed, 0 skipped, 0 failed" in inv
        n = int(inv.split(" sightings;")[0].rsplit(" ", 1)[1])
        assert 5 <= n <= 12, inv
    else:
        assert "footage skipped" in inv
    # running again changes nothing in the registry, and adds no sighting
    code, out = run("demo")
    assert "0 added, 19 updated" in out
    assert "602 read, 0 added, 602 already stored" in out


def test_unknown_direction_as_omni_covers_more(tmp_path: Path) -> None:
    town, cams = ROOT / "sample_media/town.osm", ROOT / "sample_media/cameras.csv"
    a = tmp_path / "a"
    b = tmp_path / "b"
    assert run("coverage", "--osm", str(town), "--cameras", str(cams), "--out", str(a), "--no-map")[0] == 0
    assert (
        run(
            "coverage",
            "--osm",
            str(town),
            "--cameras",
            str(cams),
            "--out",
            str(b),
            "--no-map",
            "--unknown-direction",
            "omni",
            "--level",
            "detection",
        )[0]
        == 0
    )
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert sb["classes"]["intersections"]["covered"] > sa["classes"]["intersections"]["covered"]
    assert sb["px_per_m"] == 25


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["coverage", "--osm", "nope.osm.pbf", "--out", "o"], "error: nope.osm.pbf: no such file"),
        (["cameras", "import", "nope.csv"], "error: nope.csv: no such file"),
    ],
)
def test_errors_are_one_line_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run(*args)
    assert code == 2
    assert out.strip() == message


def test_config_rejects_unknown_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('level = "recognition"\n[intersections]\ntolerence_m = 5\n', encoding="utf-8")
    code, out = run(
        "coverage",
        "--osm",
        str(ROOT / "sample_media/town.osm"),
        "--cameras",
        str(ROOT / "sample_media/cameras.csv"),
        "--config",
        str(cfg),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2
    assert "c.toml: intersections.tolerence_m: unknown key" in out


def test_python_m_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "cams.csv"
    bad.write_text("id,lon,lat,heading\nA,113,28,400\n", encoding="utf-8")
    p = subprocess.run(
        [sys.executable, "-m", "xueliang", "cameras", "import", str(bad), "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 2
    assert p.stderr.strip() == f"error: {bad}: line 2: 'heading': must be 0-360 degrees, got 400"
    assert "Traceback" not in p.stderr
