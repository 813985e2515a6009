import json
from pathlib import Path

import pytest

from geo.cameras import fov_from_lens, read_cameras
from geo.gbt28181 import parse_device_id
from xueliang.errors import InputError, SchemaError

from ..conftest import shared_file

HEADER = "camera_id,lon,lat,heading,fov,resolution,kind\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_reads_fields_and_keeps_unknown_direction(tmp_path: Path) -> None:
    p = write(tmp_path, "c.csv", HEADER + "A,113.0,28.0,45,60,1920,bullet\nB,113.001,28.0,,,,dome\n")
    a, b = read_cameras(p)
    assert (a.id, a.heading_deg, a.fov_deg, a.resolution_px, a.kind) == ("A", 45, 60, 1920, "bullet")
    assert b.heading_deg is None and b.omni


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("A,113,28,400,60,1920,bullet", r"c.csv: line 2: 'heading': must be 0-360 degrees, got 400"),
        ("A,113,28,10,0,1920,bullet", r"line 2: 'fov': field of view must be more than 0"),
        ("A,213,28,10,60,1920,bullet", r"'lon': must be -180-180 degrees longitude, got 213"),
        ("A,113,28,north,60,1920,bullet", r"'heading': expected a number \(degrees\), got 'north'"),
        ("A,113,28,10,60,1920,tripod", r"'kind': expected one of bullet, dome, ptz"),
    ],
)
def test_csv_bad_values_name_file_row_field(tmp_path: Path, row: str, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        read_cameras(write(tmp_path, "c.csv", HEADER + row + "\n"))


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    p = write(tmp_path, "c.csv", HEADER + "A,113,28,1,60,1920,bullet\nA,113,28,2,60,1920,bullet\n")
    with pytest.raises(SchemaError, match=r"line 3: 'id': duplicate camera id 'A' \(first at line 2\)"):
        read_cameras(p)


def test_gbk_csv(tmp_path: Path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes("camera_id,name,lon,lat\nA,人民路口,113,28\n".encode("gbk"))
    assert read_cameras(p)[0].name == "人民路口"


def test_focal_length_and_sensor_give_fov(tmp_path: Path) -> None:
    assert fov_from_lens(4.0, 5.6) == pytest.approx(69.98, abs=0.01)
    p = write(tmp_path, "c.csv", "id,lon,lat,focal_mm,sensor_width_mm\nA,113,28,4,5.6\n")
    assert read_cameras(p)[0].fov_deg == pytest.approx(69.98, abs=0.01)


def test_gbt28181_ids() -> None:
    d = parse_device_id("43010200001320000001")
    assert (d.admin_code, d.type_code, d.network, d.type_name) == ("43010200", 132, 0, "IPC")
    with pytest.raises(ValueError, match="must be 20 digits"):
        parse_device_id("4301020000132000001")
    with pytest.raises(ValueError, match=r"province code.*got 99"):
        parse_device_id("99010200001320000001")
    with pytest.raises(ValueError, match=r"front-end device type 111-199.*got 200"):
        parse_device_id("43010200002000000001")
    with pytest.raises(ValueError, match=r"digit 14 \(network\) must be 0-8, got 9"):
        parse_device_id("43010200001329000001")


def test_malformed_gb_id_in_file(tmp_path: Path) -> None:
    p = write(tmp_path, "c.csv", "id,gb_id,lon,lat\nA,43010200002000000001,113,28\n")
    with pytest.raises(SchemaError, match=r"c.csv: line 2: 'gb_id': .*digits 11-13"):
        read_cameras(p)


def fc(features: list[object], **extra: object) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features, **extra})


def test_geojson_errors_name_feature_and_field(tmp_path: Path) -> None:
    good = {"type": "Feature", "properties": {"id": "A"}, "geometry": {"type": "Point", "coordinates": [113, 28]}}
    broken = {"type": "Feature", "properties": {"id": "B"}, "geometry": {"type": "Point", "coordinates": [113]}}
    with pytest.raises(SchemaError, match=r"g.geojson: feature 1: 'geometry.coordinates': expected \[x, y\]"):
        read_cameras(write(tmp_path, "g.geojson", fc([good, broken])))
    line = {
        "type": "Feature",
        "properties": {"id": "B"},
        "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
    }
    with pytest.raises(SchemaError, match=r"feature 1: 'geometry': expected a Point geometry, got 'LineString'"):
        read_cameras(write(tmp_path, "g.geojson", fc([good, line])))
    projected = {
        "type": "Feature",
        "properties": {"id": "C"},
        "geometry": {"type": "Point", "coordinates": [512000, 3120000]},
    }
    with pytest.raises(SchemaError, match=r"feature 0: 'geometry': coordinates .* not lon/lat .* declares no 'crs'"):
        read_cameras(write(tmp_path, "g.geojson", fc([projected])))
    with pytest.raises(InputError, match=r"g.geojson: not valid JSON"):
        read_cameras(write(tmp_path, "g.geojson", "{"))


def test_geojson_with_declared_projected_crs_is_reprojected(tmp_path: Path) -> None:
    feat = {
        "type": "Feature",
        "properties": {"id": "C"},
        "geometry": {"type": "Point", "coordinates": [500000, 3100000]},
    }
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}}
    cam = read_cameras(write(tmp_path, "g.geojson", fc([feat], crs=crs)))[0]
    assert cam.lon == pytest.approx(111.0, abs=1e-6)  # central meridian of zone 49
    assert cam.lat == pytest.approx(28.02, abs=0.01)


def test_unknown_extension_and_non_osm(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown camera file type"):
        read_cameras(write(tmp_path, "c.txt", "x"))
    with pytest.raises(InputError, match=r"bad.osm: not a readable OSM file"):
        read_cameras(write(tmp_path, "bad.osm", "this is not xml"))


def test_real_trafford_registry() -> None:
    cams = read_cameras(shared_file("cameras/trafford_cctv_cameras.csv"))
    assert len(cams) == 163
    assert all(c.heading_deg is None for c in cams)  # the council publishes no directions
    assert cams[0].id == "1001" and cams[0].admin_unit == "Gorse Hill & Cornbrook"
    geo = read_cameras(shared_file("cameras/trafford_cctv_cameras.geojson"))
    assert [c.id for c in geo] == [c.id for c in cams]
