"""MCLP window search (geo/placement/lns.py) and the county-scale path that uses it, against enumeration.

Every accepted window must keep the plan within budget and never lose covered weight; a window that
holds a whole connected instance must reach the optimum; and the pipeline that swaps the whole
MILP for windows must still report a bound that holds and call a plan optimal only when it is.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

import geo.placement.solve as solve_module
from geo.placement import CoverageProblem, solve_max_coverage
from geo.placement._model import Model, build_model
from geo.placement._reduce import UnitCover, reduce_units
from geo.placement.lagrange import _fractional_knapsack
from geo.placement.lns import _WINDOW_MAX, _WINDOW_MIN, _Windows, fit_budget, start_price, window_search, window_size
from geo.placement.milp import MilpLimits


def disks(seed: int, n_cand: int, n_dem: int, radius: float) -> sp.csc_array:
    rng = np.random.default_rng(seed)
    dem, cand = rng.random((n_dem, 2)), rng.random((n_cand, 2))
    return sp.csc_array(np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2) <= radius)


def all_subsets(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def plan_values(red: UnitCover, X: np.ndarray) -> np.ndarray:
    """Covered weight (without the fixed cameras' constant) of every plan in ``X`` (one per row)."""
    seen = (red.R.toarray().astype(float) @ X.T.astype(float)) >= 1
    unit_ok = np.ones((red.coef.shape[0], X.shape[0]), dtype=bool)
    for r, u in enumerate(red.row_unit):
        unit_ok[u] &= seen[r]
    return red.coef[:, 0] @ unit_ok


def connected(red: UnitCover) -> bool:
    R = sp.csr_array(red.R, dtype=float)
    n, _ = connected_components(sp.csr_array(R.T @ R), directed=False)
    return bool(n == 1)


def random_instance(
    seed: int, n_cand: int, *, composites: bool, fixed_share: float, n_dem: int = 30, salt: int = 5
) -> tuple[Model, UnitCover]:
    """A small random disk instance (costs 1-3, weights 1-9, optional composites and fixed cameras), reduced."""
    rng = np.random.default_rng(seed + salt)
    A = disks(seed, n_cand, n_dem, 0.3)
    cost = rng.integers(1, 4, n_cand).astype(float)
    weight = rng.integers(1, 10, A.shape[0]).astype(float)
    all_of = np.maximum(rng.integers(-8, 8, A.shape[0]), -1) if composites else None
    fixed = rng.random(n_cand) < fixed_share
    problem = CoverageProblem.from_arrays(A, cost, weight=weight, all_of=all_of, fixed=fixed)
    model = build_model(problem)
    return model, reduce_units(model, problem.weight[:, None])


cases = st.tuples(
    st.integers(0, 10_000),  # seed
    st.integers(5, 10),  # candidates
    st.integers(1, 12),  # window size
    st.booleans(),  # composites (all-of groups of targets)
    st.booleans(),  # some existing cameras
)


@settings(max_examples=40, deadline=None)
@given(cases, st.floats(1.0, 5.0))
def test_window_search_keeps_the_budget_never_loses_weight_and_a_whole_window_is_optimal(
    case: tuple[int, int, int, bool, bool], budget: float
) -> None:
    seed, n_cand, size, composites, with_fixed = case
    rng = np.random.default_rng(seed + 5)
    model, red = random_instance(seed, n_cand, composites=composites, fixed_share=0.2 if with_fixed else 0.0)
    if red.cols.size == 0 or red.R.shape[0] == 0:
        return
    c = model.cost[red.cols]
    X = all_subsets(red.cols.size)
    X = X[X.astype(float) @ c <= budget + 1e-9]
    values = plan_values(red, X)
    start = X[int(rng.integers(0, X.shape[0]))]
    start_value = float(plan_values(red, start[None, :])[0])

    out = window_search(
        model, red, budget, start, deadline=time.monotonic() + 20.0, size=size, each=MilpLimits(1.0, 1e-9, threads=1)
    )

    assert float(c[out.plan].sum()) <= budget + 1e-9
    assert out.spent == pytest.approx(float(c[out.plan].sum()))
    assert out.value == pytest.approx(float(plan_values(red, out.plan[None, :])[0]))
    assert start_value - 1e-9 <= out.value <= float(values.max()) + 1e-9
    assert not out.timed_out
    if size >= red.cols.size and connected(red):
        assert out.value == pytest.approx(float(values.max()))


@settings(max_examples=40, deadline=None)
@given(cases, st.floats(1.0, 5.0), st.floats(0.05, 3.0))
def test_priced_windows_end_within_the_budget_at_a_value_no_plan_beats(
    case: tuple[int, int, int, bool, bool], budget: float, price_scale: float
) -> None:
    """Priced windows may overspend on the way; the plan they return fits the budget and its value is real."""
    seed, n_cand, size, composites, with_fixed = case
    rng = np.random.default_rng(seed + 7)
    model, red = random_instance(seed, n_cand, composites=composites, fixed_share=0.2 if with_fixed else 0.0, salt=7)
    if red.cols.size == 0 or red.R.shape[0] == 0:
        return
    c = model.cost[red.cols]
    X = all_subsets(red.cols.size)
    X = X[X.astype(float) @ c <= budget + 1e-9]
    best = float(plan_values(red, X).max())
    start = X[int(rng.integers(0, X.shape[0]))]
    price = price_scale * start_price(red, c, start)
    assert price > 0

    out = window_search(
        model,
        red,
        budget,
        start,
        deadline=time.monotonic() + 20.0,
        size=size,
        each=MilpLimits(1.0, 1e-9, threads=1),
        price=price,
    )

    assert float(c[out.plan].sum()) <= budget + 1e-9
    assert out.spent == pytest.approx(float(c[out.plan].sum()))
    assert out.value == pytest.approx(float(plan_values(red, out.plan[None, :])[0]))
    assert out.value <= best + 1e-9
    assert out.price > 0 and np.isfinite(out.price)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 12), st.floats(0.0, 8.0))
@example(17, 12, 6.5)  # a stale heap key: the top camera gains nothing now, the next one still does
def test_fit_budget_drops_until_the_plan_fits_then_leaves_nothing_affordable_that_gains(
    seed: int, n_cand: int, budget: float
) -> None:
    rng = np.random.default_rng(seed)
    A = disks(seed, n_cand, 40, 0.3)
    cost = rng.choice([1.0, 1.6, 2.5], n_cand)
    problem = CoverageProblem.from_arrays(A, cost, weight=rng.integers(1, 10, A.shape[0]).astype(float))
    model = build_model(problem)
    red = reduce_units(model, problem.weight[:, None], dominance=False)
    if red.R.shape[0] == 0:
        return
    c = model.cost[red.cols]
    state = _Windows(red, c, rng.random(red.cols.size) < 0.6)  # any plan, over the budget or not

    fit_budget(state, budget)

    spent = float(c[state.x].sum())
    assert spent <= budget + 1e-9
    counts = np.asarray(sp.csr_array(red.R, dtype=float) @ state.x.astype(float)).round()
    assert (state.cnt == counts).all()  # the per-row counts follow every drop and add
    gains = np.asarray(sp.csc_array(red.R, dtype=float).T @ (state.cnt == 0).astype(float))
    affordable = ~state.x & (c <= budget - spent + 1e-9)
    assert not (affordable & (gains > 0)).any()


def county_path_case(seed: int) -> bool:
    """Solve one small instance by the county path and check it; True if the windows ran."""
    n_cand = 12
    rng = np.random.default_rng(seed)
    A = disks(seed, n_cand, 60, 0.25)
    cost = rng.integers(1, 4, n_cand).astype(float)
    weight = rng.integers(1, 10, A.shape[0]).astype(float)
    budget = 3.0
    res = solve_max_coverage(CoverageProblem.from_arrays(A, cost, weight=weight), budget, time_limit=10, threads=1)
    X = all_subsets(n_cand)
    X = X[X.astype(float) @ cost <= budget + 1e-9]
    best = float((((A.toarray().astype(float) @ X.T.astype(float)) >= 1) * weight[:, None]).sum(axis=0).max())
    assert res.objective <= best + 1e-9 <= res.bound + 2e-9
    assert res.cost <= budget + 1e-9
    assert res.status != "optimal" or res.objective == pytest.approx(best)
    stages = [s.stage for s in res.stages]
    assert "milp" not in stages
    # the windows run whenever the gap is still open after the Lagrangian bound; priced ones first
    assert "windows" in stages or res.status == "optimal"
    assert ("priced" in stages) == ("windows" in stages)
    return "windows" in stages


def test_county_path_by_windows_reports_a_valid_bound_against_enumeration(monkeypatch: pytest.MonkeyPatch) -> None:
    """The windows replace the whole MILP (as past 500k nonzeros); bound and status must stay honest."""
    monkeypatch.setattr(solve_module, "_WINDOWS_FROM", -1)
    monkeypatch.setattr(solve_module, "MAX_NONZEROS", -1)
    ran = [county_path_case(seed) for seed in range(10)]
    assert sum(ran) >= 3, "too few cases left the gap open for the windows: the test checks too little"


def test_windows_then_milp_still_proves_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between _WINDOWS_FROM and MAX_NONZEROS the windows run first, then the MILP closes the gap."""
    monkeypatch.setattr(solve_module, "_WINDOWS_FROM", -1)
    both = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        A = disks(seed, 12, 60, 0.25)
        cost = rng.integers(1, 4, 12).astype(float)
        weight = rng.integers(1, 10, A.shape[0]).astype(float)
        res = solve_max_coverage(CoverageProblem.from_arrays(A, cost, weight=weight), 3.0, time_limit=10, threads=1)
        X = all_subsets(12)
        X = X[X.astype(float) @ cost <= 3.0 + 1e-9]
        best = float((((A.toarray().astype(float) @ X.T.astype(float)) >= 1) * weight[:, None]).sum(axis=0).max())
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best)
        stages = [s.stage for s in res.stages]
        both += "windows" in stages and "milp" in stages
    assert both >= 2, "too few cases reached the MILP after the windows: the test checks too little"


def test_group_limits_keep_the_whole_milp() -> None:
    """A window cannot see the rest of a group's picks, so with groups the MILP runs as before."""
    A = disks(3, 10, 40, 0.3)
    problem = CoverageProblem.from_arrays(A, np.ones(10), group=np.arange(10) // 2)
    model = build_model(problem)
    red = reduce_units(model, problem.weight[:, None], dominance=False)
    assert not solve_module._by_windows(model, red)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.floats(0.5, 30.0))
def test_fractional_knapsack_sorting_only_what_fits_matches_the_lp(seed: int, n: int, budget: float) -> None:
    """The knapsack of the MCLP Lagrangian sorts only the items that can fit; it must equal the LP."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    value = np.round(rng.uniform(-1, 5, n), 1)
    cost = rng.choice([1.0, 1.6, 2.5], n)
    total, x, rho = _fractional_knapsack(value, cost, budget)
    lp = linprog(-value, A_ub=cost[None, :], b_ub=[budget], bounds=[(0, 1)] * n, method="highs")
    assert total == pytest.approx(-lp.fun, abs=1e-7)
    assert float(value @ x) == pytest.approx(total, abs=1e-7)
    assert float(cost @ x) <= budget + 1e-9 and ((x >= 0) & (x <= 1)).all()
    # rho is the budget row's dual: no item outside the plan beats it, none inside falls below it
    assert (value[x == 0] <= rho * cost[x == 0] + 1e-9).all()
    assert (value[x == 1] >= rho * cost[x == 1] - 1e-9).all()


def test_window_size_grows_with_the_candidates_per_row_within_its_limits() -> None:
    """Wider cameras (more candidates per row) get larger windows; never outside the limits."""
    sizes, per_row = [], []
    for radius in (0.03, 0.15, 0.3, 0.6):
        A = disks(3, 400, 1_500, radius)
        problem = CoverageProblem.from_arrays(A, np.ones(400), weight=np.ones(1_500))
        model = build_model(problem)
        red = reduce_units(model, problem.weight[:, None])
        per_row.append(red.R.nnz / red.R.shape[0])
        sizes.append(window_size(red))
    assert per_row == sorted(per_row) and per_row[0] < 3 and per_row[-1] > 40  # the radii span the range
    assert sizes == sorted(sizes)
    assert sizes[0] == _WINDOW_MIN and sizes[-1] == _WINDOW_MAX
    assert any(_WINDOW_MIN < size < _WINDOW_MAX for size in sizes)
