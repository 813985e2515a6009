"""Attribute, plate, time, camera and place filters on generated sightings with planted answers."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.investigate.conftest import at
from vision.synth import SynthWorld, plant
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.plates_match import parse_plate_pattern
from xueliang.investigate.search import (
    Place,
    SightingQuery,
    TimeWindow,
    camera_positions,
    cameras_near,
    run_query,
    search,
)
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def count_sightings(db: Database) -> int:
    with db.engine.connect() as c:
        return int(c.execute(sa.text("select count(*) from sightings")).scalar_one())


def test_attribute_time_camera_query_returns_exactly_the_matching_rows(db: Database, world: SynthWorld) -> None:
    cams = world.camera_ids[3:6]
    w = TimeWindow(at(2), at(40))
    q = SightingQuery(colours=("white",), vehicle_types=("suv",), camera_ids=cams, window=w)
    got = run_query(db, q)
    with db.engine.connect() as c:
        rows = c.execute(
            sa.text(
                "select id, first_seen, last_seen from sightings where colour='white' and vehicle_type='suv' "
                "and camera_id in (:a, :b, :c)"
            ),
            dict(zip("abc", cams, strict=True)),
        ).all()

    want = sorted(r.id for r in rows if utc_parse(r.last_seen) >= w.start and utc_parse(r.first_seen) <= w.end)
    assert want, "the generated world must have matches for this test to mean something"
    assert sorted(h.sighting_id for h in got.hits) == want
    assert all(h.colour == "white" and h.vehicle_type == "suv" and h.camera_id in cams for h in got.hits)
    assert [h.first_seen for h in got.hits] == sorted(h.first_seen for h in got.hits)


def utc_parse(v: object) -> object:
    import datetime as dt

    t = v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t


def test_plate_pattern_finds_exact_then_one_off_and_nothing_else(db: Database, world: SynthWorld) -> None:
    cam = world.camera_ids[0]
    exact = plant(db, world, at=[(cam, at(1))], plate_state="visible", plate_text="晋MA1299")
    exact2 = plant(db, world, at=[(cam, at(3))], plate_state="visible", plate_text="晋MB7120")
    near = plant(db, world, at=[(cam, at(2))], plate_state="visible", plate_text="晋NA1299")  # one off
    far = plant(db, world, at=[(cam, at(2))], plate_state="visible", plate_text="苏NA3456")
    got = run_query(db, SightingQuery(plate=parse_plate_pattern("晋M*12*"), sort="score"))
    ids = [h.sighting_id for h in got.hits]
    for i in exact + exact2 + near:
        assert i in ids
    assert far[0] not in ids
    scores = {h.sighting_id: h.score for h in got.hits}
    assert scores[exact[0]] == scores[exact2[0]] == 1.0 and scores[near[0]] == 0.5
    first_one_off = next(k for k, h in enumerate(got.hits) if h.score < 1.0)
    assert all(h.score == 1.0 for h in got.hits[:first_one_off])
    # every returned plate really matches
    p = parse_plate_pattern("晋M*12*")
    assert all(p.score(h.plate_text) > 0 for h in got.hits)
    strict = run_query(db, SightingQuery(plate=parse_plate_pattern("晋M*12*", max_edits=0)))
    assert near[0] not in [h.sighting_id for h in strict.hits]


def test_covered_plate_filter(db: Database, world: SynthWorld) -> None:
    got = run_query(db, SightingQuery(plate_states=("covered",), colours=("white",), limit=10_000))
    assert got.hits and all(h.plate_state == "covered" and h.colour == "white" for h in got.hits)


def test_near_selects_cameras_by_distance(db: Database, world: SynthWorld) -> None:
    pos = camera_positions(db)
    lon, lat = pos[world.camera_ids[5]]
    assert cameras_near(pos, Place(lon, lat, 100)) == (world.camera_ids[5],)
    assert len(cameras_near(pos, Place(lon, lat, 520))) == 5  # itself and the 4 neighbours at 500 m
    got = run_query(db, SightingQuery(near=Place(lon, lat, 100), window=TimeWindow(at(0), at(6))))
    assert got.hits and {h.camera_id for h in got.hits} == {world.camera_ids[5]}


def test_limit_and_truncation(db: Database, world: SynthWorld) -> None:
    got = run_query(db, SightingQuery(limit=5))
    assert len(got.hits) == 5 and got.truncated


def test_search_writes_audit_and_case_query(db: Database, world: SynthWorld) -> None:
    res = search(db, SightingQuery(colours=("red",), limit=3), actor="inspector-li", case_id="C-1")
    log = db.audit_log()
    assert log[0].actor == "inspector-li" and log[0].action == "search" and log[0].result_count == len(res.hits)
    q = json.loads(log[0].query)
    assert q["colours"] == ["red"] and q["case"] == "C-1"
    with db.engine.connect() as c:
        n = c.execute(sa.text("select count(*) from search_case_queries where case_id='C-1'")).scalar_one()
    assert n == 1


def test_case_query_log_is_append_only(db: Database, world: SynthWorld) -> None:
    search(db, SightingQuery(limit=1), actor="a", case_id="C-2")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as c:
        c.execute(sa.text("delete from search_case_queries"))
    if db.engine.dialect.name == "postgresql":  # TRUNCATE skips row triggers; SQLite has no TRUNCATE
        for table in ("search_case_queries", "search_reviews"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as c:
                c.execute(sa.text(f"truncate {table} cascade"))


def test_audit_log_is_append_only(db: Database, world: SynthWorld) -> None:
    search(db, SightingQuery(limit=1), actor="a")
    for sql in ("delete from audit_log", "update audit_log set actor = 'someone else'"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as c:
            c.execute(sa.text(sql))
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as c:
            c.execute(sa.text("truncate audit_log"))
    assert [a.actor for a in db.audit_log()] == ["a"]


@pytest.mark.parametrize(
    ("make", "exc", "message"),
    [
        (lambda: Place.parse("112.5,37.8,0"), InputError, "radius > 0 metres, got 0"),
        (lambda: Place.parse("112.5,37.8,-5"), InputError, "radius > 0 metres, got -5"),
        (lambda: Place.parse("112.5,37.8"), InputError, "expected LON,LAT,METRES"),
        (lambda: Place.parse("east,37.8,10"), InputError, "three numbers"),
        (lambda: Place.parse("200,37.8,10"), InputError, "lon in -180..180"),
        (lambda: TimeWindow(at(5), at(1)), InputError, "end after the start"),
        (lambda: SightingQuery(sort="colour"), InputError, "'time' or 'score'"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_messages(make: object, exc: type[Exception], message: str) -> None:
    with pytest.raises(exc, match=message):
        make()  # type: ignore[operator]


def test_unknown_camera_is_named(db: Database, world: SynthWorld) -> None:
    with pytest.raises(NotFoundError, match="unknown 'cam-9999'"):
        run_query(db, SightingQuery(camera_ids=("cam-9999",)))


def test_hostile_text_cannot_change_data(db: Database, world: SynthWorld) -> None:
    before = count_sightings(db)
    hostile = "x'); DELETE FROM sightings; --"
    assert run_query(db, SightingQuery(colours=(hostile,))).hits == ()
    with pytest.raises(NotFoundError):
        run_query(db, SightingQuery(camera_ids=(hostile,)))
    search(db, SightingQuery(vehicle_types=(hostile,)), actor=hostile, case_id="C-3")
    assert count_sightings(db) == before


def test_plate_with_window_and_filters_equals_brute_force(db: Database, world: SynthWorld) -> None:
    """The two-step plate + window path returns exactly what filtering every row by hand returns."""
    p = parse_plate_pattern("京*12*")  # 3 fixed characters: one-off variants too
    assert p.max_edits == 1
    w = TimeWindow(at(3), at(30))
    got = run_query(db, SightingQuery(plate=p, window=w, colours=("white", "black"), limit=100_000))
    with db.engine.connect() as c:
        rows = c.execute(sa.text("select id, first_seen, last_seen, colour, plate_text from sightings")).all()
    want = sorted(
        r.id
        for r in rows
        if p.score(r.plate_text) > 0
        and r.colour in ("white", "black")
        and utc_parse(r.first_seen) <= w.end
        and utc_parse(r.last_seen) >= w.start
    )
    assert want and sorted(h.sighting_id for h in got.hits) == want


def test_exact_plate_prefix_is_found_whatever_the_collation(db: Database, world: SynthWorld) -> None:
    """An exact pattern narrows by a prefix range; the range must hold in code-point order, also on a
    PostgreSQL database whose collation sorts 渝 (yu) after 渞 or Z after [ (zh-Hans-CN, en-US)."""
    cam = world.camera_ids[0]
    plates = ["渝A12345", "晋MZ1234", "晋M91234", "黑A00001"]
    planted = {p: plant(db, world, at=[(cam, at(1))], plate_state="visible", plate_text=p)[0] for p in plates}
    for pattern, plate in [("渝A*", "渝A12345"), ("晋MZ*", "晋MZ1234"), ("晋M9*", "晋M91234"), ("黑*", "黑A00001")]:
        got = run_query(db, SightingQuery(plate=parse_plate_pattern(pattern, max_edits=0), limit=100_000))
        assert planted[plate] in [h.sighting_id for h in got.hits], pattern


def test_overlong_actor_is_refused_before_anything_is_written(db: Database, db_url: str, world: SynthWorld) -> None:
    """The audit log keeps names of up to 100 characters (PostgreSQL enforces it; SQLite would store more)."""
    from click.testing import CliRunner

    from xueliang.cli import cli

    r = CliRunner().invoke(cli, ["search", "--colour", "white", "--actor", "a" * 101, "--db", db_url])
    assert r.exit_code == 2 and "--actor: expected a name of 1-100 characters, got 101" in r.output, r.output
    assert db.audit_log() == []
    r = CliRunner().invoke(cli, ["search", "--colour", "white", "--actor", "a" * 100, "--db", db_url])
    assert r.exit_code == 0, r.output
    assert [a.actor for a in db.audit_log()] == ["a" * 100]


def test_library_search_checks_the_actor_and_trims_the_case_id(db: Database, world: SynthWorld) -> None:
    """Callers of the library get the same checks as the CLI: an overlong actor writes nothing (no
    case, no case query, no audit row); a case id with spaces links its query to the trimmed case."""
    from xueliang.investigate.tables import CaseQueryRow, SearchCaseRow

    q = SightingQuery(colours=("white",), limit=10)
    with pytest.raises(InputError, match="actor: expected a name of 1-100 characters, got 101"):
        search(db, q, actor="a" * 101, case_id="C-1")
    with db.sessions() as s:
        assert s.scalars(sa.select(SearchCaseRow)).all() == []
        assert s.scalars(sa.select(CaseQueryRow)).all() == []
    assert db.audit_log() == []
    search(db, q, actor="ina", case_id="  C-1 ")
    with db.sessions() as s:
        assert [c.case_id for c in s.scalars(sa.select(SearchCaseRow))] == ["C-1"]
        assert [r.case_id for r in s.scalars(sa.select(CaseQueryRow))] == ["C-1"]
    assert json.loads(db.audit_log()[0].query)["case"] == "C-1"


def test_plate_state_rejects_unknown_values_and_lists_the_valid_ones() -> None:
    with pytest.raises(InputError, match=r"expected one of visible, covered, absent, unknown, hidden .*got 'coverd'"):
        SightingQuery(plate_states=("coverd",))
    assert SightingQuery(plate_states=("hidden",)).plate_states == ("absent", "covered")
    assert SightingQuery(plate_states=("Covered", "hidden")).plate_states == ("absent", "covered")


def test_hidden_finds_covered_and_absent_plates(db: Database, world: SynthWorld) -> None:
    got = run_query(db, SightingQuery(plate_states=("hidden",), limit=10_000))
    states = {h.plate_state for h in got.hits}
    assert states == {"covered", "absent"}
    n_cov = len(run_query(db, SightingQuery(plate_states=("covered",), limit=10_000)).hits)
    n_abs = len(run_query(db, SightingQuery(plate_states=("absent",), limit=10_000)).hits)
    assert len(got.hits) == n_cov + n_abs


def test_partial_plates_are_found_by_a_full_plate_pattern(db: Database, world: SynthWorld) -> None:
    cam = world.camera_ids[0]
    start = plant(db, world, at=[(cam, at(1))], plate_state="covered", plate_text="粤B6R*")
    end = plant(db, world, at=[(cam, at(2))], plate_state="covered", plate_text="*6R678")
    other = plant(db, world, at=[(cam, at(2))], plate_state="covered", plate_text="粤B7*")
    full = plant(db, world, at=[(cam, at(3))], plate_state="visible", plate_text="粤B6R678")
    for max_edits in (0, 1):
        got = run_query(db, SightingQuery(plate=parse_plate_pattern("粤B6R678", max_edits=max_edits), sort="score"))
        scores = {h.sighting_id: h.score for h in got.hits}
        assert scores[full[0]] == 1.0
        assert scores[start[0]] == scores[end[0]] == 0.4
        assert other[0] not in scores
        assert got.hits[0].sighting_id == full[0]  # a partial plate ranks below the whole plate


def test_cli_plate_state_typo_fails_naming_the_valid_states(db: Database, db_url: str, world: SynthWorld) -> None:
    from click.testing import CliRunner

    from xueliang.cli import cli

    bad = CliRunner().invoke(cli, ["search", "--db", db_url, "--plate-state", "coverd", "--actor", "li"])
    assert bad.exit_code == 2
    assert "expected one of visible, covered, absent, unknown, hidden (= covered or absent), got 'coverd'" in bad.output
    assert "Traceback" not in bad.output
    ok = CliRunner().invoke(cli, ["search", "--db", db_url, "--plate-state", "hidden", "--json", "--actor", "li"])
    assert ok.exit_code == 0, ok.output
    assert {h["plate_state"] for h in json.loads(ok.output)["hits"]} == {"covered", "absent"}
