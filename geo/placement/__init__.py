"""Camera placement on a sparse coverage matrix: where the next cameras should go.

Rows of the coverage matrix are demand targets, columns are candidate views (site x camera model x
heading). Two problems:

* :func:`solve_set_cover` - the cheapest set of added cameras that sees every required target
  (and meets optional :class:`Quota` fractions);
* :func:`solve_max_coverage` - the most target weight seen for a budget (MCLP);

plus :func:`plan_phases` (one budget per phase, each building on the last) and
:func:`coverage_curve` (covered weight after each added camera, for ``curve.csv``).

Every solve reports the plan, its objective, a valid bound on the optimum, the gap and a status.
See ``docs/placement.md`` for the formulations.
"""

from geo.placement._errors import InfeasiblePlanError, PlacementInputError, UncoverableTargetsError
from geo.placement.phases import CoverageCurve, PhasedPlan, coverage_curve, plan_phases
from geo.placement.problem import CoverageProblem, Quota
from geo.placement.result import PlacementResult, StageLog
from geo.placement.solve import solve_max_coverage, solve_set_cover

__all__ = [
    "CoverageCurve",
    "CoverageProblem",
    "InfeasiblePlanError",
    "PhasedPlan",
    "PlacementInputError",
    "PlacementResult",
    "Quota",
    "StageLog",
    "UncoverableTargetsError",
    "coverage_curve",
    "plan_phases",
    "solve_max_coverage",
    "solve_set_cover",
]
