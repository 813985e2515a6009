"""OSM camera nodes are community data: unusable tags are left unknown and listed, the camera kept."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from geo.cameras import read_camera_file, read_cameras
from geo.osm_cameras import parse_direction, parse_length_m
from xueliang.errors import InputError

from .osm_xml import OsmXml, camera


def extract(tmp_path: Path, *nodes: tuple[float | str, float | str, dict[str, str]]) -> Path:
    x = OsmXml()
    x.grid(113.0, 28.0)
    for lon, lat, tags in nodes:
        x.node(lon, lat, camera(tags))
    return x.write(tmp_path / "town.osm")


def test_bare_surveillance_node_is_a_camera_of_unknown_direction(tmp_path: Path) -> None:
    # GDAL gives other_tags as NULL for a node with no tag but man_made: this crashed parse_other_tags
    read = read_camera_file(extract(tmp_path, (113.0005, 28.0005, {})))
    (cam,) = read.cameras
    assert cam.heading_deg is None and cam.tilt_deg is None and cam.name is None
    assert read.notes == ()


def test_field_of_view_in_camera_angle_leaves_tilt_unknown_and_keeps_the_town(tmp_path: Path) -> None:
    read = read_camera_file(
        extract(
            tmp_path,
            (113.0005, 28.0005, {"camera:angle": "120", "camera:direction": "90"}),
            (113.0006, 28.0005, {"camera:angle": "15"}),
        )
    )
    a, b = read.cameras
    assert (a.tilt_deg, a.heading_deg, b.tilt_deg) == (None, 90.0, 15.0)
    (note,) = read.notes
    assert (note.field, note.value, note.rejected) == ("camera:angle", "120", False)
    assert "field of view" in note.action


def test_direction_pair_becomes_one_view_per_direction(tmp_path: Path) -> None:
    # Moscow's node 7070465827 is mapped camera:direction=NW;SE: the import used to abort on it
    read = read_camera_file(extract(tmp_path, (113.0005, 28.0005, {"camera:direction": "NW;SE"})))
    assert [(c.id.rsplit("-", 1)[1], c.heading_deg) for c in read.cameras] == [("1", 315.0), ("2", 135.0)]
    assert read.noted_records == 1 and read.rejected_records == 0


def test_direction_range_becomes_one_sector(tmp_path: Path) -> None:
    (cam,) = read_cameras(extract(tmp_path, (113.0005, 28.0005, {"camera:direction": "300-60"})))
    assert (cam.heading_deg, cam.fov_deg) == (0.0, 120.0)


@pytest.mark.parametrize(
    ("value", "views", "bad"),
    [
        ("NW", [(315.0, None)], []),
        ("0;180", [(0.0, None), (180.0, None)], []),
        ("90-180", [(135.0, 90.0)], []),
        ("45°", [(45.0, None)], []),
        ("400", [], ["400"]),
        ("north", [], ["north"]),
        ("E;sky", [(90.0, None)], ["sky"]),
        ("0-360", [(180.0, 360.0)], []),
    ],
)
def test_parse_direction(value: str, views: list[tuple[float, float | None]], bad: list[str]) -> None:
    got, unusable = parse_direction(value)
    assert [(v.heading_deg, v.fov_deg) for v in got] == views
    assert unusable == bad


@pytest.mark.parametrize(
    ("value", "metres"), [("5", 5.0), ("5 m", 5.0), ("5m", 5.0), ("10 ft", 3.048), ("abc", None), ("900", None)]
)
def test_parse_length(value: str, metres: float | None) -> None:
    assert parse_length_m(value) == (pytest.approx(metres) if metres is not None else None)


def test_unusable_tags_are_reported_with_node_tag_value_and_action(tmp_path: Path) -> None:
    read = read_camera_file(
        extract(
            tmp_path,
            (113.0005, 28.0005, {"camera:direction": "up", "height": "tall", "camera:type": "hidden"}),
            (113.0006, 28.0005, {"height": "5 m", "camera:mount": "pole"}),
        )
    )
    a, b = read.cameras
    assert (a.heading_deg, a.height_m, a.kind) == (None, None, "unknown")
    assert (b.height_m, b.mount) == (5.0, "pole")
    fields = {(n.record.split()[0], n.field, n.value) for n in read.notes}
    assert fields == {
        ("node", "camera:direction", "up"),
        ("node", "height", "tall"),
        ("node", "camera:type", "hidden"),
        ("node", "height", "5 m"),
    }
    assert read.noted_records == 2


def test_unparsable_coordinates_are_rejected_not_stored_at_zero(tmp_path: Path) -> None:
    read = read_camera_file(
        extract(tmp_path, ("xyz", "abc", {}), (113.0, "", {}), (113.0005, 28.0005, {}), (0, 0, {"name": "zero"}))
    )
    assert [c.id for c in read.cameras] == ["osm-12"]  # nodes 1-9 are the streets
    assert read.rejected_records == 3
    reasons = [n.action for n in read.notes if n.rejected]
    assert "lat='abc' is not a number: rejected" in reasons and "lat='' is not a number: rejected" in reasons


def test_guards_are_not_cameras(tmp_path: Path) -> None:
    read = read_camera_file(
        extract(tmp_path, (113.0005, 28.0005, {"surveillance:type": "guard"}), (113.0006, 28.0005, {}))
    )
    assert len(read.cameras) == 1
    assert read.reasons() == {"not a camera: skipped": 1}


def test_import_cli_counts_decisions_and_writes_the_report(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from xueliang.cli import cli

    osm = extract(
        tmp_path,
        (113.0005, 28.0005, {"camera:angle": "120"}),
        (113.0006, 28.0005, {"camera:direction": "NW;SE"}),
        ("x", "y", {}),
    )
    res = CliRunner().invoke(
        cli, ["cameras", "import", str(osm), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--report", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    report = tmp_path / "import_report.csv"
    assert f"2 cameras with unusable tags: see {report}" in res.output
    assert "3 added" in res.output  # one camera and a pair of views
    rows = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert [(r["record"], r["field"], r["outcome"]) for r in rows] == [
        ("node 10", "camera:angle", "kept"),
        ("node 11", "camera:direction", "kept"),
        ("node 12", "lon/lat", "rejected"),
    ]


def test_bz2_extract_is_read(tmp_path: Path) -> None:
    import bz2

    src = extract(tmp_path, (113.0005, 28.0005, {}))
    packed = tmp_path / "town.osm.bz2"
    packed.write_bytes(bz2.compress(src.read_bytes()))
    assert len(read_cameras(packed)) == 1
    broken = tmp_path / "broken.osm.bz2"
    broken.write_bytes(b"not bzip2")
    with pytest.raises(InputError, match=r"broken\.osm\.bz2: not a readable compressed file"):
        read_cameras(broken)
