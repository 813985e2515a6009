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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from geo.placement._model import Model
from geo.placement._reduce import RowCover, UnitCover
from geo.placement.problem import BoolArray, FloatArray, IntArray

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


@dataclass(frozen=True)
class MilpLimits:
    """How one exact solve runs: wall seconds, relative gap at which it stops, seed, threads (0 = the
    solver's default), and whether HiGHS presolves (off for models we have reduced ourselves)."""

    time_limit: float
    rel_gap: float
    seed: int = 0
    threads: int = 0
    presolve: bool = True


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


@dataclass(frozen=True, eq=False)
class Formulation:
    """An LP or MILP in HiGHS's terms: ``row_lower <= mat @ x <= row_upper``, column bounds.

    ``integer`` marks the integer columns (None: a pure LP).
    """

    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    mat: sp.csr_array
    row_lower: FloatArray
    row_upper: FloatArray
    maximize: bool = False
    integer: BoolArray | None = None


def _highs(f: Formulation, *, time_limit: float, seed: int, threads: int) -> Any:
    """A quiet HiGHS instance holding the model."""
    import highspy

    with _stdout_silenced():  # HiGHS prints its banner from C++ when constructed, before options apply
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("random_seed", int(seed))
    if threads > 0:
        h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    n_cols = f.col_cost.size
    lp.num_col_ = n_cols
    lp.num_row_ = f.mat.shape[0]
    lp.col_cost_ = f.col_cost
    lp.col_lower_ = f.col_lower
    lp.col_upper_ = f.col_upper
    lp.row_lower_ = f.row_lower
    lp.row_upper_ = f.row_upper
    lp.sense_ = highspy.ObjSense.kMaximize if f.maximize else highspy.ObjSense.kMinimize
    csc = sp.csc_array(f.mat)
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = f.mat.shape[0]
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    if f.integer is not None:
        kinds = highspy.HighsVarType
        lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in f.integer]
    h.passModel(lp)
    return h


def _solve(h: Any) -> None:
    """Run HiGHS; once more after resetting its thread pool if the first run fails.

    HiGHS keeps one global thread pool, sized by the first run in the process: a later run asking
    for another thread count fails at once (``kError``, no solution), which silently cost the
    exact stage when calls with different ``threads`` shared a process.
    """
    import highspy

    if h.run() == highspy.HighsStatus.kError:
        highspy.Highs.resetGlobalScheduler(True)
        h.run()


def lp_row_duals(f: Formulation, *, time_limit: float, threads: int = 0) -> FloatArray | None:
    """Row duals of the LP ``f`` (interior point, no crossover; integrality ignored), or None.

    None when HiGHS did not reach a valid dual solution within ``time_limit``. Callers use the
    duals only as Lagrangian multipliers, whose bound is valid whatever their quality.
    """
    h = _highs(f, time_limit=time_limit, seed=0, threads=threads)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    _solve(h)
    sol = h.getSolution()
    if not sol.dual_valid or len(sol.row_dual) != f.mat.shape[0]:
        return None
    duals: FloatArray = np.asarray(sol.row_dual, dtype=np.float64)
    return duals


def _run(
    f: Formulation, start: FloatArray | None, limits: MilpLimits
) -> tuple[str, float, float, FloatArray | None, float]:
    import highspy

    t0 = time.monotonic()
    h = _highs(f, time_limit=limits.time_limit, seed=limits.seed, threads=limits.threads)
    h.setOptionValue("mip_rel_gap", float(limits.rel_gap))
    if not limits.presolve:
        h.setOptionValue("presolve", "off")
    if start is not None and ((start < f.col_lower - 1e-9).any() or (start > f.col_upper + 1e-9).any()):
        start = None  # the fixings exclude the incumbent: the exact stage looks for a better one
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    _solve(h)
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
        got = float(f.col_cost @ values)
        if abs(got - objective) > 1e-6 * max(1.0, abs(objective)):
            left = max(limits.time_limit - elapsed, 1.0)
            name, objective, bound, values, more = _run(f, None, replace(limits, time_limit=left))
            elapsed += more
    return name, objective, bound, values, elapsed


def _outcome(
    model: Model,
    cols: IntArray,
    run: tuple[str, float, float, FloatArray | None, float],
    mat: sp.csr_array,
    n_u: int,
    constant: float = 0.0,
) -> MilpOutcome:
    """The MILP's answer mapped back to candidates (``constant``: weight fixed cameras cover)."""
    name, obj, bound, values, secs = run
    chosen = None
    if values is not None:
        chosen = np.zeros(model.cost.size, dtype=bool)
        chosen[cols[values[: cols.size] > 0.5]] = True
    return MilpOutcome(
        status=name,
        objective=obj + constant,
        bound=bound + constant,
        chosen=chosen,
        seconds=secs,
        n_cols=cols.size + n_u,
        n_rows=mat.shape[0],
        nnz=int(mat.nnz),
    )


def link_rows(R: sp.csr_array, row_unit: IntArray, n_u: int) -> sp.csr_array:
    """``-R x + y_unit(r) <= 0`` per row: columns x (``R``'s) then y (one per unit)."""
    n_r = R.shape[0]
    return sp.hstack(
        [-R, sp.csr_array((np.ones(n_r), (np.arange(n_r), row_unit)), shape=(n_r, n_u))],
        format="csr",
    )


def _units_seen(R: sp.csr_array, row_unit: IntArray, n_u: int, xs: FloatArray) -> FloatArray:
    """1.0 per unit every row of which the plan ``xs`` sees, else 0.0."""
    if R.shape[0] == 0:
        return np.zeros(n_u)
    seen = np.asarray(R @ xs) > 0.5
    out: FloatArray = (np.bincount(row_unit[~seen], minlength=n_u) == 0).astype(np.float64)
    return out


def solve_unit_cover_milp(
    model: Model,
    red: UnitCover,
    budget: float,
    start: BoolArray | None,
    limits: MilpLimits,
    *,
    fixed_to: tuple[BoolArray, BoolArray] | None = None,
    price: float | FloatArray = 0.0,
) -> MilpOutcome:
    """Max weighted coverage under a budget on the reduced instance ``red`` (objective column 0).

    ``price`` > 0 charges each camera its cost times the price (one for all, or one per column of
    ``red``): the objective is then covered weight minus the priced spend (``budget`` may be ``math.inf``).
    """
    n_x = red.cols.size
    n_u = red.coef.shape[0]
    n_r = red.R.shape[0]
    cost = model.cost[red.cols]
    budget_row = sp.csr_array(np.concatenate([cost, np.zeros(n_u)])[None, :])
    grp, cap = _group_rows(model, red.cols)
    grp = sp.hstack([grp, sp.csr_array((grp.shape[0], n_u))], format="csr")
    mat = sp.vstack([link_rows(red.R, red.row_unit, n_u), budget_row, grp], format="csr")
    x_start = None
    if start is not None:
        xs = start[red.cols].astype(np.float64)
        x_start = np.concatenate([xs, _units_seen(red.R, red.row_unit, n_u, xs)])
    lower, upper = _bounds(n_x, n_u, fixed_to)
    f = Formulation(
        col_cost=np.concatenate([-price * cost, red.coef[:, 0]]),
        col_lower=lower,
        col_upper=upper,
        mat=mat,
        row_lower=np.full(mat.shape[0], -_INF),
        row_upper=np.concatenate([np.zeros(n_r), [budget], cap]),
        maximize=True,
        integer=np.concatenate([np.ones(n_x, dtype=bool), np.zeros(n_u, dtype=bool)]),
    )
    run = _run(f, x_start, limits)
    return _outcome(model, red.cols, run, mat, n_u, float(red.constant[0]))


def solve_row_cover_milp(
    model: Model,
    rows: RowCover,
    quota_units: UnitCover | None,
    quota_rhs: FloatArray,
    start: BoolArray | None,
    limits: MilpLimits,
    *,
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
        blocks.append(link_rows(qu.R, qu.row_unit, n_u))
        lower.append(np.full(qu.R.shape[0], -_INF))
        upper.append(np.zeros(qu.R.shape[0]))
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
            ys = _units_seen(quota_units.R, quota_units.row_unit, n_u, xs)
        x_start = np.concatenate([xs, ys])
    col_lower, col_upper = _bounds(n_x, n_u, fixed_to)
    f = Formulation(
        col_cost=np.concatenate([model.cost[cols], np.zeros(n_u)]),
        col_lower=col_lower,
        col_upper=col_upper,
        mat=mat,
        row_lower=np.concatenate(lower),
        row_upper=np.concatenate(upper),
        integer=np.concatenate([np.ones(n_x, dtype=bool), np.zeros(n_u, dtype=bool)]),
    )
    run = _run(f, x_start, limits)
    return _outcome(model, cols, run, mat, n_u)
