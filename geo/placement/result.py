"""Typed results handed back to callers: one plan, one stage log line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo.placement.problem import BoolArray, IntArray

Kind = Literal["max_coverage", "set_cover"]
Status = Literal["optimal", "time_limit", "feasible"]


@dataclass(frozen=True)
class StageLog:
    """One solver stage: what it found and how long it took (``nan`` where not applicable)."""

    stage: str  # "greedy" | "polish" | "cover_all" | "lp_duals" | "lagrangian" | "local_search" | "windows" | "milp"
    seconds: float
    objective: float
    bound: float
    detail: str = ""


@dataclass(frozen=True, eq=False)
class PlacementResult:
    """A plan with its proof of quality.

    ``objective`` is the covered weight (max coverage) or the cost of the added cameras (set
    cover). ``bound`` is an upper bound (max coverage) or lower bound (set cover) on the optimum;
    ``gap = |bound - objective| / max(|objective|, 1e-12)``. ``status`` is ``"optimal"`` only
    when the gap is closed (to ``rel_gap``); ``"time_limit"`` when the MILP ran out of time; else
    ``"feasible"`` (heuristic only). ``bound_source`` says which bound was the tightest.
    ``covered`` marks targets seen by a selected camera; ``counted`` marks targets whose weight
    counts (their composite, if any, is complete).
    """

    kind: Kind
    selected: IntArray  # every selected candidate (fixed included), sorted
    added: IntArray  # selected and not fixed, sorted
    objective: float
    bound: float
    gap: float
    status: Status
    bound_source: str
    seconds: float
    cost: float  # cost of the added cameras
    covered_weight: float
    total_weight: float
    covered: BoolArray
    counted: BoolArray
    budget: float | None
    stages: tuple[StageLog, ...]

    @property
    def covered_fraction(self) -> float:
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 1.0
