"""Phased plans (each phase's picks become fixed for the next) and the coverage-versus-cameras curve."""

from __future__ import annotations

import csv
import dataclasses
import math
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.placement._errors import PlacementInputError
from geo.placement._model import build_model, covered_weight
from geo.placement.heuristic import SelectionState, _lazy_greedy
from geo.placement.problem import CoverageProblem, FloatArray, IntArray
from geo.placement.result import PlacementResult
from geo.placement.solve import solve_max_coverage


@dataclass(frozen=True, eq=False)
class PhasedPlan:
    """One result per phase; ``phases[k].added`` are the cameras bought in phase ``k``."""

    phases: tuple[PlacementResult, ...]
    budgets: tuple[float, ...]

    @property
    def added(self) -> tuple[IntArray, ...]:
        return tuple(p.added for p in self.phases)

    @property
    def covered_weight(self) -> FloatArray:
        """Covered weight at the end of each phase."""
        return np.array([p.covered_weight for p in self.phases])


def plan_phases(
    problem: CoverageProblem,
    budgets: Sequence[float],
    *,
    time_limit_per_phase: float = 60.0,
    exact: bool = True,
    rel_gap: float = 1e-6,
    seed: int = 0,
) -> PhasedPlan:
    """Budgeted max coverage phase by phase: phase ``k`` spends at most ``budgets[k]`` and builds on
    every earlier phase, whose picks become fixed (never moved or removed).

    Each phase is optimal for its own budget given the earlier phases (myopic), which is how
    programmes are funded; it is not a joint optimum over all phases.
    """
    if len(budgets) == 0:
        raise PlacementInputError("expected at least one phase budget, got none", field="budgets")
    phases: list[PlacementResult] = []
    current = problem
    for k, b in enumerate(budgets):
        try:
            result = solve_max_coverage(
                current, b, time_limit=time_limit_per_phase, exact=exact, rel_gap=rel_gap, seed=seed
            )
        except PlacementInputError as exc:
            raise PlacementInputError(exc.detail, field=exc.field, where=f"phase {k + 1}") from exc
        phases.append(result)
        fixed = current.fixed.copy()
        fixed[result.added] = True
        current = dataclasses.replace(current, fixed=fixed, cost=problem.cost.copy())
    return PhasedPlan(phases=tuple(phases), budgets=tuple(float(b) for b in budgets))


@dataclass(frozen=True, eq=False)
class CoverageCurve:
    """Covered weight after each added camera, in greedy order; row 0 is the fixed cameras alone."""

    cameras: IntArray  # 0, 1, 2, ... added cameras
    candidate: IntArray  # candidate index added at that step (-1 for row 0)
    cumulative_cost: FloatArray
    covered_weight: FloatArray
    covered_fraction: FloatArray

    def write_csv(self, path: str | os.PathLike[str]) -> None:
        """``cameras,candidate,cumulative_cost,covered_weight,covered_fraction`` one line per step."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["cameras", "candidate", "cumulative_cost", "covered_weight", "covered_fraction"])
            for row in zip(
                self.cameras,
                self.candidate,
                self.cumulative_cost,
                self.covered_weight,
                self.covered_fraction,
                strict=True,
            ):
                out.writerow([int(row[0]), int(row[1]), f"{row[2]:.6g}", f"{row[3]:.6g}", f"{row[4]:.6f}"])


def coverage_curve(
    problem: CoverageProblem, *, budget: float | None = None, max_cameras: int | None = None
) -> CoverageCurve:
    """The greedy coverage-versus-cameras curve (cost-effectiveness order), up to ``budget`` or
    ``max_cameras`` or until no camera adds coverage. Each point is a feasible plan, so it is a
    lower envelope of the optimal curve."""
    if budget is not None and not (isinstance(budget, numbers.Real) and budget >= 0 and not math.isnan(budget)):
        raise PlacementInputError(f"expected a budget >= 0, got {budget!r}", field="budget")
    if max_cameras is not None and max_cameras < 0:
        raise PlacementInputError(f"expected max_cameras >= 0, got {max_cameras}", field="max_cameras")
    model = build_model(problem)
    st = SelectionState(model)
    base = covered_weight(model, st.cnt)
    trace = _lazy_greedy(st, model.row_credit, math.inf if budget is None else float(budget), max_picks=max_cameras)
    total = float(problem.weight.sum())
    weights = np.concatenate([[base], trace.covered_weight])
    return CoverageCurve(
        cameras=np.arange(trace.order.size + 1, dtype=np.int64),
        candidate=np.concatenate([[-1], trace.order]).astype(np.int64),
        cumulative_cost=np.concatenate([[0.0], trace.cost]),
        covered_weight=weights,
        covered_fraction=weights / total if total > 0 else np.ones_like(weights),
    )
