"""Internal: the instance reduced for the solvers (fixed cameras applied, composites as units).

A *unit* is what the objective counts: a stand-alone target, or a composite of targets that is
covered only when all its members are. Solvers keep a per-row coverage count ``cnt``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.placement.problem import BoolArray, CoverageProblem, FloatArray, IntArray

_HASH_SEED = 0x5EED


@dataclass(frozen=True, eq=False)
class Model:
    """Arrays derived once from a :class:`CoverageProblem` and shared by every solver stage."""

    problem: CoverageProblem
    csc: sp.csc_array  # float64 0/1, targets x candidates
    csr: sp.csr_array
    cost: FloatArray
    free: BoolArray  # candidates that may be added (not fixed, group not already full)
    base_cnt: IntArray  # per target: how many fixed cameras see it
    unit_of_row: IntArray
    unit_weight: FloatArray
    unit_size: IntArray
    row_credit: FloatArray  # unit weight spread evenly over its member rows (greedy surrogate)
    group: IntArray  # -1 for none
    group_cap: IntArray  # per group id: how many more may be selected


def build_model(problem: CoverageProblem) -> Model:
    a = problem.coverage
    csc = sp.csc_array((np.ones(a.indices.size), a.indices, a.indptr), shape=a.shape)
    csr = sp.csr_array(csc)
    csr.sort_indices()
    n, m = a.shape
    base_cnt = np.asarray(csc @ problem.fixed.astype(np.float64)).round().astype(np.int64)
    unit_of_row: IntArray
    unit_weight: FloatArray
    unit_size: IntArray
    if problem.all_of is None or not (problem.all_of >= 0).any():
        unit_of_row = np.arange(n, dtype=np.int64)
        unit_weight = problem.weight.copy()
        unit_size = np.ones(n, dtype=np.int64)
    else:
        comp = problem.all_of
        members = comp >= 0
        _, inv = np.unique(comp[members], return_inverse=True)
        unit_of_row = np.empty(n, dtype=np.int64)
        n_single = int((~members).sum())
        unit_of_row[~members] = np.arange(n_single)
        unit_of_row[members] = n_single + inv
        n_units = n_single + int(inv.max()) + 1
        unit_weight = np.bincount(unit_of_row, weights=problem.weight, minlength=n_units).astype(np.float64)
        unit_size = np.bincount(unit_of_row, minlength=n_units).astype(np.int64)
    row_credit = unit_weight[unit_of_row] / unit_size[unit_of_row]
    if problem.group is None:
        group = np.full(m, -1, dtype=np.int64)
        group_cap = np.zeros(0, dtype=np.int64)
    else:
        group = problem.group
        n_groups = int(group.max()) + 1 if (group >= 0).any() else 0
        used = np.bincount(group[problem.fixed & (group >= 0)], minlength=n_groups)
        group_cap = (problem.group_limit - used).astype(np.int64)
    free = ~problem.fixed
    if group_cap.size:
        free &= (group < 0) | (group_cap[np.maximum(group, 0)] > 0)
    return Model(
        problem=problem,
        csc=csc,
        csr=csr,
        cost=problem.cost,
        free=free,
        base_cnt=base_cnt,
        unit_of_row=unit_of_row,
        unit_weight=unit_weight,
        unit_size=unit_size,
        row_credit=row_credit,
        group=group,
        group_cap=group_cap,
    )


def column_rows(model: Model, j: int) -> IntArray:
    a = model.csc
    return a.indices[a.indptr[j] : a.indptr[j + 1]]  # type: ignore[no-any-return]


def units_covered(model: Model, cnt: IntArray) -> BoolArray:
    """Per unit: every member row has cnt > 0."""
    missing = np.bincount(model.unit_of_row[cnt == 0], minlength=model.unit_weight.size)
    return missing == 0  # type: ignore[no-any-return]


def covered_weight(model: Model, cnt: IntArray) -> float:
    return float(model.unit_weight[units_covered(model, cnt)].sum())


def counts_for(model: Model, selected: BoolArray) -> IntArray:
    """Coverage count per row for a selection (fixed cameras included by the caller)."""
    return np.asarray(model.csc @ selected.astype(np.float64)).round().astype(np.int64)


def row_keys(mat: sp.csr_array) -> IntArray:
    """Group identical rows of a CSR matrix: returns an id per row (equal ids = equal patterns).

    Two independent 64-bit multiplicative hashes of the column pattern plus the row length;
    a false merge would need a 128-bit collision.
    """
    rng = np.random.default_rng(_HASH_SEED)
    n, m = mat.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    h1 = rng.integers(1, 2**63 - 1, size=m, dtype=np.int64).astype(np.uint64)
    h2 = rng.integers(1, 2**63 - 1, size=m, dtype=np.int64).astype(np.uint64)
    lengths = np.diff(mat.indptr).astype(np.int64)
    row = np.repeat(np.arange(n), lengths)
    k1 = np.zeros(n, dtype=np.uint64)
    k2 = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(k1, row, h1[mat.indices])
        np.add.at(k2, row, h2[mat.indices] * np.uint64(0x9E3779B97F4A7C15))
    keys = np.stack([k1.view(np.int64), k2.view(np.int64), lengths], axis=1)
    _, inv = np.unique(keys, axis=0, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)
