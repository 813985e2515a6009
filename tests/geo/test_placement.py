"""Placement solver core: exact answers against brute force, invariants over many seeds, bad input."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from geo.placement import (
    CoverageProblem,
    InfeasiblePlanError,
    PlacementInputError,
    Quota,
    UncoverableTargetsError,
    coverage_curve,
    plan_phases,
    solve_max_coverage,
    solve_set_cover,
)
from xueliang.errors import XueliangError

# --- a brute-force oracle written straight from the definitions (dense, no shared code) ------------


@dataclass
class Raw:
    A: np.ndarray  # dense bool targets x candidates
    cost: np.ndarray
    weight: np.ndarray
    fixed: np.ndarray
    group: np.ndarray
    limit: int
    all_of: np.ndarray
    required: np.ndarray

    def problem(self) -> CoverageProblem:
        return CoverageProblem.from_arrays(
            sp.csr_array(self.A),
            self.cost,
            weight=self.weight,
            fixed=self.fixed,
            group=self.group,
            group_limit=self.limit,
            all_of=self.all_of,
            required=self.required,
        )


def counted_rows(raw: Raw, chosen: np.ndarray) -> np.ndarray:
    seen = np.asarray(raw.A[:, chosen].any(axis=1))
    counted = seen.copy()
    for c in np.unique(raw.all_of[raw.all_of >= 0]):
        members = raw.all_of == c
        counted[members] = seen[members].all()
    return counted


def groups_ok(raw: Raw, chosen: np.ndarray) -> bool:
    g = raw.group[chosen]
    g = g[g >= 0]
    return bool(g.size == 0 or np.bincount(g).max() <= raw.limit)


def plans(raw: Raw) -> Iterator[np.ndarray]:
    """Every selection that keeps the fixed cameras and respects the group limit."""
    free = np.flatnonzero(~raw.fixed)
    for k in range(free.size + 1):
        for sub in itertools.combinations(free, k):
            chosen = raw.fixed.copy()
            chosen[list(sub)] = True
            if groups_ok(raw, chosen):
                yield chosen


def brute_max_coverage(raw: Raw, budget: float) -> float:
    best = -1.0
    for chosen in plans(raw):
        if raw.cost[chosen & ~raw.fixed].sum() <= budget + 1e-9:
            best = max(best, float(raw.weight[counted_rows(raw, chosen)].sum()))
    return best


def whole_required(raw: Raw) -> np.ndarray:
    """A composite with a required member is required whole."""
    required = raw.required.copy()
    for c in np.unique(raw.all_of[raw.all_of >= 0]):
        members = raw.all_of == c
        if required[members].any():
            required[members] = True
    return required


def brute_set_cover(raw: Raw, quotas: tuple[Quota, ...] = ()) -> float:
    best = math.inf
    required = whole_required(raw)
    for chosen in plans(raw):
        if not raw.A[required][:, chosen].any(axis=1).all():
            continue
        counted = counted_rows(raw, chosen)
        if all(
            raw.weight[q.targets & counted].sum() >= q.fraction * raw.weight[q.targets].sum() - 1e-9 for q in quotas
        ):
            best = min(best, float(raw.cost[chosen & ~raw.fixed].sum()))
    return best


def random_raw(seed: int, *, n_cand: int = 10, composites: bool = True, groups: bool = True) -> Raw:
    rng = np.random.default_rng(seed)
    n_t = int(rng.integers(8, 20))
    A = rng.random((n_t, n_cand)) < 0.25
    cost = np.round(rng.uniform(1, 5, n_cand), 2)
    weight = np.round(rng.uniform(0, 3, n_t), 2)
    weight[rng.random(n_t) < 0.1] = 0.0
    fixed = np.zeros(n_cand, dtype=bool)
    fixed[rng.choice(n_cand, int(rng.integers(0, 3)), replace=False)] = True
    group = np.full(n_cand, -1, dtype=np.int64)
    limit = int(rng.integers(1, 3))
    if groups:
        # pairs of candidates share a site; fixed cameras start a group of their own
        for g, j in enumerate(rng.choice(n_cand, 6, replace=False)):
            group[j] = g % 3 + (0 if not fixed[j] else 3 + g)
    all_of = np.full(n_t, -1, dtype=np.int64)
    if composites:
        rows = rng.permutation(n_t)
        all_of[rows[:3]] = 0
        all_of[rows[3:5]] = 1
    required = np.asarray(A.any(axis=1))
    required[rng.random(n_t) < 0.2] = False
    return Raw(A, cost, weight, fixed, group, limit, all_of, required)


def budget_for(raw: Raw, seed: int) -> float:
    """A budget between the cheapest addable camera and a few cameras' worth."""
    cheapest = float(raw.cost[~raw.fixed].min())
    return max(cheapest, float(np.random.default_rng(seed + 1000).uniform(2, 9)))


# --- exact against brute force ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_max_coverage_is_optimal_against_brute_force(seed: int) -> None:
    raw = random_raw(seed)
    budget = budget_for(raw, seed)
    res = solve_max_coverage(raw.problem(), budget, time_limit=20)
    best = brute_max_coverage(raw, budget)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best, abs=1e-6)
    assert res.bound >= res.objective - 1e-9
    chosen = np.zeros(raw.cost.size, dtype=bool)
    chosen[res.selected] = True
    assert res.objective == pytest.approx(float(raw.weight[counted_rows(raw, chosen)].sum()))
    np.testing.assert_array_equal(res.counted, counted_rows(raw, chosen))
    assert res.cost <= budget + 1e-9
    assert chosen[raw.fixed].all()
    assert groups_ok(raw, chosen)


@pytest.mark.parametrize("seed", range(40))
def test_set_cover_is_optimal_against_brute_force(seed: int) -> None:
    raw = random_raw(seed)
    unseen = np.flatnonzero(whole_required(raw) & ~raw.A.any(axis=1))
    if unseen.size:
        with pytest.raises(UncoverableTargetsError) as info:
            solve_set_cover(raw.problem(), time_limit=20)
        assert info.value.targets == tuple(unseen.tolist())
        return
    best = brute_set_cover(raw)
    if math.isinf(best):
        with pytest.raises(InfeasiblePlanError):
            solve_set_cover(raw.problem(), time_limit=20)
        return
    res = solve_set_cover(raw.problem(), time_limit=20)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best, abs=1e-6)
    assert res.bound <= res.objective + 1e-9
    assert res.covered[raw.required].all()
    chosen = np.zeros(raw.cost.size, dtype=bool)
    chosen[res.selected] = True
    assert chosen[raw.fixed].all() and groups_ok(raw, chosen)


@pytest.mark.parametrize("seed", range(30))
def test_without_groups_dominated_candidates_are_dropped_safely(seed: int) -> None:
    """No groups: the MILP runs on a model without dominated columns / implied rows; still optimal."""
    raw = random_raw(seed + 500, n_cand=12, groups=False)
    raw.A[:, 1] = raw.A[:, 0] & (np.arange(raw.A.shape[0]) % 2 == 0)  # candidate 1 sees a subset of 0's view
    raw.cost[1] = raw.cost[0] + 0.5
    budget = budget_for(raw, seed)
    res = solve_max_coverage(raw.problem(), budget, time_limit=20)
    assert res.objective == pytest.approx(brute_max_coverage(raw, budget), abs=1e-6)
    assert res.status == "optimal" and res.cost <= budget + 1e-9
    raw.all_of[~raw.A.any(axis=1)] = -1
    raw.required &= raw.A.any(axis=1)
    best = brute_set_cover(raw)
    cover = solve_set_cover(raw.problem(), time_limit=20)
    assert cover.objective == pytest.approx(best, abs=1e-6)
    assert cover.bound <= cover.objective + 1e-9


@pytest.mark.parametrize("seed", range(20))
def test_set_cover_with_quota_is_optimal_against_brute_force(seed: int) -> None:
    raw = random_raw(seed, groups=False)
    rng = np.random.default_rng(seed + 7)
    raw.required[:] = False
    raw.required[:2] = raw.A[:2].any(axis=1)
    raw.all_of[~raw.A.any(axis=1)] = -1
    quota = Quota(targets=rng.random(raw.weight.size) < 0.6, fraction=0.5)
    best = brute_set_cover(raw, (quota,))
    if math.isinf(best):
        with pytest.raises(InfeasiblePlanError):
            solve_set_cover(raw.problem(), quotas=[quota], time_limit=20)
        return
    res = solve_set_cover(raw.problem(), quotas=[quota], time_limit=20)
    assert res.objective == pytest.approx(best, abs=1e-6)
    got = raw.weight[quota.targets & res.counted].sum()
    assert got >= 0.5 * raw.weight[quota.targets].sum() - 1e-9


@pytest.mark.parametrize("seed", range(30))
def test_heuristic_bounds_bracket_the_optimum(seed: int) -> None:
    """Without the MILP, the Lagrangian bound must still be valid: obj <= opt <= bound (max)."""
    raw = random_raw(seed, n_cand=11, groups=False)
    budget = budget_for(raw, seed)
    res = solve_max_coverage(raw.problem(), budget, exact=False, time_limit=5)
    best = brute_max_coverage(raw, budget)
    assert res.objective <= best + 1e-9 <= res.bound + 2e-9
    assert res.gap == pytest.approx((res.bound - res.objective) / max(res.objective, 1e-12))
    assert res.status in ("optimal", "feasible")
    if res.status == "optimal":
        assert res.objective == pytest.approx(best)
    raw.required &= raw.A.any(axis=1)
    raw.all_of[~raw.A.any(axis=1)] = -1
    best_cover = brute_set_cover(raw)
    if math.isinf(best_cover):
        return
    cover = solve_set_cover(raw.problem(), exact=False, time_limit=5)
    assert cover.bound - 1e-9 <= best_cover <= cover.objective + 1e-9


# --- invariants over many seeds on larger instances ------------------------------------------------------


def medium(seed: int) -> tuple[CoverageProblem, np.random.Generator]:
    rng = np.random.default_rng(seed)
    n_t, n_c = 300, 80
    A = sp.random(n_t, n_c, density=0.05, random_state=seed, format="csc") > 0
    fixed = rng.random(n_c) < 0.1
    group = rng.integers(-1, 25, n_c)
    group[fixed] = 100 + np.arange(int(fixed.sum()))  # an existing camera holds its own site
    prob = CoverageProblem.from_arrays(
        A,
        rng.uniform(0.5, 4, n_c),
        weight=rng.uniform(0, 5, n_t),
        fixed=fixed,
        group=group,
        group_limit=1,
        all_of=np.where(rng.random(n_t) < 0.2, rng.integers(0, 20, n_t), -1),
    )
    return prob, rng


@pytest.mark.parametrize("seed", range(25))
def test_budget_never_exceeded_and_fixed_never_dropped(seed: int) -> None:
    prob, rng = medium(seed)
    budget = max(float(rng.uniform(3, 30)), float(prob.cost[~prob.fixed].min()))
    for exact in (True, False):
        res = solve_max_coverage(prob, budget, time_limit=2, exact=exact)
        assert res.cost <= budget + 1e-9
        assert np.isin(np.flatnonzero(prob.fixed), res.selected).all()
        assert not prob.fixed[res.added].any()
        assert res.bound >= res.objective - 1e-9
        g = prob.group[res.selected] if prob.group is not None else np.zeros(0, dtype=np.int64)
        assert np.bincount(g[g >= 0]).max(initial=0) <= 1


@pytest.mark.parametrize("seed", range(10))
def test_phases_build_on_each_other_within_their_budgets(seed: int) -> None:
    prob, rng = medium(seed)
    budgets = [float(b) for b in rng.uniform(2, 10, 3)]
    plan = plan_phases(prob, budgets, time_limit_per_phase=2)
    previous = set(np.flatnonzero(prob.fixed).tolist())
    for phase, budget in zip(plan.phases, budgets, strict=True):
        assert float(prob.cost[phase.added].sum()) <= budget + 1e-9
        assert previous <= set(phase.selected.tolist())
        assert not previous & set(phase.added.tolist())
        previous = set(phase.selected.tolist())
    assert (np.diff(plan.covered_weight) >= -1e-9).all()


def test_curve_is_monotone_and_starts_from_existing_cameras(tmp_path: Path) -> None:
    prob, _ = medium(3)
    curve = coverage_curve(prob)
    assert prob.all_of is not None
    raw = Raw(prob.coverage.toarray(), prob.cost, prob.weight, prob.fixed, prob.fixed, 1, prob.all_of, prob.fixed)
    assert curve.covered_weight[0] == pytest.approx(prob.weight[counted_rows(raw, prob.fixed)].sum())
    last = np.zeros(prob.n_candidates, dtype=bool)
    last[prob.fixed] = True
    last[curve.candidate[1:]] = True
    assert curve.covered_weight[-1] == pytest.approx(prob.weight[counted_rows(raw, last)].sum())
    assert curve.cameras[0] == 0 and curve.candidate[0] == -1
    assert (np.diff(curve.covered_weight) > 0).all()
    assert (np.diff(curve.cumulative_cost) > 0).all()
    assert not prob.fixed[curve.candidate[1:]].any()
    capped = coverage_curve(prob, max_cameras=5)
    np.testing.assert_array_equal(capped.candidate, curve.candidate[:6])
    out = tmp_path / "curve.csv"
    curve.write_csv(out)
    lines = out.read_text().splitlines()
    assert lines[0] == "cameras,candidate,cumulative_cost,covered_weight,covered_fraction"
    assert len(lines) == curve.cameras.size + 1


# --- semantics on hand-made instances ---------------------------------------------------------------------


def test_composite_counts_only_when_every_leg_is_seen() -> None:
    # rows 0 and 1 are the two approach legs of one intersection; row 2 stands alone
    A = sp.csr_array(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    prob = CoverageProblem.from_arrays(A, [1.0, 1.0, 1.0], weight=[1.0, 1.0, 1.5], all_of=[0, 0, -1])
    one = solve_max_coverage(prob, 1.0)
    assert one.added.tolist() == [2] and one.objective == pytest.approx(1.5)
    two = solve_max_coverage(prob, 2.0)
    assert two.added.tolist() == [0, 1] and two.objective == pytest.approx(2.0)
    assert two.covered.tolist() == [True, True, False]


def test_group_limit_keeps_one_camera_per_site_heading() -> None:
    A = sp.csr_array(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    prob = CoverageProblem.from_arrays(A, weight=[5.0, 4.0, 1.0], group=[0, 0, -1])
    res = solve_max_coverage(prob, 2.0)
    assert res.added.tolist() == [0, 2]


def test_group_limits_that_block_a_cover_raise() -> None:
    A = sp.csr_array(np.array([[1, 0], [0, 1]], dtype=bool))
    prob = CoverageProblem.from_arrays(A, group=[4, 4])
    with pytest.raises(InfeasiblePlanError):
        solve_set_cover(prob)


def test_fixed_cameras_cost_nothing_and_cover_for_free() -> None:
    A = sp.csr_array(np.array([[1, 0], [0, 1]], dtype=bool))
    prob = CoverageProblem.from_arrays(A, [10.0, 1.0], fixed=[True, False])
    res = solve_set_cover(prob)
    assert res.added.tolist() == [1] and res.cost == 1.0 and res.selected.tolist() == [0, 1]


# --- bad input: an error that says what was expected and what came --------------------------------------


def small() -> sp.csr_array:
    return sp.csr_array(np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=bool))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost": [1.0, -2.0, 1.0]}, r"'cost': expected a finite cost > 0 .* got -2\.0 at candidate 1"),
        ({"cost": [1.0, 0.0, 1.0]}, r"'cost': expected a finite cost > 0 .* got 0\.0 at candidate 1"),
        ({"cost": [1.0, math.nan, 1.0]}, r"'cost': expected a finite cost"),
        (
            {"cost": [1.0, 2.0]},
            r"'cost': expected a 1-d array with one entry per candidate column \(3\), got shape \(2,\)",
        ),
        ({"weight": [1.0, 1.0]}, r"'weight': expected .* per target row \(4\), got shape \(2,\)"),
        (
            {"weight": [1.0, -1.0, 0.0, 0.0]},
            r"'weight': expected a finite weight >= 0 .* got -1\.0 at target 1",
        ),
        ({"fixed": [1, 0, 0]}, r"'fixed': expected a boolean mask, got dtype int"),
        ({"group": [0.5, 1.0, 2.0]}, r"'group': expected integer ids, got dtype float64"),
        (
            {"group": [0, 0, 1], "fixed": [True, True, False]},
            r"at most 1 existing camera\(s\) per group, got 2 in group 0",
        ),
        ({"group_limit": 0}, r"'group_limit': expected an integer >= 1, got 0"),
        (
            {"all_of": [0, 0, -3, -1]},
            r"'all_of': expected composite ids >= 0 \(or -1 for none\), got -3 at target 2",
        ),
    ],
)
def test_bad_arrays_are_rejected_with_what_was_expected(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(PlacementInputError, match=match):
        CoverageProblem.from_arrays(small(), **kwargs)  # type: ignore[arg-type]


def test_dense_matrix_is_rejected() -> None:
    with pytest.raises(PlacementInputError, match=r"expected a 2-d scipy.sparse matrix .* got ndarray"):
        CoverageProblem.from_arrays(np.ones((2, 2), dtype=bool))


def test_budget_below_cheapest_camera() -> None:
    prob = CoverageProblem.from_arrays(small(), [3.0, 2.0, 4.0])
    with pytest.raises(
        PlacementInputError, match=r"'budget': expected a budget of at least the cheapest .*\(2\), got 1\.5"
    ):
        solve_max_coverage(prob, 1.5)
    with pytest.raises(PlacementInputError, match=r"'budget': expected a finite number, got nan"):
        solve_max_coverage(prob, math.nan)


def test_uncoverable_targets_are_listed() -> None:
    A = small()
    prob = CoverageProblem.from_arrays(A)
    with pytest.raises(UncoverableTargetsError, match=r"got 1 that no candidate can cover: rows \[2\]") as info:
        solve_set_cover(prob)
    assert info.value.targets == (2,)
    assert isinstance(info.value, XueliangError)
    # not required: fine
    res = solve_set_cover(CoverageProblem.from_arrays(A, required=[True, True, False, True]))
    assert res.covered[[0, 1, 3]].all()


def test_quota_that_cannot_be_met_and_bad_quota() -> None:
    prob = CoverageProblem.from_arrays(small(), required=[False] * 4)
    with pytest.raises(InfeasiblePlanError, match=r"quota 0 cannot be met"):
        solve_set_cover(prob, quotas=[Quota(np.array([False, False, True, True]), 0.9)])
    with pytest.raises(PlacementInputError, match=r"'quota.fraction': expected a fraction in \[0, 1\], got 1\.5"):
        Quota(np.ones(4, dtype=bool), 1.5)
    with pytest.raises(
        PlacementInputError,
        match=r"quota 0: 'quotas': expected a mask with one entry per target row \(4\), got 3",
    ):
        solve_set_cover(prob, quotas=[Quota(np.ones(3, dtype=bool), 0.5)])


def test_phase_errors_name_the_phase() -> None:
    prob = CoverageProblem.from_arrays(small(), [3.0, 2.0, 4.0])
    with pytest.raises(PlacementInputError, match=r"phase 2: 'budget': expected a budget of at least"):
        plan_phases(prob, [5.0, 0.5])


def test_time_limited_run_reports_a_valid_bound_and_gap() -> None:
    """A heavily overlapping instance under a one-second limit: whatever the status, the bound holds."""
    rng = np.random.default_rng(11)
    pts = rng.uniform(0, 2000, (3000, 2))
    cams = rng.uniform(0, 2000, (300, 2))
    d = np.hypot(pts[:, None, 0] - cams[None, :, 0], pts[:, None, 1] - cams[None, :, 1])
    prob = CoverageProblem.from_arrays(sp.csc_array(d <= 400), weight=rng.integers(1, 10, 3000).astype(float))
    res = solve_max_coverage(prob, 12.0, time_limit=1.0)
    assert res.status in ("optimal", "time_limit")
    assert res.bound >= res.objective
    assert res.gap == pytest.approx((res.bound - res.objective) / res.objective)
    assert res.added.size <= 12
    cover = solve_set_cover(CoverageProblem.from_arrays(sp.csc_array(d <= 400)), time_limit=1.0)
    assert cover.bound <= cover.objective
    assert cover.covered.all()
    assert cover.status in ("optimal", "time_limit")
    # the MILP may be skipped when a loaded machine spends the whole second on the heuristics
    assert "greedy" in {s.stage for s in cover.stages}


def test_optimal_status_means_the_returned_plan_meets_the_bound() -> None:
    """Regression: HiGHS once reported the optimum's value but handed back the warm start."""
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 5000, (2500, 2))
    cams = rng.uniform(0, 5000, (500, 2))
    d = np.hypot(pts[:, None, 0] - cams[None, :, 0], pts[:, None, 1] - cams[None, :, 1])
    A = d <= 250
    A = A[A.any(axis=1)]
    res = solve_set_cover(CoverageProblem.from_arrays(sp.csc_array(A)), time_limit=30)
    milp = next(s for s in res.stages if s.stage == "milp")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(res.bound) == pytest.approx(milp.objective)
    assert res.covered.all()
