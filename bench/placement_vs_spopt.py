"""Benchmark: xueliang placement against spopt, a sparse PuLP/CBC model and plain HiGHS, same run.

Every side solves the same random-geometry instances end to end, with the same thread count
(``--threads``, default 1) and the same time limit (``--time-limit``, default 120 s):

* xueliang: a cKDTree builds the sparse coverage matrix; greedy, polish, set-cover local search,
  Lagrangian bound and fixing, then an exact solver on the reduced model (``geo.placement``):
  SCIP (pyscipopt, one thread: it is sequential) for set covers with heavy overlap, handed our
  plan as its first solution; HiGHS for everything else; for MCLP on large models HiGHS first
  (100k+ reduced nonzeros) or only (500k+, the county) solves windows of 80 neighbouring
  candidates exactly, one after another;
* spopt as its users call it: ``MCLP/LSCP.from_geodataframe`` (a dense distance matrix and a
  PuLP model built from it), solved by PuLP's CBC;
* a sparse PuLP model written by hand from the same cKDTree matrix (x binary, y continuous in
  [0, 1]; one covering row per demand point), solved by PuLP's CBC;
* plain HiGHS (highspy) on the same sparse matrix: the same formulation passed as CSC arrays,
  default options, no warm start, none of our reductions or heuristics.

Each baseline's objective is recomputed from its chosen cameras; its status says whether its
solver proved optimality. Times are wall-clock in this run; every ratio is baseline / xueliang.
Each side's CPU time (this process and its solver subprocesses, e.g. CBC) is printed beside its
wall time, with the load average, since the machine may be shared: the wall-clock ratio is the
headline, the CPU ratio says how much of it the other jobs on the machine could have distorted.
Then county-scale instances (250 m and 500 m radius) that spopt cannot build, each in a child
process so its peak RSS is its own.

    python bench/placement_vs_spopt.py                 # full run (an hour or more on 2 shared cores)
    python bench/placement_vs_spopt.py --quick         # small instances only, a few minutes
    python bench/placement_vs_spopt.py --only compare --sizes large --kinds mclp
    python bench/placement_vs_spopt.py --only compare --kinds lscp --radii 500 --baselines cbc,highs
    python bench/placement_vs_spopt.py --only county --county-radius 500
    python bench/placement_vs_spopt.py --only county --county-kinds mclp --seed 11   # held-back county
"""

from __future__ import annotations

import argparse
import os
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


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (CBC runs as one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def describe(r: PlacementResult) -> str:
    return (
        f"objective {r.objective:,.1f}  bound {r.bound:,.1f} ({r.bound_source})  gap {100 * r.gap:.3f}%  "
        f"status {r.status}  cameras {r.added.size}"
    )


def print_stages(r: PlacementResult) -> None:
    """One line per solver stage (greedy, polish, MILP...): its seconds, objective, bound and detail."""
    for s in r.stages:
        print(f"      {s.stage:12s} {s.seconds:7.1f} s  objective {s.objective:,.1f}  bound {s.bound:,.1f}  {s.detail}")


@dataclass(frozen=True)
class Baseline:
    """One baseline's answer, re-evaluated on the coverage matrix."""

    name: str
    chosen: np.ndarray  # candidate indices
    seconds: float
    build_seconds: float
    status: str
    bound: float = float("nan")


def run_ours(
    inst: Instance, kind: str, p: int, time_limit: float, threads: int
) -> tuple[PlacementResult, float, float]:
    # the solver libraries load before the timer, as every baseline's do (spopt, PuLP, highspy);
    # geo.placement imports highspy only when its first MILP or LP runs
    import highspy  # noqa: F401

    t0 = time.perf_counter()
    A = coverage_matrix(inst.demand, inst.candidates, inst.radius)
    t_build = time.perf_counter() - t0
    m = A.shape[1]
    if kind == "mclp":
        prob = CoverageProblem.from_arrays(A, np.ones(m), weight=inst.weight)
        res = solve_max_coverage(prob, float(p), time_limit=time_limit, threads=threads)
    else:
        prob = CoverageProblem.from_arrays(A, np.ones(m))
        res = solve_set_cover(prob, time_limit=time_limit, threads=threads)
    return res, time.perf_counter() - t0, t_build


def run_spopt(inst: Instance, kind: str, p: int, time_limit: float, threads: int) -> Baseline:
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
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=threads))
    chosen = np.array([j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5], dtype=np.int64)
    status = "optimal" if model.problem.sol_status == pulp.LpSolutionOptimal else "not proven"
    return Baseline("spopt", chosen, time.perf_counter() - t0, t_build, status)


def run_cbc(inst: Instance, kind: str, p: int, time_limit: float, threads: int) -> Baseline:
    """The sparse PuLP model a competent user writes from the cKDTree matrix, solved by CBC."""
    import pulp

    t0 = time.perf_counter()
    A = sp.csr_array(coverage_matrix(inst.demand, inst.candidates, inst.radius))
    n, m = A.shape
    sense = pulp.LpMaximize if kind == "mclp" else pulp.LpMinimize
    prob = pulp.LpProblem(kind, sense)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(m)]
    if kind == "mclp":
        y = [pulp.LpVariable(f"y{i}", 0, 1) for i in range(n)]
        prob += pulp.lpSum(float(inst.weight[i]) * y[i] for i in range(n))
        for i in range(n):
            prob += pulp.lpSum(x[j] for j in A.indices[A.indptr[i] : A.indptr[i + 1]]) >= y[i]
        prob += pulp.lpSum(x) <= p
    else:
        prob += pulp.lpSum(x)
        for i in range(n):
            prob += pulp.lpSum(x[j] for j in A.indices[A.indptr[i] : A.indptr[i + 1]]) >= 1
    t_build = time.perf_counter() - t0
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=threads))
    chosen = np.array([j for j in range(m) if (x[j].value() or 0) > 0.5], dtype=np.int64)
    status = "optimal" if prob.sol_status == pulp.LpSolutionOptimal else "not proven"
    return Baseline("cbc", chosen, time.perf_counter() - t0, t_build, status)


def run_highs(inst: Instance, kind: str, p: int, time_limit: float, threads: int) -> Baseline:
    """Plain HiGHS on the same sparse matrix and formulation: no reductions, no warm start."""
    import highspy

    t0 = time.perf_counter()
    A = coverage_matrix(inst.demand, inst.candidates, inst.radius)
    n, m = A.shape
    if kind == "mclp":  # columns x (m, binary) then y (n, continuous); rows y_i - A_i x <= 0, sum x <= p
        link = sp.hstack([-sp.csr_array(A, dtype=np.float64), sp.eye_array(n, format="csr")], format="csr")
        mat = sp.vstack([link, sp.csr_array(np.r_[np.ones(m), np.zeros(n)][None, :])], format="csc")
        cost, n_col = np.r_[np.zeros(m), inst.weight], m + n
        lower, upper = np.full(n + 1, -np.inf), np.r_[np.zeros(n), [float(p)]]
        integer = np.r_[np.ones(m, dtype=bool), np.zeros(n, dtype=bool)]
    else:
        mat = sp.csc_array(A, dtype=np.float64)
        cost, n_col = np.ones(m), m
        lower, upper = np.ones(n), np.full(n, np.inf)
        integer = np.ones(m, dtype=bool)
    mat.sort_indices()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, mat.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(n_col), np.ones(n_col)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.sense_ = highspy.ObjSense.kMaximize if kind == "mclp" else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer]
    t_build = time.perf_counter() - t0
    h.passModel(lp)
    h.run()
    values = np.asarray(h.getSolution().col_value)
    chosen = np.flatnonzero(values[:m] > 0.5) if values.size else np.zeros(0, dtype=np.int64)
    status = "optimal" if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else "not proven"
    bound = float(h.getInfo().mip_dual_bound)
    return Baseline("highs", chosen, time.perf_counter() - t0, t_build, status, bound)


BASELINES = {"spopt": run_spopt, "cbc": run_cbc, "highs": run_highs}


def evaluate(inst: Instance, kind: str, chosen: np.ndarray) -> float:
    """Covered weight (MCLP; a plan over budget still counts as given) or camera count (LSCP)."""
    A = coverage_matrix(inst.demand, inst.candidates, inst.radius)
    sel = np.zeros(A.shape[1], dtype=bool)
    sel[chosen] = True
    seen = np.asarray(A.astype(np.float64) @ sel.astype(np.float64)) > 0
    if kind == "mclp":
        return float(inst.weight[seen].sum())
    return float(chosen.size) if seen.all() else float("nan")  # nan: not a cover


SIZES = {"small": (500, 2_500, 5_000.0), "large": (2_000, 10_000, 10_000.0)}


def compare(args: argparse.Namespace) -> None:
    baselines = [b for b in args.baselines.split(",") if b]
    for b in baselines:
        if b not in BASELINES:
            raise SystemExit(f"--baselines: unknown {b!r}, expected some of {sorted(BASELINES)}")
    if "spopt" in baselines:
        try:
            import spopt  # noqa: F401
        except ImportError:
            baselines.remove("spopt")
            print("spopt is not installed (pip install -e '.[test]'): skipping that baseline")
    print(f"threads {args.threads} and time limit {args.time_limit:g} s for every side")
    for size in args.sizes.split(","):
        n_cand, n_dem, side = SIZES[size]
        p = n_cand // 10
        print(f"== comparison: {n_cand:,} candidates x {n_dem:,} demand points in {side / 1000:g} km square, p = {p}")
        for radius in map(float, args.radii.split(",")):
            inst = make_instance(f"r{radius:g}", n_cand, n_dem, side, radius, seed=args.seed)
            A = coverage_matrix(inst.demand, inst.candidates, radius)
            coverable = np.diff(A.tocsr().indptr) > 0
            print(
                f"-- radius {radius:g} m: {A.nnz:,} coverage pairs, {A.nnz / n_dem:.1f} candidates per point, "
                f"{int((~coverable).sum())} points no candidate sees (dropped for LSCP)"
            )
            for kind in args.kinds.split(","):
                case = (
                    inst
                    if kind == "mclp"
                    else Instance(inst.name, inst.demand[coverable], inst.candidates, inst.weight[coverable], radius)
                )
                tag = f"   {kind.upper():5s}"
                c0 = cpu_seconds()
                ours, t_ours, t_build = run_ours(case, kind, p, args.time_limit, args.threads)
                c_ours = cpu_seconds() - c0
                print(
                    f"{tag} xueliang: {t_ours:8.2f} s (cpu {c_ours:.2f} s, matrix {t_build:.2f} s)  {describe(ours)}"
                    f"  [{load()}]"
                )
                if ours.status != "optimal":
                    print_stages(ours)  # where the time went, and which exact solver ran
                better = "higher is better" if kind == "mclp" else "lower is better"
                for b in baselines:
                    c0 = cpu_seconds()
                    res = BASELINES[b](case, kind, p, args.time_limit, args.threads)
                    cpu = cpu_seconds() - c0
                    obj = evaluate(case, kind, res.chosen)
                    bound = f"  bound {res.bound:,.1f}" if res.bound == res.bound else ""
                    print(
                        f"{tag} {b + ':':9s} {res.seconds:8.2f} s (cpu {cpu:.2f} s, "
                        f"model build {res.build_seconds:.2f} s)  "
                        f"objective {obj:,.1f}{bound}  status {res.status}  cameras {res.chosen.size}  [{load()}]"
                    )
                    print(
                        f"{tag} ratio {b}/xueliang time: {res.seconds / t_ours:.1f}x "
                        f"(cpu {cpu / max(c_ours, 1e-9):.1f}x)"
                        f"   objectives xueliang {ours.objective:,.1f} vs {b} {obj:,.1f} ({better})"
                    )
                    sys.stdout.flush()


def county(args: argparse.Namespace) -> None:
    n_cand, n_dem, side = (5_000, 50_000, 12_650.0) if args.quick else (50_000, 500_000, 40_000.0)
    radius = float(args.county_radius)
    n_fixed = n_cand * 1729 // 50_000
    rng = np.random.default_rng(args.seed + 1)
    inst = make_instance("county", n_cand, n_dem, side, radius, seed=args.seed + 2)
    print(
        f"== county: {n_cand:,} candidates ({n_fixed:,} existing cameras fixed) x {n_dem:,} demand points, "
        f"{side / 1000:g} km square, radius {radius:g} m, time limit {args.time_limit:g} s, threads {args.threads}"
    )
    dense_gb = n_cand * n_dem * 8 / 1e9
    print(f"   spopt would need a dense {n_dem:,} x {n_cand:,} float64 distance matrix: {dense_gb:,.0f} GB; not run")
    t0 = time.perf_counter()
    A = coverage_matrix(inst.demand, inst.candidates, radius)
    t_build = time.perf_counter() - t0
    cost = rng.choice([1.0, 1.6, 2.5], size=n_cand)  # three camera models
    fixed = np.zeros(n_cand, dtype=bool)
    fixed[rng.choice(n_cand, n_fixed, replace=False)] = True
    print(f"   sparse matrix: {A.nnz:,} pairs in {t_build:.1f} s, {A.data.nbytes + A.indices.nbytes >> 20} MB")
    # a tenth of the cost of every candidate at 250 m; the same camera-area budget at other radii
    # (at 500 m a tenth would cover everything)
    budget = 0.1 * (250.0 / radius) ** 2 * float(cost.sum())
    prob = CoverageProblem.from_arrays(A, cost, weight=inst.weight, fixed=fixed)
    t0, c0 = time.perf_counter(), cpu_seconds()
    res = solve_max_coverage(prob, budget, time_limit=args.time_limit, threads=args.threads)
    t_m = time.perf_counter() - t0
    print(
        f"   MCLP budget {budget:,.0f}: {t_m:.1f} s (cpu {cpu_seconds() - c0:.1f} s)  {describe(res)}  "
        f"covered {100 * res.covered_fraction:.2f}%  [{load()}]"
    )
    print_stages(res)
    if "lscp" not in args.county_kinds.split(","):
        print(f"   total {t_build + t_m:.1f} s, peak RSS {rss_mb():,.0f} MB")
        return
    coverable = np.diff(A.tocsr().indptr) > 0
    prob = CoverageProblem.from_arrays(A, cost, weight=inst.weight, fixed=fixed, required=coverable)
    t0, c0 = time.perf_counter(), cpu_seconds()
    res = solve_set_cover(prob, time_limit=args.time_limit, threads=args.threads)
    t_s = time.perf_counter() - t0
    print(
        f"   LSCP ({int(coverable.sum()):,} coverable points): {t_s:.1f} s (cpu {cpu_seconds() - c0:.1f} s)  "
        f"{describe(res)}  cost {res.cost:,.1f}  [{load()}]"
    )
    print_stages(res)
    print(f"   total {t_build + t_m + t_s:.1f} s, peak RSS {rss_mb():,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small instances only (a few minutes)")
    ap.add_argument("--only", choices=["compare", "county"], help="run one part only")
    ap.add_argument("--sizes", default=None, help="comparison sizes: small,large (default both; --quick: small)")
    ap.add_argument("--baselines", default="spopt,cbc,highs", help="comma-separated: spopt,cbc,highs")
    ap.add_argument("--kinds", default="mclp,lscp", help="comparison problems: mclp,lscp (default both)")
    ap.add_argument("--radii", default="250,500", help="comparison radii in metres (comma-separated)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1, help="solver threads, every side (default 1)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="per solve, every side (s)")
    ap.add_argument("--county-radius", default="250,500", help="county radii in metres (comma-separated)")
    ap.add_argument("--county-kinds", default="mclp,lscp", help="county problems: mclp,lscp (MCLP always runs)")
    args = ap.parse_args()
    if args.sizes is None:
        args.sizes = "small" if args.quick else "small,large"
    if args.only in (None, "compare"):
        compare(args)
    radii = args.county_radius.split(",")
    if args.only == "county" and len(radii) == 1:
        county(args)
    elif args.only in (None, "county"):
        for radius in radii:
            sys.stdout.flush()
            cmd = [sys.executable, __file__, "--only", "county", "--seed", str(args.seed), "--county-radius", radius]
            cmd += ["--time-limit", str(args.time_limit), "--threads", str(args.threads)]
            cmd += ["--county-kinds", args.county_kinds]
            subprocess.run(cmd + (["--quick"] if args.quick else []), check=True)


if __name__ == "__main__":
    main()
