"""The progress of one placement solve: the best bound so far and its source, the MILP's status,
the stage log, and the result built from them (see :mod:`geo.placement.solve`)."""

from __future__ import annotations

import math
import time

import numpy as np

from geo.placement._model import Model, units_covered
from geo.placement.heuristic import SelectionState
from geo.placement.lagrange import LagrangianOutcome
from geo.placement.lp_duals import MAX_NONZEROS
from geo.placement.milp import MilpOutcome
from geo.placement.problem import BoolArray, FloatArray
from geo.placement.result import Kind, PlacementResult, StageLog, Status

NAN = math.nan


def round_down(bound: float, step: float) -> float:
    """An upper bound on an objective that moves in whole steps can be rounded down to one."""
    return math.floor(bound + 1e-7 * max(1.0, abs(bound))) if step and math.isfinite(bound) else bound


def round_up(bound: float, step: float) -> float:
    return math.ceil(bound - 1e-7 * max(1.0, abs(bound))) if step and math.isfinite(bound) else bound


def fix_detail(iterations: int, fixed_to: tuple[BoolArray, BoolArray]) -> str:
    zero, one = fixed_to
    return f"{iterations} iterations; fixed {int(zero.sum())} out, {int(one.sum())} in"


def gap_of(objective: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.inf
    return abs(bound - objective) / max(abs(objective), 1e-12) if bound != objective else 0.0


class Progress:
    """The best bound so far, its source, the MILP's status and the stage log of one solve call.

    ``maximize``: the bound is an upper bound (max coverage), else a lower one (set cover);
    bounds are rounded to ``step`` (see :func:`granularity`) in the direction that keeps them valid.
    """

    def __init__(self, kind: Kind, *, maximize: bool, step: float, bound: float, source: str) -> None:
        self.kind: Kind = kind
        self.maximize = maximize
        self.step = step
        self.bound = self._rounded(bound)
        self.source = source
        self.milp_status: str | None = None
        self.stages: list[StageLog] = []

    def _rounded(self, value: float) -> float:
        return round_down(value, self.step) if self.maximize else round_up(value, self.step)

    def log(self, stage: str, seconds: float, objective: float, bound: float = NAN, detail: str = "") -> None:
        self.stages.append(StageLog(stage, seconds, objective, bound, detail))

    def tighten(self, value: float, source: str) -> None:
        """Keep ``value`` (rounded to the step) if it is a tighter bound than the one held."""
        if not math.isfinite(value):
            return
        value = self._rounded(value)
        if (value < self.bound) if self.maximize else (value > self.bound):
            self.bound, self.source = value, source

    def open(self, objective: float, rel_gap: float) -> bool:
        return gap_of(objective, self.bound) > rel_gap

    def lp_duals(self, duals: FloatArray | None, seconds: float, nnz: int) -> None:
        if nnz > MAX_NONZEROS:
            detail = f"not tried: {nnz:,} nonzeros"
        else:
            detail = "optimal duals" if duals is not None else "not reached in time"
        self.log("lp_duals", seconds, NAN, NAN, detail)

    def lagrangian(self, lag: LagrangianOutcome, objective: float) -> tuple[BoolArray, BoolArray]:
        """Log the Lagrangian stage, keep its bound; returns its fixings (to 0, to 1)."""
        self.tighten(lag.bound, "lagrangian")
        fixed_to = (lag.fix_zero, lag.fix_one)
        self.log("lagrangian", lag.seconds, objective, lag.bound, fix_detail(lag.iterations, fixed_to))
        return fixed_to

    def milp(self, out: MilpOutcome, incumbent: float, fixed: bool, solver: str = "") -> None:
        """Log the MILP stage and keep its bound.

        Fixings exclude only plans no better than the incumbent they were computed against, so
        over a fixed model the MILP's bound counts only together with that incumbent.
        """
        self.milp_status = out.status
        self.log(
            "milp",
            out.seconds,
            out.objective,
            out.bound,
            f"{solver}{out.status}; {out.n_cols} cols, {out.n_rows} rows, {out.nnz} nonzeros",
        )
        value = incumbent if out.status == "infeasible" else out.bound
        if fixed:
            value = max(value, incumbent) if self.maximize else min(value, incumbent)
        self.tighten(value, "milp")

    def finish(
        self,
        model: Model,
        st: SelectionState,
        *,
        objective: float,
        rel_gap: float,
        t0: float,
        budget: float | None,
    ) -> PlacementResult:
        # a plan is its own bound: never report a bound the returned plan beats
        bound = max(self.bound, objective) if self.maximize else min(self.bound, objective)
        gap = gap_of(objective, bound)
        status: Status
        if gap <= rel_gap * 1.01 or abs(bound - objective) <= 1e-6:
            # judged on the plan actually returned, never on the solver's word alone
            status = "optimal"
        elif self.milp_status == "time_limit":
            status = "time_limit"
        else:
            status = "feasible"
        problem = model.problem
        counted = units_covered(model, st.cnt)[model.unit_of_row]
        added = st.added()
        return PlacementResult(
            kind=self.kind,
            selected=np.flatnonzero(st.selected).astype(np.int64),
            added=added,
            objective=objective,
            bound=bound,
            gap=gap,
            status=status,
            bound_source=self.source,
            seconds=time.monotonic() - t0,
            cost=float(problem.cost[added].sum()),
            covered_weight=float(problem.weight[counted].sum()),
            total_weight=float(problem.weight.sum()),
            covered=st.cnt > 0,
            counted=counted,
            budget=budget,
            stages=tuple(self.stages),
        )
