"""Text and JSON renderings of ledger statistics: every share with numerator, denominator and interval."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from xueliang.ledger.metrics import Change, Difference, LedgerStats, Proportion, SolveComparison

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
        keys = list(SHORT)
        out.append(
            f"  {'group':<16} {'cases':>6}  "
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
            out.append(f"  {g.group:<16} {g.cases:>6,}  {shares}  {diff(g.comparison.difference)}")
    yoy = [g for g in s.groups if g.vs_previous_year]
    if yoy:
        out += ["", "Year on year (each year against the one before; the latest year may be partial)"]
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
