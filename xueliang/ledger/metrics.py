"""Ledger measures as pure functions on columns: every share carries its numerator, its denominator
and a 95% Wilson score interval; differences of shares carry Newcombe's hybrid score interval.

"Useful video" means a contribution other than ``none`` (the BTP study's "useful CCTV"); since a
case without obtained footage must have contribution ``none``, useful implies obtained.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from xueliang.ledger.effects import Analysis

Z95 = 1.959963984540054
GroupBy = Literal["type", "area", "month", "year"]
BoolArray = NDArray[np.bool_]
Times = NDArray[np.datetime64]  # a case table's times: UTC datetime64[s], NaT = unknown
Numbers = NDArray[np.float64]  # a case table's numbers and coordinates: NaN = unknown


@dataclass(frozen=True)
class Proportion:
    numerator: int
    denominator: int
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Difference:
    """``a - b`` with Newcombe's hybrid score interval (method 10 of Newcombe 1998)."""

    a: Proportion
    b: Proportion
    estimate: float | None
    low: float | None
    high: float | None


def wilson(k: int, n: int, z: float = Z95) -> Proportion:
    """``k`` of ``n`` with its Wilson score interval; value and bounds are None when ``n`` is 0."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"expected 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Proportion(k, n, None, None, None)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(int(k), int(n), p, low, high)


def newcombe(a: Proportion, b: Proportion) -> Difference:
    """Difference ``a - b`` of two independent proportions with the hybrid score interval."""
    if a.value is None or b.value is None:
        return Difference(a, b, None, None, None)
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    d = a.value - b.value
    lower = d - math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    upper = d + math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return Difference(a, b, d, max(-1.0, lower), min(1.0, upper))


def share(mask: BoolArray, within: BoolArray) -> Proportion:
    """Wilson share of ``mask`` among the rows where ``within`` holds."""
    return wilson(int(np.count_nonzero(mask & within)), int(np.count_nonzero(within)))


@dataclass(frozen=True)
class CaseTable:
    """Cases as parallel columns. Times are UTC ``datetime64[s]`` (NaT = unknown); NaN = unknown number."""

    case_id: NDArray[Any]
    case_type: NDArray[Any]
    area: NDArray[Any]
    occurred: Times
    solved: BoolArray
    obtained: BoolArray
    contribution: NDArray[Any]
    requested_at: Times
    expires_at: Times
    lon: Numbers
    lat: Numbers
    hours_reviewed: Numbers
    vehicles_screened: Numbers
    vehicles_eliminated: Numbers
    cameras: tuple[tuple[str, ...], ...] = field(default=())
    #: when each solved case was solved (NaT = unknown or not solved); empty = all unknown
    solved_at: Times = field(default_factory=lambda: np.array([], dtype="datetime64[s]"))

    def __post_init__(self) -> None:
        n = len(self.case_id)
        for name in self.__dataclass_fields__:
            col = getattr(self, name)
            if name == "cameras" and len(col) == 0 and n:
                object.__setattr__(self, "cameras", tuple(() for _ in range(n)))
                continue
            if name == "solved_at" and len(col) == 0 and n:
                object.__setattr__(self, "solved_at", np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"))
                continue
            if len(col) != n:
                raise ValueError(f"CaseTable: column {name!r} has {len(col)} rows, expected {n} like case_id")

    def __len__(self) -> int:
        return len(self.case_id)

    @property
    def useful(self) -> BoolArray:
        return np.asarray(self.contribution != "none", dtype=bool) & self.obtained

    def select(self, mask: BoolArray) -> CaseTable:
        idx = np.flatnonzero(mask)
        values: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            col = getattr(self, name)
            values[name] = tuple(col[i] for i in idx) if name == "cameras" else col[idx]
        return CaseTable(**values)


def between(table: CaseTable, start: dt.date | None, end: dt.date | None) -> BoolArray:
    """Cases whose occurrence starts on ``start``..``end`` (both days included, UTC)."""
    mask = np.ones(len(table), dtype=bool)
    if start is not None:
        mask &= table.occurred >= np.datetime64(start, "s")
    if end is not None:
        mask &= table.occurred < np.datetime64(end + dt.timedelta(days=1), "s")
    return mask


#: the fixed follow-up of the per-year table and the regressions: solved within this many days
FOLLOW_UP_DAYS = 90


def censor_point(as_of: dt.date) -> np.datetime64:
    """The end of the status date (UTC): a solving stored on that day counts."""
    return np.datetime64(as_of + dt.timedelta(days=1), "s")


def fixed_follow_up(t: CaseTable, as_of: dt.date, days: int = FOLLOW_UP_DAYS) -> CaseTable:
    """The cases followed for at least ``days`` by the status date, with ``solved`` meaning solved
    within ``days`` of the occurrence (a solved case without a date stays solved, as in the trend)."""
    end = censor_point(as_of)
    horizon = t.occurred + np.timedelta64(days, "D")
    late = (t.solved_at >= horizon) | (t.solved_at >= end)  # NaT compares False: undated stays solved
    return replace(t, solved=t.solved & ~late).select(horizon <= end)


@dataclass(frozen=True)
class Measure:
    """A share and, in words, what its numerator and denominator count."""

    key: str
    numerator_counts: str
    denominator_counts: str
    proportion: Proportion


MEASURES: dict[str, tuple[str, str]] = {
    "video_supported_of_solved": (
        "solved cases where video contributed (contribution not none)",
        "solved cases",
    ),
    "obtained_of_all": ("cases with video obtained", "all cases"),
    "useful_of_all": ("cases with useful video (contribution not none)", "all cases"),
    "useful_of_obtained": ("cases with useful video", "cases with video obtained"),
    "solved_of_all": ("solved cases", "all cases"),
}


def core_measures(t: CaseTable) -> tuple[Measure, ...]:
    everything = np.ones(len(t), dtype=bool)
    useful = t.useful
    values = {
        "video_supported_of_solved": share(useful, t.solved),
        "obtained_of_all": share(t.obtained, everything),
        "useful_of_all": share(useful, everything),
        "useful_of_obtained": share(useful, t.obtained),
        "solved_of_all": share(t.solved, everything),
    }
    return tuple(Measure(k, *MEASURES[k], values[k]) for k in MEASURES)


def _measure(measures: tuple[Measure, ...], key: str) -> Proportion:
    return next(m.proportion for m in measures if m.key == key)


@dataclass(frozen=True)
class SolveComparison:
    """Solve rate of cases with useful video against cases without, and the difference."""

    group: str
    with_useful: Proportion
    without_useful: Proportion
    difference: Difference


def solve_comparison(t: CaseTable, group: str = "all", *, exposed: BoolArray | None = None) -> SolveComparison:
    """Solve rate where ``exposed`` holds (default: useful video) against where it does not."""
    mask = t.useful if exposed is None else exposed
    a = share(t.solved, mask)
    b = share(t.solved, ~mask)
    return SolveComparison(group, a, b, newcombe(a, b))


@dataclass(frozen=True)
class GroupSummary:
    group: str
    cases: int
    measures: tuple[Measure, ...]
    comparison: SolveComparison
    #: with ``by="year"``: each trend measure against the previous calendar year (when it has cases)
    vs_previous_year: tuple[Change, ...] = ()
    #: with ``by="year"``: the measures, comparison and changes are over the year's cases followed
    #: for ``follow_up_days`` by the status date (``followed`` of ``cases``), solved meaning solved
    #: within that follow-up, so that a part year compares fairly with a whole one
    follow_up_days: int | None = None
    followed: int | None = None


def group_keys(t: CaseTable, by: GroupBy) -> NDArray[Any]:
    if by == "type":
        return t.case_type
    if by == "area":
        return np.array([a or "(none)" for a in t.area], dtype=object)
    unit = "M" if by == "month" else "Y"
    return np.array([str(v) for v in t.occurred.astype(f"datetime64[{unit}]")], dtype=object)


def summarise_groups(t: CaseTable, by: GroupBy, *, as_of: dt.date | None = None) -> tuple[GroupSummary, ...]:
    """One row per group; by year with ``as_of`` (the status date), over the cases followed for
    :data:`FOLLOW_UP_DAYS` with solved meaning solved within them (see :func:`fixed_follow_up`)."""
    keys = group_keys(t, by)
    follow = by == "year" and as_of is not None
    f = fixed_follow_up(t, as_of) if follow and as_of is not None else t
    fkeys = group_keys(f, by) if follow else keys
    out = []
    present = set(keys.tolist())
    for key in sorted(present):
        sub = f.select(fkeys == key)
        prev = str(int(key) - 1) if by == "year" else None
        changes = _changes(sub, f.select(fkeys == prev)) if prev in present else ()
        out.append(
            GroupSummary(
                str(key),
                int(np.count_nonzero(keys == key)),
                core_measures(sub),
                solve_comparison(sub, str(key)),
                changes,
                FOLLOW_UP_DAYS if follow else None,
                len(sub) if follow else None,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Retention:
    """Footage lost to the retention period.

    ``requested_late``: requested after the footage expired, among requests with a known expiry.
    ``requested_not_obtained``: requested but never obtained, among requested cases.
    ``expired_unobtained``: footage never obtained and already expired at ``as_of`` (requested late
    or never requested), among cases with a known expiry date.
    """

    requested_late: Proportion
    requested_not_obtained: Proportion
    expired_unobtained: Proportion


def requested_late(t: CaseTable) -> tuple[BoolArray, BoolArray]:
    """Cases requested after the footage expired, and the requests with a known expiry (its denominator)."""
    known = ~np.isnat(t.requested_at) & ~np.isnat(t.expires_at)
    return known & (t.requested_at > t.expires_at), known


def retention(t: CaseTable, as_of: dt.datetime) -> Retention:
    requested = ~np.isnat(t.requested_at)
    known = ~np.isnat(t.expires_at)
    late, _ = requested_late(t)
    cutoff = np.datetime64(as_of.astimezone(dt.UTC).replace(tzinfo=None), "s")
    expired = known & (t.expires_at < cutoff)
    lost = ~t.obtained & expired & (late | ~requested)
    return Retention(
        requested_late=share(late, requested & known),
        requested_not_obtained=share(~t.obtained, requested),
        expired_unobtained=share(lost, known),
    )


@dataclass(frozen=True)
class Effort:
    """Review effort recorded on cases with video obtained (unknown values are left out of sums)."""

    cases_with_hours: int
    hours_reviewed: float
    hours_per_useful_case: float | None
    vehicles_screened: int
    vehicles_eliminated: int


def effort(t: CaseTable) -> Effort:
    hours = float(np.nansum(t.hours_reviewed))
    useful = int(np.count_nonzero(t.useful))
    return Effort(
        cases_with_hours=int(np.count_nonzero(~np.isnan(t.hours_reviewed))),
        hours_reviewed=round(hours, 2),
        hours_per_useful_case=round(hours / useful, 2) if useful else None,
        vehicles_screened=int(np.nansum(t.vehicles_screened)),
        vehicles_eliminated=int(np.nansum(t.vehicles_eliminated)),
    )


@dataclass(frozen=True)
class Change:
    """A measure in the period against a baseline (the previous year, or the pooled previous years)."""

    key: str
    current: Proportion
    baseline: Proportion
    difference: Difference


@dataclass(frozen=True)
class Trend:
    period_start: dt.date
    period_end: dt.date
    cases: int
    previous_year_cases: int
    baseline_years: tuple[int, ...]
    baseline_mean_cases: float | None
    year_on_year: tuple[Change, ...]
    vs_baseline: tuple[Change, ...]
    #: the ledger's status date (its latest occurrence or solving); an earlier year's cases count as
    #: solved only if they were solved by the same date of that year, so every period has had the
    #: same time to be solved
    status_date: dt.date | None = None


def _shift(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


_TREND_KEYS = ("video_supported_of_solved", "useful_of_all", "obtained_of_all", "solved_of_all")


def _changes(cur: CaseTable, base: CaseTable) -> tuple[Change, ...]:
    a = {m.key: m.proportion for m in core_measures(cur)}
    b = {m.key: m.proportion for m in core_measures(base)}
    return tuple(Change(k, a[k], b[k], newcombe(a[k], b[k])) for k in _TREND_KEYS)


def status_date(t: CaseTable) -> dt.date | None:
    """The latest day the ledger records anything on: an occurrence or a solving."""
    days = np.concatenate([t.occurred, t.solved_at])
    days = days[~np.isnat(days)]
    return None if len(days) == 0 else days.max().astype(dt.datetime).date()


def trend(t: CaseTable, start: dt.date, end: dt.date, *, years: int = 5) -> Trend:
    """The period against the same dates one year earlier, and against the same dates of the previous
    ``years`` years pooled (cases summed: a case-weighted average). Years without any case are left out.

    Equal follow-up: the period's cases have had until the ledger's :func:`status_date` to be solved,
    so the cases of k years earlier count as solved only if solved by the same date k years earlier
    (a solved case with no solving date stays solved). Without that, recent periods always read low.
    """
    today = status_date(t)
    current = t.select(between(t, start, end))
    solved_then = t.solved.copy()
    last_year = np.zeros(len(t), dtype=bool)
    mask = np.zeros(len(t), dtype=bool)
    used: list[int] = []
    counts: list[int] = []
    for k in range(1, max(years, 1) + 1):
        m = between(t, _shift(start, k), _shift(end, k))
        if k == 1:
            last_year = m
        if today is not None:
            later = np.datetime64(_shift(today, k) + dt.timedelta(days=1), "s")
            solved_then[m] &= ~(t.solved_at[m] >= later)
        if k <= years and m.any():
            used.append(start.year - k)
            counts.append(int(np.count_nonzero(m)))
            mask |= m
    earlier = replace(t, solved=solved_then)
    last = earlier.select(last_year)
    base = earlier.select(mask)
    return Trend(
        period_start=start,
        period_end=end,
        cases=len(current),
        previous_year_cases=len(last),
        baseline_years=tuple(sorted(used)),
        baseline_mean_cases=round(sum(counts) / len(counts), 1) if counts else None,
        year_on_year=_changes(current, last),
        vs_baseline=_changes(current, base),
        status_date=today,
    )


@dataclass(frozen=True)
class CameraContribution:
    camera_ref: str
    registered: bool
    cases_linked: int
    cases_contributed: int
    solved_contributed: int


def camera_contributions(t: CaseTable, registered: frozenset[str] = frozenset()) -> tuple[CameraContribution, ...]:
    """Per linked camera: cases linked, cases where video contributed, and of those the solved ones.

    Sorted by cases contributed (most first), then camera reference.
    """
    linked: dict[str, int] = {}
    contributed: dict[str, int] = {}
    solved: dict[str, int] = {}
    useful = t.useful
    for i, refs in enumerate(t.cameras):
        for ref in refs:
            linked[ref] = linked.get(ref, 0) + 1
            if useful[i]:
                contributed[ref] = contributed.get(ref, 0) + 1
                if t.solved[i]:
                    solved[ref] = solved.get(ref, 0) + 1
    rows = [
        CameraContribution(ref, ref in registered, n, contributed.get(ref, 0), solved.get(ref, 0))
        for ref, n in linked.items()
    ]
    return tuple(sorted(rows, key=lambda c: (-c.cases_contributed, -c.cases_linked, c.camera_ref)))


@dataclass(frozen=True)
class ClaimCheck:
    """A claimed video-supported share of solved cases against the ledger's figure.

    ``verdict``: ``above`` (the claim exceeds the 95% interval), ``below``, ``within``, or
    ``no data`` when there is no solved case.
    """

    claimed: float
    proportion: Proportion
    verdict: str


def check_claim(p: Proportion, claimed: float) -> ClaimCheck:
    if not 0 <= claimed <= 1:
        raise ValueError(f"a claimed share is between 0 and 1, got {claimed}")
    if p.low is None or p.high is None:
        return ClaimCheck(claimed, p, "no data")
    verdict = "above" if claimed > p.high else "below" if claimed < p.low else "within"
    return ClaimCheck(claimed, p, verdict)


@dataclass(frozen=True)
class LedgerStats:
    period_start: dt.date | None
    period_end: dt.date | None
    as_of: dt.datetime
    cases: int
    measures: tuple[Measure, ...]
    solve_overall: SolveComparison
    solve_by_request: SolveComparison
    solve_by_type: tuple[SolveComparison, ...]
    retention: Retention
    effort: Effort
    trend: Trend | None
    trend_note: str | None
    groups_by: str | None
    groups: tuple[GroupSummary, ...]
    cameras: tuple[CameraContribution, ...]
    claim: ClaimCheck | None = None
    #: the date the statuses hold (``--as-of``, by default the ledger's latest date): open cases are
    #: censored there, and the per-year table and the models count solvings up to it
    status_date: dt.date | None = None
    #: time to solve, adjusted and matched effects, contribution levels, the funnel
    analysis: Analysis | None = None


def ledger_stats(
    t: CaseTable,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    by: GroupBy | None = None,
    registered: frozenset[str] = frozenset(),
    as_of: dt.datetime | None = None,
    trend_years: int = 5,
    claim: float | None = None,
    status_as_of: dt.date | None = None,
    models: bool = True,
) -> LedgerStats:
    """Every measure over the cases that occurred from ``start`` to ``end``.

    The trend compares that window (by default the latest year's 1 January to its latest case)
    with the same dates in earlier years, taken from the whole table. ``status_as_of`` is the date
    the statuses hold (default: :func:`status_date` of the whole table); ``models`` adds the
    survival, regression and matching figures (:func:`xueliang.ledger.effects.analyse`).
    """
    as_of = as_of or dt.datetime.now(dt.UTC)
    sub = t.select(between(t, start, end))
    status = status_as_of or status_date(t)
    analysis = None
    if models and status is not None and len(sub):
        from xueliang.ledger.effects import analyse

        analysis = analyse(sub, status)
    measures = core_measures(sub)
    tr: Trend | None = None
    note: str | None = None
    if len(t):
        latest = t.occurred.max().astype(dt.datetime).date()
        earliest = t.occurred.min().astype(dt.datetime).date()
        t_end = end or latest
        t_start = start or max(dt.date(t_end.year, 1, 1), earliest)
        if (t_end - t_start).days >= 366:
            note = f"not computed: {t_start} to {t_end} is longer than a year (use --by year instead)"
        elif t_start <= t_end:
            tr = trend(t, t_start, t_end, years=trend_years)
    return LedgerStats(
        period_start=start,
        period_end=end,
        as_of=as_of,
        cases=len(sub),
        measures=measures,
        solve_overall=solve_comparison(sub),
        solve_by_request=solve_comparison(sub, "requested", exposed=~np.isnat(sub.requested_at)),
        solve_by_type=tuple(
            solve_comparison(sub.select(sub.case_type == k), str(k)) for k in sorted(set(sub.case_type.tolist()))
        ),
        retention=retention(sub, as_of),
        effort=effort(sub),
        trend=tr,
        trend_note=note,
        groups_by=by,
        groups=summarise_groups(sub, by, as_of=status) if by else (),
        cameras=camera_contributions(sub, registered),
        claim=None if claim is None else check_claim(_measure(measures, "video_supported_of_solved"), claim),
        status_date=status,
        analysis=analysis,
    )
