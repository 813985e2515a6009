"""Text and JSON renderings of ledger statistics: every share with numerator, denominator and interval."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from xueliang.ledger.effects import Analysis
from xueliang.ledger.metrics import Change, Difference, LedgerStats, Proportion, SolveComparison
from xueliang.ledger.survival import HORIZONS, Ratio, SolvedBy

LABELS = {
    "video_supported_of_solved": "video-supported, share of solved cases",
    "obtained_of_all": "video obtained, share of all cases",
    "useful_of_all": "useful video, share of all cases",
    "useful_of_obtained": "useful video, share of cases with video obtained",
    "solved_of_all": "solved, share of all cases",
}

SHORT = {
    "video_supported_of_solved": "supported/solved",
    "obtained_of_all": "obtained/all",
    "useful_of_all": "useful/all",
    "useful_of_obtained": "useful/obtained",
    "solved_of_all": "solved/all",
}


def pct(p: Proportion) -> str:
    if p.value is None or p.low is None or p.high is None:
        return f"{'n/a':>6} {'':15}"
    return f"{p.value:6.1%} [{p.low:5.1%}, {p.high:5.1%}]"


def frac(p: Proportion) -> str:
    return f"{p.numerator:>6,} / {p.denominator:<6,}"


def diff(d: Difference) -> str:
    if d.estimate is None or d.low is None or d.high is None:
        return "n/a"
    return f"{d.estimate * 100:+5.1f} pts [{d.low * 100:+5.1f}, {d.high * 100:+5.1f}]"


def _comparison(c: SolveComparison) -> str:
    return (
        f"  {c.group:<16} {pct(c.with_useful)} {frac(c.with_useful)}  {pct(c.without_useful)} "
        f"{frac(c.without_useful)}  {diff(c.difference)}"
    )


def _change(c: Change) -> str:
    return f"  {LABELS[c.key]:<50} {pct(c.current)}  vs {pct(c.baseline)}  {diff(c.difference)}"


def render_text(s: LedgerStats) -> str:
    span = ""
    if s.period_start or s.period_end:
        span = f" that occurred {s.period_start or 'start'} to {s.period_end or 'end'}"
    out = [
        f"Case ledger: {s.cases:,} cases{span} (as of {s.as_of:%Y-%m-%d} UTC); shares with 95% Wilson intervals",
        "",
    ]
    out.append(f"  {'measure':<50} {'share [95% CI]':<22} {'numer. / denom.':<15}  denominator")
    for m in s.measures:
        out.append(f"  {LABELS[m.key]:<50} {pct(m.proportion)} {frac(m.proportion)}  {m.denominator_counts}")
    if s.claim is not None:
        claim = s.claim
        where = {
            "above": "above the 95% interval: the records do not support it",
            "below": "below the 95% interval: the records show more",
            "within": "within the 95% interval: the records are consistent with it",
            "no data": "not checkable: no solved case in the period",
        }[claim.verdict]
        out += [
            "",
            f"Claim: video supported {claim.claimed:.0%} of solved cases. "
            f"The ledger: {pct(claim.proportion).strip()} ({claim.proportion.numerator:,} of "
            f"{claim.proportion.denominator:,} solved cases); the claim is {where}.",
        ]
    out += ["", "Solve rate with vs without useful video (difference: Newcombe hybrid score 95% interval)"]
    out.append(f"  {'crime type':<16} {'with useful video':<38}  {'without':<38}  difference")
    out.append(_comparison(s.solve_overall))
    out += [_comparison(c) for c in s.solve_by_type]
    out += [
        "",
        "Solve rate with footage requested vs not (cases not matched, unlike the Australian rail study)",
        _comparison(s.solve_by_request),
    ]
    if s.analysis is not None:
        out += render_analysis(s.analysis)
    r = s.retention
    out += [
        "",
        "Footage lost to retention",
        f"  {'requested after the footage expired':<50} {pct(r.requested_late)} {frac(r.requested_late)}  "
        "requests with a known expiry",
        f"  {'requested but never obtained':<50} {pct(r.requested_not_obtained)} "
        f"{frac(r.requested_not_obtained)}  cases with video requested",
        f"  {'expired unobtained (late or never requested)':<50} {pct(r.expired_unobtained)} "
        f"{frac(r.expired_unobtained)}  cases with a known expiry",
    ]
    e = s.effort
    per = "n/a" if e.hours_per_useful_case is None else f"{e.hours_per_useful_case:g}"
    out += [
        "",
        f"Review effort: {e.hours_reviewed:,.1f} hours of footage reviewed on {e.cases_with_hours:,} cases, "
        f"{per} hours per case where video proved useful; {e.vehicles_screened:,} vehicles screened, "
        f"{e.vehicles_eliminated:,} eliminated",
    ]
    if s.trend is not None:
        t = s.trend
        out += [
            "",
            f"Trend: {t.period_start} to {t.period_end} ({t.cases:,} cases) against the same dates one year "
            f"earlier ({t.previous_year_cases:,} cases)",
        ]
        if t.status_date is not None:
            out.append(
                f"  (equal follow-up: the ledger's status date is {t.status_date}; earlier years' cases count as "
                "solved only if solved by the same date of their year)"
            )
        out += [_change(c) for c in t.year_on_year]
        years = ", ".join(str(y) for y in t.baseline_years) or "none"
        mean = "n/a" if t.baseline_mean_cases is None else f"{t.baseline_mean_cases:,.1f}"
        out.append(f"  ... and against the same dates of {years} pooled (mean {mean} cases a year)")
        out += [_change(c) for c in t.vs_baseline]
    elif s.trend_note:
        out += ["", f"Trend: {s.trend_note}"]
    if s.groups_by:
        out += ["", f"By {s.groups_by}"]
        follow = next((g.follow_up_days for g in s.groups if g.follow_up_days), None)
        if follow:
            out.append(
                f"  (equal follow-up: each year's cases followed {follow} days by the status date {s.status_date}; "
                f"solved = solved within {follow} days; the shares are of those cases)"
            )
        keys = list(SHORT)
        out.append(
            f"  {'group':<16} {'cases':>6}{'  followed' if follow else ''}  "
            + "  ".join(f"{SHORT[k]:<20}" for k in keys)
            + "  solve rate, useful minus not"
        )
        for g in s.groups:
            cells = {m.key: m.proportion for m in g.measures}
            shares = "  ".join(
                f"{'n/a':<20}"
                if cells[k].value is None
                else f"{cells[k].value:5.1%} ({cells[k].numerator}/{cells[k].denominator})".ljust(20)
                for k in keys
            )
            followed = f"  {g.followed:>8,}" if follow else ""
            out.append(f"  {g.group:<16} {g.cases:>6,}{followed}  {shares}  {diff(g.comparison.difference)}")
    yoy = [g for g in s.groups if g.vs_previous_year]
    if yoy:
        head = "with equal follow-up, as above" if yoy[0].follow_up_days else "the latest year may be partial"
        out += ["", f"Year on year (each year against the one before; {head})"]
        for g in yoy:
            parts = [f"{SHORT[c.key]} {diff(c.difference)}" for c in g.vs_previous_year]
            out.append(f"  {g.group} vs {int(g.group) - 1}  " + "   ".join(parts))
    if s.cameras:
        out += ["", f"Cameras linked to cases: {len(s.cameras)} (top 10 by cases where video contributed)"]
        out.append(f"  {'camera':<20} {'registered':<10} {'linked':>7} {'contributed':>12} {'of which solved':>16}")
        for c in s.cameras[:10]:
            reg = "yes" if c.registered else "no"
            out.append(
                f"  {c.camera_ref:<20} {reg:<10} {c.cases_linked:>7,} {c.cases_contributed:>12,} "
                f"{c.solved_contributed:>16,}"
            )
    return "\n".join(out)


def _default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def render_json(s: LedgerStats) -> str:
    data = dataclasses.asdict(s)
    for m in data["measures"]:
        m["label"] = LABELS[m["key"]]
    if data["trend"] is not None:
        for c in (*data["trend"]["year_on_year"], *data["trend"]["vs_baseline"]):
            c["label"] = LABELS[c["key"]]
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def ratio(r: Ratio) -> str:
    if r.estimate is None or r.low is None or r.high is None:
        return f"{'n/a':<22} ({r.note})" if r.note else "n/a"
    return f"{r.estimate:6.2f} [{r.low:5.2f}, {r.high:5.2f}]"


def _solved_by(b: SolvedBy) -> str:
    if b.share is None or b.low is None or b.high is None:
        return f"{'n/a':<22}"
    return f"{b.share:6.1%} [{b.low:5.1%}, {b.high:5.1%}]"


def _ratio_lines(ratios: tuple[Ratio, ...]) -> list[str]:
    return [f"  {r.scope:<16} {ratio(r)}   {r.events:,} solved of {r.cases:,}" for r in ratios]


def render_analysis(a: Analysis) -> list[str]:
    """Time to solve, hazard and odds ratios, the matched comparison, contribution levels, the funnel."""
    tts = a.time_to_solve
    out = [
        "",
        f"Time to solve (Kaplan–Meier from occurrence to solving; open cases censored at the status date "
        f"{a.status_date}; 95% log-log intervals)",
    ]
    left = []
    if tts.undated_solved:
        left.append(f"{tts.undated_solved:,} solved without a date")
    if tts.after_status:
        left.append(f"{tts.after_status:,} that occurred after the status date")
    if left:
        out.append(f"  left out: {', '.join(left)}")
    out.append(
        f"  {'crime type':<16} {'video':<10} {'cases':>6} {'solved':>6}  {'median':>11}  "
        + "  ".join(f"{'solved by ' + str(h) + ' days':<22}" for h in HORIZONS)
    )
    for g in tts.groups:
        med = "not reached" if g.median_days is None else f"{g.median_days:.0f} days"
        video = "useful" if g.useful_video else "not useful"
        out.append(
            f"  {g.case_type:<16} {video:<10} {g.cases:>6,} {g.solved:>6,}  {med:>11}  "
            + "  ".join(_solved_by(b) for b in g.solved_by)
        )
    out += [
        "",
        "Hazard ratio of being solved, useful video vs not (Cox model: all cases stratified by crime type; "
        "each adjusted for area)",
    ]
    out += _ratio_lines((tts.hazard_ratio, *tts.hazard_ratio_by_type))
    o = a.odds_ratios
    out += [
        "",
        f"Odds ratio of being solved within {o.follow_up_days} days, useful video vs not (logistic regression "
        f"on the {o.cases:,} cases followed that long, adjusted for crime type, area and time of day)",
    ]
    out += _ratio_lines((o.overall, *o.by_type))
    m = a.matched
    out += [
        "",
        f"Matched comparison: each case with useful video against the nearest case without, of the same crime "
        f"type and area, within {m.max_hours} hours of the day and {m.max_months} months (solved within "
        f"{m.follow_up_days} days)",
        f"  {m.matched:,} of {m.treated:,} cases with useful video found a match",
        f"  with useful video {pct(m.difference.a)} {frac(m.difference.a)}  matched without "
        f"{pct(m.difference.b)} {frac(m.difference.b)}  {diff(m.difference)} (Newcombe, paired)",
        "",
        "Video-supported share of solved cases by contribution level",
        f"  {'level':<16} {'cases':>6}  {'share of solved cases':<38}  solve rate",
    ]
    for c in a.contribution_levels:
        out.append(
            f"  {c.level:<16} {c.cases:>6,}  {pct(c.of_solved)} {frac(c.of_solved)}  "
            f"{pct(c.solve_rate)} {frac(c.solve_rate)}"
        )
    f = a.funnel
    out += ["", "Availability funnel", f"  {'step':<34} {'count':>6}  {'of the step before':<22}  of all cases"]
    for st in f.steps:
        out.append(f"  {st.step:<34} {st.count:>6,}  {pct(st.of_previous)}  {pct(st.of_all)}")
    out += [
        f"  lost to retention: requested after the footage expired {pct(f.requested_after_expiry)} "
        f"{frac(f.requested_after_expiry)} requests with a known expiry",
        f"  requested in time but never obtained                   {pct(f.requested_in_time_not_obtained)} "
        f"{frac(f.requested_in_time_not_obtained)} requests",
    ]
    return out
