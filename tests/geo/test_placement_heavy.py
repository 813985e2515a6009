"""Heavy-overlap stages of the placement solver against brute force on small instances.

Lagrangian bounds must bracket the optimum, reduced-cost fixings must never exclude a plan better
than the incumbent they were computed against, the set-cover local search must return covers, and
the whole pipeline must still return proven optima equal to enumeration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.placement import CoverageProblem, solve_max_coverage, solve_set_cover
from geo.placement._model import build_model
from geo.placement._reduce import RowCover, reduce_rows, reduce_units
from geo.placement.cover_search import cover_local_search
from geo.placement.lagrange import cover_bound, granularity, max_coverage_lagrangian, set_cover_lagrangian
from geo.placement.lp_duals import cover_duals, unit_cover_duals


def disks(seed: int, n_cand: int, n_dem: int, radius: float) -> sp.csc_array:
    """Random points and candidates in a unit square; candidate j sees point i within ``radius``."""
    rng = np.random.default_rng(seed)
    dem, cand = rng.random((n_dem, 2)), rng.random((n_cand, 2))
    d = np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2)
    return sp.csc_array(d <= radius)


def all_subsets(n: int) -> np.ndarray:
    """Every 0/1 vector of length n, one per row (n <= 14)."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def costs(seed: int, n: int, integer: bool) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    return rng.integers(1, 4, n).astype(float) if integer else np.round(rng.uniform(1, 3, n), 2)


def cover_case(seed: int, n_cand: int, integer: bool) -> tuple[RowCover, np.ndarray, np.ndarray, np.ndarray]:
    """A reduced set-cover instance: rows, column costs, every cover (one per row) and its cost."""
    A = disks(seed, n_cand, 30, 0.45)
    A = A[np.diff(sp.csr_array(A).indptr) > 0]
    cost = costs(seed, n_cand, integer)
    model = build_model(CoverageProblem.from_arrays(A, cost))
    rows = reduce_rows(model, model.problem.required)
    c = cost[rows.cols]
    X = all_subsets(rows.cols.size)
    covers = X[(np.asarray(rows.R.toarray(), dtype=float) @ X.T.astype(float) >= 1).all(axis=0)]
    return rows, c, covers, covers.astype(float) @ c


instances = st.tuples(st.integers(0, 10_000), st.integers(6, 11), st.booleans())


@settings(max_examples=40, deadline=None)
@given(instances)
def test_set_cover_lagrangian_bound_and_fixings_hold_against_enumeration(case: tuple[int, int, bool]) -> None:
    rows, c, covers, plan_cost = cover_case(*case)
    start = float(plan_cost.max())  # a poor incumbent, so that the heuristic has work to do
    step = granularity(c)
    lag = set_cover_lagrangian(rows, c, start, seconds=5.0, step=step, heuristic_every=5)
    assert lag.bound <= plan_cost.min() + 1e-7
    if lag.plan is not None:
        assert bool((rows.R.toarray() @ lag.plan.astype(float) >= 1).all())
        assert lag.plan_value == pytest.approx(float(c[lag.plan].sum()))
        assert lag.incumbent <= lag.plan_value + 1e-9
    better = covers[plan_cost <= lag.incumbent - max(step, 1e-9) + 1e-9]
    assert not better[:, lag.fix_zero].any(), "a fixed-out column is in a better cover"
    assert better[:, lag.fix_one].all(), "a fixed-in column is missing from a better cover"


@settings(max_examples=40, deadline=None)
@given(instances, st.integers(1, 4))
def test_max_coverage_lagrangian_bound_and_fixings_hold_against_enumeration(
    case: tuple[int, int, bool], p: int
) -> None:
    seed, n_cand, integer = case
    A = disks(seed, n_cand, 30, 0.3)
    rng = np.random.default_rng(seed + 2)
    weight = rng.integers(1, 10, A.shape[0]).astype(float) if integer else rng.uniform(0, 5, A.shape[0])
    problem = CoverageProblem.from_arrays(A, np.ones(n_cand), weight=weight)
    model = build_model(problem)
    red = reduce_units(model, weight[:, None])
    X = all_subsets(red.cols.size)
    X = X[X.sum(axis=1) <= p]
    seen = (red.R.toarray() @ X.T.astype(float)) >= 1  # rows x plans
    unit_ok = np.ones((red.coef.shape[0], X.shape[0]), dtype=bool)
    for r, u in enumerate(red.row_unit):
        unit_ok[u] &= seen[r]
    value = red.constant[0] + red.coef[:, 0] @ unit_ok
    incumbent = float(np.sort(value)[len(value) // 2])  # a middling plan
    step = granularity(red.coef[:, 0])
    lag = max_coverage_lagrangian(red, np.ones(red.cols.size), float(p), incumbent, seconds=5.0, step=step)
    assert lag.bound >= value.max() - 1e-7
    better = X[value >= incumbent + max(step, 1e-9) - 1e-9]
    assert not better[:, lag.fix_zero].any(), "a fixed-out column is in a better plan"
    assert better[:, lag.fix_one].all(), "a fixed-in column is missing from a better plan"


@settings(max_examples=30, deadline=None)
@given(instances)
def test_cover_local_search_returns_covers_no_worse_than_its_start(case: tuple[int, int, bool]) -> None:
    seed, n_cand, integer = case
    A = sp.csr_array(disks(seed, n_cand, 40, 0.5))
    A = sp.csr_array(A[np.diff(A.indptr) > 0], dtype=float)
    cost = costs(seed, n_cand, integer)
    start = np.ones(n_cand, dtype=bool)
    plan, value = cover_local_search(A, cost, start, seconds=5.0, patience=2_000)
    assert bool((A @ plan.astype(float) >= 1).all())
    assert value == pytest.approx(float(cost[plan].sum()))
    assert value <= float(cost.sum()) + 1e-9
    # told that the start is good enough, it stops at once
    same, same_value = cover_local_search(A, cost, start, seconds=5.0, enough=math.inf)
    assert same_value == pytest.approx(float(cost.sum())) and same.all()
    # a start that is no cover is handed back untouched
    A0 = sp.csr_array(np.eye(3))
    back, inf = cover_local_search(A0, np.ones(3), np.array([True, False, True]), seconds=1.0)
    assert math.isinf(inf) and back.tolist() == [True, False, True]


@pytest.mark.parametrize("seed", range(12))
def test_heavy_overlap_pipeline_is_optimal_against_enumeration(seed: int) -> None:
    """Disks covering a third of the square: many plans, weak LP bounds; answers still proven."""
    n_cand = 12
    A = disks(seed, n_cand, 60, 0.35)
    covered = np.diff(sp.csr_array(A).indptr) > 0
    integer = seed % 2 == 0
    cost = costs(seed, n_cand, integer)
    X = all_subsets(n_cand).astype(float)
    Ad = A.toarray().astype(float)

    res = solve_set_cover(CoverageProblem.from_arrays(A[covered], cost), time_limit=20)
    ok = (Ad[covered] @ X.T >= 1).all(axis=0)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(float((X[ok] @ cost).min()))
    assert res.bound == pytest.approx(res.objective)
    assert res.covered.all()

    weight = np.random.default_rng(seed + 3).integers(1, 10, A.shape[0]).astype(float)
    budget = 3.0
    res = solve_max_coverage(CoverageProblem.from_arrays(A, cost, weight=weight), budget, time_limit=20)
    afford = X @ cost <= budget + 1e-9
    best = float((((Ad @ X[afford].T) >= 1) * weight[:, None]).sum(axis=0).max())
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert res.cost <= budget + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_heuristic_only_run_reports_a_valid_bound_on_heavy_overlap(seed: int) -> None:
    """exact=False: greedy, polish, Lagrangian and local search only; the bound must still hold."""
    A = disks(seed, 12, 60, 0.35)
    covered = np.diff(sp.csr_array(A).indptr) > 0
    cost = costs(seed, 12, True)
    X = all_subsets(12).astype(float)
    ok = (A.toarray()[covered].astype(float) @ X.T >= 1).all(axis=0)
    best = float((X[ok] @ cost).min())
    res = solve_set_cover(CoverageProblem.from_arrays(A[covered], cost), time_limit=10, exact=False)
    assert res.bound <= best + 1e-9 <= res.objective + 2e-9
    assert res.bound == math.ceil(res.bound)  # integer costs: the bound is rounded up to a whole cost
    assert res.status in ("optimal", "feasible")
    assert res.status != "optimal" or res.objective == pytest.approx(best)
    assert res.covered.all()


def test_budget_that_affords_everything_is_proven_by_the_trivial_bound() -> None:
    """Heavy overlap, generous budget: the cover-everything search proves the optimum at once."""
    A = disks(5, 40, 400, 0.3)
    weight = np.random.default_rng(9).integers(1, 10, A.shape[0]).astype(float)
    res = solve_max_coverage(CoverageProblem.from_arrays(A, np.ones(40), weight=weight), 15, time_limit=20)
    coverable = np.diff(sp.csr_array(A).indptr) > 0
    assert res.objective == pytest.approx(float(weight[coverable].sum()))
    assert res.status == "optimal" and res.bound_source == "trivial"
    assert res.added.size <= 15


def lp_value(c: np.ndarray, A_ub: np.ndarray, b_ub: np.ndarray) -> float:
    from scipy.optimize import linprog

    out = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    assert out.status == 0
    return float(out.fun)


@settings(max_examples=30, deadline=None)
@given(instances, st.sampled_from(["lp", "random", "none"]))
def test_set_cover_lagrangian_from_lp_duals_reaches_the_lp_bound_and_stays_valid(
    case: tuple[int, int, bool], start_kind: str
) -> None:
    """LP duals as the start: the bound is the LP optimum, never above the best cover; fixings hold.

    A random start (what a time-capped LP that stopped early might hand over) must keep every
    bound and fixing valid too.
    """
    seed = case[0]
    rows, c, covers, plan_cost = cover_case(*case)
    Rd = rows.R.toarray().astype(float)
    duals = cover_duals(rows, c, seconds=5.0, threads=1)
    assert duals is not None and (duals >= 0).all()
    lp = lp_value(c, -Rd, -np.ones(Rd.shape[0]))
    assert cover_bound(sp.csr_array(rows.R, dtype=float), c, duals) == pytest.approx(lp, rel=1e-5, abs=1e-5)
    start = {
        "lp": duals,
        "random": np.random.default_rng(seed).uniform(-1, 3, Rd.shape[0]),
        "none": None,
    }[start_kind]
    incumbent = float(np.sort(plan_cost)[len(plan_cost) // 2])
    step = granularity(c)
    lag = set_cover_lagrangian(rows, c, incumbent, seconds=5.0, step=step, heuristic_every=0, start=start)
    assert lag.bound <= plan_cost.min() + 1e-7
    if start_kind == "lp":
        assert lag.bound >= lp - 1e-5 * max(1.0, lp)  # interior-point tolerances
    better = covers[plan_cost <= lag.incumbent - max(step, 1e-9) + 1e-9]
    assert not better[:, lag.fix_zero].any(), "a fixed-out column is in a better cover"
    assert better[:, lag.fix_one].all(), "a fixed-in column is missing from a better cover"


@settings(max_examples=30, deadline=None)
@given(instances, st.integers(1, 4), st.booleans())
def test_max_coverage_lagrangian_from_lp_duals_reaches_the_lp_bound_and_stays_valid(
    case: tuple[int, int, bool], p: int, from_lp: bool
) -> None:
    seed, n_cand, integer = case
    A = disks(seed, n_cand, 30, 0.3)
    rng = np.random.default_rng(seed + 2)
    weight = rng.integers(1, 10, A.shape[0]).astype(float) if integer else rng.uniform(0, 5, A.shape[0])
    model = build_model(CoverageProblem.from_arrays(A, np.ones(n_cand), weight=weight))
    red = reduce_units(model, weight[:, None])
    n_c, n_u = red.cols.size, red.coef.shape[0]
    X = all_subsets(n_c)
    X = X[X.sum(axis=1) <= p]
    Rd = red.R.toarray().astype(float)
    seen = (Rd @ X.T.astype(float)) >= 1
    unit_ok = np.ones((n_u, X.shape[0]), dtype=bool)
    for r, u in enumerate(red.row_unit):
        unit_ok[u] &= seen[r]
    value = red.constant[0] + red.coef[:, 0] @ unit_ok
    duals = unit_cover_duals(red, np.ones(n_c), float(p), seconds=5.0, threads=1)
    assert duals is not None and (duals >= 0).all()
    # the LP: max w.y, y_u <= R_r x per row, sum x <= p (as a minimisation)
    link = np.zeros((Rd.shape[0], n_u))
    link[np.arange(Rd.shape[0]), red.row_unit] = 1.0
    A_ub = np.vstack([np.hstack([-Rd, link]), np.r_[np.ones(n_c), np.zeros(n_u)][None, :]])
    lp = red.constant[0] - lp_value(np.r_[np.zeros(n_c), -red.coef[:, 0]], A_ub, np.r_[np.zeros(Rd.shape[0]), p])
    incumbent = float(np.sort(value)[len(value) // 2])
    step = granularity(red.coef[:, 0])
    lag = max_coverage_lagrangian(
        red, np.ones(n_c), float(p), incumbent, seconds=5.0, step=step, start=duals if from_lp else None
    )
    assert lag.bound >= value.max() - 1e-7
    if from_lp:
        assert lag.bound <= lp + 1e-5 * max(1.0, lp)  # interior-point tolerances
    better = X[value >= incumbent + max(step, 1e-9) - 1e-9]
    assert not better[:, lag.fix_zero].any(), "a fixed-out column is in a better plan"
    assert better[:, lag.fix_one].all(), "a fixed-in column is missing from a better plan"


def test_calls_with_different_thread_counts_in_one_process_all_solve() -> None:
    """HiGHS sizes one global thread pool on its first run; later runs asking for another count
    failed outright (no duals, no MILP answer) until the pool is reset."""
    A = disks(3, 10, 40, 0.4)
    A = A[np.diff(sp.csr_array(A).indptr) > 0]
    rows = reduce_rows(build_model(CoverageProblem.from_arrays(A, np.ones(10))), np.ones(A.shape[0], dtype=bool))
    for threads in (0, 1, 2, 1):
        assert cover_duals(rows, np.ones(rows.cols.size), seconds=5.0, threads=threads) is not None
        res = solve_set_cover(CoverageProblem.from_arrays(A, np.ones(10)), time_limit=10, threads=threads)
        assert res.status == "optimal" and any(s.stage == "milp" for s in res.stages)
