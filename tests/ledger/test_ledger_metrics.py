"""Measures against values worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from xueliang.ledger.metrics import (
    CaseTable,
    between,
    camera_contributions,
    check_claim,
    core_measures,
    ledger_stats,
    newcombe,
    retention,
    solve_comparison,
    status_date,
    summarise_groups,
    trend,
    wilson,
)


def table(rows: list[tuple[str, str, str, bool, bool, str]], **extra: object) -> CaseTable:
    """rows: (case_id, type, occurred day, solved, obtained, contribution)."""
    n = len(rows)
    nat = np.array(["NaT"] * n, dtype="datetime64[s]")
    cols: dict[str, object] = {
        "case_id": np.array([r[0] for r in rows], dtype=object),
        "case_type": np.array([r[1] for r in rows], dtype=object),
        "area": np.array(["north" if i % 2 else "south" for i in range(n)], dtype=object),
        "occurred": np.array([r[2] for r in rows], dtype="datetime64[s]"),
        "solved": np.array([r[3] for r in rows], dtype=bool),
        "obtained": np.array([r[4] for r in rows], dtype=bool),
        "contribution": np.array([r[5] for r in rows], dtype=object),
        "requested_at": nat,
        "expires_at": nat.copy(),
        "lon": np.full(n, np.nan),
        "lat": np.full(n, np.nan),
        "hours_reviewed": np.full(n, np.nan),
        "vehicles_screened": np.full(n, np.nan),
        "vehicles_eliminated": np.full(n, np.nan),
    }
    cols.update(extra)
    return CaseTable(**cols)  # type: ignore[arg-type]


# Ten cases: 4 solved (3 of them with useful video), 6 with video obtained, 4 of those useful.
TEN = [
    ("c01", "theft", "2024-01-05", True, True, "decisive"),
    ("c02", "theft", "2024-01-06", True, True, "lead"),
    ("c03", "theft", "2024-02-01", True, True, "corroborating"),
    ("c04", "theft", "2024-02-02", True, False, "none"),
    ("c05", "theft", "2024-03-01", False, True, "identified"),
    ("c06", "robbery", "2024-03-02", False, True, "none"),
    ("c07", "robbery", "2024-03-03", False, True, "none"),
    ("c08", "robbery", "2024-04-01", False, False, "none"),
    ("c09", "robbery", "2024-04-02", False, False, "none"),
    ("c10", "robbery", "2024-04-03", False, False, "none"),
]


def test_wilson_8_of_10_by_hand() -> None:
    # p = 0.8, z = 1.96, z^2 = 3.8415; denominator 1 + z^2/n = 1.38415
    # centre = (0.8 + 3.8415/20) / 1.38415 = 0.71674
    # half   = 1.96/1.38415 * sqrt(0.8*0.2/10 + 3.8415/400) = 1.41600 * 0.160011 = 0.22658
    p = wilson(8, 10)
    assert (p.numerator, p.denominator, p.value) == (8, 10, 0.8)
    assert p.low == pytest.approx(0.4902, abs=5e-5)
    assert p.high == pytest.approx(0.9433, abs=5e-5)


def test_wilson_edges_by_hand() -> None:
    # k = 0: centre = half = (3.8415/20)/1.38415 = 0.13877, so the interval is [0, 0.2775]
    zero = wilson(0, 10)
    assert zero.low == 0.0 and zero.high == pytest.approx(0.2775, abs=5e-5)
    full = wilson(10, 10)
    assert full.high == 1.0 and full.low == pytest.approx(1 - 0.2775, abs=5e-5)
    empty = wilson(0, 0)
    assert (empty.value, empty.low, empty.high) == (None, None, None)
    with pytest.raises(ValueError, match="expected 0 <= k <= n, got k=11, n=10"):
        wilson(11, 10)


def test_newcombe_matches_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80 = 0.2000,
    # hybrid score interval (method 10) 0.0524 to 0.3339.
    d = newcombe(wilson(56, 70), wilson(48, 80))
    assert d.estimate == pytest.approx(0.2)
    assert d.low == pytest.approx(0.0524, abs=5e-5)
    assert d.high == pytest.approx(0.3339, abs=5e-5)
    assert newcombe(wilson(1, 2), wilson(0, 0)).estimate is None


def test_core_measures_on_ten_cases() -> None:
    got = {m.key: m.proportion for m in core_measures(table(TEN))}
    assert (got["video_supported_of_solved"].numerator, got["video_supported_of_solved"].denominator) == (
        3,
        4,
    )
    assert (got["obtained_of_all"].numerator, got["obtained_of_all"].denominator) == (6, 10)
    assert (got["useful_of_all"].numerator, got["useful_of_all"].denominator) == (4, 10)
    assert (got["useful_of_obtained"].numerator, got["useful_of_obtained"].denominator) == (4, 6)
    assert (got["solved_of_all"].numerator, got["solved_of_all"].denominator) == (4, 10)
    # 3/4 by hand: centre (0.75 + 0.48019)/1.96038 = 0.62753, half 0.99981*sqrt(0.046875 + 0.060023) = 0.32689
    assert got["video_supported_of_solved"].low == pytest.approx(0.3006, abs=5e-4)
    assert got["video_supported_of_solved"].high == pytest.approx(0.9544, abs=5e-4)


def test_solve_rate_with_and_without_useful_video() -> None:
    c = solve_comparison(table(TEN))
    assert (c.with_useful.numerator, c.with_useful.denominator) == (3, 4)
    assert (c.without_useful.numerator, c.without_useful.denominator) == (1, 6)
    assert c.difference.estimate == pytest.approx(0.75 - 1 / 6)
    assert c.difference.low is not None and c.difference.high is not None
    assert c.difference.low < c.difference.estimate < c.difference.high
    stats = ledger_stats(table(TEN), as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    by_type = {s.group: s for s in stats.solve_by_type}
    assert (by_type["robbery"].with_useful.denominator, by_type["robbery"].without_useful.denominator) == (
        0,
        5,
    )
    assert by_type["robbery"].difference.estimate is None
    assert (by_type["theft"].with_useful.numerator, by_type["theft"].without_useful.numerator) == (3, 1)


def test_solve_rate_by_request() -> None:
    requested = np.array(["2024-01-06"] * 3 + ["NaT"] * 7, dtype="datetime64[s]")
    stats = ledger_stats(table(TEN, requested_at=requested), as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    c = stats.solve_by_request
    assert (c.with_useful.numerator, c.with_useful.denominator) == (3, 3)  # c01-c03 all solved
    assert (c.without_useful.numerator, c.without_useful.denominator) == (1, 7)
    assert c.difference.estimate == pytest.approx(1 - 1 / 7)


def test_contribution_without_footage_is_not_useful() -> None:
    rows = [("x1", "theft", "2024-01-01", True, False, "lead")]  # impossible after import; still not counted
    got = {m.key: m.proportion for m in core_measures(table(rows))}
    assert got["video_supported_of_solved"].numerator == 0


def test_retention_counts() -> None:
    day = "datetime64[s]"
    requested = np.array(["2024-01-10", "2024-01-02", "NaT", "NaT", "2024-01-03"], dtype=day)
    expires = np.array(["2024-01-08", "2024-01-08", "2024-01-08", "2099-01-01", "NaT"], dtype=day)
    rows = [
        ("r1", "theft", "2024-01-01", False, False, "none"),  # requested two days late
        ("r2", "theft", "2024-01-01", True, True, "lead"),  # requested in time, obtained
        ("r3", "theft", "2024-01-01", False, False, "none"),  # never requested, expired
        ("r4", "theft", "2024-01-01", False, False, "none"),  # not requested, not expired yet
        ("r5", "theft", "2024-01-01", False, False, "none"),  # requested, expiry unknown, not obtained
    ]
    r = retention(table(rows, requested_at=requested, expires_at=expires), dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert (r.requested_late.numerator, r.requested_late.denominator) == (1, 2)
    assert (r.requested_not_obtained.numerator, r.requested_not_obtained.denominator) == (2, 3)
    assert (r.expired_unobtained.numerator, r.expired_unobtained.denominator) == (2, 4)


def test_trend_year_on_year_and_five_year_pool() -> None:
    rows = []
    # January of 2019..2024: year y has (y - 2018) cases, of which one solved with useful video
    for year in range(2019, 2025):
        for i in range(year - 2018):
            solved = i == 0
            rows.append((f"{year}-{i}", "theft", f"{year}-01-1{i % 9}", solved, solved, "lead" if solved else "none"))
    rows.append(("late", "theft", "2024-06-01", False, False, "none"))  # outside the window
    t = table(rows)
    tr = trend(t, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert tr.cases == 6 and tr.previous_year_cases == 5
    assert tr.baseline_years == (2019, 2020, 2021, 2022, 2023)
    assert tr.baseline_mean_cases == 3.0  # (1 + 2 + 3 + 4 + 5) / 5
    yoy = {c.key: c for c in tr.year_on_year}
    assert (yoy["solved_of_all"].current.numerator, yoy["solved_of_all"].current.denominator) == (1, 6)
    assert (yoy["solved_of_all"].baseline.numerator, yoy["solved_of_all"].baseline.denominator) == (1, 5)
    pool = {c.key: c for c in tr.vs_baseline}
    assert (pool["solved_of_all"].baseline.numerator, pool["solved_of_all"].baseline.denominator) == (5, 15)
    assert pool["solved_of_all"].difference.estimate == pytest.approx(1 / 6 - 1 / 3)
    years = {g.group: g for g in summarise_groups(t, "year")}
    assert years["2019"].vs_previous_year == ()
    prev = {c.key: c for c in years["2020"].vs_previous_year}
    assert (prev["solved_of_all"].current.numerator, prev["solved_of_all"].current.denominator) == (1, 2)
    assert (prev["solved_of_all"].baseline.numerator, prev["solved_of_all"].baseline.denominator) == (1, 1)
    assert years["2024"].cases == 7  # the June case counts in its year


def test_trend_gives_earlier_years_the_same_follow_up() -> None:
    """Same solving in both years (half the January cases, a quarter within 30 days, a quarter after
    200), but the ledger's status date is 15 February 2024: 2024's late solvings have not happened
    yet. Counted as the ledger stood on 15 February 2023, 2023 solved a quarter too, not a half."""
    rows, solved_at = [], []
    for year in (2023, 2024):
        for i in range(8):
            occurred = dt.date(year, 1, 2 + i)
            late = i in (2, 3)
            happened = i in (0, 1) or (late and year == 2023)
            rows.append((f"{year}-{i}", "theft", occurred.isoformat(), happened, False, "none"))
            when = occurred + dt.timedelta(days=200 if late else 20)
            solved_at.append(np.datetime64(when, "s") if happened else np.datetime64("NaT"))
    rows.append(("status", "theft", "2024-02-15", False, False, "none"))  # the latest record
    solved_at.append(np.datetime64("NaT"))
    t = table(rows, solved_at=np.array(solved_at, dtype="datetime64[s]"))
    assert status_date(t) == dt.date(2024, 2, 15)
    tr = trend(t, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert tr.status_date == dt.date(2024, 2, 15)
    yoy = {c.key: c for c in tr.year_on_year}
    assert (yoy["solved_of_all"].current.numerator, yoy["solved_of_all"].current.denominator) == (2, 8)
    assert (yoy["solved_of_all"].baseline.numerator, yoy["solved_of_all"].baseline.denominator) == (2, 8)
    assert yoy["solved_of_all"].difference.estimate == pytest.approx(0.0)
    pool = {c.key: c for c in tr.vs_baseline}
    assert pool["solved_of_all"].baseline.numerator == 2
    # with no solving dates at all, nothing can be equalised: solved cases stay solved
    plain = trend(table(rows), dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert {c.key: c for c in plain.year_on_year}["solved_of_all"].baseline.numerator == 4


def test_between_includes_both_days() -> None:
    t = table(TEN)
    assert int(between(t, dt.date(2024, 2, 1), dt.date(2024, 3, 1)).sum()) == 3


def test_groups_and_cameras() -> None:
    cams = (("A", "B"), ("A",), (), (), ("B",), ("C",), (), (), (), ())
    t = table(TEN, cameras=cams)
    stats = ledger_stats(t, by="month", registered=frozenset({"A"}), as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert [g.group for g in stats.groups] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert [g.cases for g in stats.groups] == [2, 2, 3, 3]
    per = camera_contributions(t, frozenset({"A"}))
    assert [(c.camera_ref, c.registered, c.cases_linked, c.cases_contributed, c.solved_contributed) for c in per] == [
        ("A", True, 2, 2, 2),
        ("B", False, 2, 2, 1),
        ("C", False, 1, 0, 0),
    ]
    assert stats.cameras == per


def test_case_table_rejects_ragged_columns() -> None:
    with pytest.raises(ValueError, match="column 'solved' has 1 rows, expected 2 like case_id"):
        table(TEN[:2], solved=np.array([True]))


def test_stats_period_filter() -> None:
    stats = ledger_stats(table(TEN), start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30))
    assert stats.cases == 6
    assert not math.isnan(stats.measures[1].proportion.value or math.nan)


def test_claim_check_against_the_interval() -> None:
    # 8/10 has the interval [0.4902, 0.9433]
    p = wilson(8, 10)
    assert check_claim(p, 0.95).verdict == "above"
    assert check_claim(p, 0.9).verdict == "within"
    assert check_claim(p, 0.45).verdict == "below"
    assert check_claim(wilson(0, 0), 0.8).verdict == "no data"
    with pytest.raises(ValueError, match="between 0 and 1, got 80"):
        check_claim(p, 80)
    stats = ledger_stats(table(TEN), claim=0.8, as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert stats.claim is not None and stats.claim.proportion.numerator == 3 and stats.claim.verdict == "within"


def test_wilson_agrees_with_scipy() -> None:
    from scipy.stats import binomtest

    for n in (1, 2, 7, 30, 251):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            p = wilson(k, n)
            assert (p.low, p.high) == (pytest.approx(ci.low, abs=1e-9), pytest.approx(ci.high, abs=1e-9)), (
                k,
                n,
            )
