"""An upper bound on max coverage tighter than the LP: price the budget, split the instance into tiles.

For any price ``mu >= 0`` and any plan within the budget, covered weight <= ``mu B + W(x) - mu c.x``.
Split the units into tiles (each unit in one tile) and each camera's cost into shares, one per tile
whose units it sees (``c_jt >= 0``, summing to ``c_j``). Then ``W(x) - mu c.x`` is the sum over the
tiles of ``W_t(x) - mu sum_j c_jt x_j``, and each term is at most the optimum of that tile's own
priced max coverage (cameras bought per tile, at their share). So ``mu B + sum_t OPT_t(mu)`` bounds
every plan; a tile's MILP that stops early still gives a valid upper bound (its dual bound).

The shares and the price come from Lagrangian multipliers ``lam`` of the link rows: ``v_j =
(R^T lam)_j`` split by the tile each row lies in, ``c_jt = c_j v_jt / v_j``, and ``mu`` the budget's
critical ratio. With these, each tile's own Lagrangian bound at ``lam`` sums to the whole
Lagrangian bound, so a tile left unsolved (out of time) counts by that share, and every solved
tile can only tighten it: the result is never above the Lagrangian bound at ``lam``. Solving a tile
exactly removes the LP's integrality gap inside it; what is lost is at the tile borders.

*The tiles' plan.* Each solved tile also chooses cameras at the price. A camera takes the choice of
its *home* tile, the solved tile holding its largest share; a camera no solved tile holds keeps
the incumbent's. Past the budget (or under it) the caller fits it (``lns.fitted_plan``).
On the 250 m county (seed 7) that plan, fitted, covered 2,504,494 after the tiles, against 2,503,605
for 49.5 s of priced windows from the polished plan; the union of the tiles' choices overspent the
budget by 20 % and covered 2,501,340 once fitted.

Tiles are Voronoi cells of the row-camera graph (hop distance to random centre cameras), so the
split needs no coordinates. On the 250 m county instance (seed 7) the LP bound is 2,507,486; 100
tiles solved at the LP duals' price bound it by 2,506,246 in 36 CPU s, 26 tiles by 2,506,031.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.placement._model import Model
from geo.placement._reduce import UnitCover, sub_cover
from geo.placement.lagrange import _fractional_knapsack
from geo.placement.milp import MilpLimits, solve_unit_cover_milp
from geo.placement.problem import BoolArray, FloatArray, IntArray

_MARGIN = 1e-7
ROWS_PER_TILE = 2_000  # a tile's MILP (about 600 cameras at 250 m) then solves in a fraction of a second


@dataclass(frozen=True, eq=False)
class SplitBound:
    """The bound (covered weight, ``red.constant`` included), the price, and how many tiles were solved."""

    bound: float
    price: float
    tiles: int
    solved: int  # tiles whose MILP gave a bound (the others count by their Lagrangian share)
    seconds: float
    plan: BoolArray | None = None  # over ``red.cols``: each camera as its home tile chose (see above)


def tiles_of_units(red: UnitCover, n_tiles: int, seed: int = 0) -> IntArray:
    """A tile id per unit: the nearest of ``n_tiles`` random centre cameras over shared rows.

    Every connected part of the instance gets a centre of its own if none fell in it.
    """
    R = sp.csr_array(red.R, dtype=np.float64)
    n_r, n_c = R.shape
    n_u = red.coef.shape[0]
    if n_r == 0 or n_c == 0:
        return np.zeros(n_u, dtype=np.int64)
    graph = sp.csr_array(sp.bmat([[None, R], [R.T, None]], format="csr"))
    rng = np.random.default_rng(seed)
    centres = n_r + rng.choice(n_c, min(max(n_tiles, 1), n_c), replace=False)
    _, part = connected_components(graph, directed=False)
    has = np.zeros(int(part.max()) + 1, dtype=bool)
    has[part[centres]] = True
    first = np.unique(part, return_index=True)[1]
    centres = np.concatenate([centres, first[~has[part[first]]]])
    _, _, source = dijkstra(
        graph, directed=False, indices=centres, unweighted=True, min_only=True, return_predecessors=True
    )
    _, tile_of_row = np.unique(source[:n_r], return_inverse=True)
    out = np.zeros(n_u, dtype=np.int64)
    out[red.row_unit[::-1]] = tile_of_row.reshape(-1)[::-1]  # a unit goes with its first row
    return np.unique(out, return_inverse=True)[1].reshape(-1).astype(np.int64)  # no tile left empty


def price_split_bound(
    model: Model,
    red: UnitCover,
    budget: float,
    lam: FloatArray,
    *,
    deadline: float,
    n_tiles: int | None = None,
    seed: int = 0,
    threads: int = 0,
    rel_gap: float = 1e-6,
    plan: BoolArray | None = None,
) -> SplitBound:
    """The bound above for multipliers ``lam >= 0`` (one per row of ``red``), tiles solved until ``deadline``.

    ``plan`` (a mask over ``red.cols``, the incumbent): given, the result's ``plan`` is the tiles' plan
    (each camera as its home tile chose, the incumbent's choice where no solved tile holds it).
    """
    t0 = time.monotonic()
    cost = model.cost[red.cols]
    w = red.coef[:, 0]
    const = float(red.constant[0])
    R = sp.csr_array(red.R, dtype=np.float64)
    n_r, n_c = R.shape
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    v = np.asarray(R.T @ lam)
    _, _, mu = _fractional_knapsack(v, cost, budget)
    free_weight = np.maximum(w - np.bincount(red.row_unit, weights=lam, minlength=w.size), 0.0)
    if n_r == 0:
        return SplitBound(const + float(free_weight.sum()), mu, 0, 0, time.monotonic() - t0)
    tiles = n_tiles if n_tiles is not None else max(1, math.ceil(n_r / ROWS_PER_TILE))
    tile_of_unit = tiles_of_units(red, tiles, seed)
    tile_of_row = tile_of_unit[red.row_unit]
    n_t = int(tile_of_unit.max()) + 1
    # per tile and camera: its share of v (the rows it sees there, weighted by lam) and of its rows
    by_tile = sp.csr_array((np.ones(n_r), (tile_of_row, np.arange(n_r))), shape=(n_t, n_r))
    v_t = sp.csr_array(by_tile @ sp.csr_array(R.multiply(lam[:, None])))
    rows_t = sp.csr_array(by_tile @ R)
    rows_all = np.asarray(R.sum(axis=0)).reshape(-1)
    bound = const + mu * budget
    solved = 0
    units_of = np.argsort(tile_of_unit, kind="stable")
    unit_starts = np.searchsorted(tile_of_unit[units_of], np.arange(n_t + 1))

    def tile(t: int) -> tuple[IntArray, IntArray, FloatArray, float]:
        """Tile ``t``'s units, cameras, their cost shares and its Lagrangian share (its units' free
        weight and its cameras' positive reduced cost)."""
        units = units_of[unit_starts[t] : unit_starts[t + 1]]
        cols = rows_t.indices[rows_t.indptr[t] : rows_t.indptr[t + 1]]
        share = np.zeros(n_c)
        share[v_t.indices[v_t.indptr[t] : v_t.indptr[t + 1]]] = v_t.data[v_t.indptr[t] : v_t.indptr[t + 1]]
        share = share[cols]
        by_rows = rows_t.data[rows_t.indptr[t] : rows_t.indptr[t + 1]] / np.maximum(rows_all[cols], 1.0)
        share = np.where(v[cols] > 0, share / np.where(v[cols] > 0, v[cols], 1.0), by_rows)
        lagrangian = float(free_weight[units].sum()) + float(np.maximum(share * (v[cols] - mu * cost[cols]), 0.0).sum())
        return units, cols, share, lagrangian

    # the tiles with the largest Lagrangian share first: where the relaxation has the most to lose
    parts = [tile(t) for t in range(n_t)]
    rows_of = np.argsort(tile_of_row, kind="stable")
    row_starts = np.searchsorted(tile_of_row[rows_of], np.arange(n_t + 1))
    tiled = None if plan is None else plan.copy()
    home_share = np.zeros(n_c)  # the largest share of each camera's cost met so far in a solved tile
    for t in np.argsort(-np.array([part[3] for part in parts]), kind="stable").tolist():
        units, cols, share, lagrangian = parts[t]
        value = lagrangian
        left = deadline - time.monotonic()
        rows = rows_of[row_starts[t] : row_starts[t + 1]] if left > 0.05 else np.zeros(0, dtype=np.int64)
        if rows.size:
            sub = sub_cover(red, rows, cols, units, red.cols[cols])
            limits = MilpLimits(time_limit=left, rel_gap=rel_gap, seed=seed, threads=threads)
            out = solve_unit_cover_milp(model, sub, math.inf, None, limits, price=mu * share)
            if math.isfinite(out.bound):  # a margin for the solver's tolerances
                value = min(value, out.bound + _MARGIN * max(1.0, abs(out.bound)))
                solved += 1
            if tiled is not None and out.chosen is not None:
                home = share > home_share[cols]
                home_share[cols[home]] = share[home]
                tiled[cols[home]] = out.chosen[red.cols[cols[home]]]
        bound += value
    return SplitBound(bound, mu, n_t, solved, time.monotonic() - t0, tiled)
