"""Placement planning on a real town: targets and candidates -> sparse coverage matrix -> solver.

This is the adapter between geometry (``geo.targets``, ``geo.candidates``, ``geo.coverage``) and the
array-only optimiser in ``geo.placement``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pydantic import BaseModel, ConfigDict, Field

from geo import placement
from geo.analysis import build_views, cameras_frame
from geo.arrays import BoolArray, Columns, FloatArray, IntArray, ObjectArray
from geo.cameras import Camera, read_csv_frame
from geo.candidates import (
    Candidates,
    area_edge_sites,
    area_interior_sites,
    concat_sites,
    expand,
    grid_in,
    intersection_sites,
    ring_sites,
    road_pole_sites,
    user_sites,
)
from geo.catalogue import Catalogue
from geo.config import CoverageConfig
from geo.coverage import Occluders, point_coverage
from geo.targets import CLASSES, INTERSECTION_RULES, build_targets
from geo.town import Town
from geo.view import pixel_density
from xueliang.config import load_model
from xueliang.errors import InputError, SchemaError

Progress = Callable[[str], None]


class PlanTargets(BaseModel):
    """What the plan must achieve and what each target is worth (``--targets FILE``, TOML/JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # set cover (no budget): the fraction of each class's weight that must be covered
    require: dict[str, float] = {"intersections": 1.0, "key_sites": 1.0, "crowded_areas": 0.95}
    # weight of one target of each class (an intersection's weight is shared by its legs)
    weights: dict[str, float] = {
        "intersections": 2.0,
        "main_road_nodes": 1.0,
        "crowded_areas": 4.0,
        "key_sites": 3.0,
        "boundary_crossings": 2.0,
        "case_spots": 1.0,
    }
    all_legs: bool = True  # an intersection counts only when every approach leg is seen
    leg_distance_m: float = Field(10.0, gt=0)
    pole_spacing_m: float = Field(50.0, gt=0)
    ring_radius_m: float = Field(15.0, gt=0)
    crowded_grid_m: float = Field(10.0, gt=0)
    crowded_pole_spacing_m: float = Field(25.0, gt=0)
    weights_snap_m: float = Field(50.0, ge=0)
    time_limit_s: float = Field(60.0, gt=0)


@dataclass(frozen=True)
class Demand(Columns):
    """Demand rows: one per target point (intersection legs, grid cells of crowded areas, ...)."""

    cls: ObjectArray
    target_id: ObjectArray
    x: FloatArray
    y: FloatArray
    weight: FloatArray
    all_of: IntArray  # composite id (intersection legs), -1 alone


def _legs(inter: gpd.GeoDataFrame, d: float, all_legs: bool, w: float) -> pd.DataFrame:
    rows = []
    for k, (tid, geom, legs) in enumerate(zip(inter["target_id"], inter.geometry, inter["legs"], strict=True)):
        bearings = [float(v) for v in str(legs).split(";")] if legs and all_legs else []
        if not bearings:
            rows.append(("intersections", tid, geom.x, geom.y, w, -1))
            continue
        for b in bearings:
            r = np.radians(b)
            rows.append(("intersections", tid, geom.x + np.sin(r) * d, geom.y + np.cos(r) * d, w / len(bearings), k))
    return pd.DataFrame(rows, columns=["cls", "target_id", "x", "y", "weight", "all_of"])


def _grid(areas: gpd.GeoDataFrame, occ: Occluders | None, cell: float, w: float) -> pd.DataFrame:
    rows = []
    for tid, a in zip(areas["target_id"], areas.geometry, strict=True):
        space = a
        if occ is not None and len(occ):
            bi = occ.tree.query(a, predicate="intersects")
            if len(bi):
                space = shapely.difference(a, shapely.union_all(occ.geoms[bi]))
        xs, ys = grid_in(space, cell)
        if len(xs) == 0:
            p = shapely.point_on_surface(space if not space.is_empty else a)
            xs, ys = np.array([p.x]), np.array([p.y])
        for x, y in zip(xs, ys, strict=True):
            rows.append(("crowded_areas", tid, x, y, w / len(xs), -1))
    return pd.DataFrame(rows, columns=["cls", "target_id", "x", "y", "weight", "all_of"])


def read_weights(path: str | Path, town: Town) -> gpd.GeoDataFrame:
    """A demand-weights CSV (``lon,lat,weight`` and optional ``case_ids``), e.g. from ``ledger blindspots``."""
    p = Path(path)
    df = read_csv_frame(p, "lon, lat, weight")
    for col in ("lon", "lat", "weight"):
        if col not in df.columns:
            raise SchemaError(str(p), f"expected columns lon, lat, weight; got {', '.join(map(str, df.columns))}")
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() | (vals < 0 if col == "weight" else False)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(
                str(p),
                f"expected a number{' >= 0' if col == 'weight' else ''}, got {df[col].iloc[i]!r}",
                where=f"line {i + 2}",
                field=col,
            )
        df[col] = vals
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326).to_crs(town.crs)


def build_demand(
    town: Town,
    targets: dict[str, gpd.GeoDataFrame],
    spec: PlanTargets,
    occ: Occluders | None,
    weights: gpd.GeoDataFrame | None = None,
) -> Demand:
    parts = []
    w = spec.weights
    for name, t in targets.items():
        if name == "intersections":
            parts.append(_legs(t, spec.leg_distance_m, spec.all_legs, w.get(name, 1.0)))
        elif name == "crowded_areas":
            parts.append(_grid(t, occ, spec.crowded_grid_m, w.get(name, 1.0)))
        elif len(t):
            xy = shapely.get_coordinates(t.geometry.to_numpy())
            parts.append(
                pd.DataFrame(
                    {
                        "cls": name,
                        "target_id": t["target_id"].to_numpy(),
                        "x": xy[:, 0],
                        "y": xy[:, 1],
                        "weight": w.get(name, 1.0),
                        "all_of": -1,
                    }
                )
            )
    df = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["cls", "target_id", "x", "y", "weight", "all_of"])
    )
    if weights is not None and len(weights):
        wx = shapely.get_coordinates(weights.geometry.to_numpy())
        extra = []
        if len(df):
            from scipy.spatial import cKDTree

            dist, idx = cKDTree(df[["x", "y"]].to_numpy()).query(wx, distance_upper_bound=spec.weights_snap_m or 1e-9)
            hit = np.isfinite(dist)
            np.add.at(df["weight"].to_numpy(), idx[hit], weights["weight"].to_numpy()[hit] * w.get("case_spots", 1.0))
            miss = np.flatnonzero(~hit)
        else:
            miss = np.arange(len(weights))
        for k, i in enumerate(miss):
            extra.append(
                (
                    "case_spots",
                    f"case-{k + 1}",
                    wx[i, 0],
                    wx[i, 1],
                    float(weights["weight"].iloc[i]) * w.get("case_spots", 1.0),
                    -1,
                )
            )
        if extra:
            df = pd.concat([df, pd.DataFrame(extra, columns=df.columns)], ignore_index=True)
    return Demand(
        cls=df["cls"].to_numpy(dtype=object),
        target_id=df["target_id"].to_numpy(dtype=object),
        x=df["x"].to_numpy(dtype=float),
        y=df["y"].to_numpy(dtype=float),
        weight=df["weight"].to_numpy(dtype=float),
        all_of=df["all_of"].to_numpy(dtype=np.int64),
    )


def generate_candidates(
    town: Town,
    targets: dict[str, gpd.GeoDataFrame],
    cfg: CoverageConfig,
    spec: PlanTargets,
    catalogue: Catalogue,
    occ: Occluders | None,
    user_file: str | Path | None = None,
    spots: ObjectArray | None = None,
) -> Candidates:
    """Candidate sites for every target class, a ring around each of ``spots`` (weighted points that
    are not near any target, e.g. case blind spots: without sites of their own most of them could not
    be covered at all), and a user's own sites."""
    parts = []
    if "intersections" in targets:
        parts.append(intersection_sites(targets["intersections"]))
    parts.append(road_pole_sites(town.roads, cfg.main_road_nodes.highways, spacing_m=spec.pole_spacing_m))
    for name in ("key_sites", "boundary_crossings"):
        if name in targets and len(targets[name]):
            parts.append(ring_sites(targets[name].geometry.to_numpy(), name, radius_m=spec.ring_radius_m))
    if "crowded_areas" in targets and len(targets["crowded_areas"]):
        areas = targets["crowded_areas"].geometry.to_numpy()
        parts.append(area_edge_sites(areas, spacing_m=30.0))
        parts.append(area_interior_sites(areas, spacing_m=spec.crowded_pole_spacing_m))
    if spots is not None and len(spots):
        parts.append(ring_sites(spots, "case_spots", radius_m=spec.ring_radius_m, n=4))
    if user_file is not None:
        parts.append(user_sites(user_file, town))
    return expand(concat_sites(parts, occ), catalogue)


@dataclass(frozen=True)
class PlanInstance:
    town: Town
    demand: Demand
    candidates: Candidates
    existing: gpd.GeoDataFrame
    problem: placement.CoverageProblem
    n_existing: int
    build_seconds: float


def build_instance(
    town: Town,
    cameras: Sequence[Camera],
    cfg: CoverageConfig,
    spec: PlanTargets,
    catalogue: Catalogue,
    *,
    weights_file: str | Path | None = None,
    candidates_file: str | Path | None = None,
    progress: Progress | None = None,
) -> PlanInstance:
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    occ = Occluders.from_geoms(town.buildings.geometry.to_numpy()) if cfg.occlusion else None
    targets = build_targets(town, cfg)
    weights = read_weights(weights_file, town) if weights_file is not None else None
    demand = build_demand(town, targets, spec, occ, weights)
    lone = demand.cls == "case_spots"
    spots = shapely.points(demand.x[lone], demand.y[lone])
    cands = generate_candidates(town, targets, cfg, spec, catalogue, occ, candidates_file, spots)
    existing = cameras_frame(cameras, town.crs)
    say(f"{len(demand)} demand points, {len(cands)} candidate views, {len(existing)} existing cameras (fixed)")
    blocks = []
    for name in dict.fromkeys(demand.cls):
        rows = np.flatnonzero(demand.cls == name)
        level = cfg.class_level(name) if name in CLASSES else cfg.level
        density = pixel_density(level, cfg.scale)
        v_new = cands.views(catalogue, density)
        v_old = build_views(existing, cfg, density)
        m_new = point_coverage(v_new, demand.x[rows], demand.y[rows], occ, clearance=cfg.los_clearance_m)
        m_old = point_coverage(v_old, demand.x[rows], demand.y[rows], occ, clearance=cfg.los_clearance_m)
        blocks.append((rows, sp.hstack([m_new, m_old], format="csr")))
    order = np.concatenate([r for r, _ in blocks]) if blocks else np.zeros(0, dtype=np.int64)
    mat = sp.vstack([m for _, m in blocks], format="csr") if blocks else sp.csr_matrix((0, len(cands) + len(existing)))
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    mat = mat[inv]
    n_old = len(existing)
    cost = np.r_[cands.cost, np.ones(n_old)]
    group = np.r_[cands.group, -np.ones(n_old, dtype=np.int64)]
    problem = placement.CoverageProblem.from_arrays(
        mat,
        cost,
        weight=demand.weight,
        fixed=np.r_[np.zeros(len(cands), bool), np.ones(n_old, bool)],
        group=group,
        group_limit=1,
        all_of=demand.all_of,
        required=np.zeros(len(demand), dtype=bool),
    )
    secs = time.perf_counter() - t0
    say(f"coverage matrix {mat.shape[0]} x {mat.shape[1]}, {mat.nnz} entries, built in {secs:.1f} s")
    return PlanInstance(town, demand, cands, existing, problem, n_old, secs)


def _class_coverage(inst: PlanInstance, covered_rows: BoolArray) -> dict[str, dict[str, Any]]:
    """Per class: targets covered (an intersection needs all its legs) out of total."""
    d = inst.demand
    df = pd.DataFrame({"cls": d.cls, "tid": d.target_id, "cov": covered_rows, "w": d.weight})
    out: dict[str, dict[str, Any]] = {}
    for name, g in df.groupby("cls", sort=True):
        if name == "crowded_areas":
            wc = (g["w"] * g["cov"]).groupby(g["tid"]).sum()
            per = wc / g.groupby("tid")["w"].sum()
            out[str(name)] = {
                "total": len(per),
                "covered_fraction_mean": round(float(per.mean()), 4),
                "area_weighted": round(float((g["w"] * g["cov"]).sum() / g["w"].sum()), 4),
            }
        else:
            per = g.groupby("tid")["cov"].all()
            out[str(name)] = {
                "total": len(per),
                "covered": int(per.sum()),
                "ratio": round(float(per.mean()), 4) if len(per) else None,
            }
    return out


def covered_rows(inst: PlanInstance, selected: IntArray) -> BoolArray:
    a = inst.problem.coverage
    mask = np.zeros(a.shape[1], dtype=bool)
    mask[selected] = True
    return np.asarray((a @ mask.astype(np.int64)) > 0).ravel()


def _required(inst: PlanInstance, spec: PlanTargets) -> tuple[placement.CoverageProblem, list[placement.Quota]]:
    d = inst.demand
    must = np.zeros(len(d), dtype=bool)
    quotas = []
    for name, frac in spec.require.items():
        rows = d.cls == name
        if not rows.any():
            continue
        if frac >= 1.0:
            must |= rows
        elif frac > 0:
            quotas.append(placement.Quota(targets=np.asarray(rows), fraction=frac))
    import dataclasses

    return dataclasses.replace(inst.problem, required=must), quotas


@dataclass(frozen=True)
class Plan:
    instance: PlanInstance
    mode: Literal["budget", "cover", "phases"]
    results: tuple[placement.PlacementResult, ...]  # one per phase (one for budget/cover)
    budgets: tuple[float, ...]


def _check_reachable(inst: PlanInstance, spec: PlanTargets) -> None:
    """Fail before solving when a required fraction cannot be met even with every candidate bought."""
    d = inst.demand
    reach = np.asarray(inst.problem.coverage.sum(axis=1)).ravel() > 0
    df = pd.DataFrame({"cls": d.cls, "tid": d.target_id, "reach": reach, "w": d.weight})
    for name, frac in spec.require.items():
        g = df[df["cls"] == name]
        if g.empty or frac <= 0:
            continue
        if name == "intersections":
            ok = g.groupby("tid")["reach"].all()
            wt = g.groupby("tid")["w"].sum()
            best = float(wt[ok].sum() / wt.sum())
            bad = sorted(ok.index[~ok].astype(str))
        else:
            best = float(g.loc[g["reach"], "w"].sum() / g["w"].sum())
            bad = sorted(set(g.loc[~g["reach"], "tid"].astype(str)))
        if best + 1e-9 < frac:
            raise InputError(
                "targets",
                f"{name}: {frac:.0%} must be covered but no set of candidates can cover more than {best:.1%}; "
                f"never coverable: {', '.join(bad[:15])}{' ...' if len(bad) > 15 else ''}",
            )


def _nothing_to_place(inst: PlanInstance, budget: float | None, phases: Sequence[float] | None) -> Plan:
    """No target or no candidate site (an extract of a few streets): a plan that adds no camera."""
    n_rows, n_cols = inst.problem.coverage.shape
    covered = np.asarray(inst.problem.coverage.sum(axis=1)).ravel() > 0 if n_cols else np.zeros(n_rows, dtype=bool)
    weight = inst.problem.weight
    fixed = np.arange(len(inst.candidates), n_cols, dtype=np.intp)

    def empty(b: float | None) -> placement.PlacementResult:
        return placement.PlacementResult(
            kind="set_cover" if b is None else "max_coverage",
            selected=fixed,
            added=np.zeros(0, dtype=np.intp),
            objective=0.0 if b is None else float(weight[covered].sum()),
            bound=0.0 if b is None else float(weight[covered].sum()),
            gap=0.0,
            status="optimal",
            bound_source="nothing to place",
            seconds=0.0,
            cost=0.0,
            covered_weight=float(weight[covered].sum()),
            total_weight=float(weight.sum()),
            covered=covered,
            counted=covered,
            budget=b,
            stages=(),
        )

    if phases:
        return Plan(inst, "phases", tuple(empty(b) for b in phases), tuple(phases))
    if budget is not None:
        return Plan(inst, "budget", (empty(budget),), (budget,))
    return Plan(inst, "cover", (empty(None),), ())


def solve_plan(
    inst: PlanInstance, spec: PlanTargets, *, budget: float | None = None, phases: Sequence[float] | None = None
) -> Plan:
    if len(inst.demand) == 0 or len(inst.candidates) == 0:
        return _nothing_to_place(inst, budget, phases)
    if phases:
        pp = placement.plan_phases(inst.problem, phases, time_limit_per_phase=spec.time_limit_s)
        return Plan(inst, "phases", pp.phases, pp.budgets)
    if budget is not None:
        r = placement.solve_max_coverage(inst.problem, budget, time_limit=spec.time_limit_s)
        return Plan(inst, "budget", (r,), (budget,))
    problem, quotas = _required(inst, spec)
    _check_reachable(inst, spec)
    try:
        r = placement.solve_set_cover(problem, quotas=quotas, time_limit=spec.time_limit_s)
    except placement.UncoverableTargetsError as exc:
        ids = sorted({f"{inst.demand.cls[i]}:{inst.demand.target_id[i]}" for i in exc.targets})
        raise InputError(
            "targets",
            f"{len(ids)} required targets can never be covered by any candidate: "
            + ", ".join(ids[:20])
            + (" ..." if len(ids) > 20 else ""),
        ) from None
    return Plan(inst, "cover", (r,), ())


def write_plan(plan: Plan, catalogue: Catalogue, out_dir: str | Path, *, inputs: dict[str, str]) -> dict[str, Any]:
    import json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inst = plan.instance
    c = inst.candidates
    n_new = len(c)
    fixed_idx = np.arange(n_new, n_new + inst.n_existing)
    before = covered_rows(inst, fixed_idx)
    rows = []
    chosen_so_far = fixed_idx
    for k, r in enumerate(plan.results):
        prev = covered_rows(inst, chosen_so_far)
        for j in r.added:
            j = int(j)
            if j >= n_new:
                continue
            col = inst.problem.coverage[:, [j]].toarray().ravel()
            newly = sorted({str(t) for t in inst.demand.target_id[col & ~prev]})
            m = catalogue.models[int(c.model[j])]
            rows.append(
                {
                    "candidate": j,
                    "site": int(c.site[j]),
                    "source": c.source[j],
                    "heading_deg": None if np.isnan(c.heading[j]) else round(float(c.heading[j]), 1),
                    "model": m.name,
                    "cost": m.cost,
                    "phase": k + 1,
                    "targets_newly_covered": ";".join(newly),
                    "x": c.x[j],
                    "y": c.y[j],
                }
            )
        chosen_so_far = np.union1d(chosen_so_far, r.added)
    after = covered_rows(inst, chosen_so_far)
    df = pd.DataFrame(
        rows,
        columns=[
            "candidate",
            "site",
            "source",
            "heading_deg",
            "model",
            "cost",
            "phase",
            "targets_newly_covered",
            "x",
            "y",
        ],
    )
    gdf = gpd.GeoDataFrame(
        df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]), crs=inst.town.crs
    ).to_crs(4326)
    gdf.to_file(out / "plan.geojson", driver="GeoJSON")
    last = plan.results[-1]
    curve = placement.coverage_curve(inst.problem, budget=sum(plan.budgets) if plan.budgets else None)
    curve.write_csv(out / "curve.csv")
    from geo.plot import draw_curve, draw_plan

    draw_plan(
        inst.town,
        inst.existing,
        gdf,
        out / "plan.png",
        title=f"Plan ({plan.mode}): {len(gdf)} new cameras, cost {float(gdf['cost'].sum()) if len(gdf) else 0:,.0f}",
    )
    draw_curve(curve.cumulative_cost, curve.covered_fraction, out / "curve.png")
    summary: dict[str, Any] = {
        "mode": plan.mode,
        "budgets": list(plan.budgets),
        "phases": [
            {
                "phase": k + 1,
                "objective": r.objective,
                "bound": r.bound,
                "gap": r.gap,
                "status": r.status,
                "bound_source": r.bound_source,
                "seconds": round(r.seconds, 3),
                "cameras_added": len(r.added),
                "cost": r.cost,
                "covered_weight": r.covered_weight,
                "total_weight": r.total_weight,
                "stages": [
                    {
                        "stage": s.stage,
                        "seconds": round(s.seconds, 3),
                        "objective": s.objective,
                        "bound": s.bound,
                        "detail": s.detail,
                    }
                    for s in r.stages
                ],
            }
            for k, r in enumerate(plan.results)
        ],
        "objective": last.objective,
        "bound": last.bound,
        "gap": last.gap,
        "status": last.status,
        "total_cost": float(sum(r.cost for r in plan.results)),
        "cameras_added": int(sum(len(r.added) for r in plan.results)),
        "existing_cameras": inst.n_existing,
        "candidates": n_new,
        "demand_points": len(inst.demand),
        "matrix_nnz": int(inst.problem.coverage.nnz),
        "build_seconds": round(inst.build_seconds, 2),
        "intersection_rule": "covered only when every approach leg is seen"
        if inst.problem.all_of is not None and (inst.problem.all_of >= 0).any()
        else "centre point",
        "intersection_rule_name": "every_approach_seen"
        if inst.problem.all_of is not None and (inst.problem.all_of >= 0).any()
        else "centre_seen",
        "intersection_rules": INTERSECTION_RULES,
        "curve": "greedy order (cost-effectiveness); each point is a feasible plan, the solver's plan may differ",
        "coverage_before": _class_coverage(inst, before),
        "coverage_after": _class_coverage(inst, after),
        "catalogue": [m.model_dump() for m in catalogue.models],
        "projected_crs": inst.town.crs.to_string(),
        "inputs_sha256": inputs,
    }
    (out / "plan.json").write_text(
        json.dumps(_finite(summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return summary


def _finite(value: Any) -> Any:
    """Strict JSON: NaN and infinities (a stage without a bound) become null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def load_plan_targets(path: str | Path | None) -> PlanTargets:
    return PlanTargets() if path is None else load_model(path, PlanTargets)
