"""The priced tile bound for max coverage (geo/placement/price_split.py), against enumeration.

The bound must hold for any multipliers, any tiling and any time left (tiles not solved count by
their Lagrangian share), and it must never be above the Lagrangian bound at the same multipliers.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from geo.placement import CoverageProblem
from geo.placement._model import build_model
from geo.placement._reduce import UnitCover, reduce_units
from geo.placement.lagrange import _fractional_knapsack, max_coverage_lagrangian
from geo.placement.lns import fitted_plan
from geo.placement.price_split import price_split_bound, tiles_of_units
from tests.geo.test_placement_windows import disks, random_instance


def best_value(red: UnitCover, cost: np.ndarray, budget: float) -> float:
    """The optimum by enumeration (covered weight, the fixed cameras' constant included)."""
    n = red.cols.size
    X = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
    X = X[X.astype(float) @ cost <= budget + 1e-9]
    seen = (red.R.toarray().astype(float) @ X.T.astype(float)) >= 1
    unit_ok = np.ones((red.coef.shape[0], X.shape[0]), dtype=bool)
    for r, u in enumerate(red.row_unit):
        unit_ok[u] &= seen[r]
    return float(red.constant[0] + (red.coef[:, 0] @ unit_ok).max())


def lagrangian_at(red: UnitCover, cost: np.ndarray, budget: float, lam: np.ndarray) -> float:
    """The Lagrangian bound at ``lam``: the units' free weight plus the knapsack LP of the cameras' values."""
    w = red.coef[:, 0]
    free = np.maximum(w - np.bincount(red.row_unit, weights=lam, minlength=w.size), 0.0).sum()
    return float(red.constant[0] + free + _fractional_knapsack(np.asarray(red.R.T @ lam), cost, budget)[0])


def priced_value(red: UnitCover, cost: np.ndarray, plan: np.ndarray, price: float) -> float:
    """Covered weight (the constant included) minus the price times the plan's spend."""
    seen = np.asarray(red.R @ plan.astype(float)) > 0.5
    covered = np.ones(red.coef.shape[0], dtype=bool)
    np.logical_and.at(covered, red.row_unit, seen)
    return float(red.constant[0] + red.coef[:, 0] @ covered - price * (cost @ plan))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),  # seed
    st.integers(3, 11),  # candidates
    st.integers(1, 6),  # tiles
    st.floats(1.0, 6.0),  # budget
    st.sampled_from(["zero", "random", "subgradient"]),  # multipliers
    st.booleans(),  # composites
    st.booleans(),  # out of time: no tile solved
)
def test_price_split_bound_holds_never_exceeds_the_lagrangian_bound_and_its_plan_fits_once_fitted(
    seed: int, n_cand: int, n_tiles: int, budget: float, kind: str, composites: bool, no_time: bool
) -> None:
    rng = np.random.default_rng(seed + 3)
    model, red = random_instance(seed, n_cand, composites=composites, fixed_share=0.15, n_dem=40, salt=3)
    if red.cols.size == 0 or red.R.shape[0] == 0:
        return
    c = model.cost[red.cols]
    n_r = red.R.shape[0]
    if kind == "zero":
        lam = np.zeros(n_r)
    elif kind == "random":
        lam = rng.uniform(0, 5, n_r)
    else:
        start = max_coverage_lagrangian(red, c, budget, 0.0, seconds=1.0, max_iter=50)
        assert start.multipliers is not None
        lam = start.multipliers
    optimum = best_value(red, c, budget)
    deadline = time.monotonic() + (-1.0 if no_time else 30.0)

    incumbent = rng.random(red.cols.size) < 0.3

    out = price_split_bound(model, red, budget, lam, deadline=deadline, n_tiles=n_tiles, threads=1)
    with_plan = price_split_bound(
        model, red, budget, lam, deadline=deadline, n_tiles=n_tiles, threads=1, plan=incumbent
    )

    assert out.bound >= optimum - 1e-6
    assert out.bound <= lagrangian_at(red, c, budget, lam) + 1e-6
    assert out.solved == (0 if no_time else out.tiles)
    assert out.price >= 0
    # the tiles' plan: asked for, it changes nothing else; where no tile was solved it is the incumbent
    assert out.plan is None and with_plan.plan is not None
    assert with_plan.bound == out.bound
    if no_time:
        assert np.array_equal(with_plan.plan, incumbent)
    fitted = fitted_plan(red, c, with_plan.plan, budget)
    assert c @ fitted <= budget + 1e-9
    if c @ with_plan.plan <= budget + 1e-9:  # nothing had to go: fitting only adds what gains
        assert not (with_plan.plan & ~fitted).any()
        assert priced_value(red, c, fitted, 0.0) >= priced_value(red, c, with_plan.plan, 0.0)


def test_one_tile_with_every_camera_is_the_priced_optimum() -> None:
    """With one tile and the budget's price, the bound is mu B + max(W - mu c): at least the optimum,
    and on these instances within the gap of pricing the budget. One tile (one per connected part)
    holds each camera at its whole cost: the tiles' plan earns exactly that bound less mu B."""
    checked = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        A = disks(seed, 10, 50, 0.25)
        cost = rng.choice([1.0, 1.6, 2.5], 10)
        problem = CoverageProblem.from_arrays(A, cost, weight=rng.integers(1, 10, 50).astype(float))
        model = build_model(problem)
        red = reduce_units(model, problem.weight[:, None])
        c = model.cost[red.cols]
        lag = max_coverage_lagrangian(red, c, 3.0, 0.0, seconds=1.0, max_iter=300)
        assert lag.multipliers is not None
        none = np.zeros(red.cols.size, dtype=bool)
        out = price_split_bound(model, red, 3.0, lag.multipliers, deadline=time.monotonic() + 30, n_tiles=1, plan=none)
        optimum = best_value(red, c, 3.0)
        assert optimum - 1e-6 <= out.bound <= lag.bound + 1e-6
        assert out.plan is not None and out.solved == out.tiles
        earned = priced_value(red, c, out.plan, out.price)
        assert earned == pytest.approx(out.bound - out.price * 3.0, rel=1e-6, abs=1e-6)
        checked += out.bound < lag.bound - 1e-6
    assert checked >= 2, "the exact tile never tightened the Lagrangian bound: the test checks too little"


def test_tiles_cover_every_unit_and_each_connected_part_has_its_own() -> None:
    A = sp.csc_array(sp.block_diag([disks(1, 6, 30, 0.3).toarray(), disks(2, 6, 30, 0.3).toarray()]))
    problem = CoverageProblem.from_arrays(A, np.ones(12))
    model = build_model(problem)
    red = reduce_units(model, problem.weight[:, None], dominance=False)
    tiles = tiles_of_units(red, 1, seed=0)
    assert tiles.size == red.coef.shape[0]
    # one centre only: the other block still gets a tile of its own, never shared across blocks
    R = sp.csr_array(red.R)
    left = np.zeros(red.coef.shape[0], dtype=bool)
    left[red.row_unit[np.flatnonzero(np.diff(sp.csr_array(R[:, red.cols < 6]).indptr) > 0)]] = True
    assert set(tiles[left]).isdisjoint(set(tiles[~left]))
    # one tile per connected part of the instance, each unit in the part of its rows
    graph = sp.bmat([[None, R], [R.T, None]], format="csr")
    _, part = connected_components(graph, directed=False)
    row_part = part[: R.shape[0]]
    assert len(set(tiles.tolist())) == len(set(row_part.tolist()))
    assert all(len(set(row_part[tiles[red.row_unit] == t].tolist())) == 1 for t in set(tiles.tolist()))
