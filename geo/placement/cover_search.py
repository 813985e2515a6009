"""Row-weighting local search for set cover (after Gao, Weise and Li, RWLS, 2015).

Where cameras overlap heavily, covers are plentiful and greedy ones are far from optimal; this
search walks between near-covers. Each time the plan covers every row it is recorded and its
worst column (the least coverage lost per unit of cost) dropped; otherwise it swaps: drop the
column whose loss per cost is least, then add the best column for a random uncovered row. Rows
left uncovered gain weight after each swap, which steers the walk away from local optima. The
just-added column is tabu for the next drop. Deterministic for a given seed.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from geo.placement._ranges import range_sums
from geo.placement.problem import BoolArray, FloatArray


def cover_local_search(
    R: sp.csr_array,
    cost: FloatArray,
    start: BoolArray,
    *,
    seconds: float,
    enough: float = -math.inf,
    seed: int = 0,
    patience: int | None = None,
) -> tuple[BoolArray, float]:
    """The cheapest cover of every row of ``R`` met, starting from the cover ``start``.

    Stops after ``seconds``, after ``patience`` swaps without a cheaper cover (default: ten per
    column, at least 20,000), or once a cover costs at most ``enough``.
    Returns (columns of the best cover, its cost); ``(start, inf)`` if ``start`` is no cover.
    """
    t0 = time.monotonic()
    Rr = sp.csr_array(R, dtype=np.float64)
    Rc = sp.csc_array(Rr)
    Rc.sort_indices()
    n_r, n_c = Rr.shape
    x = start.copy()
    cnt = np.asarray(Rr @ x.astype(np.float64)).round().astype(np.int64)
    if (cnt == 0).any():  # not a cover: nothing to improve on
        return x, math.inf
    best, best_cost = x.copy(), float(cost[x].sum())
    if n_r == 0 or best_cost <= enough:
        return best, best_cost
    w = np.ones(n_r)
    rng = np.random.default_rng(seed)
    ind, ptr = Rc.indices, Rc.indptr
    rind, rptr = Rr.indices, Rr.indptr
    last = np.zeros(n_c, dtype=np.int64)  # step a column last changed (older is preferred on ties)
    tabu = -1
    spent = best_cost
    step = 0
    improved_at = 0
    patience = max(20_000, 10 * n_c) if patience is None else patience

    def flip(j: int, on: bool) -> None:
        nonlocal spent
        x[j] = on
        cnt[ind[ptr[j] : ptr[j + 1]]] += 1 if on else -1
        spent += float(cost[j]) if on else -float(cost[j])
        last[j] = step

    while step - improved_at < patience:
        step += 1
        if not (cnt == 0).any():
            if spent < best_cost - 1e-9:
                best, best_cost, improved_at = x.copy(), spent, step
                if best_cost <= enough:
                    break
            j = _drop_choice(Rc, w, cnt, x, cost, last, -1)
            if j < 0:
                break
            flip(j, False)
            continue
        if step % 64 == 0 and time.monotonic() - t0 > seconds:
            break
        j = -1
        while True:  # drop one column, more if the plan would not be cheaper than the best
            d = _drop_choice(Rc, w, cnt, x, cost, last, tabu)
            if d < 0:
                break
            flip(d, False)
            j = d
            if spent < best_cost - 1e-9:
                break
        uncovered = np.flatnonzero(cnt == 0)
        r = int(uncovered[rng.integers(uncovered.size)])
        cols = rind[rptr[r] : rptr[r + 1]]
        unc_w = w * (cnt == 0)
        gain = range_sums(Rc, cols, unc_w) / cost[cols]
        order = np.lexsort((last[cols], -gain))
        k = int(cols[order[0]])
        if k == j and order.size > 1:
            k = int(cols[order[1]])
        flip(k, True)
        tabu = k
        w[cnt == 0] += 1.0
    return best, best_cost


def _drop_choice(
    Rc: sp.csc_array,
    w: FloatArray,
    cnt: np.ndarray,
    x: BoolArray,
    cost: FloatArray,
    last: np.ndarray,
    tabu: int,
) -> int:
    """The selected column whose removal uncovers the least row weight per unit of cost."""
    sel = np.flatnonzero(x)
    if tabu >= 0:
        sel = sel[sel != tabu]
    if sel.size == 0:
        return -1
    loss = range_sums(Rc, sel, w * (cnt == 1)) / cost[sel]
    order = np.lexsort((last[sel], loss))
    return int(sel[order[0]])
