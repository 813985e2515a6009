"""Time to solve: Kaplan–Meier curves with open cases censored, and a Cox model for useful video.

Time runs from ``occurred_start`` to ``solved_at``, in days. A case not solved by the status date
(``--as-of``, by default the latest day the ledger records) is *censored* there: it counts as
followed for that long and unsolved so far, not as unsolved for ever. A solved case without a
solving date cannot be placed in time and is left out (and counted). Cases that occurred after the
status date are left out; solvings after it are not known at it.

The Kaplan–Meier intervals are pointwise 95% intervals on the log(-log) scale with Greenwood's
variance (the usual choice, e.g. lifelines' and R survival's default). The Cox model is fitted by
statsmodels' ``PHReg`` (Efron ties), stratified by case type and adjusted for area.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from xueliang.ledger.metrics import Z95, BoolArray, CaseTable, censor_point

FloatArray = NDArray[np.float64]
#: days at which the share solved is reported
HORIZONS = (7, 30, 90, 365)
#: the grid of the curves kept for charts (every day of the first year)
CURVE_DAYS = 365
#: areas beyond this many (the most frequent) are pooled as "(other)" in the models
MAX_AREAS = 20
_DAY = np.timedelta64(86400, "s")


@dataclass(frozen=True)
class Durations:
    """Days followed per case, whether the case was solved then, and which cases could be placed in time."""

    days: FloatArray
    event: BoolArray
    usable: BoolArray
    #: solved, but without a solving date: left out
    undated_solved: int
    #: occurred after the status date: left out
    after_status: int


def durations(t: CaseTable, as_of: dt.date) -> Durations:
    end = censor_point(as_of)
    dated = ~np.isnat(t.solved_at)
    event = t.solved & dated & (t.solved_at < end)
    stop = np.where(event, t.solved_at, end)
    days = np.maximum((stop - t.occurred) / _DAY, 0.0).astype(float)
    undated = t.solved & ~dated
    after = t.occurred >= end
    return Durations(
        days=days,
        event=event,
        usable=~undated & ~after,
        undated_solved=int(np.count_nonzero(undated & ~after)),
        after_status=int(np.count_nonzero(after)),
    )


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan–Meier estimate as a step function: survival (still unsolved) after each event time."""

    times: FloatArray
    survival: FloatArray
    low: FloatArray
    high: FloatArray
    last_followed: float
    #: every case's days followed, sorted
    followed: FloatArray

    def at(self, day: float) -> tuple[float, float, float] | None:
        """Survival and its 95% interval just after ``day``; None past the longest follow-up.

        Before the first solving the log(-log) interval is empty; there the lower bound is the exact
        one-sided 97.5% bound for none solved among the cases followed that long, 0.025^(1/n)."""
        if day > self.last_followed:
            return None
        i = int(np.searchsorted(self.times, day, side="right")) - 1
        if i < 0:
            n = len(self.followed) - int(np.searchsorted(self.followed, day, side="left"))
            return 1.0, 0.025 ** (1 / max(n, 1)), 1.0
        return float(self.survival[i]), float(self.low[i]), float(self.high[i])

    def median(self) -> float | None:
        """The first day by which half the cases were solved, or None when never reached."""
        idx = np.flatnonzero(self.survival <= 0.5)
        return None if len(idx) == 0 else float(self.times[idx[0]])


def kaplan_meier(days: FloatArray, event: BoolArray, z: float = Z95) -> KaplanMeier:
    """Kaplan–Meier with Greenwood's variance and log(-log) pointwise intervals."""
    if len(days) == 0:
        empty = np.array([], dtype=float)
        return KaplanMeier(empty, empty, empty, empty, -1.0, empty)
    times = np.unique(days[event])
    at_risk = len(days) - np.searchsorted(np.sort(days), times, side="left")
    deaths = np.bincount(np.searchsorted(times, days[event]), minlength=len(times)).astype(float)
    n = at_risk.astype(float)
    surv = np.cumprod(1.0 - deaths / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(np.where(n > deaths, deaths / (n * (n - deaths)), 0.0))
        log_s = np.log(surv)
        se = np.sqrt(green) / np.abs(log_s)
        low = np.where((surv > 0) & (surv < 1), surv ** np.exp(z * se), surv)
        high = np.where((surv > 0) & (surv < 1), surv ** np.exp(-z * se), surv)
    return KaplanMeier(times, surv, low, high, float(days.max()), np.sort(days))


@dataclass(frozen=True)
class SolvedBy:
    """Share of cases solved by ``days`` (1 - Kaplan–Meier survival) with its 95% interval;
    ``followed``: cases still followed (not solved, not censored) at that day. None past the data."""

    days: int
    share: float | None
    low: float | None
    high: float | None
    followed: int


@dataclass(frozen=True)
class SurvivalGroup:
    """Time to solve for one case type (or ``all``), cases with useful video or without."""

    case_type: str
    useful_video: bool
    cases: int
    solved: int
    censored: int
    median_days: float | None
    solved_by: tuple[SolvedBy, ...]
    #: share solved by day 0, 1, ..., CURVE_DAYS (None past the longest follow-up)
    curve: tuple[float | None, ...]
    #: the curve's 95% interval (kept for the ``all`` groups only; empty otherwise)
    curve_low: tuple[float | None, ...] = ()
    curve_high: tuple[float | None, ...] = ()


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def survival_group(case_type: str, useful: bool, days: FloatArray, event: BoolArray) -> SurvivalGroup:
    km = kaplan_meier(days, event)
    solved_by = []
    for h in HORIZONS:
        v = km.at(h)
        followed = int(np.count_nonzero(days > h))
        if v is None:
            solved_by.append(SolvedBy(h, None, None, None, followed))
        else:
            solved_by.append(SolvedBy(h, _r(1 - v[0]), _r(1 - v[2]), _r(1 - v[1]), followed))
    points = [km.at(d) for d in range(CURVE_DAYS + 1)]
    band = case_type == "all"
    return SurvivalGroup(
        case_type=case_type,
        useful_video=useful,
        cases=len(days),
        solved=int(np.count_nonzero(event)),
        censored=int(np.count_nonzero(~event)),
        median_days=km.median(),
        solved_by=tuple(solved_by),
        curve=tuple(None if p is None else _r(1 - p[0]) for p in points),
        curve_low=tuple(None if p is None else _r(1 - p[2]) for p in points) if band else (),
        curve_high=tuple(None if p is None else _r(1 - p[1]) for p in points) if band else (),
    )


@dataclass(frozen=True)
class Ratio:
    """A hazard or odds ratio for useful video with its 95% interval (None when it could not be fitted)."""

    scope: str
    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    cases: int
    events: int
    note: str = ""


def dummies(values: NDArray[Any], *, keep: int = MAX_AREAS) -> FloatArray:
    """Indicator columns of a categorical column, the most frequent level left out as reference;
    levels past the ``keep`` most frequent are pooled with the reference."""
    levels, counts = np.unique(values.astype(str), return_counts=True)
    order = sorted(range(len(levels)), key=lambda i: (-counts[i], levels[i]))
    kept = [levels[i] for i in order[1:keep]]
    cols = [(values.astype(str) == lv).astype(float) for lv in kept]
    return np.column_stack(cols) if cols else np.zeros((len(values), 0))


def _vary(col: FloatArray) -> bool:
    return bool(col.size and col.min() != col.max())


def fit_ratio(
    scope: str,
    model: str,
    y: FloatArray,
    useful: BoolArray,
    covariates: FloatArray,
    *,
    days: FloatArray | None = None,
    strata: NDArray[Any] | None = None,
) -> Ratio:
    """exp(coefficient of useful video) of a Cox (``model="cox"``; ``y`` = event) or logistic model."""
    events = int(np.count_nonzero(y))
    n = len(y)
    x = useful.astype(float)
    if n == 0 or not _vary(x) or events == 0 or events == n:
        return Ratio(scope, None, None, None, None, n, events, "no contrast: one group or one outcome only")
    keep = [j for j in range(covariates.shape[1]) if _vary(covariates[:, j])]
    exog = np.column_stack([x, covariates[:, keep]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if model == "cox":
                from statsmodels.duration.hazard_regression import PHReg

                res = PHReg(days, exog, status=y, strata=strata, ties="efron").fit()
                beta, se, p = float(res.params[0]), float(res.bse[0]), float(res.pvalues[0])
            else:
                import statsmodels.api as sm

                res = sm.Logit(y, sm.add_constant(exog, has_constant="add")).fit(disp=0, maxiter=100)
                beta, se, p = float(res.params[1]), float(res.bse[1]), float(res.pvalues[1])
    except (np.linalg.LinAlgError, ValueError) as exc:
        return Ratio(scope, None, None, None, None, n, events, f"not fitted: {exc}")
    if not (math.isfinite(beta) and math.isfinite(se)) or se > 10:
        return Ratio(scope, None, None, None, None, n, events, "not fitted: the estimate does not converge")
    return Ratio(
        scope,
        round(math.exp(beta), 4),
        round(math.exp(beta - Z95 * se), 4),
        round(math.exp(beta + Z95 * se), 4),
        p if math.isfinite(p) else None,
        n,
        events,
    )


@dataclass(frozen=True)
class TimeToSolve:
    status_date: dt.date
    cases: int
    undated_solved: int
    after_status: int
    groups: tuple[SurvivalGroup, ...]
    #: Cox: all cases stratified by case type and adjusted for area; then per case type, adjusted for area
    hazard_ratio: Ratio
    hazard_ratio_by_type: tuple[Ratio, ...]


def time_to_solve(t: CaseTable, as_of: dt.date) -> TimeToSolve:
    d = durations(t, as_of)
    sub = t.select(d.usable)
    days, event, useful = d.days[d.usable], d.event[d.usable], sub.useful
    types = sorted(set(sub.case_type.tolist()))
    groups = []
    for ct in ("all", *types):
        in_type = np.ones(len(sub), dtype=bool) if ct == "all" else sub.case_type == ct
        for u in (True, False):
            m = in_type & (useful == u)
            groups.append(survival_group(str(ct), u, days[m], event[m]))
    area = dummies(np.asarray(sub.area))
    overall = fit_ratio("all", "cox", event.astype(float), useful, area, days=days, strata=sub.case_type)
    by_type = []
    for ct in types:
        m = sub.case_type == ct
        by_type.append(fit_ratio(str(ct), "cox", event[m].astype(float), useful[m], area[m], days=days[m]))
    return TimeToSolve(
        status_date=as_of,
        cases=len(sub),
        undated_solved=d.undated_solved,
        after_status=d.after_status,
        groups=tuple(groups),
        hazard_ratio=overall,
        hazard_ratio_by_type=tuple(by_type),
    )
