"""The small light-overlap MCLP path (geo/placement/light_mclp.py) against enumeration and a plain MILP.

The Lagrangian bound must never fall below the optimum, its plans must be within the budget and
valued right, reduced-cost fixings must never exclude a plan better than the incumbent, the MILP
on the compacted fixed model must find every such plan's optimum, and the whole path must return
what enumeration (or scipy's MILP on the unreduced model) says is optimal.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.placement import CoverageProblem, solve_max_coverage
from geo.placement._model import Model, build_model
from geo.placement._reduce import UnitCover, reduce_units
from geo.placement.heuristic import state_from_selection
from geo.placement.lagrange import granularity
from geo.placement.light_mclp import coverage_fixings, lagrangian_plans, solve_compact_milp
from geo.placement.milp import MilpLimits
from tests.geo.test_placement_heavy import all_subsets, disks


def case(seed: int, n_cand: int, integer: bool, extras: bool) -> tuple[CoverageProblem, float]:
    """Disks with light overlap; with ``extras``: uneven costs, an existing camera and composites."""
    rng = np.random.default_rng(seed + 5)
    A = disks(seed, n_cand, 40, 0.22)
    n = A.shape[0]
    weight = rng.integers(1, 10, n).astype(float) if integer else np.round(rng.uniform(0, 5, n), 3)
    if not extras:
        return CoverageProblem.from_arrays(A, np.ones(n_cand), weight=weight), float(rng.integers(1, 5))
    cost = rng.integers(1, 4, n_cand).astype(float) if integer else np.round(rng.uniform(1, 3, n_cand), 2)
    fixed = np.zeros(n_cand, dtype=bool)
    fixed[int(rng.integers(n_cand))] = True
    all_of = np.full(n, -1, dtype=np.int64)
    rows = rng.permutation(n)
    all_of[rows[:3]], all_of[rows[3:5]] = 0, 1
    problem = CoverageProblem.from_arrays(A, cost, weight=weight, fixed=fixed, all_of=all_of)
    return problem, max(float(np.round(rng.uniform(1.0, 7.0), 2)), float(cost[~fixed].min()))


def enumerate_plans(red: UnitCover, cost: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
    """Every affordable plan over ``red.cols`` (one per row) and its covered weight, constant included."""
    X = all_subsets(red.cols.size)
    X = X[X.astype(float) @ cost <= budget + 1e-9]
    seen = (red.R.toarray().astype(float) @ X.T.astype(float)) >= 1
    ok = np.ones((red.coef.shape[0], X.shape[0]), dtype=bool)
    for r, u in enumerate(red.row_unit):
        ok[u] &= seen[r]
    return X, float(red.constant[0]) + red.coef[:, 0] @ ok


@dataclass(frozen=True, eq=False)
class Reduced:
    """A case, its reduced model, and every affordable plan (``X``, one per row) with its value."""

    problem: CoverageProblem
    budget: float
    model: Model
    red: UnitCover
    cost: np.ndarray
    X: np.ndarray
    value: np.ndarray
    step: float


def reduced_case(args: tuple[int, int, bool, bool]) -> Reduced:
    problem, budget = case(*args)
    model = build_model(problem)
    red = reduce_units(model, problem.weight[:, None])
    cost = model.cost[red.cols]
    X, value = enumerate_plans(red, cost, budget)
    return Reduced(problem, budget, model, red, cost, X, value, granularity(red.coef[:, 0]))


instances = st.tuples(st.integers(0, 10_000), st.integers(6, 12), st.booleans(), st.booleans())


@settings(max_examples=40, deadline=None)
@given(instances, st.floats(0.3, 1.0))
@example((1, 8, False, False), 1.0)  # two plans of equal value, summed in different orders
def test_lagrangian_plans_bound_plan_and_fixings_hold_against_enumeration(
    args: tuple[int, int, bool, bool], where: float
) -> None:
    c = reduced_case(args)
    incumbent = float(np.quantile(c.value, where))  # a middling plan up to the optimum (fixings bite near it)
    lag = lagrangian_plans(c.red, c.cost, c.budget, incumbent, seconds=5.0, step=c.step, keep=3)
    assert lag.bound >= c.value.max() - 1e-7
    if lag.plan is not None:
        # the best plan and its runners-up: affordable, distinct, valued right, best first
        rows = [np.flatnonzero((plan == c.X).all(axis=1)) for plan in (lag.plan, *lag.runners_up)]
        assert all(r.size == 1 for r in rows) and len({int(r[0]) for r in rows}) == len(rows)
        values = [float(c.value[r[0]]) for r in rows]
        assert lag.plan_value == pytest.approx(values[0])
        # best first; plans of equal value (here summed in another order, 39.602 and 39.602000000000004) tie
        assert all(a >= b - 1e-9 * max(1.0, abs(a)) for a, b in itertools.pairwise(values))
        assert len(lag.runners_up) <= 2
    else:
        assert lag.runners_up == ()
    zero, one = coverage_fixings(c.red, c.cost, c.budget, lag, incumbent, c.step)
    assert not (zero & one).any()
    better = c.X[c.value >= incumbent + max(c.step, 1e-9) - 1e-9]
    assert not better[:, zero].any(), "a fixed-out column is in a better plan"
    assert better[:, one].all(), "a fixed-in column is missing from a better plan"


@settings(max_examples=30, deadline=None)
@given(instances, st.floats(0.0, 1.0))
@example((363, 6, True, True), 0.875)  # every column fixed in: nothing left for HiGHS (it said "unknown")
def test_compact_milp_finds_the_optimum_the_fixings_leave(args: tuple[int, int, bool, bool], where: float) -> None:
    c = reduced_case(args)
    k = int(np.argsort(c.value)[int(where * (c.value.size - 1))])  # an incumbent plan, worst to best
    lag = lagrangian_plans(c.red, c.cost, c.budget, float(c.value[k]), seconds=5.0, step=c.step, max_iter=30)
    fixed_to = coverage_fixings(c.red, c.cost, c.budget, lag, float(c.value[k]), c.step)
    start = np.zeros(c.problem.n_candidates, dtype=bool)
    start[c.red.cols[c.X[k]]] = True
    start |= c.problem.fixed
    out = solve_compact_milp(c.model, c.red, c.budget, fixed_to, start, MilpLimits(20.0, 1e-9, 0, 1))
    if c.value.max() >= c.value[k] + max(c.step, 1e-9) - 1e-9:  # a better plan exists: the MILP must find the best
        assert out.status == "optimal"
        assert out.objective == pytest.approx(float(c.value.max()))
        assert out.chosen is not None  # over all candidates, the fixed-in columns included
        got = state_from_selection(c.model, out.chosen)
        assert got.covered_weight == pytest.approx(float(c.value.max()))
        assert got.spent <= c.budget + 1e-9
    else:  # nothing better: no plan above the incumbent may come back
        assert out.status == "infeasible" or out.objective <= c.value[k] + max(c.step, 1e-9) - 1e-9
        assert out.status == "infeasible" or out.bound <= c.value[k] + max(c.step, 1e-9) - 1e-9 + 1e-6


@settings(max_examples=25, deadline=None)
@given(instances)
def test_light_path_is_optimal_against_enumeration(args: tuple[int, int, bool, bool]) -> None:
    c = reduced_case(args)
    problem, budget, value = c.problem, c.budget, c.value
    res = solve_max_coverage(problem, budget, time_limit=20)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(float(value.max()))
    assert res.bound >= res.objective - 1e-9 and res.cost <= budget + 1e-9
    assert set(np.flatnonzero(problem.fixed)) <= set(res.selected.tolist())


def plain_milp(A: sp.csc_array, weight: np.ndarray, p: int) -> float:
    """The textbook MCLP on the unreduced matrix (x binary, y in [0, 1]) by scipy's HiGHS."""
    n, m = A.shape
    link = sp.hstack([-sp.csr_array(A, dtype=float), sp.eye_array(n)], format="csr")
    budget = sp.csr_array(np.r_[np.ones(m), np.zeros(n)][None, :])
    out = milp(
        -np.r_[np.zeros(m), weight],
        constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(budget, -np.inf, p)],
        integrality=np.r_[np.ones(m), np.zeros(n)],
        bounds=Bounds(0, 1),
    )
    assert out.status == 0
    return -float(out.fun)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bench_like_instance_goes_the_light_path_and_matches_a_plain_milp(seed: int) -> None:
    """150 candidates, 750 points, a radius that gives about 3.5 candidates per point, p = 15."""
    rng = np.random.default_rng(seed)
    dem, cand = rng.uniform(0, 2_740, (750, 2)), rng.uniform(0, 2_740, (150, 2))
    A = sp.csc_array(np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2) <= 250.0)
    weight = rng.integers(1, 11, 750).astype(float)
    res = solve_max_coverage(CoverageProblem.from_arrays(A, np.ones(150), weight=weight), 15, time_limit=20)
    assert [s.stage for s in res.stages][-2:] in (["polish", "lagrangian"], ["lagrangian", "milp"])
    assert next(s for s in res.stages if s.stage == "lagrangian").detail.startswith("plans")
    assert res.status == "optimal" and res.added.size <= 15
    assert res.objective == pytest.approx(plain_milp(A, weight, 15))
