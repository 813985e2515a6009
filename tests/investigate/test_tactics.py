"""Each tactic against the planted truths of a generated city (DuckDB), and its parameter checks."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tests.investigate.conftest import window
from xueliang.errors import InputError
from xueliang.investigate.passes_generate import City
from xueliang.investigate.tactics import run
from xueliang.investigate.tactics.engines import DuckEngine

TARGET = 0.95


def precision_recall(found: Iterable[object], truth: Iterable[object]) -> tuple[float, float]:
    got, want = set(found), set(truth)
    assert want, "the city planted nothing to find"
    hit = len(got & want)
    return (hit / len(got) if got else 0.0), hit / len(want)


def check(found: Iterable[object], truth: Iterable[object]) -> None:
    p, r = precision_recall(list(found), list(truth))
    assert p >= TARGET and r >= TARGET, f"precision {p:.2f}, recall {r:.2f}"


def test_cloned_plates_by_speed_and_attributes(duck: DuckEngine, city: City) -> None:
    res = run.cloned_plates(duck)
    check((h.key for h in res.hits), city.truths.cloned_plates)
    for h in res.hits:
        assert h.measures["reasons"] == "attributes,speed"
        assert float(h.measures["max_kmh"]) > 150
        assert len(h.pass_ids) >= 2
    speed_only = run.cloned_plates(duck, attributes=False)
    check((h.key for h in speed_only.hits), city.truths.cloned_plates)
    # the fast decoys drive 110-135 km/h: a 100 km/h limit flags them too
    assert len(run.cloned_plates(duck, max_kmh=100, attributes=False).hits) > len(speed_only.hits)


def test_companions_ranked_by_days(duck: DuckEngine, city: City) -> None:
    (target, truth), *_ = city.truths.companions.items()
    res = run.companions(duck, plate=target)
    check((h.key for h in res.hits), truth)
    days = [int(h.measures["days"]) for h in res.hits]
    assert days == sorted(days, reverse=True) and days[0] >= 2
    assert target not in {h.key for h in res.hits}


def test_companions_default_days_grow_with_the_window() -> None:
    """Over 120 days a fixed 2 days together lets chance co-travellers in; the default asks one day per
    30 the target was seen (4 here) and keeps precision and recall (the year: bench/tactics.py)."""
    import pyarrow as pa

    from xueliang.investigate.passes_generate import plan_city
    from xueliang.investigate.tactics.columnar import city_plates, passes_from_city, with_previous

    plan = plan_city(checkpoints=100, vehicles=400, days=120, seed=11)
    parts, n = [], 0
    for rows in plan.days():
        parts.append(passes_from_city(plan, rows, first_id=n + 1))
        n += len(rows[1])
    e = DuckEngine(table=with_previous(pa.concat_tables(parts)), plates=city_plates(plan).table(), threads=2)
    try:
        (target, truth), *_ = plan.truths.companions.items()
        res = run.companions(e, plate=target)
        assert res.params["min_days"] == run.companion_min_days(120) == 4
        check((h.key for h in res.hits), truth)
        fixed = {h.key for h in run.companions(e, plate=target, min_days=2).hits}
        assert fixed > set(truth)  # strangers met on 2 of 120 days
        assert run.companion_min_days(8) == 2 and run.companion_min_days(365) == 13
    finally:
        e.close()


def test_first_entry(duck: DuckEngine, city: City) -> None:
    t = city.truths
    res = run.first_entry(duck, entry_cameras=t.entry_cameras, window=window(t.first_entry_window))
    check((h.key for h in res.hits), t.first_entries)
    assert all(h.camera_id in t.entry_cameras and len(h.pass_ids) == 1 for h in res.hits)
    # a look-back window reaching nothing makes every plate passing an entry new
    short = run.first_entry(
        duck, entry_cameras=t.entry_cameras, window=window(t.first_entry_window), lookback_days=1e-6
    )
    assert len(short.hits) > len(res.hits)


def test_footholds(duck: DuckEngine, city: City) -> None:
    (plate, truth), *_ = city.truths.footholds.items()
    res = run.footholds(duck, plate=plate)
    check((h.camera_id for h in res.hits), truth)
    assert all(int(h.measures["trip_ends"]) >= city.truths.days - 1 for h in res.hits)
    # a radius spanning the city clusters home and work into one foothold
    assert len(run.footholds(duck, plate=plate, radius_m=100_000).hits) == 1


def test_nocturnal(duck: DuckEngine, city: City) -> None:
    res = run.nocturnal(duck)
    check((h.key for h in res.hits), city.truths.nocturnal)
    assert all(float(h.measures["night_share"]) >= 0.8 for h in res.hits)


def test_frequent(duck: DuckEngine, city: City) -> None:
    t = city.truths
    res = run.frequent(duck, window=window(t.frequent_window))
    check(((h.plates[0], h.camera_id) for h in res.hits), t.frequent)
    assert all(int(h.measures["passes"]) >= 8 for h in res.hits)
    plate, camera = t.frequent[0]
    area = run.frequent(duck, window=window(t.frequent_window), area_cameras=[camera], min_passes=12)
    assert plate in {h.key.split("@")[0] for h in area.hits}


def test_area_collision(duck: DuckEngine, city: City) -> None:
    scenes = [run.SceneCameras((s.camera_id,), window((s.start, s.end))) for s in city.truths.scenes]
    res = run.area_collision(duck, scenes=scenes, k=2)
    check((h.key for h in res.hits), city.truths.area_plates)
    detailed = run.with_passes(duck, res)
    assert {p.id for p in detailed.passes} == set(res.pass_ids)
    assert all(p.camera_id in {s.camera_id for s in city.truths.scenes} for p in detailed.passes)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: run.cloned_plates(e, max_kmh=0), "'--max-kmh'|--max-kmh: expected a number > 0, got 0"),
        (lambda e: run.companions(e, plate="晋A12345", k=0), "-k: expected a whole number > 0, got 0"),
        (lambda e: run.first_entry(e, entry_cameras=["kk-0000"], window=run.Window()), "expected both ends"),
        (lambda e: run.nocturnal(e, night_start_h=6, night_end_h=22), "expected START > END hours"),
        (lambda e: run.nocturnal(e, min_share=1.5), "expected a share in (0, 1], got 1.5"),
        (lambda e: run.area_collision(e, scenes=[], k=2), "expected 1..0 (the number of scenes), got 2"),
    ],
)
def test_bad_parameters_are_one_clear_error(duck: DuckEngine, call: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        call(duck)  # type: ignore[operator]
    assert any(m in str(err.value) for m in message.split("|"))
