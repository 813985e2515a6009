"""Entry points: minimum-cost set cover and budgeted maximum coverage.

Each runs lazy greedy and local-search polish; then a Lagrangian stage (bound, plan, reduced-cost
fixing; started from the LP relaxation's duals where the LP is small enough) and, where cameras
overlap heavily, a set-cover local search (MCLP: a search for a plan covering everything within
the budget); then (``exact=True``) a HiGHS MILP on the reduced and fixed model, under the time
limit. The best plan found and the tightest valid bound are reported, with the gap, honestly.
See docs/placement.md.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from geo.placement import scip_cover
from geo.placement._errors import InfeasiblePlanError, PlacementInputError, UncoverableTargetsError
from geo.placement._model import Model, build_model, counts_for, covered_weight
from geo.placement._reduce import RowCover, UnitCover, implied_rows, light_overlap, reduce_rows, reduce_units
from geo.placement.cover_search import cover_local_search
from geo.placement.heuristic import (
    SelectionState,
    better_coverage,
    greedy_max_coverage,
    greedy_set_cover,
    polish_max_coverage,
    polish_set_cover,
    quota_status,
    state_from_selection,
    state_of_plan,
)
from geo.placement.lagrange import (
    granularity,
    max_coverage_lagrangian,
    set_cover_lagrangian,
)
from geo.placement.light_mclp import coverage_fixings, fits_light_path, improve_by_plans, solve_compact_milp
from geo.placement.lns import WINDOW_LIMITS, fitted_plan, start_price, window_search
from geo.placement.lp_duals import MAX_NONZEROS, cover_duals, unit_cover_duals
from geo.placement.milp import MilpLimits, solve_row_cover_milp, solve_unit_cover_milp
from geo.placement.price_split import price_split_bound
from geo.placement.problem import BoolArray, CoverageProblem, IntArray, Quota
from geo.placement.progress import Progress, fix_detail, round_up
from geo.placement.result import PlacementResult

_COVER_ALL_FROM = 0.99  # MCLP tries to cover everything when the heuristic already covers this share
# set cover: reduced nonzeros from which the local search restarts (another seed, from its best plan)
# until its time share is used, instead of stopping at its patience; below, SCIP proves the optimum
# from the first run's plan. 2,000 x 10,000 at 500 m (50k nonzeros, SCIP's bound stuck at 163.5):
# 179 -> 178 after 6 runs on seed 7 (tuning), 179 unchanged on seed 1 (held back)
_LS_RESTARTS_FROM = 20_000
_COUNTY_LAGRANGIAN = 0.12  # county MCLP: the Lagrangian stage's share of the time left
_COUNTY_LAGRANGIAN_ITERATIONS = 3000  # county MCLP: its time share, not this cap, ends it (1,000: 8.5 s at 250 m)
# county MCLP: priced windows' share of the window time, budget windows get the rest (at 500 m the
# priced ones gained 21 per s, the budget ones 6)
_PRICED_SHARE = 0.85
# county MCLP at light overlap (``_reduce.light_overlap``; candidates per reduced row at 250 m: 6.3, at 500 m:
# 23.7): polish's share of the limit (else a fifth); the tiles' plan (price_split.py) replaces most of its work
_COUNTY_POLISH = 0.03
_SPLIT_SHARE = 0.6  # county MCLP: the share of the time after the Lagrangian stage for the priced tile bound
_WINDOWS_FROM = 100_000  # MCLP: reduced nonzeros from which windows are solved before (or instead of) the MILP
_TRY_COVER_ALL_FROM = 0.98  # MCLP below _EARLY_COVER_ALL: greedy's share of everything from which cover_all runs first
# MCLP: reduced nonzeros up to which cover_all may run before polish, on all rows (no implied-row product).
# Past it both cost more than they save: the quick county at 500 m (414k) found nothing in 14.9 s that way,
# against 5.2 s after polish with the implied rows dropped; 2,000 x 10,000 at 500 m (122k) gains
_EARLY_COVER_ALL = 200_000


def _check_time(time_limit: float) -> None:
    if not (isinstance(time_limit, numbers.Real) and math.isfinite(time_limit) and time_limit > 0):
        raise PlacementInputError(f"expected a time limit in seconds > 0, got {time_limit!r}", field="time_limit")


def _redirected(selected: BoolArray, redirect: IntArray) -> BoolArray:
    """The heuristic plan with each dropped (dominated) candidate replaced by its dominator."""
    out = np.zeros_like(selected)
    out[redirect[np.flatnonzero(selected)]] = True
    return out


def _lagrangian_seconds(deadline: float) -> float:
    """The Lagrangian stage gets at most a quarter of what is left (it stops early when proven)."""
    return max(0.25 * (deadline - time.monotonic()), 0.05)


def _groups_ok(model: Model, st: SelectionState) -> bool:
    return bool((st.group_used <= model.group_cap).all())


def _cover_everything(model: Model, red: UnitCover, budget: float, seconds: float) -> SelectionState | None:
    """A plan that covers every coverable unit within the budget, if the set-cover search finds one.

    Where cameras overlap heavily a budget often affords covering everything, and then the
    trivial bound proves the plan optimal; the set-cover heuristics (a reduced-cost greedy, then
    the row-weighting local search) find such plans far more readily than coverage-driven search.
    Gives up early when the Lagrangian bound shows that covering everything costs more.
    """
    if red.R.shape[0] == 0:
        return None
    t_end = time.monotonic() + seconds
    R = sp.csr_array(red.R)
    # on small models the local search reaches a cover sooner on all the rows than the overlap
    # product that finds the implied ones takes (500 x 2,500 at 500 m: 42 against 59 ms)
    implied = implied_rows(R) if R.nnz > _EARLY_COVER_ALL else np.zeros(R.shape[0], dtype=bool)
    rows = RowCover(
        cols=red.cols,
        R=sp.csr_array(R[~implied]),
        empty_rows=np.zeros(0, dtype=np.int64),
        redirect=red.redirect,
        implied_rows=int(implied.sum()),
    )
    cost = model.cost[red.cols]
    step = granularity(cost)
    # first the greedy cover and a short local search from it: on heavy overlap that often finds a plan
    # within the budget at once (500 x 2,500 at 500 m: 0.04 s, where the Lagrangian stage took 0.17 s)
    quick = set_cover_lagrangian(rows, cost, math.inf, seconds=0.0, step=step, enough=budget)
    if quick.plan is None:
        return None
    plan, value = quick.plan, quick.plan_value
    if value > budget + 1e-9 and round_up(quick.bound, step) <= budget + 1e-9:
        plan, value = cover_local_search(rows.R, cost, plan, seconds=min(0.1 * seconds, 1.0), enough=budget)
    if value > budget + 1e-9:
        lag = set_cover_lagrangian(rows, cost, value, seconds=0.3 * seconds, step=step, enough=budget)
        if round_up(lag.bound, step) > budget + 1e-9:
            return None
        if lag.plan is not None and lag.plan_value < value:
            plan, value = lag.plan, lag.plan_value
        if value > budget + 1e-9:
            left = max(t_end - time.monotonic(), 0.0)
            plan, value = cover_local_search(rows.R, cost, plan, seconds=left, enough=budget)
            if value > budget + 1e-9:
                return None
    st = state_of_plan(model, red.cols, plan)
    return st if st.spent <= budget + 1e-9 and _groups_ok(model, st) else None


def _light_stage(
    model: Model,
    red: UnitCover,
    budget: float,
    st: SelectionState,
    log: Progress,
    *,
    deadline: float,
    exact: bool,
    limits: MilpLimits,
) -> SelectionState:
    """Lagrangian plans and bound (``light_mclp.py``), then (if still open) the compact MILP.

    ``limits.time_limit`` is the whole limit; the MILP gets what is left of it by then.
    """
    t = time.monotonic()
    cost = model.cost[red.cols]
    st, lag = improve_by_plans(model, red, budget, st, step=log.step, deadline=deadline)
    log.tighten(lag.bound, "lagrangian")
    incumbent = st.covered_weight
    fixed_to = coverage_fixings(red, cost, budget, lag, incumbent, log.step)
    log.log("lagrangian", time.monotonic() - t, incumbent, lag.bound, f"plans; {fix_detail(lag.iterations, fixed_to)}")
    remaining = deadline - time.monotonic()
    if exact and log.open(incumbent, limits.rel_gap) and remaining < 0.02 * limits.time_limit:
        log.milp_status = "time_limit"  # out of time (see solve_max_coverage)
    elif exact and log.open(incumbent, limits.rel_gap):
        start = _redirected(st.selected, red.redirect)
        # without presolve: the compacted model is reduced already (500 x 2,500 at 250 m, the four
        # seeds that reach this MILP: 52-78 against 51-115 CPU ms end to end; 2,000 x 10,000: 0.23-0.82
        # against 0.36-0.98 CPU s)
        each = replace(limits, time_limit=max(remaining * 0.95, 0.5), presolve=False)
        out = solve_compact_milp(model, red, budget, fixed_to, start, each)
        if out.chosen is not None:
            st = better_coverage(state_from_selection(model, out.chosen), st, budget)
        log.milp(out, incumbent, fixed=True)
    return st


def _by_windows(model: Model, red: UnitCover) -> bool:
    """Window search instead of the whole MILP: a model too large for it, and no group limits."""
    return red.R.nnz > _WINDOWS_FROM and not (model.group >= 0).any()


def _window_stage(
    model: Model,
    red: UnitCover,
    budget: float,
    st: SelectionState,
    log: Progress,
    *,
    deadline: float,
    seed: int,
    threads: int,
    priced: bool = False,
) -> SelectionState:
    """Improve the plan window by window until the deadline (see ``lns.py``); logs stage "windows".

    ``priced``: priced windows first (``_PRICED_SHARE`` of the time, stage "priced"), then windows
    under the budget (on the 250 m county instance, seed 7, 59 s of priced windows gained 12,300
    and the 59 s of budget windows after them 800).
    """
    each = replace(WINDOW_LIMITS, seed=seed, threads=threads)
    stages = ("priced", "windows") if priced else ("windows",)
    for stage in stages:
        t = time.monotonic()
        plan = _redirected(st.selected, red.redirect)[red.cols]
        price = start_price(red, model.cost[red.cols], plan) if stage == "priced" else None
        until = t + _PRICED_SHARE * (deadline - t) if stage == "priced" else deadline
        out = window_search(model, red, budget, plan, deadline=until, each=each, price=price)
        st = better_coverage(state_of_plan(model, red.cols, out.plan), st, budget)
        if out.timed_out:
            log.milp_status = "time_limit"
        detail = f"{out.windows} solved, {out.improved} improved"
        if price is not None:
            detail += f"; price {price:.4g} to {out.price:.4g}"
        log.log(stage, time.monotonic() - t, st.covered_weight, detail=detail)
    return st


def _lp_seconds(seconds: float) -> float:
    """The LP gets at most 60 % of the Lagrangian stage's time; the subgradient the rest."""
    return 0.6 * seconds


def solve_max_coverage(
    problem: CoverageProblem,
    budget: float,
    *,
    time_limit: float = 60.0,
    exact: bool = True,
    rel_gap: float = 1e-6,
    seed: int = 0,
    threads: int = 0,
) -> PlacementResult:
    """Maximum weighted coverage (MCLP) with the added cameras' cost at most ``budget``.

    Fixed cameras are always in the plan and cost nothing. ``time_limit`` (seconds) is shared by
    polish (at most a fifth; 3 % past 500k reduced nonzeros at light overlap, ``_reduce.light_overlap``), the
    Lagrangian stage (a quarter of what is left, but at least a tenth of the limit, so it may run
    over by that much; its LP-duals start takes at most 60 % of that; _COUNTY_LAGRANGIAN of what is
    left past 500k reduced nonzeros, where the LP is not tried) and the exact stage: the MILP, from
    100k nonzeros after windows solved exactly (half its time), past 500k windows only (``lns.py``),
    after the priced tile bound (``price_split.py``, _SPLIT_SHARE of the time left, its tiles' plan
    the windows' start) where the Lagrangian bound is the tightest; building the model and the
    greedy pass come on top. When
    the heuristic plan already covers 99 % of what can be covered, a cover-everything search runs
    first (not past MAX_NONZEROS) (it shares the Lagrangian's quarter; up to 200k reduced nonzeros already when greedy
    covers 98 %, before polish). Small light-overlap models without groups (``fits_light_path``) take the
    path of ``light_mclp.py`` instead of the LP duals, Lagrangian and MILP stages: Lagrangian
    plans and bound, then a MILP on the compacted fixed model with what is left of the limit.
    With ``exact=False`` only greedy, polish and the Lagrangian bound run. ``seed`` and
    ``threads`` (0: HiGHS's choice) go to HiGHS.

    Raises:
        PlacementInputError: budget not a finite number >= the cheapest addable candidate, or no
            candidate can be added at all.
    """
    _check_time(time_limit)
    t0 = time.monotonic()
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real) or not math.isfinite(budget):
        raise PlacementInputError(f"expected a finite number, got {budget!r}", field="budget")
    model = build_model(problem)
    if not model.free.any():
        raise PlacementInputError(
            "expected at least one candidate that can be added, got none (all fixed or their groups full)",
            field="fixed",
        )
    cheapest = float(model.cost[model.free].min())
    if budget < cheapest:
        raise PlacementInputError(
            f"expected a budget of at least the cheapest addable camera ({cheapest:g}), got {budget:g}",
            field="budget",
        )
    budget = float(budget)
    deadline = t0 + time_limit
    st, _ = greedy_max_coverage(model, budget)
    greedy_seconds = time.monotonic() - t0
    red = reduce_units(model, problem.weight[:, None])
    step = granularity(red.coef[:, 0])
    # trivial bound: everything that can be covered at all
    log = Progress(
        "max_coverage", maximize=True, step=step, bound=float(red.constant[0] + red.coef[:, 0].sum()), source="trivial"
    )
    log.log("greedy", greedy_seconds, st.covered_weight, detail=f"{st.added().size} added")

    tried_all = False

    def cover_all() -> None:  # covering everything (the trivial bound then proves it)
        nonlocal st, tried_all
        t = time.monotonic()
        tried_all = True
        seconds = _lagrangian_seconds(deadline)
        everything = _cover_everything(model, red, budget, seconds)
        if everything is not None:
            st = better_coverage(everything, st, budget)
        log.log("cover_all", time.monotonic() - t, st.covered_weight, detail="found" if everything else "")

    # where greedy comes close to everything, try covering everything before polishing
    small = red.R.nnz <= _EARLY_COVER_ALL
    if small and log.open(st.covered_weight, rel_gap) and st.covered_weight >= _TRY_COVER_ALL_FROM * log.bound:
        cover_all()
    county = red.R.nnz > MAX_NONZEROS
    # a county at light overlap (the tiles' plan then replaces most of polish's work) polishes briefly
    polish_share = _COUNTY_POLISH if county and light_overlap(red.R) else 0.2
    if log.open(st.covered_weight, rel_gap):
        t = time.monotonic()
        polished = st.copy()
        polish_max_coverage(polished, budget, min(deadline, t + polish_share * time_limit))
        st = better_coverage(polished, st, budget)
        log.log("polish", time.monotonic() - t, st.covered_weight)
    # not at county scale: at 500 m it found nothing in 11, 22 and 24 s (seeds 7 and 11, 120 and
    # 240 s limits); the priced windows gain more with that time
    if (
        log.open(st.covered_weight, rel_gap)
        and st.covered_weight >= _COVER_ALL_FROM * log.bound
        and not tried_all
        and not county
    ):
        cover_all()
    light = fits_light_path(model, red, _WINDOWS_FROM)
    if log.open(st.covered_weight, rel_gap) and light:
        limits = MilpLimits(time_limit, rel_gap, seed, threads)
        st = _light_stage(model, red, budget, st, log, deadline=deadline, exact=exact, limits=limits)
    if not log.open(st.covered_weight, rel_gap) or light:
        return log.finish(model, st, objective=covered_weight(model, st.cnt), rel_gap=rel_gap, t0=t0, budget=budget)

    # the Lagrangian bound (from the LP's duals) and fixings against the best plan so far; the
    # bound it gives is often the only useful one at county scale: it gets at least a tenth of the
    # limit, even past the deadline. Past MAX_NONZEROS (no LP start) it gets _COUNTY_LAGRANGIAN of what
    # is left: the priced tile bound and the priced windows after it gain more per second
    incumbent = st.covered_weight
    cost = model.cost[red.cols]
    seconds = max(_lagrangian_seconds(deadline), 0.1 * time_limit)
    if county:
        seconds = max(_COUNTY_LAGRANGIAN * (deadline - time.monotonic()), 0.1 * time_limit)
    t = time.monotonic()
    duals = unit_cover_duals(red, cost, budget, seconds=_lp_seconds(seconds), threads=threads)
    log.lp_duals(duals, time.monotonic() - t, red.R.nnz)
    seconds = max(seconds - (time.monotonic() - t), 0.05)
    lag = max_coverage_lagrangian(
        red,
        cost,
        budget,
        incumbent,
        seconds=seconds,
        step=step,
        start=duals,
        give_up_above=log.bound,
        max_iter=_COUNTY_LAGRANGIAN_ITERATIONS if county else 1000,
    )
    fixed_to = log.lagrangian(lag, st.covered_weight)

    # the exact stage on the fixed model. From _WINDOWS_FROM nonzeros windows of it are solved
    # exactly first (half the time left), and past MAX_NONZEROS (county scale: the whole MILP does
    # not finish its root LP in time) instead of it
    if exact and county and log.open(st.covered_weight, rel_gap) and log.source == "lagrangian":
        # past the LP's reach: the priced tile bound, tighter than the Lagrangian one (price_split.py)
        # its tiles' plan, fitted into the budget, is also the start of the priced windows
        assert lag.multipliers is not None
        t = time.monotonic()
        until = t + _SPLIT_SHARE * (deadline - t)
        plan = _redirected(st.selected, red.redirect)[red.cols]
        split = price_split_bound(
            model, red, budget, lag.multipliers, deadline=until, seed=seed, threads=threads, plan=plan
        )
        log.tighten(split.bound, "price split")
        if split.plan is not None:
            tiled = state_of_plan(model, red.cols, fitted_plan(red, cost, split.plan, budget))
            st = better_coverage(tiled, st, budget)
        detail = f"{split.solved} of {split.tiles} tiles solved; price {split.price:.4g}"
        log.log("price_split", time.monotonic() - t, st.covered_weight, split.bound, detail)
    if exact and log.open(st.covered_weight, rel_gap) and _by_windows(model, red):
        share = 1.0 if county else 0.5
        until = time.monotonic() + share * (deadline - time.monotonic())
        st = _window_stage(model, red, budget, st, log, deadline=until, seed=seed, threads=threads, priced=county)
    remaining = deadline - time.monotonic()
    if exact and log.open(st.covered_weight, rel_gap) and red.R.nnz <= max(MAX_NONZEROS, _WINDOWS_FROM):
        if remaining < 0.02 * time_limit:  # out of time: HiGHS would overrun the limit loading the model
            log.milp_status = "time_limit"
        else:
            out = solve_unit_cover_milp(
                model,
                red,
                budget,
                _redirected(st.selected, red.redirect),
                MilpLimits(max(remaining * 0.95, 0.5), rel_gap, seed, threads),
                fixed_to=fixed_to,
            )
            if out.chosen is not None:
                st = better_coverage(state_from_selection(model, out.chosen), st, budget)
            log.milp(out, incumbent, fixed=True)
    return log.finish(model, st, objective=covered_weight(model, st.cnt), rel_gap=rel_gap, t0=t0, budget=budget)


def _check_quotas(problem: CoverageProblem, quotas: Sequence[Quota]) -> tuple[Quota, ...]:
    out = tuple(quotas)
    for q, quota in enumerate(out):
        if not isinstance(quota, Quota):
            raise PlacementInputError(
                f"expected a Quota, got {type(quota).__name__}", field="quotas", where=f"quota {q}"
            )
        if quota.targets.size != problem.n_targets:
            raise PlacementInputError(
                f"expected a mask with one entry per target row ({problem.n_targets}), got {quota.targets.size}",
                field="quotas",
                where=f"quota {q}",
            )
    return out


def solve_set_cover(
    problem: CoverageProblem,
    *,
    quotas: Sequence[Quota] = (),
    time_limit: float = 60.0,
    exact: bool = True,
    rel_gap: float = 1e-6,
    seed: int = 0,
    threads: int = 0,
) -> PlacementResult:
    """Minimum-cost set of added cameras covering every required target (LSCP) and every quota.

    Time limit, ``exact``, ``rel_gap``, ``seed`` and ``threads`` as for :func:`solve_max_coverage`;
    a heavy-overlap cover without quotas or groups goes to SCIP for its exact stage, which runs one
    thread whatever ``threads`` says (HiGHS when pyscipopt is missing).

    Raises:
        UncoverableTargetsError: required targets that no candidate or fixed camera sees
            (``.targets`` lists their row indices).
        InfeasiblePlanError: group limits or quotas make every plan infeasible.
    """
    _check_time(time_limit)
    quotas_t = _check_quotas(problem, quotas)
    t0 = time.monotonic()
    must = problem.required
    seen_by_any = np.diff(problem.coverage.tocsr().indptr) > 0
    bad = np.flatnonzero(must & ~seen_by_any)
    if bad.size:
        raise UncoverableTargetsError(bad.tolist())
    model = build_model(problem)
    all_cnt = counts_for(model, model.free | problem.fixed)
    unmet = np.flatnonzero(~quota_status(model, all_cnt, quotas_t))
    if unmet.size:
        raise InfeasiblePlanError(
            f"placement: quota {int(unmet[0])} cannot be met even with every candidate "
            f"(fraction {quotas_t[int(unmet[0])].fraction:g})"
        )
    blocked = np.flatnonzero(must & (all_cnt == 0))
    if blocked.size:
        raise InfeasiblePlanError(
            f"placement: {blocked.size} required targets are seen only by candidates whose group is "
            f"already full: rows {blocked[:20].tolist()}"
        )
    deadline = t0 + time_limit
    rows = reduce_rows(model, must, column_dominance=not quotas_t)
    heavy = not light_overlap(rows.R)
    cols_cost = model.cost[rows.cols]
    log = Progress("set_cover", maximize=False, step=granularity(cols_cost), bound=0.0, source="trivial")
    st, feasible = SelectionState(model), False
    fixed_to: tuple[BoolArray, BoolArray] | None = None
    plain = not quotas_t and not (model.group >= 0).any()  # then any cover of the rows is a plan

    def greedy() -> None:
        nonlocal st, feasible
        t = time.monotonic()
        st, feasible = greedy_set_cover(model, must, quotas_t)
        log.log(
            "greedy", time.monotonic() - t, st.spent if feasible else math.inf, detail="" if feasible else "incomplete"
        )

    def polish() -> None:
        t = time.monotonic()
        polish_set_cover(st, must, quotas_t, min(deadline, t + 0.2 * time_limit))
        log.log("polish", time.monotonic() - t, st.spent)

    def adopt(plan: BoolArray) -> None:
        nonlocal st
        cand = state_of_plan(model, rows.cols, plan)
        if not (must & (cand.cnt == 0)).any() and cand.spent < st.spent - 1e-9:
            st = cand

    def lagrangian() -> float:
        """Bound, plan and fixings; returns the incumbent value the fixings hold against."""
        nonlocal fixed_to
        seconds = max(_lagrangian_seconds(deadline), 0.1 * time_limit)
        t = time.monotonic()
        duals = cover_duals(rows, cols_cost, seconds=_lp_seconds(seconds), threads=threads)
        log.lp_duals(duals, time.monotonic() - t, rows.R.nnz)
        # an LP that did not finish (a loaded machine) leaves the subgradient at least a tenth of
        # the limit: its bound is then the only one until the MILP's root
        floor = 0.05 if duals is not None else 0.1 * time_limit
        seconds = max(seconds - (time.monotonic() - t), floor)
        every = 50 if plain else 0
        lag = set_cover_lagrangian(
            rows, cols_cost, st.spent, seconds=seconds, step=log.step, heuristic_every=every, start=duals
        )
        if lag.plan is not None:
            adopt(lag.plan)
        fixed_to = log.lagrangian(lag, st.spent)
        return lag.incumbent

    quota_units = None
    rhs = np.zeros(0)
    if quotas_t:
        w = np.stack([problem.weight * q.targets for q in quotas_t], axis=1)
        quota_units = reduce_units(model, w, dominance=False)
        totals = w.sum(axis=0)
        rhs = np.array([q.fraction for q in quotas_t]) * totals - quota_units.constant
        rhs -= 1e-9 * np.maximum(totals, 1.0)

    def milp(incumbent: float, *, last: bool) -> None:
        nonlocal st, feasible
        remaining = deadline - time.monotonic()
        if feasible and remaining < 0.02 * time_limit:  # out of time (see solve_max_coverage)
            log.milp_status = "time_limit"
            return
        solver = ""
        # SCIP measured stronger on heavy covers; past the LP's size limit neither reaches its root
        if heavy and plain and feasible and rows.R.nnz <= MAX_NONZEROS and scip_cover.available():
            solver = "SCIP: "
            start = _redirected(st.selected, rows.redirect)[rows.cols]
            out = scip_cover.solve_row_cover_scip(
                model, rows, start, MilpLimits(max(remaining * 0.95, 0.5), rel_gap, seed), fixed_to=fixed_to
            )
        else:
            out = solve_row_cover_milp(
                model,
                rows,
                quota_units,
                rhs,
                # no warm start: HiGHS 1.16 sometimes hands a warm start back as its answer, which
                # costs a second solve (and, on heavy covers, its root bound); our plan is kept anyway
                None,
                MilpLimits(max(remaining * 0.95, 0.5), rel_gap, seed, threads),
                fixed_to=fixed_to,
            )
        if out.status == "infeasible" and not feasible:
            raise InfeasiblePlanError("placement: no plan meets the group limits, quotas and required targets")
        if out.chosen is not None:
            cand = state_from_selection(model, out.chosen)
            ok = bool(not (must & (cand.cnt == 0)).any() and quota_status(model, cand.cnt, quotas_t).all())
            ok = ok and _groups_ok(model, cand)
            if ok and (not feasible or cand.spent < st.spent):
                st, feasible = cand, True
        if not feasible and last:
            raise InfeasiblePlanError(
                f"placement: no feasible plan found within {time_limit:g} s (MILP status {out.status})"
            )
        log.milp(out, incumbent, fixed=fixed_to is not None, solver=solver)

    def settled() -> bool:
        return feasible and not log.open(st.spent, rel_gap)

    if heavy or not exact:  # a light instance goes to the MILP first; greedy only if that fails
        greedy()
        if not feasible and not exact:
            raise InfeasiblePlanError(
                "placement: greedy could not satisfy the group limits; rerun with exact=True to let the MILP decide"
            )
        if feasible:
            polish()
    if heavy:
        # heavy overlap (many candidates per row): the Lagrangian bound, plan and fixings first,
        # then the local search, then the MILP on the fixed model with what time is left
        incumbent = lagrangian() if feasible and st.spent > 0 and not settled() else st.spent
        remaining = deadline - time.monotonic()
        if plain and remaining > 0 and not settled():
            t = time.monotonic()
            start = _redirected(st.selected, rows.redirect)[rows.cols]
            until = t + 0.4 * remaining
            runs = 0
            while True:  # past _LS_RESTARTS_FROM, restarted from its best plan while its time lasts
                left = max(until - time.monotonic(), 0.0)
                start, _ = cover_local_search(
                    rows.R, cols_cost, start, seconds=left, enough=log.bound, seed=seed + runs
                )
                adopt(start)
                runs += 1
                if rows.R.nnz <= _LS_RESTARTS_FROM or settled() or time.monotonic() >= until - 0.01 * remaining:
                    break
            log.log("local_search", time.monotonic() - t, st.spent, detail=f"{runs} runs")
        if (exact or not feasible) and not settled():
            milp(incumbent, last=True)
    else:
        # light overlap: the MILP (no polish, no warm start) closes it, the Lagrangian only bounds
        # what it leaves open
        if exact:
            milp(math.inf, last=False)
            if not settled():
                if not feasible:
                    greedy()
                if feasible:
                    polish()
        if feasible and st.spent > 0 and not settled():
            lagrangian()
    if not feasible:
        raise InfeasiblePlanError(f"placement: no feasible plan found within {time_limit:g} s")
    objective = float(problem.cost[st.added()].sum())
    return log.finish(model, st, objective=objective, rel_gap=rel_gap, t0=t0, budget=None)
