"""Adjusted and matched comparisons of solving with and without useful video, the split by
contribution level, and the availability funnel.

The outcome of the regressions and of the matched comparison is *solved within the fixed follow-up*
(:data:`~xueliang.ledger.metrics.FOLLOW_UP_DAYS` days) among cases followed at least that long by
the status date, so that recent cases are not counted as unsolved.

- Logistic regression (statsmodels) of that outcome on useful video, adjusted for case type, area
  and time of day (four bands of six hours of ``occurred_start``, UTC), overall and per case type,
  as Ashby (2017) did per crime type.
- Nearest-neighbour matching, as the Australian Institute of Criminology did: each case with useful
  video is paired with the nearest unused case without, of the same type and area, by hour of day
  and month of occurrence (within :data:`MATCH_HOURS` hours and :data:`MATCH_MONTHS` months). The
  difference of solve rates has Newcombe's interval for paired proportions (method 10, 1998).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xueliang.ledger.metrics import (
    FOLLOW_UP_DAYS,
    BoolArray,
    CaseTable,
    Difference,
    Proportion,
    fixed_follow_up,
    requested_late,
    share,
    wilson,
)
from xueliang.ledger.schema import CONTRIBUTIONS
from xueliang.ledger.survival import Ratio, TimeToSolve, dummies, fit_ratio, time_to_solve

MATCH_HOURS = 3
MATCH_MONTHS = 6
HOUR_BANDS = ("00-06", "06-12", "12-18", "18-24")


def _hours(t: CaseTable) -> NDArray[np.int64]:
    hours: NDArray[np.int64] = ((t.occurred - t.occurred.astype("datetime64[D]")) // np.timedelta64(1, "h")).astype(
        np.int64
    )
    return hours


def _months(t: CaseTable) -> NDArray[np.int64]:
    return t.occurred.astype("datetime64[M]").astype(np.int64)


@dataclass(frozen=True)
class OddsRatios:
    """Odds of solving within a fixed follow-up with useful video vs without, adjusted (see :func:`odds_ratios`)."""

    follow_up_days: int
    """``solved`` counts a case solved within this many days of its occurrence"""
    cases: int
    """cases followed for at least ``follow_up_days``"""
    overall: Ratio
    by_type: tuple[Ratio, ...]
    """one ratio per case type"""


def odds_ratios(f: CaseTable) -> OddsRatios:
    """Logistic regressions on the fixed-follow-up table ``f`` (see :func:`fixed_follow_up`)."""
    y = f.solved.astype(float)
    band = np.array([HOUR_BANDS[h // 6] for h in _hours(f)], dtype=object)
    area, hours = dummies(np.asarray(f.area)), dummies(band)
    kinds = dummies(np.asarray(f.case_type), keep=1000)
    overall = fit_ratio("all", "logit", y, f.useful, np.column_stack([kinds, area, hours]))
    by_type = []
    for ct in sorted(set(f.case_type.tolist())):
        m = f.case_type == ct
        by_type.append(fit_ratio(str(ct), "logit", y[m], f.useful[m], np.column_stack([area[m], hours[m]])))
    return OddsRatios(FOLLOW_UP_DAYS, len(f), overall, tuple(by_type))


def paired_newcombe(treated: BoolArray, control: BoolArray) -> Difference:
    """Difference of paired proportions ``mean(treated) - mean(control)`` with Newcombe's method 10."""
    n = len(treated)
    a = wilson(int(np.count_nonzero(treated)), n)
    b = wilson(int(np.count_nonzero(control)), n)
    if a.value is None or b.value is None:
        return Difference(a, b, None, None, None)
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    both = int(np.count_nonzero(treated & control))
    only_t = int(np.count_nonzero(treated & ~control))
    only_c = int(np.count_nonzero(~treated & control))
    neither = n - both - only_t - only_c
    den = (both + only_t) * (only_c + neither) * (both + only_c) * (only_t + neither)
    phi = (both * neither - only_t * only_c) / math.sqrt(den) if den else 0.0
    d = a.value - b.value
    la, ua, lb, ub = a.value - a.low, a.high - a.value, b.value - b.low, b.high - b.value
    dl = math.sqrt(max(la**2 - 2 * phi * la * ub + ub**2, 0.0))
    du = math.sqrt(max(ua**2 - 2 * phi * ua * lb + lb**2, 0.0))
    return Difference(a, b, d, max(-1.0, d - dl), min(1.0, d + du))


@dataclass(frozen=True)
class MatchedComparison:
    """Cases with useful video against their nearest match without (same type and area)."""

    follow_up_days: int
    max_hours: int
    max_months: int
    treated: int
    matched: int
    #: solve rates of the matched cases with useful video, of their matches, and the paired difference
    difference: Difference


def matched_comparison(f: CaseTable) -> MatchedComparison:
    """Greedy nearest-neighbour matching without replacement on the fixed-follow-up table ``f``."""
    useful = f.useful
    hours, months = _hours(f), _months(f)
    cell = np.array([f"{a}\x1f{b}" for a, b in zip(f.case_type, f.area, strict=True)], dtype=object)
    pairs: list[tuple[int, int]] = []
    for c in sorted(set(cell.tolist())):
        ti = np.flatnonzero((cell == c) & useful)
        ci = np.flatnonzero((cell == c) & ~useful)
        if len(ti) == 0 or len(ci) == 0:
            continue
        dh = np.abs(hours[ti][:, None] - hours[ci][None, :])
        dh = np.minimum(dh, 24 - dh)
        dm = np.abs(months[ti][:, None] - months[ci][None, :])
        dist = dh / MATCH_HOURS + dm / MATCH_MONTHS
        ok = (dh <= MATCH_HOURS) & (dm <= MATCH_MONTHS)
        r, k = np.nonzero(ok)
        order = np.lexsort((k, r, dist[r, k]))
        used_t: set[int] = set()
        used_c: set[int] = set()
        for j in order:
            a, b = int(r[j]), int(k[j])
            if a in used_t or b in used_c:
                continue
            used_t.add(a)
            used_c.add(b)
            pairs.append((int(ti[a]), int(ci[b])))
    pairs.sort()
    t_idx = np.array([p[0] for p in pairs], dtype=np.int64)
    c_idx = np.array([p[1] for p in pairs], dtype=np.int64)
    diff = paired_newcombe(f.solved[t_idx], f.solved[c_idx])
    return MatchedComparison(FOLLOW_UP_DAYS, MATCH_HOURS, MATCH_MONTHS, int(np.count_nonzero(useful)), len(pairs), diff)


@dataclass(frozen=True)
class ContributionLevel:
    """Cases whose video played this part: their share of all solved cases, and their solve rate."""

    level: str
    cases: int
    of_solved: Proportion
    solve_rate: Proportion


def contribution_levels(t: CaseTable) -> tuple[ContributionLevel, ...]:
    out = []
    for level in CONTRIBUTIONS[1:]:
        m = (t.contribution == level) & t.obtained
        out.append(ContributionLevel(level, int(np.count_nonzero(m)), share(m, t.solved), share(t.solved, m)))
    return tuple(out)


@dataclass(frozen=True)
class FunnelStep:
    step: str
    count: int
    of_previous: Proportion
    of_all: Proportion


@dataclass(frozen=True)
class Funnel:
    """Requested → obtained → useful → solved, and where footage was lost."""

    steps: tuple[FunnelStep, ...]
    #: requested after ``video_expires_at``, among requests with a known expiry
    requested_after_expiry: Proportion
    #: requested in time (or with no known expiry) but never obtained, among requested cases
    requested_in_time_not_obtained: Proportion


def funnel(t: CaseTable) -> Funnel:
    everything = np.ones(len(t), dtype=bool)
    requested = ~np.isnat(t.requested_at) | t.obtained
    obtained = t.obtained
    useful = t.useful
    solved = useful & t.solved
    late, known = requested_late(t)
    chain = [
        ("all cases", everything),
        ("footage requested", requested),
        ("footage obtained", obtained & requested),
        ("useful (contribution not none)", useful & requested),
        ("solved with useful video", solved & requested),
    ]
    steps = []
    prev = everything
    for name, m in chain:
        steps.append(FunnelStep(name, int(np.count_nonzero(m)), share(m, prev), share(m, everything)))
        prev = m
    return Funnel(
        steps=tuple(steps),
        requested_after_expiry=share(late, known),
        requested_in_time_not_obtained=share(~obtained & ~late, requested),
    )


@dataclass(frozen=True)
class Analysis:
    """Everything beyond the raw shares: time to solve, adjusted and matched effects, levels, funnel."""

    status_date: dt.date
    time_to_solve: TimeToSolve
    odds_ratios: OddsRatios
    matched: MatchedComparison
    contribution_levels: tuple[ContributionLevel, ...]
    funnel: Funnel


def analyse(t: CaseTable, as_of: dt.date) -> Analysis:
    f = fixed_follow_up(t, as_of)
    return Analysis(
        status_date=as_of,
        time_to_solve=time_to_solve(t, as_of),
        odds_ratios=odds_ratios(f),
        matched=matched_comparison(f),
        contribution_levels=contribution_levels(t),
        funnel=funnel(t),
    )
