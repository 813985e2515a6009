"""Planning on the sample town: candidates -> matrix -> solver -> files."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geo.cameras import read_cameras
from geo.catalogue import DEFAULT_CATALOGUE, load_catalogue
from geo.config import CoverageConfig
from geo.planning import PlanTargets, build_instance, covered_rows, solve_plan
from geo.town import load_town
from xueliang.cli import cli
from xueliang.errors import InputError, SchemaError

ROOT = Path(__file__).resolve().parents[2]
TOWN = ROOT / "sample_media/town.osm"
CAMS = ROOT / "sample_media/cameras.csv"


@pytest.fixture(scope="module")
def instance():  # type: ignore[no-untyped-def]
    cfg = CoverageConfig()
    town = load_town(TOWN, cfg)
    return build_instance(town, read_cameras(CAMS), cfg, PlanTargets(time_limit_s=20), DEFAULT_CATALOGUE)


def test_existing_cameras_are_fixed_columns(instance) -> None:  # type: ignore[no-untyped-def]
    p = instance.problem
    assert p.fixed.sum() == 19 == instance.n_existing
    assert not p.fixed[: len(instance.candidates)].any()
    # every intersection has one demand row per approach leg, all in one composite
    inter = instance.demand.cls == "intersections"
    assert (instance.demand.all_of[inter] >= 0).all()
    assert len(set(instance.demand.target_id[inter])) == 38


@pytest.mark.parametrize("budget", [5000.0, 23000.0, 61000.0])
def test_budget_never_exceeded_and_fixed_kept(instance, budget: float) -> None:  # type: ignore[no-untyped-def]
    plan = solve_plan(instance, PlanTargets(time_limit_s=20), budget=budget)
    r = plan.results[0]
    assert r.cost <= budget + 1e-9
    assert float(instance.problem.cost[r.added].sum()) == pytest.approx(r.cost)
    fixed = np.flatnonzero(instance.problem.fixed)
    assert set(fixed) <= set(r.selected.tolist())
    # a bigger budget never covers less (each solve is optimal or bounded)
    assert r.bound >= r.objective - 1e-9
    # the plan covers at least what the fixed cameras cover (composites count only when complete)
    d = instance.demand
    cov = covered_rows(instance, fixed)
    complete = {c for c in set(d.all_of[d.all_of >= 0]) if cov[d.all_of == c].all()}
    counted = np.where(d.all_of >= 0, np.isin(d.all_of, list(complete)), cov)
    assert r.covered_weight >= d.weight[counted].sum() - 1e-9


def test_phases_build_on_each_other(instance) -> None:  # type: ignore[no-untyped-def]
    plan = solve_plan(instance, PlanTargets(time_limit_s=20), phases=[20000, 20000])
    first, second = plan.results
    assert set(first.added.tolist()) <= set(second.selected.tolist())
    assert second.covered_weight >= first.covered_weight
    assert first.cost <= 20000 and second.cost <= 20000


def test_impossible_requirement_names_the_targets() -> None:
    from geo.catalogue import CameraModel, Catalogue

    # a camera too coarse to reach recognition level anywhere: no key site can ever be covered
    coarse = Catalogue(models=[CameraModel(name="vga", fov_deg=120, resolution_px=64, height_m=6, cost=100)])
    spec = PlanTargets(require={"key_sites": 1.0}, time_limit_s=5)
    cfg = CoverageConfig()
    inst = build_instance(load_town(TOWN, cfg), [], cfg, spec, coarse)
    with pytest.raises(
        InputError,
        match=r"key_sites: 100% must be covered but no set .* more than 0.0%; "
        r"never coverable: site-1, site-2, site-3, site-4, site-5",
    ):
        solve_plan(inst, spec)


def test_catalogue_rejects_negative_cost(tmp_path: Path) -> None:
    p = tmp_path / "cat.csv"
    p.write_text("name,kind,fov_deg,resolution_px,height_m,cost\nA,bullet,60,1920,6,-5\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"cat.csv: line 2: cost: Input should be greater than 0"):
        load_catalogue(p)


def test_cli_plan_writes_files_and_rejects_tiny_budget(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["plan", "--osm", str(TOWN), "--budget", "100", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert "budget 100 is below the cheapest camera (5000)" in r.output
    out = tmp_path / "plan"
    r = runner.invoke(cli, ["plan", "--osm", str(TOWN), "--cameras", str(CAMS), "--budget", "30000", "--out", str(out)])
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert summary["total_cost"] <= 30000
    assert summary["existing_cameras"] == 19
    feats = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["features"]
    assert len(feats) == summary["cameras_added"] > 0
    assert sum(f["properties"]["cost"] for f in feats) == pytest.approx(summary["total_cost"])
    for name, after in summary["coverage_after"].items():
        before = summary["coverage_before"][name]
        if "covered" in after:
            assert after["covered"] >= before["covered"]
    assert (out / "curve.csv").read_text().startswith("cameras,candidate,cumulative_cost")
    assert (out / "plan.png").stat().st_size > 0


def test_plan_json_is_strict_json(tmp_path: Path) -> None:
    out = tmp_path / "p"
    r = CliRunner().invoke(cli, ["plan", "--osm", str(TOWN), "--budget", "20000", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = (out / "plan.json").read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert "every approach leg" in json.loads(text)["intersection_rule"]


def test_lone_case_spot_gets_candidate_sites_and_can_be_covered(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A weighted point far from every target (a blind spot from the case ledger) gets candidate
    sites of its own; the one-camera plan covers it. The instance is kept small for the solver: every other
    class weighs 0, so the plan is decided by the spot alone (with the default weights HiGHS spent ~55 s
    proving the same choice optimal among the town's hundreds of weighted targets)."""
    import geopandas as gpd
    import shapely

    town = instance.town
    d = instance.demand
    x0, y0, x1, y1 = town.buildings.total_bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    far = np.min(np.hypot(pts[:, None, 0] - d.x[None, :], pts[:, None, 1] - d.y[None, :]), axis=1) > 80
    built = shapely.union_all(town.buildings.geometry.to_numpy())
    outside = ~shapely.contains_xy(built.buffer(3), pts[:, 0], pts[:, 1])
    spot = pts[far & outside][0]
    ll = gpd.GeoSeries(shapely.points([spot]), crs=town.crs).to_crs(4326).iloc[0]
    weights = tmp_path / "w.csv"
    weights.write_text(f"lon,lat,weight\n{ll.x:.7f},{ll.y:.7f},1000\n")
    cfg = CoverageConfig()
    others = ("intersections", "main_road_nodes", "crowded_areas", "key_sites", "boundary_crossings")
    spec = PlanTargets(time_limit_s=20, weights={"case_spots": 1.0} | dict.fromkeys(others, 0.0))
    inst = build_instance(town, read_cameras(CAMS), cfg, spec, DEFAULT_CATALOGUE, weights_file=weights)
    lone = np.flatnonzero(inst.demand.cls == "case_spots")
    assert len(lone) == 1
    assert (inst.candidates.source == "case_spots").sum() > 0
    assert inst.problem.coverage.tocsr()[lone[0]].nnz > 0  # coverable, which it was not before
    one_camera = max(m.cost for m in DEFAULT_CATALOGUE.models)  # any one model (the widest lens sees too short)
    plan = solve_plan(inst, spec, budget=one_camera)
    assert len(plan.results[0].selected) == inst.n_existing + 1  # the 19 fixed cameras and one added
    assert covered_rows(inst, plan.results[0].selected)[lone[0]]
