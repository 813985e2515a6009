"""The exact stage: a HiGHS MILP (via highspy), warm-started from the heuristic, under a time limit.

Formulations (x = added candidates, binary; y = units, continuous in [0, 1], integral at optimum):

* max coverage:  max  sum_u w_u y_u   s.t.  y_u <= sum_j a_rj x_j  (every row r of unit u),
  sum_j c_j x_j <= B,  sum_{j in g} x_j <= k - fixed_g.
* set cover:     min  sum_j c_j x_j   s.t.  sum_j a_rj x_j >= 1  (every required row), group rows,
  and per quota q: y_u <= sum_j a_rj x_j, sum_u w_uq y_u >= f_q W_q - (already covered).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.placement._model import Model
from geo.placement._reduce import RowCover, UnitCover
from geo.placement.problem import BoolArray, FloatArray

_INF = math.inf


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (C-level prints included)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass(frozen=True, eq=False)
class MilpOutcome:
    """What HiGHS returned. ``chosen`` is over all candidates (None if no solution came back)."""

    status: str  # "optimal" | "time_limit" | "infeasible" | "feasible" | "unknown"
    objective: float
    bound: float
    chosen: BoolArray | None
    seconds: float
    n_cols: int
    n_rows: int
    nnz: int


def _group_rows(model: Model, cols: np.ndarray) -> tuple[sp.csr_array, FloatArray]:
    """One row per group with spare capacity: sum of its members' x <= capacity."""
    g = model.group[cols]
    in_group = g >= 0
    if not in_group.any():
        return sp.csr_array((0, cols.size)), np.zeros(0)
    ids, inv = np.unique(g[in_group], return_inverse=True)
    cap = model.group_cap[ids].astype(np.float64)
    counts = np.bincount(inv.reshape(-1), minlength=ids.size)
    keep = counts > cap  # a group with no more members than capacity needs no row
    col_idx = np.flatnonzero(in_group)
    mat = sp.csr_array((np.ones(col_idx.size), (inv.reshape(-1), col_idx)), shape=(ids.size, cols.size))
    return sp.csr_array(mat[keep]), cap[keep]


def _bounds(n_x: int, n_u: int, fixed_to: tuple[BoolArray, BoolArray] | None) -> tuple[FloatArray, FloatArray]:
    """Column bounds: x in {0, 1} unless fixed (``fixed_to`` = (fix to 0, fix to 1) over x)."""
    lower, upper = np.zeros(n_x + n_u), np.ones(n_x + n_u)
    if fixed_to is not None:
        zero, one = fixed_to
        upper[:n_x][zero] = 0.0
        lower[:n_x][one & ~zero] = 1.0
    return lower, upper


def _run(
    *,
    col_cost: FloatArray,
    col_upper: FloatArray,
    integer: BoolArray,
    mat: sp.csr_array,
    row_lower: FloatArray,
    row_upper: FloatArray,
    maximize: bool,
    start: FloatArray | None,
    time_limit: float,
    rel_gap: float,
    seed: int,
    threads: int,
    col_lower: FloatArray | None = None,
) -> tuple[str, float, float, FloatArray | None, float]:
    import highspy

    t0 = time.monotonic()
    with _stdout_silenced():  # HiGHS prints its banner from C++ when constructed, before options apply
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    h.setOptionValue("random_seed", int(seed))
    if threads > 0:
        h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    n_cols = col_cost.size
    lp.num_col_ = n_cols
    lp.num_row_ = mat.shape[0]
    lp.col_cost_ = col_cost
    lp.col_lower_ = np.zeros(n_cols) if col_lower is None else col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    csc = sp.csc_array(mat)
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = mat.shape[0]
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer]
    h.passModel(lp)
    if (
        start is not None
        and col_lower is not None
        and ((start < col_lower - 1e-9).any() or (start > col_upper + 1e-9).any())
    ):
        start = None  # the fixings exclude the incumbent: the exact stage looks for a better one
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    if status == S.kOptimal:
        name = "optimal"
    elif status == S.kTimeLimit:
        name = "time_limit"
    elif status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        name = "infeasible"
    elif status in (S.kIterationLimit, S.kSolutionLimit, S.kInterrupt, S.kObjectiveBound):
        name = "feasible"
    else:
        name = "unknown"
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else math.nan
    bound = float(info.mip_dual_bound)
    if not math.isfinite(bound):
        bound = math.nan
    elapsed = time.monotonic() - t0
    if values is not None and start is not None:
        # HiGHS 1.16 can report the optimum's value while handing back the warm start as the
        # solution (seen when presolve solves the whole model); never trust one without the other
        got = float(col_cost @ values)
        if abs(got - objective) > 1e-6 * max(1.0, abs(objective)):
            name, objective, bound, values, more = _run(
                col_cost=col_cost,
                col_upper=col_upper,
                integer=integer,
                mat=mat,
                row_lower=row_lower,
                row_upper=row_upper,
                maximize=maximize,
                start=None,
                time_limit=max(time_limit - elapsed, 1.0),
                rel_gap=rel_gap,
                seed=seed,
                threads=threads,
                col_lower=col_lower,
            )
            elapsed += more
    return name, objective, bound, values, elapsed


def solve_unit_cover_milp(
    model: Model,
    red: UnitCover,
    budget: float,
    start: BoolArray | None,
    *,
    time_limit: float,
    rel_gap: float,
    seed: int,
    threads: int = 0,
    fixed_to: tuple[BoolArray, BoolArray] | None = None,
) -> MilpOutcome:
    """Max weighted coverage under a budget on the reduced instance ``red`` (objective column 0)."""
    n_x = red.cols.size
    n_u = red.coef.shape[0]
    n_r = red.R.shape[0]
    link = sp.hstack(
        [-red.R, sp.csr_array((np.ones(n_r), (np.arange(n_r), red.row_unit)), shape=(n_r, n_u))],
        format="csr",
    )
    cost = model.cost[red.cols]
    budget_row = sp.csr_array(np.concatenate([cost, np.zeros(n_u)])[None, :])
    grp, cap = _group_rows(model, red.cols)
    grp = sp.hstack([grp, sp.csr_array((grp.shape[0], n_u))], format="csr")
    mat = sp.vstack([link, budget_row, grp], format="csr")
    row_lower = np.full(mat.shape[0], -_INF)
    row_upper = np.concatenate([np.zeros(n_r), [budget], cap])
    col_cost = np.concatenate([np.zeros(n_x), red.coef[:, 0]])
    x_start = None
    if start is not None:
        xs = start[red.cols].astype(np.float64)
        ys = np.zeros(n_u)
        if n_r:
            seen = np.asarray(red.R @ xs) > 0.5
            unseen_units = np.bincount(red.row_unit[~seen], minlength=n_u)
            ys = (unseen_units == 0).astype(np.float64)
        x_start = np.concatenate([xs, ys])
    lower, upper = _bounds(n_x, n_u, fixed_to)
    name, obj, bound, values, secs = _run(
        col_cost=col_cost,
        col_upper=upper,
        col_lower=lower,
        integer=np.concatenate([np.ones(n_x, dtype=bool), np.zeros(n_u, dtype=bool)]),
        mat=mat,
        row_lower=row_lower,
        row_upper=row_upper,
        maximize=True,
        start=x_start,
        time_limit=time_limit,
        rel_gap=rel_gap,
        seed=seed,
        threads=threads,
    )
    chosen = None
    if values is not None:
        chosen = np.zeros(model.cost.size, dtype=bool)
        chosen[red.cols[values[:n_x] > 0.5]] = True
    const = float(red.constant[0])
    return MilpOutcome(
        status=name,
        objective=obj + const,
        bound=bound + const,
        chosen=chosen,
        seconds=secs,
        n_cols=n_x + n_u,
        n_rows=mat.shape[0],
        nnz=int(mat.nnz),
    )


def solve_row_cover_milp(
    model: Model,
    rows: RowCover,
    quota_units: UnitCover | None,
    quota_rhs: FloatArray,
    start: BoolArray | None,
    *,
    time_limit: float,
    rel_gap: float,
    seed: int,
    threads: int = 0,
    fixed_to: tuple[BoolArray, BoolArray] | None = None,
) -> MilpOutcome:
    """Minimum-cost cover of ``rows`` plus quota rows on ``quota_units`` (one coef column each)."""
    cols = rows.cols
    n_x = cols.size
    n_u = 0 if quota_units is None else quota_units.coef.shape[0]
    blocks = [sp.hstack([rows.R, sp.csr_array((rows.R.shape[0], n_u))], format="csr")]
    lower = [np.ones(rows.R.shape[0])]
    upper = [np.full(rows.R.shape[0], _INF)]
    if quota_units is not None and n_u:
        qu = quota_units
        n_r = qu.R.shape[0]
        blocks.append(
            sp.hstack(
                [-qu.R, sp.csr_array((np.ones(n_r), (np.arange(n_r), qu.row_unit)), shape=(n_r, n_u))],
                format="csr",
            )
        )
        lower.append(np.full(n_r, -_INF))
        upper.append(np.zeros(n_r))
        blocks.append(sp.hstack([sp.csr_array((qu.coef.shape[1], n_x)), sp.csr_array(qu.coef.T)], format="csr"))
        lower.append(quota_rhs)
        upper.append(np.full(quota_rhs.size, _INF))
    grp, cap = _group_rows(model, cols)
    blocks.append(sp.hstack([grp, sp.csr_array((grp.shape[0], n_u))], format="csr"))
    lower.append(np.full(cap.size, -_INF))
    upper.append(cap)
    mat = sp.vstack(blocks, format="csr")
    x_start = None
    if start is not None:
        xs = start[cols].astype(np.float64)
        ys = np.zeros(n_u)
        if quota_units is not None and n_u:
            seen = np.asarray(quota_units.R @ xs) > 0.5
            ys = (np.bincount(quota_units.row_unit[~seen], minlength=n_u) == 0).astype(np.float64)
        x_start = np.concatenate([xs, ys])
    col_lower, col_upper = _bounds(n_x, n_u, fixed_to)
    name, obj, bound, values, secs = _run(
        col_cost=np.concatenate([model.cost[cols], np.zeros(n_u)]),
        col_upper=col_upper,
        col_lower=col_lower,
        integer=np.concatenate([np.ones(n_x, dtype=bool), np.zeros(n_u, dtype=bool)]),
        mat=mat,
        row_lower=np.concatenate(lower),
        row_upper=np.concatenate(upper),
        maximize=False,
        start=x_start,
        time_limit=time_limit,
        rel_gap=rel_gap,
        seed=seed,
        threads=threads,
    )
    chosen = None
    if values is not None:
        chosen = np.zeros(model.cost.size, dtype=bool)
        chosen[cols[values[:n_x] > 0.5]] = True
    return MilpOutcome(
        status=name,
        objective=obj,
        bound=bound,
        chosen=chosen,
        seconds=secs,
        n_cols=n_x + n_u,
        n_rows=mat.shape[0],
        nnz=int(mat.nnz),
    )
