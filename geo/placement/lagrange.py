"""Lagrangian bounds by subgradient on the covering constraints, for instances the MILP cannot close.

Both bounds stay valid at every iterate (any multipliers give a bound); the subgradient steps
(Polyak steps towards the best known solution value) only make them tighter. Group limits and
quotas are relaxed away, which keeps the bounds valid but may loosen them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.placement._reduce import RowCover, UnitCover
from geo.placement.problem import FloatArray


@dataclass(frozen=True, eq=False)
class LagrangianBound:
    bound: float
    iterations: int
    seconds: float


def _fractional_knapsack(value: FloatArray, cost: FloatArray, budget: float) -> tuple[float, FloatArray]:
    """max value.x s.t. cost.x <= budget, 0 <= x <= 1 (the LP relaxation, solved by ratio order)."""
    x = np.zeros(value.size)
    pos = np.flatnonzero(value > 0)
    if pos.size == 0 or budget <= 0:
        return 0.0, x
    order = pos[np.argsort(-value[pos] / cost[pos], kind="stable")]
    csum = np.cumsum(cost[order])
    full = int(np.searchsorted(csum, budget, side="right"))
    x[order[:full]] = 1.0
    total = float(value[order[:full]].sum())
    if full < order.size:
        rest = budget - (float(csum[full - 1]) if full else 0.0)
        frac = rest / float(cost[order[full]])
        x[order[full]] = frac
        total += frac * float(value[order[full]])
    return total, x


def max_coverage_bound(
    red: UnitCover, cost: FloatArray, budget: float, best: float, *, seconds: float, max_iter: int = 300
) -> LagrangianBound:
    """Upper bound on covered weight: relax ``y_u <= R_r x`` with multipliers ``lam_r >= 0``.

    ``L(lam) = const + sum_u max(0, w_u - sum_{r in u} lam_r) + knapsackLP(R^T lam, c, B)``.
    ``best`` is the heuristic's objective (a lower bound) used for the step size.
    """
    t0 = time.monotonic()
    w = red.coef[:, 0]
    const = float(red.constant[0])
    n_r = red.R.shape[0]
    if n_r == 0:
        return LagrangianBound(const, 0, 0.0)
    R: sp.csr_array = red.R
    RT = sp.csr_array(R.T)
    sizes = np.bincount(red.row_unit, minlength=w.size).astype(np.float64)
    lam = (w / sizes)[red.row_unit]
    target = best - const
    ub = math.inf
    theta = 2.0
    stall = 0
    it = 0
    while it < max_iter:
        it += 1
        lam_u = np.bincount(red.row_unit, weights=lam, minlength=w.size)
        red_w = w - lam_u
        y = (red_w > 0).astype(np.float64)
        val_x, x = _fractional_knapsack(np.asarray(RT @ lam), cost, budget)
        value = float(np.maximum(red_w, 0).sum()) + val_x
        if value < ub - 1e-9 * max(1.0, abs(value)):
            ub = value
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                theta *= 0.5
                stall = 0
        if time.monotonic() - t0 > seconds or theta < 1e-4 or ub - target <= 1e-9 * max(1.0, ub):
            break
        g = np.asarray(R @ x) - y[red.row_unit]  # dL/dlam
        norm = float(g @ g)
        if norm <= 0:
            break
        step = theta * max(value - target, 1e-9 * max(1.0, value)) / norm
        lam = np.maximum(0.0, lam - step * g)
    return LagrangianBound(ub + const, it, time.monotonic() - t0)


def set_cover_bound(
    rows: RowCover, cost: FloatArray, best: float, *, seconds: float, max_iter: int = 300
) -> LagrangianBound:
    """Lower bound on cost: relax ``R_r x >= 1`` with ``lam_r >= 0``.

    ``L(lam) = sum_r lam_r + sum_j min(0, c_j - (R^T lam)_j)``.
    """
    t0 = time.monotonic()
    R = rows.R
    n_r = R.shape[0]
    if n_r == 0:
        return LagrangianBound(0.0, 0, 0.0)
    RT = sp.csr_array(R.T)
    col_size = np.maximum(np.asarray(R.sum(axis=0)).reshape(-1), 1.0)
    # start: each row priced at its cheapest per-row cost
    ratio = cost / col_size
    lam = np.minimum.reduceat(ratio[R.indices], R.indptr[:-1])
    lb = -math.inf
    theta = 2.0
    stall = 0
    it = 0
    while it < max_iter:
        it += 1
        reduced = cost - np.asarray(RT @ lam)
        x = (reduced < 0).astype(np.float64)
        value = float(lam.sum() + np.minimum(reduced, 0).sum())
        if value > lb + 1e-9 * max(1.0, abs(value)):
            lb = value
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                theta *= 0.5
                stall = 0
        if time.monotonic() - t0 > seconds or theta < 1e-4 or best - lb <= 1e-9 * max(1.0, best):
            break
        g = 1.0 - np.asarray(R @ x)
        norm = float(g @ g)
        if norm <= 0:
            break
        step = theta * max(best - value, 1e-9 * max(1.0, best)) / norm
        lam = np.maximum(0.0, lam + step * g)
    return LagrangianBound(lb, it, time.monotonic() - t0)
