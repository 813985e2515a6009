"""Every real city runs end to end: on the 12 extracts of ../shared/data/osm/cities/ and on Monaco, Andorra
and Campo Grande, each with the cameras mapped in the extract itself, `coverage`, then
`plan --budget 100000`, then `report --no-pdf` all succeed (README: "The city corpus").

The plan's solver gets a 2-second limit (the plan is still valid, its gap is reported) so that the 15 towns
stay within a few minutes of CI; `bench/city_corpus.py` prints the README table with the default limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xueliang.cli import cli

from ..conftest import shared_file

CITY_FILES = [f"cities/{n}_valhalla.osm.pbf" for n in (
    "amsterdam", "baltimore", "bayfront_singapore", "harrisburg", "liechtenstein-latest", "london",
    "melborne", "moscow", "nyc", "rome", "stockholm", "sydney",
)] + ["monaco_osrm_2016.osm.pbf", "andorra_valhalla_2020.osm.pbf", "campo_grande_graphhopper_2013.osm.gz"]  # fmt: skip
# man_made=surveillance camera nodes mapped in each extract (counted with ogr2ogr on the points layer);
# Moscow's one node is mapped camera:direction=NW;SE: two views
MAPPED = {"london_valhalla": (22, 22), "moscow_valhalla": (1, 2), "andorra_valhalla_2020": (1, 1)}
PLAN_LIMIT = "time_limit_s = 2\n"


def city(rel: str) -> str:
    return Path(rel).name.split(".")[0]


def invoke(args: list[str]) -> str:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, f"xueliang {' '.join(args)}\n{res.output}"
    assert "Traceback" not in res.output
    return res.output


@pytest.mark.corpus
@pytest.mark.parametrize("rel", CITY_FILES, ids=[city(r) for r in CITY_FILES])
def test_city_runs_coverage_plan_and_report(rel: str, tmp_path: Path) -> None:
    osm = str(shared_file(f"osm/{rel}"))
    cov, plan, rep = tmp_path / "coverage", tmp_path / "plan", tmp_path / "report"
    invoke(["coverage", "--osm", osm, "--cameras", osm, "--out", str(cov), "--no-map"])
    summary = json.loads((cov / "summary.json").read_text(encoding="utf-8"))
    nodes, views = MAPPED.get(city(rel), (0, 0))
    imp = summary["camera_import"]
    assert (imp["records"], imp["cameras"], imp["records_left_out"]) == (nodes, views, 0)
    assert summary["cameras"]["total"] == views
    assert sum(c["total"] for c in summary["classes"].values()) > 0
    for name, c in summary["classes"].items():
        assert 0 <= c["covered"] <= c["total"], name
        if c["total"] == 0:  # an empty class says why
            assert any(name.split("_")[0].rstrip("s") in n.replace("-", "_") for n in summary["notes"]), name

    targets = tmp_path / "targets.toml"
    targets.write_text(PLAN_LIMIT, encoding="utf-8")
    invoke(
        ["plan", "--osm", osm, "--cameras", osm, "--budget", "100000", "--targets", str(targets), "--out", str(plan)]
    )
    p = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    assert p["total_cost"] <= 100000
    for name, after in p["coverage_after"].items():
        before = p["coverage_before"][name]
        if "covered" in after:
            assert before["covered"] <= after["covered"] <= after["total"], name

    invoke(["report", "--coverage", str(cov), "--plan", str(plan), "--no-pdf", "--out", str(rep)])
    html = (rep / "report.html").read_text(encoding="utf-8")
    assert "Traceback" not in html and "intersections" in html
