"""Benchmark: xueliang placement (sparse matrix + greedy + HiGHS) against PySAL spopt (dense + PuLP/CBC).

Both sides solve the same random-geometry instances end to end, as their users would: spopt from
GeoDataFrames (it builds a dense distance matrix and a PuLP model), xueliang from coordinates (a
cKDTree builds the sparse coverage matrix). Times are wall-clock in this run; the ratio is
spopt / xueliang. Then a county-scale instance that spopt cannot build, run in a child process so
its peak RSS is its own.

    python bench/placement_vs_spopt.py            # full run (spopt part takes tens of minutes)
    python bench/placement_vs_spopt.py --quick    # small run, about a minute
    python bench/placement_vs_spopt.py --only county
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.placement import CoverageProblem, PlacementResult, solve_max_coverage, solve_set_cover


@dataclass(frozen=True)
class Instance:
    name: str
    demand: np.ndarray  # (n, 2) metres
    candidates: np.ndarray  # (m, 2) metres
    weight: np.ndarray
    radius: float


def make_instance(name: str, n_cand: int, n_dem: int, side: float, radius: float, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    return Instance(
        name=name,
        demand=rng.uniform(0, side, size=(n_dem, 2)),
        candidates=rng.uniform(0, side, size=(n_cand, 2)),
        weight=rng.integers(1, 11, size=n_dem).astype(np.float64),
        radius=radius,
    )


def coverage_matrix(demand: np.ndarray, candidates: np.ndarray, radius: float) -> sp.csc_array:
    """Targets x candidates, true where the distance is <= radius (one query per candidate)."""
    tree = cKDTree(demand)
    hits = tree.query_ball_point(candidates, radius, workers=2, return_sorted=True)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.asarray(h, dtype=np.int32) for h in hits]) if indptr[-1] else np.zeros(0, np.int32)
    data = np.ones(indices.size, dtype=bool)
    return sp.csc_array((data, indices, indptr), shape=(len(demand), len(candidates)))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def describe(r: PlacementResult) -> str:
    return (
        f"objective {r.objective:,.1f}  bound {r.bound:,.1f} ({r.bound_source})  gap {100 * r.gap:.3f}%  "
        f"status {r.status}  cameras {r.added.size}"
    )


def run_ours(inst: Instance, kind: str, p: int, time_limit: float) -> tuple[PlacementResult, float, float]:
    t0 = time.perf_counter()
    A = coverage_matrix(inst.demand, inst.candidates, inst.radius)
    t_build = time.perf_counter() - t0
    m = A.shape[1]
    if kind == "mclp":
        prob = CoverageProblem.from_arrays(A, np.ones(m), weight=inst.weight)
        res = solve_max_coverage(prob, float(p), time_limit=time_limit)
    else:
        prob = CoverageProblem.from_arrays(A, np.ones(m))
        res = solve_set_cover(prob, time_limit=time_limit)
    return res, time.perf_counter() - t0, t_build


def run_spopt(inst: Instance, kind: str, p: int, time_limit: float) -> tuple[np.ndarray, float, float]:
    import geopandas as gpd
    import pulp
    from spopt.locate import LSCP, MCLP

    t0 = time.perf_counter()
    dem = gpd.GeoDataFrame(
        {"w": inst.weight},
        geometry=gpd.points_from_xy(inst.demand[:, 0], inst.demand[:, 1]),
        crs="EPSG:32650",
    )
    fac = gpd.GeoDataFrame(geometry=gpd.points_from_xy(inst.candidates[:, 0], inst.candidates[:, 1]), crs="EPSG:32650")
    if kind == "mclp":
        model = MCLP.from_geodataframe(
            dem, fac, "geometry", "geometry", "w", service_radius=inst.radius, p_facilities=p
        )
    else:
        model = LSCP.from_geodataframe(dem, fac, "geometry", "geometry", service_radius=inst.radius)
    t_build = time.perf_counter() - t0
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
    chosen = np.array([j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5], dtype=np.int64)
    return chosen, time.perf_counter() - t0, t_build


def compare(args: argparse.Namespace) -> None:
    n_cand, n_dem, side = (500, 2_500, 5_000.0) if args.quick else (2_000, 10_000, 10_000.0)
    p = n_cand // 10
    try:
        import spopt  # noqa: F401

        have_spopt = True
    except ImportError:
        have_spopt = False
        print("spopt is not installed (pip install spopt): printing xueliang's side only")
    print(f"== comparison: {n_cand:,} candidates x {n_dem:,} demand points in {side / 1000:g} km square, p = {p}")
    for radius in (250.0, 500.0):
        inst = make_instance(f"r{radius:g}", n_cand, n_dem, side, radius, seed=args.seed)
        A = coverage_matrix(inst.demand, inst.candidates, radius)
        coverable = np.diff(A.tocsr().indptr) > 0
        print(
            f"-- radius {radius:g} m: {A.nnz:,} coverage pairs, {A.nnz / n_dem:.1f} candidates per point, "
            f"{int((~coverable).sum())} points no candidate sees (dropped for LSCP)"
        )
        for kind in ("mclp", "lscp"):
            case = (
                inst
                if kind == "mclp"
                else Instance(inst.name, inst.demand[coverable], inst.candidates, inst.weight[coverable], radius)
            )
            ours, t_ours, t_build = run_ours(case, kind, p, args.time_limit)
            print(f"   {kind.upper():5s} xueliang: {t_ours:8.2f} s (matrix {t_build:.2f} s)  {describe(ours)}")
            if not have_spopt:
                continue
            chosen, t_sp, t_sp_build = run_spopt(case, kind, p, args.spopt_time_limit)
            Acase = coverage_matrix(case.demand, case.candidates, radius)
            sel = np.zeros(n_cand, dtype=bool)
            sel[chosen] = True
            seen = np.asarray(Acase.astype(np.float64) @ sel.astype(np.float64)) > 0
            sp_obj = float(case.weight[seen].sum()) if kind == "mclp" else float(chosen.size)
            print(
                f"   {kind.upper():5s} spopt:    {t_sp:8.2f} s (model build {t_sp_build:.2f} s)  objective "
                f"{sp_obj:,.1f}  cameras {chosen.size}"
            )
            better = "higher is better" if kind == "mclp" else "lower is better"
            print(
                f"   {kind.upper():5s} ratio spopt/xueliang time: {t_sp / t_ours:.1f}x   objectives "
                f"xueliang {ours.objective:,.1f} vs spopt {sp_obj:,.1f} ({better})"
            )
            sys.stdout.flush()


def county(args: argparse.Namespace) -> None:
    n_cand, n_dem, side = (5_000, 50_000, 12_650.0) if args.quick else (50_000, 500_000, 40_000.0)
    n_fixed = n_cand * 1729 // 50_000
    rng = np.random.default_rng(args.seed + 1)
    inst = make_instance("county", n_cand, n_dem, side, 250.0, seed=args.seed + 2)
    print(
        f"== county: {n_cand:,} candidates ({n_fixed:,} existing cameras fixed) x {n_dem:,} demand points, "
        f"{side / 1000:g} km square, radius 250 m"
    )
    dense_gb = n_cand * n_dem * 8 / 1e9
    print(f"   spopt would need a dense {n_dem:,} x {n_cand:,} float64 distance matrix: {dense_gb:,.0f} GB; not run")
    t0 = time.perf_counter()
    A = coverage_matrix(inst.demand, inst.candidates, 250.0)
    t_build = time.perf_counter() - t0
    cost = rng.choice([1.0, 1.6, 2.5], size=n_cand)  # three camera models
    fixed = np.zeros(n_cand, dtype=bool)
    fixed[rng.choice(n_cand, n_fixed, replace=False)] = True
    print(f"   sparse matrix: {A.nnz:,} pairs in {t_build:.1f} s, {A.data.nbytes + A.indices.nbytes >> 20} MB")
    budget = 0.1 * float(cost.sum())
    prob = CoverageProblem.from_arrays(A, cost, weight=inst.weight, fixed=fixed)
    t0 = time.perf_counter()
    res = solve_max_coverage(prob, budget, time_limit=args.county_time_limit)
    t_m = time.perf_counter() - t0
    print(f"   MCLP budget {budget:,.0f}: {t_m:.1f} s  {describe(res)}  covered {100 * res.covered_fraction:.2f}%")
    for s in res.stages:
        print(f"      {s.stage:10s} {s.seconds:7.1f} s  objective {s.objective:,.1f}  bound {s.bound:,.1f}  {s.detail}")
    coverable = np.diff(A.tocsr().indptr) > 0
    prob = CoverageProblem.from_arrays(A, cost, weight=inst.weight, fixed=fixed, required=coverable)
    t0 = time.perf_counter()
    res = solve_set_cover(prob, time_limit=args.county_time_limit)
    t_s = time.perf_counter() - t0
    print(f"   LSCP ({int(coverable.sum()):,} coverable points): {t_s:.1f} s  {describe(res)}  cost {res.cost:,.1f}")
    for s in res.stages:
        print(f"      {s.stage:10s} {s.seconds:7.1f} s  objective {s.objective:,.1f}  bound {s.bound:,.1f}  {s.detail}")
    print(f"   total {t_build + t_m + t_s:.1f} s, peak RSS {rss_mb():,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small instances (about a minute)")
    ap.add_argument("--only", choices=["compare", "county"], help="run one part only")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--time-limit", type=float, default=120.0, help="xueliang time limit per solve (s)")
    ap.add_argument("--spopt-time-limit", type=float, default=300.0, help="CBC time limit per solve (s)")
    ap.add_argument("--county-time-limit", type=float, default=150.0, help="per county solve (s)")
    args = ap.parse_args()
    if args.only in (None, "compare"):
        compare(args)
    if args.only == "county":
        county(args)
    elif args.only is None:
        sys.stdout.flush()
        cmd = [sys.executable, __file__, "--only", "county", "--seed", str(args.seed)]
        cmd += ["--county-time-limit", str(args.county_time_limit)] + (["--quick"] if args.quick else [])
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
