"""Time to solve, adjusted and matched effects, levels and funnel: by hand, against statsmodels, and
against the effects the generator plants."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from xueliang.cli import cli
from xueliang.ledger.effects import (
    analyse,
    contribution_levels,
    funnel,
    matched_comparison,
    paired_newcombe,
)
from xueliang.ledger.generate import PROFILES, generate_ledger, write_ledger
from xueliang.ledger.io import read_ledger
from xueliang.ledger.metrics import CaseTable, fixed_follow_up, newcombe, status_date, summarise_groups, wilson
from xueliang.ledger.store import import_ledger, load_cases
from xueliang.ledger.survival import durations, fit_ratio, kaplan_meier
from xueliang.storage import open_database

NAT = np.datetime64("NaT", "s")


def cases(rows: list[dict[str, object]]) -> CaseTable:
    """rows: dicts with occurred (str), solved_at (str or None), useful (bool) and optional type, area,
    requested_at, expires_at, obtained, contribution."""
    n = len(rows)

    def when(key: str) -> np.ndarray:
        return np.array([NAT if r.get(key) is None else np.datetime64(str(r[key]), "s") for r in rows])

    useful = [bool(r.get("useful", False)) for r in rows]
    return CaseTable(
        case_id=np.array([f"c{i:03d}" for i in range(n)], dtype=object),
        case_type=np.array([r.get("type", "theft") for r in rows], dtype=object),
        area=np.array([r.get("area", "north") for r in rows], dtype=object),
        occurred=when("occurred"),
        solved=np.array([r.get("solved_at") is not None or bool(r.get("solved")) for r in rows]),
        obtained=np.array([bool(r.get("obtained", u)) for r, u in zip(rows, useful, strict=True)]),
        contribution=np.array(
            [r.get("contribution", "lead" if u else "none") for r, u in zip(rows, useful, strict=True)], dtype=object
        ),
        requested_at=when("requested_at"),
        expires_at=when("expires_at"),
        lon=np.full(n, np.nan),
        lat=np.full(n, np.nan),
        hours_reviewed=np.full(n, np.nan),
        vehicles_screened=np.full(n, np.nan),
        vehicles_eliminated=np.full(n, np.nan),
        solved_at=when("solved_at"),
    )


def test_kaplan_meier_by_hand() -> None:
    # times 1, 2, 2(censored), 3, 4(censored): S(1) = 4/5, S(2) = 0.8 * 3/4 = 0.6, S(3) = 0.6 * 1/2 = 0.3
    km = kaplan_meier(np.array([1.0, 2, 2, 3, 4]), np.array([True, True, False, True, False]))
    assert km.times.tolist() == [1.0, 2.0, 3.0]
    assert km.survival == pytest.approx([0.8, 0.6, 0.3])
    # before the first solving: none solved of 5 followed, exact bound 0.025^(1/5) = 0.478
    assert km.at(0.5) == pytest.approx((1.0, 0.025**0.2, 1.0))
    assert km.at(2.5) is not None and km.at(2.5)[0] == pytest.approx(0.6)
    assert km.at(4.5) is None  # past the longest follow-up
    assert km.median() == 3.0
    # Greenwood at t=2: 1/(5*4) + 1/(4*3) = 0.13333; log-log interval
    se = math.sqrt(1 / 20 + 1 / 12) / abs(math.log(0.6))
    assert km.low[1] == pytest.approx(0.6 ** math.exp(1.959964 * se), rel=1e-5)
    assert km.high[1] == pytest.approx(0.6 ** math.exp(-1.959964 * se), rel=1e-5)


def test_kaplan_meier_matches_statsmodels() -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    rng = np.random.default_rng(4)
    days = np.round(rng.exponential(40, 500))
    event = rng.random(500) < 0.6
    km = kaplan_meier(days, event)
    sm = SurvfuncRight(days, event.astype(float))
    assert km.times == pytest.approx(sm.surv_times)
    assert km.survival == pytest.approx(sm.surv_prob)
    # statsmodels' standard error of S is Greenwood's; recover it from our log-log interval
    green_se = sm.surv_prob_se
    mask = (km.survival > 0.05) & (km.survival < 0.999)
    ours = (np.log(-np.log(km.low[mask])) - np.log(-np.log(km.survival[mask]))) / 1.959964
    theirs = green_se[mask] / (km.survival[mask] * np.abs(np.log(km.survival[mask])))
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_open_cases_are_censored_at_the_status_date() -> None:
    t = cases(
        [
            {"occurred": "2024-01-01T10:00", "solved_at": "2024-01-11"},  # solved after 9.6 days
            {"occurred": "2024-01-01T00:00"},  # open: censored at the end of 2024-03-01 = 61 days
            {"occurred": "2024-01-01T00:00", "solved_at": "2024-06-01"},  # solved after the status date: open
            {"occurred": "2024-01-01T00:00", "solved": True},  # solved without a date: left out
            {"occurred": "2024-05-01T00:00"},  # after the status date: left out
        ]
    )
    d = durations(t, dt.date(2024, 3, 1))
    assert d.usable.tolist() == [True, True, True, False, False]
    assert d.event.tolist()[:3] == [True, False, False]
    assert d.days[:3] == pytest.approx([9 + 14 / 24, 61, 61])
    assert (d.undated_solved, d.after_status) == (1, 1)


def test_fixed_follow_up_counts_solved_within_the_window() -> None:
    t = cases(
        [
            {"occurred": "2024-01-01", "solved_at": "2024-02-01"},  # within 90 days
            {"occurred": "2024-01-01", "solved_at": "2024-05-01"},  # after 121 days: unsolved at 90
            {"occurred": "2024-01-01", "solved": True},  # no date: stays solved
            {"occurred": "2024-03-01", "solved_at": "2024-03-02"},  # followed < 90 days: left out
        ]
    )
    f = fixed_follow_up(t, dt.date(2024, 4, 30))
    assert f.case_id.tolist() == ["c000", "c001", "c002"]
    assert f.solved.tolist() == [True, False, True]


def test_per_year_table_compares_a_part_year_fairly() -> None:
    # 2023: 4 cases, 2 solved within 90 days and 1 after a year; 2024: 2 followed, 1 solved; 1 too recent
    t = cases(
        [
            {"occurred": "2023-02-01", "solved_at": "2023-03-01"},
            {"occurred": "2023-03-01", "solved_at": "2023-04-01"},
            {"occurred": "2023-04-01", "solved_at": "2024-04-10"},
            {"occurred": "2023-05-01"},
            {"occurred": "2024-01-01", "solved_at": "2024-02-01"},
            {"occurred": "2024-02-01"},
            {"occurred": "2024-06-01"},
        ]
    )
    groups = {g.group: g for g in summarise_groups(t, "year", as_of=dt.date(2024, 6, 30))}
    assert (groups["2023"].cases, groups["2023"].followed, groups["2023"].follow_up_days) == (4, 4, 90)
    assert (groups["2024"].cases, groups["2024"].followed) == (3, 2)
    solved = {k: next(m for m in g.measures if m.key == "solved_of_all").proportion for k, g in groups.items()}
    assert (solved["2023"].numerator, solved["2023"].denominator) == (2, 4)
    assert (solved["2024"].numerator, solved["2024"].denominator) == (1, 2)


def test_paired_newcombe_equals_unpaired_without_correlation_and_narrows_with_it() -> None:
    # both=1, only treated=1, only control=1, neither=1: ad - bc = 0, so phi = 0 and the interval is Newcombe's
    tr = np.array([True, True, False, False])
    co = np.array([True, False, True, False])
    d = paired_newcombe(tr, co)
    u = newcombe(wilson(2, 4), wilson(2, 4))
    assert (d.estimate, d.low, d.high) == pytest.approx((u.estimate, u.low, u.high))
    # positively correlated pairs (same outcome mostly): narrower than treating the groups as independent
    tr = np.array([True] * 30 + [False] * 60 + [True] * 10)
    co = np.array([True] * 30 + [False] * 60 + [False] * 10)
    d = paired_newcombe(tr, co)
    u = newcombe(wilson(40, 100), wilson(30, 100))
    assert d.estimate == pytest.approx(0.10)
    assert d.low is not None and u.low is not None and d.high is not None and u.high is not None
    assert d.low > u.low and d.high < u.high and d.low > 0


def test_logistic_odds_ratio_of_a_two_by_two_table_is_the_cross_product() -> None:
    # 30/100 solved with useful video, 10/100 without: OR = (30*90)/(70*10) = 3.857, Woolf interval
    y = np.array([1.0] * 30 + [0.0] * 70 + [1.0] * 10 + [0.0] * 90)
    useful = np.array([True] * 100 + [False] * 100)
    r = fit_ratio("theft", "logit", y, useful, np.zeros((200, 0)))
    se = math.sqrt(1 / 30 + 1 / 70 + 1 / 10 + 1 / 90)
    assert r.estimate == pytest.approx(30 * 90 / (70 * 10), rel=1e-3)
    assert r.low == pytest.approx(3.857 * math.exp(-1.959964 * se), rel=1e-3)
    assert r.high == pytest.approx(3.857 * math.exp(1.959964 * se), rel=1e-3)
    none = fit_ratio("theft", "logit", y[:100], useful[:100], np.zeros((100, 0)))
    assert none.estimate is None and "one group" in none.note


def test_matching_pairs_nearest_within_type_area_and_caliper() -> None:
    rows: list[dict[str, object]] = [
        {"occurred": "2024-01-10T10:00", "useful": True, "solved_at": "2024-01-20"},
        {"occurred": "2024-01-11T11:00"},  # nearest for case 0 (1 h, same month)
        {"occurred": "2024-01-11T10:00", "area": "south"},  # other area: never a match
        {"occurred": "2024-01-12T22:00", "useful": True},  # 11 h from everything: beyond 3 h, unmatched
        {"occurred": "2023-01-12T10:00", "solved_at": "2023-01-13"},  # 12 months: beyond 6, unmatched
    ]
    t = cases(rows)
    m = matched_comparison(t)
    assert (m.treated, m.matched) == (2, 1)
    assert (m.difference.a.numerator, m.difference.b.numerator, m.difference.a.denominator) == (1, 0, 1)


def test_contribution_levels_and_funnel_by_hand() -> None:
    t = cases(
        [
            {
                "occurred": "2024-01-01",
                "useful": True,
                "contribution": "decisive",
                "solved_at": "2024-01-05",
                "requested_at": "2024-01-02",
                "expires_at": "2024-01-10",
            },
            {
                "occurred": "2024-01-01",
                "useful": True,
                "contribution": "lead",
                "requested_at": "2024-01-02",
                "expires_at": "2024-01-10",
            },
            {"occurred": "2024-01-01", "obtained": True, "requested_at": "2024-01-02", "expires_at": "2024-01-10"},
            {"occurred": "2024-01-01", "requested_at": "2024-01-20", "expires_at": "2024-01-10"},  # too late
            {"occurred": "2024-01-01", "requested_at": "2024-01-02", "expires_at": "2024-01-10"},  # not obtained
            {"occurred": "2024-01-01", "solved_at": "2024-02-01"},
        ]
    )
    levels = {c.level: c for c in contribution_levels(t)}
    assert (levels["decisive"].of_solved.numerator, levels["decisive"].of_solved.denominator) == (1, 2)
    assert (levels["lead"].solve_rate.numerator, levels["lead"].solve_rate.denominator) == (0, 1)
    f = funnel(t)
    assert [s.count for s in f.steps] == [6, 5, 3, 2, 1]
    assert (f.requested_after_expiry.numerator, f.requested_after_expiry.denominator) == (1, 5)
    assert (f.requested_in_time_not_obtained.numerator, f.requested_in_time_not_obtained.denominator) == (1, 5)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> CaseTable:
    """4,000 generated cases (seed 3) stored and read back as the CLI does."""
    d = tmp_path_factory.mktemp("gen")
    write_ledger(d / "cases.csv", generate_ledger(4000, seed=3))
    db = open_database(f"sqlite:///{d / 'x.db'}")
    try:
        import_ledger(db, read_ledger(d / "cases.csv", now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC)))
        return load_cases(db)
    finally:
        db.dispose()


def test_models_recover_the_planted_hazard_and_odds_ratios(generated: CaseTable) -> None:
    """Per crime type the generator plants a hazard ratio (time to solve) and an odds ratio (solved within
    90 days) for useful video. Twelve 95% intervals miss their true value about 0.6 times in all by chance,
    so: at most one misses, and every estimate is within the family-wise (Bonferroni) 95% bound."""
    a = analyse(generated, status_date(generated) or dt.date(2026, 6, 30))
    z_family = float(norm.ppf(1 - 0.05 / 24))
    misses = 0
    checked = 0
    for ratios, attr in ((a.time_to_solve.hazard_ratio_by_type, "hazard_ratio"), (a.odds_ratios.by_type, "odds_ratio")):
        assert {r.scope for r in ratios} == set(PROFILES)
        for r in ratios:
            true = getattr(PROFILES[r.scope], attr)
            assert r.estimate is not None and r.low is not None and r.high is not None, r
            se = (math.log(r.high) - math.log(r.low)) / (2 * 1.959964)
            assert abs(math.log(r.estimate / true)) / se < z_family, (attr, r, true)
            misses += not (r.low <= true <= r.high)
            checked += 1
    assert checked == 12 and misses <= 1
    # the planted effects differ by type, and the models tell them apart: fraud gains nothing from video
    hr = {r.scope: r for r in a.time_to_solve.hazard_ratio_by_type}
    assert hr["fraud"].low is not None and hr["fraud"].low < 1 < (hr["fraud"].high or 0)
    assert (hr["theft"].low or 0) > 1 and (hr["assault"].high or 0) < (hr["vehicle theft"].estimate or 0)
    # the pooled estimates lie between the smallest and largest planted effect
    lo_hr = min(p.hazard_ratio for p in PROFILES.values())
    hi_hr = max(p.hazard_ratio for p in PROFILES.values())
    assert lo_hr < (a.time_to_solve.hazard_ratio.estimate or 0) < hi_hr
    # Kaplan-Meier at 90 days: the share solved within 90 days the generator sets for theft without video
    theft = next(g for g in a.time_to_solve.groups if g.case_type == "theft" and not g.useful_video)
    by90 = next(b for b in theft.solved_by if b.days == 90)
    assert by90.low is not None and by90.high is not None
    assert by90.low <= PROFILES["theft"].solve_without <= by90.high
    # matched comparison: most cases with useful video find a match, and solving is higher with video
    m = a.matched
    assert 0.7 * m.treated < m.matched <= m.treated
    assert m.difference.low is not None and m.difference.low > 0


def test_stats_json_carries_every_figure(tmp_path: Path) -> None:
    runner = CliRunner()
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    csv_path = tmp_path / "c.csv"
    gen = runner.invoke(cli, ["ledger", "generate", "--n", "1500", "--seed", "2", "--out", str(csv_path)])
    assert gen.exit_code == 0
    assert runner.invoke(cli, ["ledger", "import", str(csv_path), "--db", db_url, "--quiet"]).exit_code == 0
    res = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--as-of", "2025-12-31", "--json", "--by", "year"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    a = data["analysis"]
    assert data["status_date"] == a["status_date"] == "2025-12-31"
    groups = a["time_to_solve"]["groups"]
    assert {(g["case_type"], g["useful_video"]) for g in groups} >= {("all", True), ("all", False)}
    for g in groups:
        assert [b["days"] for b in g["solved_by"]] == [7, 30, 90, 365]
    assert a["time_to_solve"]["hazard_ratio"]["estimate"] > 1
    assert a["odds_ratios"]["overall"]["estimate"] > 1 and len(a["odds_ratios"]["by_type"]) == 6
    assert a["matched"]["matched"] > 0 and a["matched"]["difference"]["estimate"] is not None
    assert [s["step"] for s in a["funnel"]["steps"]][-1] == "solved with useful video"
    assert "requested_after_expiry" in a["funnel"]
    # 2026 occurred after the status date: no case of it is followed
    years = {g["group"]: g for g in data["groups"]}
    assert years["2026"]["followed"] == 0 and years["2024"]["followed"] == years["2024"]["cases"]
    text = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--as-of", "2025-12-31"])
    assert "Hazard ratio of being solved" in text.output and "Availability funnel" in text.output
    bad = runner.invoke(cli, ["ledger", "stats", "--db", db_url, "--as-of", "2025-02-30"])
    assert bad.exit_code == 2 and "--as-of" in bad.output and "Traceback" not in bad.output


def test_any_small_ledger_gives_well_formed_figures() -> None:
    """Random small ledgers (one case to forty; odd mixes of solved, undated, open, video): no error, every
    share and bound within [0, 1] and ordered, the JSON strictly valid (no NaN)."""
    from xueliang.ledger.metrics import ledger_stats
    from xueliang.ledger.render import render_json, render_text

    rng = np.random.default_rng(0)
    day = np.timedelta64(86400, "s")
    for it in range(20):
        n = int(rng.integers(1, 40))
        occ = np.datetime64("2024-01-01", "s") + rng.integers(0, 400, n) * day
        solved = rng.random(n) < rng.random()
        dated = solved & (rng.random(n) < 0.9)
        obtained = rng.random(n) < rng.random()
        levels = rng.choice(["lead", "decisive", "corroborating", "identified"], n)
        t = CaseTable(
            case_id=np.array([f"c{i}" for i in range(n)], dtype=object),
            case_type=rng.choice(["theft", "fraud", "robbery"], n).astype(object),
            area=rng.choice(["a", "b", ""], n).astype(object),
            occurred=occ,
            solved=solved,
            obtained=obtained,
            contribution=np.where(obtained & (rng.random(n) < 0.6), levels, "none").astype(object),
            requested_at=np.where(rng.random(n) < 0.5, occ + rng.integers(0, 20, n) * day, NAT),
            expires_at=np.where(rng.random(n) < 0.7, occ + 30 * day, NAT),
            lon=np.full(n, np.nan),
            lat=np.full(n, np.nan),
            hours_reviewed=np.full(n, np.nan),
            vehicles_screened=np.full(n, np.nan),
            vehicles_eliminated=np.full(n, np.nan),
            solved_at=np.where(dated, occ + rng.integers(0, 200, n) * day, NAT),
        )
        as_of = None if it % 3 else dt.date(2024, 3, 1)
        s = ledger_stats(t, by="year", status_as_of=as_of, as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        assert s.analysis is not None and render_text(s)
        data = json.loads(render_json(s), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        for g in data["analysis"]["time_to_solve"]["groups"]:
            for b in g["solved_by"]:
                if b["share"] is not None:
                    assert 0 <= b["low"] <= b["share"] <= b["high"] <= 1, b
            shares = [v for v in g["curve"] if v is not None]
            assert shares == sorted(shares)  # the share solved never falls
        for r in (data["analysis"]["time_to_solve"]["hazard_ratio"], data["analysis"]["odds_ratios"]["overall"]):
            assert r["estimate"] is None or r["low"] <= r["estimate"] <= r["high"]
