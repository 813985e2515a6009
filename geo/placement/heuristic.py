"""Lazy greedy (cost-effectiveness ratio, one heap) and local-search polish for both problems.

Greedy works on a row-level surrogate: a composite's weight is spread evenly over its member rows,
which keeps the marginal gains submodular so the lazy heap picks exactly what plain greedy would.
The real objective (composites count only when complete) is what every result reports.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.placement._model import Model, column_rows, counts_for, units_covered
from geo.placement._ranges import scatter
from geo.placement.problem import BoolArray, FloatArray, IntArray, Quota

_TOL = 1e-9


class SelectionState:
    """Mutable working selection used inside one solver call (never returned to callers)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.selected: BoolArray = model.problem.fixed.copy()
        self.cnt: IntArray = model.base_cnt.copy()
        self.spent = 0.0
        self.group_used: IntArray = np.zeros_like(model.group_cap)
        self.unit_missing: IntArray = np.bincount(
            model.unit_of_row[self.cnt == 0], minlength=model.unit_weight.size
        ).astype(np.int64)
        self.covered_weight = float(model.unit_weight[self.unit_missing == 0].sum())

    def copy(self) -> SelectionState:
        other = SelectionState.__new__(SelectionState)
        other.model = self.model
        other.selected = self.selected.copy()
        other.cnt = self.cnt.copy()
        other.spent = self.spent
        other.group_used = self.group_used.copy()
        other.unit_missing = self.unit_missing.copy()
        other.covered_weight = self.covered_weight
        return other

    def group_open(self, j: int) -> bool:
        g = int(self.model.group[j])
        return g < 0 or bool(self.group_used[g] < self.model.group_cap[g])

    def group_full_mask(self) -> BoolArray:
        m = self.model
        if m.group_cap.size == 0:
            return np.zeros(m.cost.size, dtype=bool)
        full_g = self.group_used >= m.group_cap
        return (m.group >= 0) & full_g[np.maximum(m.group, 0)]

    def swap_blocked(self, j: int) -> BoolArray:
        """Candidates that cannot replace ``j``: their group is full (``j``'s own group aside)."""
        full = self.group_full_mask()
        g = int(self.model.group[j])
        if g >= 0:
            full &= self.model.group != g
        return full

    def add(self, j: int) -> None:
        m = self.model
        rows = column_rows(m, j)
        newly = rows[self.cnt[rows] == 0]
        self.cnt[rows] += 1
        if newly.size:
            units, counts = np.unique(m.unit_of_row[newly], return_counts=True)
            self.unit_missing[units] -= counts
            done = units[self.unit_missing[units] == 0]
            self.covered_weight += float(m.unit_weight[done].sum())
        self.selected[j] = True
        self.spent += float(m.cost[j])
        if m.group[j] >= 0:
            self.group_used[m.group[j]] += 1

    def remove(self, j: int) -> None:
        m = self.model
        rows = column_rows(m, j)
        self.cnt[rows] -= 1
        lost = rows[self.cnt[rows] == 0]
        if lost.size:
            units, counts = np.unique(m.unit_of_row[lost], return_counts=True)
            was_done = units[self.unit_missing[units] == 0]
            self.covered_weight -= float(m.unit_weight[was_done].sum())
            self.unit_missing[units] += counts
        self.selected[j] = False
        self.spent -= float(m.cost[j])
        if m.group[j] >= 0:
            self.group_used[m.group[j]] -= 1

    def added(self) -> IntArray:
        return np.flatnonzero(self.selected & ~self.model.problem.fixed).astype(np.int64)


@dataclass(frozen=True, eq=False)
class GreedyTrace:
    """Picks in greedy order and the real covered weight after each pick."""

    order: IntArray
    covered_weight: FloatArray
    cost: FloatArray  # cumulative cost after each pick


def _lazy_greedy(
    st: SelectionState,
    credit: FloatArray,
    budget: float,
    *,
    max_picks: int | None = None,
) -> GreedyTrace:
    """Add candidates by best ratio (surrogate gain / cost) while the budget allows.

    ``credit`` is the per-row surrogate weight; rows stop counting once covered. Returns the trace.
    """
    m = st.model
    unc = credit * (st.cnt == 0)
    gains = np.asarray(m.csc.T @ unc)
    ok = m.free & ~st.selected & (gains > _TOL) & (m.cost <= budget - st.spent + _TOL)
    heap = [(-float(gains[j] / m.cost[j]), int(j)) for j in np.flatnonzero(ok)]
    heapq.heapify(heap)
    order: list[int] = []
    weights: list[float] = []
    costs: list[float] = []
    cost = m.cost
    while heap:
        if max_picks is not None and len(order) >= max_picks:
            break
        _, j = heapq.heappop(heap)
        if cost[j] > budget - st.spent + _TOL or not st.group_open(j):
            continue
        rows = column_rows(m, j)
        g = float(unc[rows].sum())
        if g <= _TOL:
            continue
        ratio = g / float(cost[j])
        if heap and ratio < -heap[0][0] * (1.0 - 1e-12):
            heapq.heappush(heap, (-ratio, j))
            continue
        st.add(j)
        unc[rows] = 0.0
        order.append(j)
        weights.append(st.covered_weight)
        costs.append(st.spent)
    return GreedyTrace(
        order=np.asarray(order, dtype=np.int64),
        covered_weight=np.asarray(weights, dtype=np.float64),
        cost=np.asarray(costs, dtype=np.float64),
    )


def greedy_max_coverage(
    model: Model, budget: float, *, max_picks: int | None = None
) -> tuple[SelectionState, GreedyTrace]:
    """Budgeted lazy greedy by gain/cost, then compared with the best single affordable camera."""
    st = SelectionState(model)
    trace = _lazy_greedy(st, model.row_credit, budget, max_picks=max_picks)
    # the classic fix for knapsack greedy: one expensive camera may beat the ratio picks
    if max_picks is None:
        single = SelectionState(model)
        gains = np.asarray(model.csc.T @ (model.row_credit * (single.cnt == 0)))
        ok = model.free & (model.cost <= budget + _TOL)
        j = int(np.flatnonzero(ok)[np.argmax(gains[ok])]) if ok.any() else -1
        # when that camera is greedy's own first pick, the rerun would only repeat greedy
        if j >= 0 and not (trace.order.size and int(trace.order[0]) == j):
            single.add(j)
            _lazy_greedy(single, model.row_credit, budget)
            if single.covered_weight > st.covered_weight + _TOL:
                return single, trace
    return st, trace


def _still_added(st: SelectionState, order: IntArray) -> Iterator[tuple[int, IntArray]]:
    """The added, not fixed cameras of ``order`` that are still selected when their turn comes, with their rows."""
    fixed = st.model.problem.fixed
    for j in order:
        j = int(j)
        if st.selected[j] and not fixed[j]:
            yield j, column_rows(st.model, j)


def polish_max_coverage(st: SelectionState, budget: float, deadline: float, *, max_passes: int = 5) -> None:
    """1-swap local search (drop one added camera, add the best affordable one), then refill."""
    m = st.model
    credit = m.row_credit
    for _ in range(max_passes):
        improved = False
        unc = credit * (st.cnt == 0)
        gains = np.asarray(m.csc.T @ unc)
        added = st.added()
        loss = np.asarray(m.csc.T @ (credit * (st.cnt == 1)))[added]
        for j, rows in _still_added(st, added[np.argsort(loss / m.cost[added], kind="stable")]):
            if time.monotonic() > deadline:
                return
            lost = rows[st.cnt[rows] == 1]
            loss_j = float(credit[lost].sum())
            g2 = gains + scatter(m.csr, lost, credit[lost]) if lost.size else gains.copy()
            room = budget - st.spent + float(m.cost[j]) + _TOL
            ok = m.free & ~st.selected & (m.cost <= room)
            ok &= ~st.swap_blocked(j)
            if not ok.any():
                continue
            g2 = np.where(ok, g2, -np.inf)
            k = int(np.argmax(g2))
            if g2[k] - loss_j > 1e-9 * max(1.0, loss_j):
                old_rows = np.union1d(rows, column_rows(m, k))
                before = unc[old_rows].copy()
                st.remove(j)
                st.add(k)
                unc[old_rows] = credit[old_rows] * (st.cnt[old_rows] == 0)
                delta = unc[old_rows] - before
                gains += scatter(m.csr, old_rows, delta)
                improved = True
        _lazy_greedy(st, credit, budget)
        if not improved:
            return


def quota_status(model: Model, cnt: IntArray, quotas: tuple[Quota, ...]) -> BoolArray:
    """Per quota: is it met by the coverage counts ``cnt``?"""
    if not quotas:
        return np.zeros(0, dtype=bool)
    counted = units_covered(model, cnt)[model.unit_of_row]
    w = model.problem.weight
    out = np.empty(len(quotas), dtype=bool)
    for q, quota in enumerate(quotas):
        total = float(w[quota.targets].sum())
        got = float(w[quota.targets & counted].sum())
        out[q] = got >= quota.fraction * total - 1e-9 * max(1.0, total)
    return out


def _quota_credit(model: Model, quotas: tuple[Quota, ...], unmet: BoolArray) -> FloatArray:
    w = model.problem.weight
    n_units = model.unit_weight.size
    credit = np.zeros(w.size)
    for q in np.flatnonzero(unmet):
        unit_w = np.bincount(model.unit_of_row, weights=w * quotas[q].targets, minlength=n_units)
        credit += (unit_w / model.unit_size)[model.unit_of_row]
    return credit


def greedy_set_cover(model: Model, must: BoolArray, quotas: tuple[Quota, ...]) -> tuple[SelectionState, bool]:
    """Cover every ``must`` row by best (newly covered rows / cost), then meet the quotas.

    Returns the state and whether it is feasible (group limits can make greedy fail).
    """
    st = SelectionState(model)
    _lazy_greedy(st, must.astype(np.float64), np.inf)
    if (must & (st.cnt == 0)).any():
        return st, False
    unmet = ~quota_status(model, st.cnt, quotas)
    while unmet.any():
        trace = _lazy_greedy(st, _quota_credit(model, quotas, unmet), np.inf, max_picks=1)
        if trace.order.size == 0:
            return st, False
        unmet = ~quota_status(model, st.cnt, quotas)
    return st, True


def polish_set_cover(
    st: SelectionState, must: BoolArray, quotas: tuple[Quota, ...], deadline: float, *, max_passes: int = 5
) -> None:
    """Drop redundant cameras and swap a camera for a cheaper one that covers what only it covers."""
    m = st.model
    n_cand = m.cost.size
    for _ in range(max_passes):
        improved = False
        added = st.added()
        for j, rows in _still_added(st, added[np.argsort(-m.cost[added], kind="stable")]):
            if time.monotonic() > deadline:
                return
            crit = rows[(st.cnt[rows] == 1) & must[rows]]
            if crit.size == 0:
                st.remove(j)
                if quota_status(m, st.cnt, quotas).all():
                    improved = True
                    continue
                st.add(j)
                continue
            sub = m.csr[crit]
            hits = np.bincount(sub.indices, minlength=n_cand)
            ok = (hits == crit.size) & m.free & ~st.selected & (m.cost < m.cost[j] - 1e-9)
            ok &= ~st.swap_blocked(j)
            if not ok.any():
                continue
            cands = np.flatnonzero(ok)
            k = int(cands[np.argmin(m.cost[cands])])
            st.remove(j)
            st.add(k)
            if quota_status(m, st.cnt, quotas).all():
                improved = True
            else:
                st.remove(k)
                st.add(j)
        if not improved:
            return


def state_from_selection(model: Model, chosen: NDArray[np.bool_]) -> SelectionState:
    """A state holding the fixed cameras plus the non-fixed candidates in ``chosen``."""
    st = SelectionState(model)
    add = np.flatnonzero(chosen & ~model.problem.fixed)
    if add.size == 0:
        return st
    st.selected[add] = True
    st.cnt = counts_for(model, st.selected)
    st.spent = float(model.cost[add].sum())
    if st.group_used.size:
        g = model.group[add]
        st.group_used = np.bincount(g[g >= 0], minlength=st.group_used.size).astype(np.int64)
    st.unit_missing = np.bincount(model.unit_of_row[st.cnt == 0], minlength=model.unit_weight.size).astype(np.int64)
    st.covered_weight = float(model.unit_weight[st.unit_missing == 0].sum())
    return st


def state_of_plan(model: Model, cols: IntArray, plan: BoolArray) -> SelectionState:
    """The state of a plan given over ``cols`` (a reduced model's candidates), with the fixed cameras."""
    chosen = np.zeros(model.cost.size, dtype=bool)
    chosen[cols[plan]] = True
    return state_from_selection(model, chosen)


def better_coverage(cand: SelectionState, st: SelectionState, budget: float) -> SelectionState:
    """``cand`` if it covers more than ``st`` within ``budget``, else ``st``."""
    return cand if cand.covered_weight > st.covered_weight and cand.spent <= budget + 1e-9 else st
