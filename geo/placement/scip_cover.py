"""The exact stage for heavy-overlap set covers: SCIP (via pyscipopt) on the reduced, fixed model.

Where cameras overlap heavily the LP bound of set cover sits far below the optimum (44.3 against 47
on 500 x 2,500 at 500 m; 161.8 against 178-183 on 2,000 x 10,000), so a faster LP cannot close the
gap: the branch-and-bound must raise the bound itself. Measured on those two reduced models (one
thread, SCIP 10.0 from the pyscipopt 6.3 wheel against HiGHS 1.16): SCIP proves 47 optimal on
the small one in 13 CPU seconds, HiGHS in 20; in 60 CPU seconds on the large one SCIP's bound
reaches 163.5 (HiGHS's stays near the LP's 161.8). SCIP's separators (zero-half, clique, knapsack
cover) and its conflict analysis are what HiGHS 1.16 lacks here. OR-Tools CP-SAT with one worker
was tried as well and did worse than both (small: 54 cameras, bound 2; with its LP at level 2:
47, bound 45).

Only the plain cover (no quotas, no group limits) of at most ``lp_duals.MAX_NONZEROS`` nonzeros
comes here (past that, neither solver reaches its root in time); the rest stays with HiGHS. SCIP runs
one thread (it is sequential); our plan is handed over as its first solution, and with integral
costs SCIP then searches only for strictly cheaper covers, so "infeasible" on a fixed model means
"nothing cheaper exists" and the caller treats it so (see ``progress.Progress.milp``).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from geo.placement._model import Model
from geo.placement._reduce import RowCover
from geo.placement.milp import MilpLimits, MilpOutcome
from geo.placement.problem import BoolArray, FloatArray

# Up to this many nonzeros, with our plan as the start, SCIP runs in "proof" settings: no primal
# heuristics, no cutting planes, no presolve, branching on pseudo-costs (no strong branching). On
# 500 x 2,500 at 500 m (about 8k nonzeros after the reductions) the proof then takes 3.6 CPU s
# instead of 9.7 on the tuning seed 7; held back: seed 1 16.3 s (was 33.5), seed 2 13.3 s (17.3),
# seed 3 36.3 s (33.7). There strong branching was 70 % of the time, the cuts raised the root
# bound by 0.25 only and every start was already optimal. On 2,000 x 10,000 (50k nonzeros) the
# defaults reach a better bound in 60 s (163.5 against 162.4), so larger models keep them.
_PROOF_SETTINGS_UP_TO = 20_000


def _proof_settings(m: Any) -> None:
    from pyscipopt.scip import PY_SCIP_PARAMSETTING

    m.setHeuristics(PY_SCIP_PARAMSETTING.OFF)
    m.setSeparating(PY_SCIP_PARAMSETTING.OFF)
    m.setPresolve(PY_SCIP_PARAMSETTING.OFF)
    m.setParam("branching/pscost/priority", 100_000)
    # a 0/1 matrix needs no LP scaling: the same trees, 9 % less CPU on the tuning seeds 21-25
    # (66.0 -> 59.5 CPU s for SCIP alone, seventh session)
    m.setParam("lp/scaling", 0)


def available() -> bool:
    """True when pyscipopt can be imported (it is a dependency; a broken install falls back to HiGHS)."""
    try:
        import pyscipopt  # noqa: F401
    except ImportError:
        return False
    return True


def _status(model: Any) -> str:
    name = str(model.getStatus())
    if name == "optimal":
        return "optimal"
    if name in ("timelimit", "userinterrupt", "memlimit", "nodelimit", "gaplimit"):
        return "time_limit"
    if name in ("infeasible", "inforunbd"):
        return "infeasible"
    return "unknown"


def solve_row_cover_scip(
    model: Model,
    rows: RowCover,
    start: BoolArray | None,
    limits: MilpLimits,
    *,
    fixed_to: tuple[BoolArray, BoolArray] | None = None,
) -> MilpOutcome:
    """Minimum-cost cover of every row of ``rows.R`` (``R x >= 1``, x binary) by SCIP.

    ``start`` is a plan over ``rows``' columns (used as SCIP's first solution when the fixings
    keep it), ``fixed_to`` = (fix to 0, fix to 1) over the same columns. ``limits.time_limit`` is
    wall seconds; SCIP runs one thread whatever ``limits.threads`` says. The answer maps back to
    candidates like :func:`geo.placement.milp.solve_row_cover_milp`.
    """
    from pyscipopt import Model as ScipModel
    from pyscipopt import quicksum

    t0 = time.monotonic()
    cols = rows.cols
    cost: FloatArray = model.cost[cols]
    R = rows.R
    n_x = cols.size
    m = ScipModel("set_cover")
    m.hideOutput()
    m.setParam("limits/time", max(float(limits.time_limit), 0.01))
    m.setParam("limits/gap", float(limits.rel_gap))
    m.setParam("randomization/randomseedshift", int(limits.seed) % 2**31)
    m.setParam("lp/threads", 1)
    lower, upper = np.zeros(n_x), np.ones(n_x)
    if fixed_to is not None:
        zero, one = fixed_to
        upper[zero] = 0.0
        lower[one & ~zero] = 1.0
    x = [m.addVar(f"x{j}", vtype="B", obj=float(cost[j]), lb=lower[j], ub=upper[j]) for j in range(n_x)]
    indptr, indices = R.indptr, R.indices
    for r in range(R.shape[0]):
        m.addCons(quicksum(x[j] for j in indices[indptr[r] : indptr[r + 1]]) >= 1, name=f"r{r}")
    if start is not None and not ((start & (upper < 0.5)).any() or (~start & (lower > 0.5)).any()):
        if R.nnz <= _PROOF_SETTINGS_UP_TO:
            _proof_settings(m)
        sol = m.createSol()
        for j in np.flatnonzero(start):
            m.setSolVal(sol, x[int(j)], 1.0)
        m.addSol(sol, free=True)
    m.optimize()
    status = _status(m)
    chosen = None
    objective = math.nan
    if m.getNSols() > 0:
        best = m.getBestSol()
        values = np.array([m.getSolVal(best, v) for v in x])
        chosen = np.zeros(model.cost.size, dtype=bool)
        chosen[cols[values > 0.5]] = True
        objective = float(cost[values > 0.5].sum())
    bound = float(m.getDualbound()) if status != "infeasible" else math.nan
    if not math.isfinite(bound):
        bound = math.nan
    return MilpOutcome(
        status=status,
        objective=objective,
        bound=bound,
        chosen=chosen,
        seconds=time.monotonic() - t0,
        n_cols=n_x,
        n_rows=R.shape[0],
        nnz=int(R.nnz),
    )
