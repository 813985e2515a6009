"""MCLP plan improvement by re-solving windows exactly (MILP-based large neighbourhood search).

At county scale the MILP over the whole reduced model does not even finish its root LP within the
time limit, while a window of a few hundred neighbouring candidates solves to optimality in a
fraction of a second. A *window* is a seed candidate grown by breadth-first search over shared
rows (candidates that see a common target) until it holds ``size`` candidates. Every candidate
outside it keeps its current value; rows that an outside camera already sees drop out; the window
gets the budget it spends now plus what the whole plan leaves unspent. HiGHS then solves the
window's MCLP exactly, warm-started from the current plan, and its answer replaces the window's
part of the plan when it covers more weight, or the same weight for less money (which frees budget
for later windows). Each accepted step is feasible and never worse, so the search can stop at
any time. Each sweep seeds windows first at the candidates that would see the most uncovered weight,
then at the rest in a seeded random order; a sweep that improves nothing ends the search.

*Priced windows.* A window under the budget can only rearrange the money it already spends, so
budget never moves between distant parts of the plan, while a greedy plan pays very different
prices per unit of weight in different places. With a ``price`` instead, a window maximises its
covered weight minus the price times its spend, with no budget: cameras that earn less than the
price go, cameras that earn more come in, wherever they are. The price follows the spend (raised
while the plan spends more than the budget, lowered while less), and at the end
:func:`fit_budget` drops the cameras that lose least per unit of cost until the plan fits, then
adds what still fits by gain per cost. On the 250 m county instance (seed 7), 40 s of priced
windows from the polished plan reached 2,502,441 within the budget, against 2,492,835 for 40 s
of budget windows (and 2,499,170 for 99 s of them).
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from geo.placement._model import Model
from geo.placement._reduce import UnitCover, seen_weight, sub_cover
from geo.placement.milp import MilpLimits, solve_unit_cover_milp
from geo.placement.problem import BoolArray, FloatArray, IntArray

_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class WindowSearchOutcome:
    """The improved plan over ``red.cols``, its covered weight (without ``red.constant``) and counts."""

    plan: BoolArray
    value: float
    spent: float
    windows: int
    improved: int
    seconds: float
    timed_out: bool  # stopped by the deadline, not by a sweep that improved nothing
    price: float = math.nan  # priced windows: the price at the end


class _Windows:
    """The reduced instance's adjacency and the current plan's per-row counts."""

    def __init__(self, red: UnitCover, cost: FloatArray, plan: BoolArray) -> None:
        self.red = red
        self.R = sp.csr_array(red.R)
        self.Rc = sp.csc_array(red.R)
        self.Rc.sort_indices()
        self.cost = cost
        self.w = red.coef[:, 0]
        self.x = plan.copy()
        self.cnt: IntArray = np.asarray(self.R @ self.x.astype(np.float64)).round().astype(np.int64)
        self.n_units = self.w.size
        size = np.bincount(red.row_unit, minlength=self.n_units)
        self.credit = self.w[red.row_unit] / np.maximum(size, 1)[red.row_unit]  # a unit's weight over its rows

    def value(self) -> float:
        return seen_weight(self.red.row_unit, self.cnt == 0, self.w)

    def per_cost(self, count: int) -> FloatArray:
        """Per column, per unit of its cost: the credit of its rows the plan sees ``count`` times (0: what
        adding it would gain; 1: what dropping it would lose)."""
        out: FloatArray = np.asarray(self.Rc.T @ (self.credit * (self.cnt == count))) / self.cost
        return out

    def seeds(self, rng: np.random.Generator) -> IntArray:
        """Every column once: first those seeing uncovered weight (most first), then the rest at random."""
        unseen = self.w[self.red.row_unit] * (self.cnt == 0)
        gain = np.asarray(self.Rc.T @ unseen)
        order = rng.permutation(self.x.size)
        return order[np.argsort(-gain[order], kind="stable")]

    def grow(self, seed: int, size: int) -> IntArray:
        """Breadth-first over shared rows from ``seed`` until ``size`` candidates (last ring cut short)."""
        window = np.array([seed], dtype=np.int64)
        seen = np.zeros(self.x.size, dtype=bool)
        seen[seed] = True
        frontier = window
        while window.size < size and frontier.size:
            rows = np.unique(self.Rc[:, frontier].indices)
            cols = np.unique(self.R[rows].indices)
            new = cols[~seen[cols]]
            if new.size == 0:
                break
            new = new[: size - window.size]
            seen[new] = True
            window = np.concatenate([window, new])
            frontier = new
        return window

    def subproblem(self, window: IntArray) -> tuple[UnitCover, IntArray, float]:
        """The window's MCLP: rows only the window can still cover, units that can still count.

        Returns the sub-instance (columns = positions in ``window``), the units it holds (ids of
        ``red``) and the weight those units have under the current plan.
        """
        red = self.red
        rows = np.unique(self.Rc[:, window].indices)
        sub = sp.csr_array(self.R[rows][:, window])
        inside = np.asarray(sub @ self.x[window].astype(np.float64)).round().astype(np.int64)
        open_rows = rows[self.cnt[rows] - inside == 0]  # no outside camera sees them
        units = np.unique(red.row_unit[open_rows])
        # a unit counts only if its rows outside the window are already seen
        in_window = np.zeros(red.row_unit.size, dtype=bool)
        in_window[open_rows] = True
        blocked = np.zeros(self.n_units, dtype=bool)
        blocked[red.row_unit[(self.cnt == 0) & ~in_window]] = True
        units = units[~blocked[units]]
        keep_unit = np.zeros(self.n_units, dtype=bool)
        keep_unit[units] = True
        open_rows = open_rows[keep_unit[red.row_unit[open_rows]]]
        sub_red = sub_cover(red, open_rows, window, units, window)
        current = seen_weight(sub_red.row_unit, self.cnt[open_rows] == 0, self.w[units])
        return sub_red, units, current

    def apply(self, window: IntArray, new: BoolArray) -> None:
        old = self.x[window].astype(np.float64)
        delta = new.astype(np.float64) - old
        changed = np.flatnonzero(delta)
        if changed.size == 0:
            return
        cols = window[changed]
        self.cnt += np.asarray(self.Rc[:, cols] @ delta[changed]).round().astype(np.int64)
        self.x[cols] = new[changed]


# one window's exact solve, by default. Without HiGHS's presolve: a window is small and reduced already,
# and presolve took two thirds of its time (400 windows of the county at 500 m, seed 7: 15 against
# 48 CPU ms per window; at 250 m 14 against 25; the same optima)
WINDOW_LIMITS = MilpLimits(time_limit=1.0, rel_gap=1e-9, presolve=False)


def window_search(
    model: Model,
    red: UnitCover,
    budget: float,
    plan: BoolArray,
    *,
    deadline: float,
    size: int | None = None,
    each: MilpLimits = WINDOW_LIMITS,
    price: float | None = None,
) -> WindowSearchOutcome:
    """Improve ``plan`` (a bool mask over ``red.cols`` within ``budget``) window by window until ``deadline``.

    ``size``: candidates per window (None: :func:`window_size`). ``each``: the limits of one window's
    exact solve (its time limit is cut to what is left); its seed also orders the windows. ``price``:
    priced windows (see the module's doc) starting at that price, the plan fitted back into the budget
    at the end.

    Needs a model without group limits (a window's group rows would not see the rest of the plan).
    """
    t0 = time.monotonic()
    cost = model.cost[red.cols]
    state = _Windows(red, cost, plan)
    n = red.cols.size
    rng = np.random.default_rng(each.seed)
    cheapest = float(cost.min()) if cost.size else 0.0
    size = window_size(red) if size is None else size
    windows = improved = 0
    visited = 0  # priced: window candidates solved since the price last moved
    sweep_improved = True
    timed_out = False
    spent = float(cost[state.x].sum())
    while sweep_improved:
        if time.monotonic() >= deadline:
            timed_out = True
            break
        sweep_improved = False
        done = np.zeros(n, dtype=bool)
        for s in state.seeds(rng):
            if time.monotonic() >= deadline:
                timed_out = True
                break
            if done[s]:
                continue
            window = state.grow(int(s), size)
            done[window[: max(window.size // 4, 1)]] = True  # the core: no seed there this sweep
            sub, _, current = state.subproblem(window)
            if sub.R.shape[0] == 0:
                continue
            spent_window = float(cost[window][state.x[window]].sum())
            local_budget = math.inf if price is not None else budget - (spent - spent_window)
            left = deadline - time.monotonic()
            if left < 0.05:
                timed_out = True
                break
            start = np.zeros(model.cost.size, dtype=bool)
            start[red.cols[window[state.x[window]]]] = True
            out = solve_unit_cover_milp(
                model,
                _in_candidates(sub, red.cols),
                local_budget,
                start,
                replace(each, time_limit=min(each.time_limit, left)),
                price=price or 0.0,
            )
            windows += 1
            visited += window.size
            if price is not None and visited >= _PRICE_EVERY:
                visited = 0
                price *= math.exp(_PRICE_GAIN * (spent - budget) / budget)
            if out.chosen is None:
                continue
            new = out.chosen[red.cols[window]]
            new_spent = float(cost[window][new].sum())
            gain = _covered(sub, new) - current  # recounted: the solver's word is not taken
            if price is not None:
                gain -= price * (new_spent - spent_window)
            elif new_spent > local_budget + _TOL:
                continue
            if gain > _TOL * max(1.0, current) or (gain > -_TOL and new_spent < spent_window - _TOL):
                state.apply(window, new)
                spent += new_spent - spent_window
                improved += 1
                sweep_improved = True
                slack = local_budget - new_spent
                if price is None and slack >= cheapest and local_budget - spent_window < cheapest:
                    break  # enough money freed for another camera: back to the uncovered weight first
    if price is not None:
        fit_budget(state, budget)
    return WindowSearchOutcome(
        plan=state.x,
        value=state.value(),
        spent=float(cost[state.x].sum()),
        windows=windows,
        improved=improved,
        seconds=time.monotonic() - t0,
        timed_out=timed_out,
        price=math.nan if price is None else price,
    )


# priced windows: the price is adjusted to the spend every time windows holding this many candidates
# in all were solved (50 windows of 80; counted in windows, larger windows moved it too rarely: at 500 m
# with 320 per window the plan spent 3 % under the budget for 30 s)
_PRICE_EVERY = 4_000
_PRICE_GAIN = 10.0  # by exp(gain x relative overspend): 1 % over the budget raises it by 10.5 %


# candidates per window: this many per candidate that sees a reduced row, at least _WINDOW_MIN, at most
# _WINDOW_MAX. The county at 250 m has 6.3 per row (80 per window); at 500 m 23.7 (297), where 80 per
# window left the interior of a window (rows no outside camera sees) too small: seed 7 at 120 s, gap
# 0.076 % with 80, 0.056 % with 130, 0.030 % with 200, 0.016 % with 320 and with 500 (load 2)
_WINDOW_PER_ROW = 12.5
_WINDOW_MIN = 80
_WINDOW_MAX = 400


def window_size(red: UnitCover) -> int:
    """Candidates per window for ``red``: grows with how many candidates see each row (cover density)."""
    per_row = red.R.nnz / max(red.R.shape[0], 1)
    return int(min(max(round(_WINDOW_PER_ROW * per_row), _WINDOW_MIN), _WINDOW_MAX))


def start_price(red: UnitCover, cost: FloatArray, plan: BoolArray) -> float:
    """What the next camera would earn per unit of cost: a locally optimal plan's marginal price (> 0)."""
    gain = _Windows(red, cost, plan).per_cost(0)[~plan]
    best = float(gain.max()) if gain.size else 0.0
    return best if best > 0 else 1.0


def fit_budget(state: _Windows, budget: float) -> None:
    """Drop the cameras that lose least per unit of cost until the plan fits ``budget``, then add
    the ones that gain most per unit of cost while they fit (lazy heaps: losses only grow as
    cameras go, gains only shrink as they come)."""
    Rc, cost, credit = state.Rc, state.cost, state.credit

    def per_cost(j: int, count: int) -> float:  # state.per_cost(count)[j], now
        r = Rc.indices[Rc.indptr[j] : Rc.indptr[j + 1]]
        return float(credit[r[state.cnt[r] == count]].sum()) / float(cost[j])

    one, zero = np.ones(1, dtype=bool), np.zeros(1, dtype=bool)
    spent = float(cost[state.x].sum())
    heap = list(zip(state.per_cost(1)[state.x].tolist(), np.flatnonzero(state.x).tolist(), strict=True))
    heapq.heapify(heap)
    while spent > budget + _TOL and heap:
        _, j = heapq.heappop(heap)
        now = per_cost(j, 1)
        if heap and now > heap[0][0] + _TOL:
            heapq.heappush(heap, (now, j))
            continue
        state.apply(np.array([j]), zero)
        spent -= float(cost[j])
    heap = list(zip((-state.per_cost(0)[~state.x]).tolist(), np.flatnonzero(~state.x).tolist(), strict=True))
    heapq.heapify(heap)
    while heap:
        _, j = heapq.heappop(heap)
        if cost[j] > budget - spent + _TOL:
            continue
        now = per_cost(j, 0)
        if now <= 0:  # nothing left to gain by this one; others (their heap keys are stale) may still gain
            continue
        if heap and -now > heap[0][0] + _TOL:
            heapq.heappush(heap, (-now, j))
            continue
        state.apply(np.array([j]), one)
        spent += float(cost[j])


def _covered(sub: UnitCover, new: BoolArray) -> float:
    seen = np.asarray(sub.R @ new.astype(np.float64)) > 0.5
    return seen_weight(sub.row_unit, ~seen, sub.coef[:, 0])


def _in_candidates(sub: UnitCover, cols: IntArray) -> UnitCover:
    """``sub`` with its columns named by candidate index (what the MILP maps its answer back through)."""
    return UnitCover(
        cols=cols[sub.cols],
        R=sub.R,
        row_unit=sub.row_unit,
        coef=sub.coef,
        constant=sub.constant,
        redirect=sub.redirect,
    )


def fitted_plan(red: UnitCover, cost: FloatArray, plan: BoolArray, budget: float) -> BoolArray:
    """``plan`` (a mask over ``red.cols``, any spend) fitted into ``budget`` by :func:`fit_budget`."""
    state = _Windows(red, cost, plan)
    fit_budget(state, budget)
    return state.x
