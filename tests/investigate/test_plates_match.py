import pytest

from xueliang.errors import InputError
from xueliang.investigate.plates_match import EXACT_SCORE, ONE_OFF_SCORE, PARTIAL_SCORE, parse_plate_pattern


@pytest.mark.parametrize(
    ("pattern", "plate", "score"),
    [
        ("晋M*12*", "晋MA1234", 1.0),
        ("晋M*12*", "晋M12345", 1.0),
        ("晋M*12*", "晋MAB312", 1.0),
        ("晋M*12*", "晋NA1234", ONE_OFF_SCORE),  # province letter misread
        ("晋M*12*", "京NA1234", 0.0),  # two off
        ("晋M*12*", "晋MA3256", ONE_OFF_SCORE),  # "12" read as "32": one off
        ("晋M*12*", "晋MA3456", 0.0),  # no "1?" or "?2" run
        ("晋MA1234", "晋MA1234", 1.0),
        ("晋MA1234", "晋MA1284", ONE_OFF_SCORE),
        ("晋MA1234", "晋MA12345", 0.0),  # no wildcard: length must match
        ("晋MA?234", "晋MAX234", 1.0),
        ("*1234", "晋MA1234", 1.0),
        ("*1234", "晋MA1233", ONE_OFF_SCORE),
        ("晋ma1234", "晋MA1234", 1.0),  # letters upper-cased
        ("晋MA1234", None, 0.0),
    ],
)
def test_pattern_scores(pattern: str, plate: str | None, score: float) -> None:
    assert parse_plate_pattern(pattern).score(plate) == score


def test_exact_only_when_edits_zero() -> None:
    p = parse_plate_pattern("晋MA1234", max_edits=0)
    assert p.score("晋MA1284") == 0.0
    assert p.like_patterns() == sorted(["晋MA1234", "%*%"])  # and every stored partial plate


def test_like_patterns_cover_one_off() -> None:
    p = parse_plate_pattern("晋M*1")
    assert p.like_patterns() == sorted({"晋M%1", "_M%1", "晋_%1", "晋M%_", "%*%"})


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty string"),
        ("晋M[12", r"got '\[' in '晋M\[12'"),
        ("晋M%12", "got '%'"),
        ("***", "at least one plate character"),
        ("晋MA12345678901", "at most 10 plate characters"),
        ("'; DROP TABLE sightings; --", 'got "\'"'),
    ],
)
def test_malformed_patterns_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_plate_pattern(pattern)


def test_prefix_range_contains_every_exact_match() -> None:
    p = parse_plate_pattern("晋MA*9", max_edits=0)
    lo, hi = p.prefix_range() or ("", "")
    for plate in ("晋MA1239", "晋MA9", "晋MAZZZZ9"):
        assert p.score(plate) == 1.0 and lo <= plate < hi
    assert not (lo <= "晋MB1239" < hi)
    assert parse_plate_pattern("*12").prefix_range() is None


def test_short_patterns_match_exactly_only() -> None:
    p = parse_plate_pattern("京*")
    assert p.max_edits == 0
    assert p.score("京A12345") == 1.0 and p.score("晋A12345") == 0.0


def test_partial_plates_match_patterns_that_agree() -> None:
    full = parse_plate_pattern("粤B6R678")
    assert full.score("粤B6R*") == full.score("*6R678") == PARTIAL_SCORE  # half-covered plates
    assert full.score("粤B7*") == 0.0 and full.score("*6R679") == 0.0
    assert parse_plate_pattern("粤B*").score("粤B6R*") == PARTIAL_SCORE
    assert parse_plate_pattern("粤B?R*").score("粤B6R*") == PARTIAL_SCORE
    assert parse_plate_pattern("*678").score("*6R678") == PARTIAL_SCORE
    # too little overlap to say anything: a pattern of the plate's middle, or one character
    assert parse_plate_pattern("*12*").score("粤B6R*") == 0.0
    assert parse_plate_pattern("粤*").score("粤B6R*") == 0.0
    # a partial plate ranks below an exact and a one-off match
    assert PARTIAL_SCORE < ONE_OFF_SCORE < EXACT_SCORE
