"""Internal: the reduced formulations handed to the MILP and the Lagrangian bound.

Fixed cameras are applied (rows they see drop out), candidates that can never be added drop out,
and identical rows are merged (their weights add up). This often shrinks a heavily sampled
instance by an order of magnitude, since neighbouring demand points tend to be seen by exactly
the same candidates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.placement._model import Model, row_keys, units_covered
from geo.placement.problem import BoolArray, FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class UnitCover:
    """Units as variables ``y`` with ``y[row_unit[r]] <= R[r] @ x`` for every row ``r``.

    ``coef[u, k]`` is unit ``u``'s weight in objective/quota ``k``; ``constant[k]`` is the weight
    already covered by fixed cameras. ``cols`` maps the columns of ``R`` to candidate indices.
    """

    cols: IntArray
    R: sp.csr_array
    row_unit: IntArray
    coef: FloatArray  # (n_units, k)
    constant: FloatArray  # (k,)
    redirect: IntArray  # per candidate: itself, or the kept candidate that dominates it


@dataclass(frozen=True, eq=False)
class RowCover:
    """Rows that must be covered: ``R[r] @ x >= 1``; ``cols`` maps columns to candidates."""

    cols: IntArray
    R: sp.csr_array
    empty_rows: IntArray  # original target rows left with no addable candidate
    redirect: IntArray  # per candidate: itself, or the kept candidate that dominates it
    implied_rows: int  # rows dropped because covering another row covers them


_MAX_PRODUCT = 40_000_000  # skip a dominance test whose overlap work (products) would exceed this
# set cover tests in chunks up to this: the county at 500 m (4.1 M nonzeros) takes 5 CPU s per round
_MAX_COVER_PRODUCT = 4_000_000_000
_ROUNDS = 10  # set cover: rounds of row and column dominance (each can enable the other) ...
_MIN_SHRINK = 0.01  # ... while a round removes at least this share of the nonzeros left
# a reduced cover this small goes to the MILP as it is: further rounds cost more than the MILP saves
# (500 x 2,500 at 250 m: 8 rounds took 23 ms to reach 252 nonzeros for a 7 ms MILP; stopping at 1,051:
# an 11 ms MILP, 21 ms end to end instead of 28)
_SMALL_ENOUGH = 5_000
_CHUNK = 20_000_000  # products per chunk of an overlap matrix (bounds its memory)


# candidates per reduced row below which overlap is light: set covers then go to the MILP first,
# MCLPs may take the light path (light_mclp.py), and a county MCLP polishes briefly
_LIGHT_OVERLAP = 8


def light_overlap(R: sp.csr_array | sp.csc_array) -> bool:
    """Fewer than ``_LIGHT_OVERLAP`` candidates see each row of ``R`` on average (rows x candidates)."""
    return bool(R.nnz < _LIGHT_OVERLAP * R.shape[0])


def _product_size(mat: sp.csr_array | sp.csc_array, axis: int) -> int:
    counts = np.bincount(mat.indices, minlength=mat.shape[1 - axis]) if mat.nnz else np.zeros(1, np.int64)
    return int((counts.astype(np.int64) ** 2).sum())


def _contained_pairs(sets: sp.csr_array) -> tuple[IntArray, IntArray]:
    """Pairs ``(a, b)``, ``a != b``, where row ``a``'s support is a subset of row ``b``'s.

    Row by row through ``sets @ sets.T`` in chunks of about ``_CHUNK`` products, so county-sized
    matrices (4 M nonzeros) are tested without holding the whole overlap matrix.
    """
    A = sp.csr_array(sets, dtype=np.int32)
    A.sum_duplicates()
    A.data[:] = 1
    AT = sp.csr_array(A.T)
    size = np.diff(A.indptr).astype(np.int64)
    item_count = np.diff(AT.indptr).astype(np.int64)
    work = np.asarray(A @ item_count).astype(np.int64)  # products each row adds to the overlap
    bounds = np.searchsorted(np.cumsum(work), np.arange(_CHUNK, int(work.sum()) + _CHUNK, _CHUNK), side="right")
    starts = np.unique(np.concatenate([[0], np.minimum(bounds, A.shape[0])]))
    if starts[-1] != A.shape[0]:
        starts = np.append(starts, A.shape[0])
    out_a: list[IntArray] = []
    out_b: list[IntArray] = []
    for lo, hi in itertools.pairwise(starts):
        block = sp.coo_array(A[lo:hi] @ AT)
        a = block.row.astype(np.int64) + lo
        b = block.col.astype(np.int64)
        sel = (a != b) & (block.data == size[a]) & (size[a] > 0)
        out_a.append(a[sel])
        out_b.append(b[sel])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def dominated_columns(
    R: sp.csr_array, cost: FloatArray, *, max_product: int = _MAX_PRODUCT
) -> tuple[BoolArray, IntArray]:
    """Columns ``j`` with another column ``k`` that sees every row ``j`` sees at no higher cost.

    ``k`` dominates ``j`` when rows(j) <= rows(k), c_k <= c_j, and (rows strictly larger, or c_k
    strictly lower, or equal and k < j): a strict order, so following dominators ends at a kept
    column. Swapping ``j`` for ``k`` in any plan keeps it feasible (no groups) and no worse.
    Returns (drop mask, dominator per column, -1 where kept). Columns seeing no row are dropped
    with dominator -1.
    """
    n = R.shape[1]
    size = np.bincount(R.indices, minlength=n).astype(np.int64)
    drop = size == 0
    dom = np.full(n, -1, dtype=np.int64)
    if R.nnz == 0 or _product_size(sp.csr_array(R), 0) > max_product:
        return drop, dom
    j, k = _contained_pairs(sp.csr_array(sp.csc_array(R).T))
    sel = cost[k] <= cost[j]
    j, k = j[sel], k[sel]
    better = (size[k] > size[j]) | (cost[k] < cost[j]) | (k < j)
    j, k = j[better], k[better]
    dom[j] = k  # any dominator will do
    drop[j] = True
    # follow chains to a kept column
    for _ in range(64):
        nxt = dom[dom[j]]
        chain = nxt >= 0
        if not chain.any():
            break
        dom[j[chain]] = nxt[chain]
    return drop, dom


def implied_rows(R: sp.csr_array, *, max_product: int = _MAX_PRODUCT) -> BoolArray:
    """Rows whose pattern strictly contains another row's (covering that one covers them).

    ``R`` must hold distinct non-empty rows. Skipped (nothing dropped) when too large to test.
    """
    n = R.shape[0]
    out = np.zeros(n, dtype=bool)
    if n < 2 or _product_size(sp.csc_array(R), 1) > max_product:
        return out
    size = np.diff(R.indptr).astype(np.int64)
    a, b = _contained_pairs(sp.csr_array(R))
    out[b[size[b] > size[a]]] = True
    return out


def free_columns(model: Model) -> IntArray:
    return np.flatnonzero(model.free).astype(np.int64)


def reduce_units(model: Model, row_weights: FloatArray, *, dominance: bool = True) -> UnitCover:
    """Reduce for weighted unit coverage; ``row_weights`` is (n_targets, k).

    With ``dominance`` (and no groups), dominated candidate columns are dropped as well.
    """
    cols = free_columns(model)
    k = row_weights.shape[1]
    n_units = model.unit_weight.size
    unit_coef = np.zeros((n_units, k))
    for q in range(k):
        unit_coef[:, q] = np.bincount(model.unit_of_row, weights=row_weights[:, q], minlength=n_units)
    done = units_covered(model, model.base_cnt)
    constant = unit_coef[done].sum(axis=0)
    useful_unit = ~done & (unit_coef > 0).any(axis=1)
    rows = np.flatnonzero((model.base_cnt == 0) & useful_unit[model.unit_of_row])
    sub = sp.csr_array(model.csr[rows][:, cols])
    sub.sort_indices()
    # a unit with a row that no addable candidate sees can never count
    empty = np.diff(sub.indptr) == 0
    if empty.any():
        dead = np.zeros(n_units, dtype=bool)
        dead[model.unit_of_row[rows[empty]]] = True
        keep = ~dead[model.unit_of_row[rows]]
        rows, sub = rows[keep], sp.csr_array(sub[keep])
    redirect = np.arange(model.cost.size, dtype=np.int64)
    if rows.size == 0:
        return UnitCover(
            cols=cols,
            R=sp.csr_array((0, cols.size)),
            row_unit=np.zeros(0, dtype=np.int64),
            coef=np.zeros((0, k)),
            constant=constant,
            redirect=redirect,
        )
    unit = model.unit_of_row[rows]
    composite = model.unit_size[unit] > 1
    pattern = row_keys(sub)
    key = np.stack([np.where(composite, unit, -1), pattern], axis=1)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    R = sp.csr_array(sub[first])
    # model units: one per merged stand-alone pattern, one per composite
    first_unit = unit[first]
    first_comp = composite[first]
    single_rows = np.flatnonzero(~first_comp)
    comp_ids, comp_inv = np.unique(first_unit[first_comp], return_inverse=True)
    row_unit = np.empty(first.size, dtype=np.int64)
    row_unit[single_rows] = np.arange(single_rows.size)
    row_unit[first_comp] = single_rows.size + comp_inv.reshape(-1)
    coef = np.zeros((single_rows.size + comp_ids.size, k))
    # stand-alone: sum the unit weights of every merged row
    single_src = ~composite
    np.add.at(coef, row_unit[inv[single_src]], unit_coef[unit[single_src]])
    coef[single_rows.size :] = unit_coef[comp_ids]
    if dominance and not (model.group >= 0).any():
        cols, R, redirect = _apply_column_dominance(model, cols, R)
    return UnitCover(cols=cols, R=R, row_unit=row_unit, coef=coef, constant=constant, redirect=redirect)


def _apply_column_dominance(
    model: Model,
    cols: IntArray,
    R: sp.csr_array,
    redirect: IntArray | None = None,
    *,
    max_product: int = _MAX_PRODUCT,
) -> tuple[IntArray, sp.csr_array, IntArray]:
    """Drop dominated columns; ``redirect`` (per candidate) is extended so every chain of dominators
    (from earlier rounds too) ends at a kept column."""
    redirect = np.arange(model.cost.size, dtype=np.int64) if redirect is None else redirect.copy()
    drop, dom = dominated_columns(R, model.cost[cols], max_product=max_product)
    has = dom >= 0
    redirect[cols[has]] = cols[dom[has]]
    for _ in range(64):
        nxt = redirect[redirect]
        if np.array_equal(nxt, redirect):
            break
        redirect = nxt
    keep = ~drop
    return cols[keep], sp.csr_array(sp.csc_array(R)[:, keep]), redirect


def sub_cover(red: UnitCover, rows: IntArray, cols: IntArray, units: IntArray, names: IntArray) -> UnitCover:
    """``red``'s rows ``rows`` and columns ``cols`` as an instance of their own: ``units`` (every unit
    of those rows) renumbered from 0 with their first objective weights, no constant, no redirect;
    ``names`` the columns' names (what a MILP maps its answer back through)."""
    local = np.full(red.coef.shape[0], -1, dtype=np.int64)
    local[units] = np.arange(units.size)
    return UnitCover(
        cols=names,
        R=sp.csr_array(red.R[rows][:, cols]),
        row_unit=local[red.row_unit[rows]],
        coef=red.coef[units, :1],
        constant=np.zeros(1),
        redirect=np.arange(cols.size, dtype=np.int64),
    )


def seen_weight(row_unit: IntArray, unseen: BoolArray, w: FloatArray) -> float:
    """The weight of the units none of whose rows is ``unseen`` (a unit counts once all its rows are seen)."""
    missing = np.bincount(row_unit[unseen], minlength=w.size)
    return float(w[missing == 0].sum())


def reduce_rows(model: Model, must: BoolArray, *, column_dominance: bool = True, rounds: int = _ROUNDS) -> RowCover:
    """Reduce for covering every row in the boolean mask ``must`` (rows seen by fixed drop out).

    Identical rows are merged, rows implied by a smaller row are dropped, and (with
    ``column_dominance`` and no groups) dominated candidate columns are dropped; repeated for up
    to ``rounds`` rounds while a round removes at least 1 % of the nonzeros (dropping a column can
    make rows identical or nested, dropping a row can make columns dominated). The county at 500 m:
    4.1 M nonzeros to 1.37 M in the first round, 1.14 M after four (10 CPU s in all). Each step
    keeps at least one optimum and makes any cover of the reduced rows a cover of the original ones.
    """
    cols = free_columns(model)
    rows = np.flatnonzero(must & (model.base_cnt == 0))
    sub = sp.csr_array(model.csr[rows][:, cols])
    sub.sort_indices()
    empty = np.diff(sub.indptr) == 0
    empty_rows = rows[empty]
    sub = sp.csr_array(sub[~empty])
    redirect = np.arange(model.cost.size, dtype=np.int64)
    n_implied = 0
    dominance = column_dominance and not (model.group >= 0).any()
    for _ in range(max(rounds, 1)):
        if not sub.shape[0]:
            break
        nnz = sub.nnz
        _, first = np.unique(row_keys(sub), return_index=True)
        sub = sp.csr_array(sub[np.sort(first)])
        if dominance:
            cols, sub, redirect = _apply_column_dominance(model, cols, sub, redirect, max_product=_MAX_COVER_PRODUCT)
            sub.sort_indices()
        implied = implied_rows(sub, max_product=_MAX_COVER_PRODUCT)
        n_implied += int(implied.sum())
        sub = sp.csr_array(sub[~implied])
        if sub.nnz > (1.0 - _MIN_SHRINK) * nnz or sub.nnz <= _SMALL_ENOUGH:
            break
    return RowCover(cols=cols, R=sub, empty_rows=empty_rows.astype(np.int64), redirect=redirect, implied_rows=n_implied)
