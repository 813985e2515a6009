"""Lagrangian relaxation of the covering rows: bounds, a primal heuristic and reduced-cost fixing.

Both relaxations stay valid at every iterate (any multipliers give a bound); subgradient steps
(Polyak steps towards the best known plan's value) only make them tighter. Group limits and quotas
are relaxed away, which keeps every bound and every fixing valid but may loosen them.

*Reduced-cost fixing.* With multipliers ``lam`` and their bound ``L``, forcing candidate ``j``
into (or out of) the plan moves the relaxation's value by at least its reduced cost. When even
the forced relaxation cannot beat the incumbent by one *step* (the granularity of the objective:
1 when every weight or cost is an integer, else 0), no strictly better plan has that value of
``x_j``, so the exact stage may fix it. The plan it then finds, or its proof that nothing better
exists, is over the fixed model; the incumbent keeps the rest.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.placement._ranges import scatter
from geo.placement._reduce import RowCover, UnitCover
from geo.placement.problem import BoolArray, FloatArray


@dataclass(frozen=True, eq=False)
class LagrangianOutcome:
    """The best bound found, the fixings it implies and (set cover) the best plan it led to.

    ``fix_zero`` / ``fix_one`` are over the reduced columns (``red.cols`` / ``rows.cols``):
    no plan strictly better than ``incumbent`` (by at least ``step``) has ``x_j = 1`` / ``x_j = 0``.
    ``plan`` is a cover of the reduced rows over the reduced columns (set cover only), or None.
    """

    bound: float
    iterations: int
    seconds: float
    incumbent: float  # the objective value the fixings were computed against
    fix_zero: BoolArray
    fix_one: BoolArray
    plan: BoolArray | None = None
    plan_value: float = math.nan
    multipliers: FloatArray | None = None  # max coverage: the multipliers of ``bound`` (one per row)


# Camerini, Fratta and Maffioli's deflection for the max-coverage subgradient: on the 250 m county
# instance 300 iterations reach 2,512,431 with it against 2,519,550 without (plan 2,491,087)
_DEFLECTION = 0.5
_GIVE_UP_AFTER = 100  # max coverage: iterations before the search may give up (see give_up_above)


def granularity(values: FloatArray) -> float:
    """1.0 when every value is an integer (objective values then move in whole steps), else 0.0."""
    finite = values[np.isfinite(values)]
    return 1.0 if finite.size and bool(np.all(finite == np.round(finite))) else 0.0


def _int32(A: sp.csr_array) -> sp.csr_array:
    """``A`` with 32-bit index arrays where they fit."""
    if A.nnz < np.iinfo(np.int32).max:
        A.indices = A.indices.astype(np.int32, copy=False)
        A.indptr = A.indptr.astype(np.int32, copy=False)
    return A


def _sq_norm(g: FloatArray) -> float:
    """``g @ g`` without BLAS: OpenBLAS threads a dot product of this size, and on a loaded 2-core
    machine its threads then spin against the solver (measured: 1.46 ms against 0.04 ms for
    220k rows, and every other pass of the Lagrangian slowed about 3-fold; its 700 iterations on
    the 250 m county took 21 s instead of 8 s)."""
    return float(np.einsum("i,i->", g, g))


def _tol(x: float) -> float:
    return 1e-7 * max(1.0, abs(x))


def _fractional_knapsack(value: FloatArray, cost: FloatArray, budget: float) -> tuple[float, FloatArray, float]:
    """max value.x s.t. cost.x <= budget, 0 <= x <= 1, by ratio order; also the critical ratio.

    The critical ratio ``rho`` is the LP dual of the budget row: the value per unit of cost of
    the item that fills the budget (0 if everything with a positive value fits).
    """
    x = np.zeros(value.size)
    pos = np.flatnonzero(value > 0)
    if pos.size == 0 or budget <= 0:
        return 0.0, x, 0.0
    ratio = value[pos] / cost[pos]
    # at most budget / cheapest items fit whole, plus one in part: only those need sorting
    n_top = min(pos.size, int(budget / float(cost[pos].min())) + 1)
    if n_top < pos.size:
        top = np.argpartition(-ratio, n_top - 1)[:n_top]
        pos, ratio = pos[top], ratio[top]
    order = pos[np.argsort(-ratio, kind="stable")]
    csum = np.cumsum(cost[order])
    full = int(np.searchsorted(csum, budget, side="right"))
    x[order[:full]] = 1.0
    total = float(value[order[:full]].sum())
    rho = 0.0
    if full < order.size:
        k = order[full]
        rest = budget - (float(csum[full - 1]) if full else 0.0)
        frac = rest / float(cost[k])
        x[k] = frac
        total += frac * float(value[k])
        rho = float(value[k] / cost[k])
    return total, x, rho


class CoverageSubgradient:
    """A subgradient search on the max-coverage relaxation ``L(lam)`` (see :func:`max_coverage_lagrangian`):
    the multipliers (one per reduced row, starting from each unit's weight spread over its rows), the
    best bound met and its multipliers, and the step scale, halved after 20 iterations without a
    better bound. Steps are deflected: half the previous direction damps the zig-zag."""

    def __init__(self, red: UnitCover, cost: FloatArray, budget: float) -> None:
        self.w = red.coef[:, 0]
        self.row_unit = red.row_unit
        self.R: sp.csr_array = red.R
        # the iterations are memory-bound (two passes over the matrix each): 32-bit indices halve
        # the index traffic; on a shared machine the 250 m county's 1.39 M nonzeros took 7 ms a
        # pass (2.4 ms on a quiet one)
        self.RT = _int32(sp.csr_array(red.R.T))
        self.cost, self.budget = cost, budget
        sizes = np.bincount(self.row_unit, minlength=self.w.size).astype(np.float64)
        self.lam: FloatArray = (self.w / sizes)[self.row_unit]
        self.best_lam = self.lam
        self.ub = math.inf
        self.theta = 1.0
        self.stall = 0
        self.direction: FloatArray | None = None

    def _reduced(self, mult: FloatArray) -> FloatArray:
        reduced: FloatArray = self.w - np.bincount(self.row_unit, weights=mult, minlength=self.w.size)
        return reduced

    def value_at(self, mult: FloatArray) -> float:
        """``L(mult)`` without the constant."""
        knap = _fractional_knapsack(np.asarray(self.RT @ mult), self.cost, self.budget)[0]
        return float(np.maximum(self._reduced(mult), 0).sum()) + knap

    def evaluate(self) -> tuple[float, FloatArray, FloatArray]:
        """At the current multipliers: ``L`` without the constant, the knapsack's ``x``, the units' reduced weights."""
        red_w = self._reduced(self.lam)
        val_x, x, _ = _fractional_knapsack(np.asarray(self.RT @ self.lam), self.cost, self.budget)
        return float(np.maximum(red_w, 0).sum()) + val_x, x, red_w

    def record(self, value: float) -> None:
        """Keep ``value`` (at the current multipliers) if it is a better bound; else count a stall."""
        if value < self.ub - 1e-9 * max(1.0, abs(value)):
            self.ub, self.best_lam, self.stall = value, self.lam, 0
        else:
            self.stall += 1
            if self.stall >= 20:
                self.theta *= 0.5
                self.stall = 0

    def cover_counts(self, x: FloatArray) -> FloatArray:
        """``R @ x`` from the columns ``x`` uses only (the knapsack's ``x`` holds a few of them)."""
        used = np.flatnonzero(x)
        return scatter(self.RT, used, x[used])

    def step(self, g: FloatArray, value: float, target: float) -> bool:
        """A Polyak step along ``-g`` towards ``target`` (without the constant); False when ``g`` is zero.

        ``g`` is overwritten (it becomes the deflected direction)."""
        if self.direction is not None:
            g += _DEFLECTION * self.direction
        self.direction = g
        norm = _sq_norm(g)
        if norm <= 0:
            return False
        gap = max(value - target, 1e-9 * max(1.0, value))
        lam = self.lam - (self.theta * gap / norm) * g
        np.maximum(lam, 0.0, out=lam)
        self.lam = lam
        return True


def max_coverage_lagrangian(
    red: UnitCover,
    cost: FloatArray,
    budget: float,
    best: float,
    *,
    seconds: float,
    step: float = 0.0,
    max_iter: int = 1000,
    start: FloatArray | None = None,
    give_up_above: float = math.inf,
) -> LagrangianOutcome:
    """Upper bound on covered weight: relax ``y_u <= R_r x`` with multipliers ``lam_r >= 0``.

    ``L(lam) = const + sum_u max(0, w_u - sum_{r in u} lam_r) + knapsackLP(R^T lam, c, B)``.
    ``best`` is the incumbent's objective (a lower bound), used for the step size and fixing.
    Fixing uses the LP dual ``rho`` of the budget row: with ``d_j = (R^T lam)_j - rho c_j``,
    forcing ``x_j = 1`` leaves at most ``L - max(0, -d_j)``, forcing ``x_j = 0`` at most
    ``L - max(0, d_j)``. ``start`` (multipliers per row, e.g. LP duals) replaces the default
    start (each unit's weight spread over its rows) when its bound is lower. The search gives up
    when after ``_GIVE_UP_AFTER`` iterations its bound is still above ``give_up_above`` (a bound
    held already, e.g. the trivial one: on the 500 m county instance it stayed above that after
    1,000 iterations, 22 s).
    """
    t0 = time.monotonic()
    const = float(red.constant[0])
    if red.R.shape[0] == 0:
        none = np.zeros(red.cols.size, dtype=bool)
        return LagrangianOutcome(const, 0, 0.0, best, none, none.copy())
    sg = CoverageSubgradient(red, cost, budget)
    if start is not None:
        start = np.maximum(start, 0.0)
        if sg.value_at(start) < sg.value_at(sg.lam):
            sg.lam = sg.best_lam = start
    it = 0
    while it < max_iter:
        it += 1
        value, x, red_w = sg.evaluate()
        sg.record(value)
        if time.monotonic() - t0 > seconds or sg.theta < 1e-4:
            break
        if it >= _GIVE_UP_AFTER and sg.ub + const > give_up_above:
            break
        if sg.ub + const - step - best <= _tol(sg.ub + const):  # floor(ub) == best: proven
            break
        g = sg.cover_counts(x)
        g -= (red_w > 0)[red.row_unit]
        if not sg.step(g, value, best - const):  # dL/dlam
            break
    bound = sg.ub + const
    fix_zero, fix_one = knapsack_fixings(np.asarray(sg.RT @ sg.best_lam), cost, budget, bound, best, step)
    return LagrangianOutcome(bound, it, time.monotonic() - t0, best, fix_zero, fix_one, multipliers=sg.best_lam)


def knapsack_fixings(
    v: FloatArray, cost: FloatArray, budget: float, bound: float, best: float, step: float
) -> tuple[BoolArray, BoolArray]:
    """MCLP reduced-cost fixing (fix to 0, fix to 1) at multipliers with column sums ``v = R^T lam``.

    ``bound`` is ``L(lam)`` (constant included), ``best`` the incumbent's value; see
    :func:`max_coverage_lagrangian`. No plan better than ``best`` by ``step`` differs from a fixing.
    """
    _, _, rho = _fractional_knapsack(v, cost, budget)
    d = v - rho * cost
    limit = best + step - _tol(bound)  # a strictly better plan reaches at least this
    fix_zero = (bound - np.maximum(0.0, -d)) < limit
    fix_one = (bound - np.maximum(0.0, d)) < limit
    return fix_zero, fix_one & ~fix_zero


def _greedy_cover(Rc: sp.csc_array, Rr: sp.csr_array, reduced: FloatArray, cost: FloatArray) -> BoolArray:
    """Cover every row, picking by the reduced-cost score of Caprara, Fischetti and Toth (1999).

    Score of column ``j`` covering ``mu`` still-uncovered rows: ``r_j / mu`` if ``r_j > 0`` else
    ``r_j * mu`` (lower is better); scores only worsen as rows get covered, so a lazy heap picks
    what a full rescan would. Redundant columns are then dropped, most expensive first.
    """
    n_r, n_c = Rc.shape
    covered = np.zeros(n_r, dtype=bool)
    x = np.zeros(n_c, dtype=bool)
    mu = np.diff(Rc.indptr)

    def score(j: int, m: int) -> float:
        r = float(reduced[j])
        return r / m if r > 0 else r * m

    heap = [(score(j, int(mu[j])), j) for j in range(n_c) if mu[j] > 0]
    heapq.heapify(heap)
    left = n_r
    ind, ptr = Rc.indices, Rc.indptr
    while left and heap:
        _, j = heapq.heappop(heap)
        rows = ind[ptr[j] : ptr[j + 1]]
        new = int((~covered[rows]).sum())
        if new == 0:
            continue
        s2 = score(j, new)
        if heap and s2 > heap[0][0] + 1e-12:
            heapq.heappush(heap, (s2, j))
            continue
        x[j] = True
        covered[rows] = True
        left -= new
    cnt = np.asarray(Rr @ x.astype(np.float64))
    for j in np.flatnonzero(x)[np.argsort(-cost[x], kind="stable")]:
        rows = ind[ptr[j] : ptr[j + 1]]
        if (cnt[rows] >= 2).all():
            x[j] = False
            cnt[rows] -= 1
    return x


def cover_bound(R: sp.csr_array, cost: FloatArray, lam: FloatArray) -> float:
    """The set-cover Lagrangian bound ``sum(lam) + sum_j min(0, c_j - (R^T lam)_j)``, any ``lam >= 0``."""
    reduced = cost - np.asarray(R.T @ lam)
    return float(lam.sum() + np.minimum(reduced, 0.0).sum())


def set_cover_lagrangian(
    rows: RowCover,
    cost: FloatArray,
    best: float,
    *,
    seconds: float,
    step: float = 0.0,
    max_iter: int = 1000,
    heuristic_every: int = 10,
    enough: float = -math.inf,
    start: FloatArray | None = None,
) -> LagrangianOutcome:
    """Lower bound on cost: relax ``R_r x >= 1`` with ``lam_r >= 0``; a plan from the multipliers.

    ``L(lam) = sum_r lam_r + sum_j min(0, r_j)`` with reduced costs ``r = c - R^T lam``. Every
    ``heuristic_every`` iterations a greedy cover driven by the reduced costs may improve the
    incumbent ``best`` (0 disables it). The search also stops once a plan costs at most
    ``enough``, or the bound proves that none does. Fixing: a plan with ``x_j = 1`` costs at least
    ``L + max(0, r_j)``, one with ``x_j = 0`` at least ``L + max(0, -r_j)``. ``start``
    (multipliers per row, e.g. LP duals) replaces the default start (each row at its cheapest
    cost per row covered) when its bound is higher.
    """
    t0 = time.monotonic()
    R = sp.csr_array(rows.R)
    n_r, n_c = R.shape
    if n_r == 0:
        none = np.zeros(n_c, dtype=bool)
        return LagrangianOutcome(0.0, 0, 0.0, best, none, none.copy())
    Rc = sp.csc_array(R)
    Rc.sort_indices()
    RT = sp.csr_array(R.T)
    col_size = np.maximum(np.diff(Rc.indptr).astype(np.float64), 1.0)
    ratio = cost / col_size
    lam = np.minimum.reduceat(ratio[R.indices], R.indptr[:-1])  # each row at its cheapest rate
    if start is not None:
        start = np.maximum(start, 0.0)
        if cover_bound(R, cost, start) > cover_bound(R, cost, lam):
            lam = start
    lb = -math.inf
    best_lam = lam
    plan: BoolArray | None = None
    plan_value = math.inf
    if not math.isfinite(best):
        plan = _greedy_cover(Rc, R, cost, cost)
        plan_value = best = float(cost[plan].sum())
    theta = 1.0
    stall = 0
    it = 0
    while it < max_iter:
        it += 1
        reduced = cost - np.asarray(RT @ lam)
        x = reduced < 0
        value = float(lam.sum() + reduced[x].sum())
        if value > lb + 1e-9 * max(1.0, abs(value)):
            lb, best_lam, stall = value, lam, 0
        else:
            stall += 1
            if stall >= 20:
                theta *= 0.5
                stall = 0
        if heuristic_every and it % heuristic_every == 0:
            cand = _greedy_cover(Rc, R, reduced, cost)
            c = float(cost[cand].sum())
            if c < plan_value:
                plan, plan_value = cand, c
                best = min(best, c)
        if time.monotonic() - t0 > seconds or theta < 1e-4 or plan_value <= enough:
            break
        if best - step - lb <= _tol(best) or (math.isfinite(enough) and lb > enough + _tol(enough)):
            break
        g = 1.0 - np.asarray(R @ x.astype(np.float64))
        norm = _sq_norm(g)
        if norm <= 0:
            break
        gap = max(best - value, 1e-9 * max(1.0, best))
        lam = np.maximum(0.0, lam + theta * gap / norm * g)
    reduced = cost - np.asarray(RT @ best_lam)
    limit = best - step + _tol(best)  # a strictly better plan costs at most this
    fix_zero = (lb + np.maximum(0.0, reduced)) > limit
    fix_one = (lb + np.maximum(0.0, -reduced)) > limit
    return LagrangianOutcome(lb, it, time.monotonic() - t0, best, fix_zero, fix_one & ~fix_zero, plan, plan_value)
