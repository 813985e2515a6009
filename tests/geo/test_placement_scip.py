"""The SCIP exact stage for heavy-overlap set covers, against enumeration on small instances.

Its bound (taken with the incumbent the fixings hold against, as the pipeline takes it) must never
exceed the optimum, its plans must be covers costing what they say, and with time enough it must
return the enumerated optimum, whatever start it is handed and whatever the Lagrangian fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.placement import CoverageProblem, scip_cover, solve_set_cover
from geo.placement._model import build_model
from geo.placement._reduce import reduce_rows
from geo.placement.lagrange import granularity, set_cover_lagrangian
from geo.placement.milp import MilpLimits
from geo.placement.scip_cover import available, solve_row_cover_scip
from tests.geo.test_placement_heavy import costs, cover_case, disks

pytestmark = pytest.mark.skipif(not available(), reason="pyscipopt is not installed")

instances = st.tuples(st.integers(0, 10_000), st.integers(6, 11), st.booleans())


@settings(max_examples=40, deadline=None)
@given(instances, st.sampled_from(["none", "worst", "best"]), st.booleans())
def test_scip_stage_bound_and_plan_hold_against_enumeration(
    case: tuple[int, int, bool], start_kind: str, with_fixings: bool
) -> None:
    rows, c, covers, plan_cost = cover_case(*case)
    seed, n_cand, integer = case
    A = disks(seed, n_cand, 30, 0.45)
    model = build_model(
        CoverageProblem.from_arrays(A[np.diff(sp.csr_array(A).indptr) > 0], costs(seed, n_cand, integer))
    )
    optimum = float(plan_cost.min())
    start = None
    incumbent = math.inf
    if start_kind != "none":
        pick = int(plan_cost.argmax() if start_kind == "worst" else plan_cost.argmin())
        start, incumbent = covers[pick], float(plan_cost[pick])
    fixed_to = None
    if with_fixings:
        if start is None:
            start, incumbent = covers[int(plan_cost.argmax())], float(plan_cost.max())
        lag = set_cover_lagrangian(rows, c, incumbent, seconds=5.0, step=granularity(c), heuristic_every=5)
        fixed_to, incumbent = (lag.fix_zero, lag.fix_one), lag.incumbent
    # the stage runs on the same reduced rows as `cover_case`, whose model is built from the same data
    out = solve_row_cover_scip(model, rows, start, MilpLimits(20.0, 1e-9, seed), fixed_to=fixed_to)
    value = incumbent if out.status == "infeasible" else out.bound
    if fixed_to is not None:
        value = min(value, incumbent)  # what `Progress.milp` keeps
    assert value <= optimum + 1e-6, "the bound exceeds the enumerated optimum"
    assert out.status in ("optimal", "infeasible")
    if out.chosen is not None:
        plan = out.chosen[rows.cols]
        assert bool((rows.R.toarray() @ plan.astype(float) >= 1).all()), "SCIP's plan is no cover"
        assert out.objective == pytest.approx(float(c[plan].sum()))
        assert out.objective >= optimum - 1e-6
    best_found = min(out.objective if out.chosen is not None else math.inf, incumbent)
    assert best_found == pytest.approx(optimum), "with time enough the optimum must be found or kept"


@pytest.mark.parametrize("with_scip", [True, False])
def test_heavy_cover_goes_to_scip_and_matches_an_independent_exact_solve(
    with_scip: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 candidates, 1,000 points, about 14 candidates per point: the Lagrangian stage leaves a
    gap, so SCIP runs the exact stage (HiGHS when pyscipopt is missing); either answer must equal
    HiGHS's on the unreduced model."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    if not with_scip:
        monkeypatch.setattr(scip_cover, "available", lambda: False)
    A = disks(0, 200, 1000, 0.15)
    A = sp.csc_array(A[np.diff(sp.csr_array(A).indptr) > 0])
    res = solve_set_cover(CoverageProblem.from_arrays(A, np.ones(200)), time_limit=60, threads=1)
    stage = next(s for s in res.stages if s.stage == "milp")
    assert stage.detail.startswith("SCIP: ") == with_scip
    ref = milp(
        np.ones(200),
        constraints=LinearConstraint(A.astype(float), lb=1),
        integrality=np.ones(200),
        bounds=Bounds(0, 1),
        options={"time_limit": 120},
    )
    assert ref.success
    assert res.status == "optimal"
    assert res.objective == pytest.approx(round(ref.fun)) and res.bound == pytest.approx(res.objective)
    assert res.covered.all()


def test_scip_proves_a_cover_whose_lp_bound_is_weak() -> None:
    """Every point of a ring seen by exactly two neighbouring cameras of five: LP 2.5, optimum 3."""
    n = 5
    A = sp.csc_array(np.array([[1 if j in (i, (i + 1) % n) else 0 for j in range(n)] for i in range(n)], dtype=bool))
    model = build_model(CoverageProblem.from_arrays(A, np.ones(n)))
    rows = reduce_rows(model, np.ones(n, dtype=bool), column_dominance=False)
    out = solve_row_cover_scip(model, rows, None, MilpLimits(10.0, 1e-9))
    assert out.status == "optimal"
    assert out.objective == pytest.approx(3.0) and out.bound == pytest.approx(3.0)
