"""Internal: the reduced formulations handed to the MILP and the Lagrangian bound.

Fixed cameras are applied (rows they see drop out), candidates that can never be added drop out,
and identical rows are merged (their weights add up). This often shrinks a heavily sampled
instance by an order of magnitude, since neighbouring demand points tend to be seen by exactly
the same candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.placement._model import Model, row_keys, units_covered
from geo.placement.problem import FloatArray, IntArray


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


@dataclass(frozen=True, eq=False)
class RowCover:
    """Rows that must be covered: ``R[r] @ x >= 1``; ``cols`` maps columns to candidates."""

    cols: IntArray
    R: sp.csr_array
    empty_rows: IntArray  # original target rows left with no addable candidate


def free_columns(model: Model) -> IntArray:
    return np.flatnonzero(model.free).astype(np.int64)


def reduce_units(model: Model, row_weights: FloatArray) -> UnitCover:
    """Reduce for weighted unit coverage; ``row_weights`` is (n_targets, k)."""
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
    if rows.size == 0:
        return UnitCover(
            cols=cols,
            R=sp.csr_array((0, cols.size)),
            row_unit=np.zeros(0, dtype=np.int64),
            coef=np.zeros((0, k)),
            constant=constant,
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
    return UnitCover(cols=cols, R=R, row_unit=row_unit, coef=coef, constant=constant)


def reduce_rows(model: Model, must: np.ndarray) -> RowCover:
    """Reduce for covering every row in the boolean mask ``must`` (rows seen by fixed drop out)."""
    cols = free_columns(model)
    rows = np.flatnonzero(must & (model.base_cnt == 0))
    sub = sp.csr_array(model.csr[rows][:, cols])
    sub.sort_indices()
    empty = np.diff(sub.indptr) == 0
    empty_rows = rows[empty]
    sub = sp.csr_array(sub[~empty])
    if sub.shape[0]:
        _, first = np.unique(row_keys(sub), return_index=True)
        sub = sp.csr_array(sub[np.sort(first)])
    return RowCover(cols=cols, R=sub, empty_rows=empty_rows.astype(np.int64))
