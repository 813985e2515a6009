"""Camera registry files: CSV, GeoJSON and OSM extracts, parsed into validated :class:`Camera` records.

A missing direction is kept as ``heading_deg=None`` (unknown) and never guessed; how unknown
directions count in coverage is an option of the coverage run.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geo.gbt28181 import parse_device_id
from xueliang.errors import InputError, SchemaError
from xueliang.storage.files import decode_text

KINDS = ("bullet", "dome", "ptz", "unknown")
# The longest text the registry stores (the VARCHAR lengths of xueliang.storage.CameraRow): checked here so that
# SQLite (which ignores them) and PostgreSQL (which refuses longer text) accept and reject the same files.
MAX_LENGTH = {"id": 64, "name": 200, "mount": 32, "admin_unit": 200}
OMNI_KINDS = ("dome", "ptz")

# Column names accepted for each field (first match wins), lower-case.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "camera_id", "cameraid", "device_id", "deviceid", "channel_id"),
    "gb_id": ("gb_id", "gb28181", "gbid", "gb_device_id"),
    "name": ("name", "location", "description"),
    "lon": ("lon", "longitude", "lng", "x"),
    "lat": ("lat", "latitude", "y"),
    "heading_deg": ("heading", "heading_deg", "direction", "camera:direction", "azimuth", "bearing"),
    "fov_deg": ("fov", "fov_deg", "hfov", "field_of_view"),
    "focal_mm": ("focal_mm", "focal_length_mm", "focal_length", "lens_mm"),
    "sensor_width_mm": ("sensor_width_mm", "sensor_width"),
    "resolution_px": ("resolution_px", "resolution", "width_px", "horizontal_resolution", "h_res"),
    "height_m": ("height_m", "height", "mount_height"),
    "tilt_deg": ("tilt", "tilt_deg", "camera:angle"),
    "mount": ("mount", "camera:mount"),
    "channels": ("channels", "channel_count"),
    "kind": ("kind", "type", "camera:type", "camera_type"),
    "admin_unit": ("admin_unit", "village", "town", "area_name", "area", "admin"),
}
_KIND_WORDS = {
    "bullet": "bullet",
    "fixed": "bullet",
    "box": "bullet",
    "dome": "dome",
    "fisheye": "dome",
    "ptz": "ptz",
    "panning": "ptz",
    "pan-tilt-zoom": "ptz",
    "": "unknown",
    "unknown": "unknown",
}
_OSM_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Camera:
    """One camera. ``heading_deg`` None = direction unknown; ``fov_deg`` None = lens unknown."""

    id: str
    lon: float
    lat: float
    heading_deg: float | None = None
    fov_deg: float | None = None
    focal_mm: float | None = None
    sensor_width_mm: float | None = None
    resolution_px: int | None = None
    height_m: float | None = None
    tilt_deg: float | None = None
    mount: str | None = None
    channels: int = 1
    kind: str = "unknown"
    admin_unit: str | None = None
    name: str | None = None
    gb_id: str | None = None

    @property
    def omni(self) -> bool:
        """Dome and PTZ cameras see all around (360 degrees)."""
        return self.kind in OMNI_KINDS


def fov_from_lens(focal_mm: float, sensor_width_mm: float) -> float:
    """Horizontal field of view in degrees from focal length and sensor width."""
    return math.degrees(2 * math.atan(sensor_width_mm / (2 * focal_mm)))


def _pick(row: Mapping[str, Any], field: str) -> Any:
    for key in ALIASES[field]:
        if key in row:
            value = row[key]
            if value is None or (isinstance(value, str) and value.strip() == ""):
                return None
            return value.strip() if isinstance(value, str) else value
    return None


def _number(value: Any, field: str, src: str, where: str, *, lo: float, hi: float, unit: str) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SchemaError(src, f"expected a number ({unit}), got {value!r}", where=where, field=field) from None
    if not math.isfinite(x) or not lo <= x <= hi:
        raise SchemaError(src, f"must be {lo:g}-{hi:g} {unit}, got {value}", where=where, field=field)
    return x


def _text(value: Any, field: str, src: str, where: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    if len(text) > MAX_LENGTH[field]:
        raise SchemaError(
            src, f"expected at most {MAX_LENGTH[field]} characters, got {len(text)}", where=where, field=field
        )
    return text


def camera_from_record(row: Mapping[str, Any], *, src: str, where: str) -> Camera:
    """Validate one record (keys lower-cased, aliases allowed) into a Camera."""
    cam_id = _pick(row, "id")
    gb_id = _pick(row, "gb_id")
    if isinstance(cam_id, float) and cam_id.is_integer():
        cam_id = int(cam_id)  # spreadsheets and GeoJSON exporters turn 1001 into 1001.0
    if cam_id is not None:
        cam_id = str(cam_id)
        if gb_id is None and len(cam_id) == 20 and cam_id.isdigit():
            gb_id = cam_id
    if gb_id is not None:
        gb_id = str(gb_id)
        try:
            parse_device_id(gb_id)
        except ValueError as exc:
            raise SchemaError(src, str(exc), where=where, field="gb_id") from None
    cam_id = _text(cam_id or gb_id, "id", src, where)
    if not cam_id:
        raise SchemaError(src, "missing: every camera needs an id (or a GB/T 28181 gb_id)", where=where, field="id")
    lon = _number(_pick(row, "lon"), "lon", src, where, lo=-180, hi=180, unit="degrees longitude")
    lat = _number(_pick(row, "lat"), "lat", src, where, lo=-90, hi=90, unit="degrees latitude")
    if lon is None or lat is None:
        raise SchemaError(src, "missing: lon and lat are required (WGS84 degrees)", where=where, field="lon/lat")
    heading = _number(_pick(row, "heading_deg"), "heading", src, where, lo=0, hi=360, unit="degrees")
    fov = _number(_pick(row, "fov_deg"), "fov", src, where, lo=0, hi=360, unit="degrees")
    if fov is not None and fov <= 0:
        raise SchemaError(
            src, f"field of view must be more than 0 and at most 360 degrees, got {fov:g}", where=where, field="fov"
        )
    focal = _number(_pick(row, "focal_mm"), "focal_mm", src, where, lo=0.1, hi=2000, unit="mm")
    sensor = _number(_pick(row, "sensor_width_mm"), "sensor_width_mm", src, where, lo=0.1, hi=100, unit="mm")
    if fov is None and focal is not None and sensor is not None:
        fov = fov_from_lens(focal, sensor)
    res = _number(_pick(row, "resolution_px"), "resolution", src, where, lo=16, hi=100_000, unit="pixels")
    height = _number(_pick(row, "height_m"), "height", src, where, lo=0, hi=500, unit="metres")
    tilt = _number(_pick(row, "tilt_deg"), "tilt", src, where, lo=-90, hi=90, unit="degrees")
    channels = _number(_pick(row, "channels"), "channels", src, where, lo=1, hi=4096, unit="channels")
    if channels is not None and channels != int(channels):
        raise SchemaError(src, f"expected a whole number of channels, got {channels}", where=where, field="channels")
    kind_raw = str(_pick(row, "kind") or "").lower()
    if kind_raw not in _KIND_WORDS:
        raise SchemaError(
            src, f"expected one of bullet, dome, ptz (or fixed/panning), got {kind_raw!r}", where=where, field="kind"
        )
    kind = _KIND_WORDS[kind_raw]
    if fov is not None and fov >= 360 and kind == "unknown":
        kind = "dome"
    admin = _text(_pick(row, "admin_unit"), "admin_unit", src, where)
    name = _text(_pick(row, "name"), "name", src, where)
    mount = _text(_pick(row, "mount"), "mount", src, where)
    return Camera(
        id=cam_id,
        lon=lon,
        lat=lat,
        heading_deg=None if heading is None else heading % 360,
        fov_deg=fov,
        focal_mm=focal,
        sensor_width_mm=sensor,
        resolution_px=None if res is None else int(res),
        height_m=height,
        tilt_deg=tilt,
        mount=mount,
        channels=1 if channels is None else int(channels),
        kind=kind,
        admin_unit=admin,
        name=name,
        gb_id=gb_id,
    )


def _check_unique(cameras: list[Camera], src: str, wheres: list[str]) -> None:
    seen: dict[str, str] = {}
    seen_gb: dict[str, str] = {}
    for cam, where in zip(cameras, wheres, strict=True):
        if cam.id in seen:
            raise SchemaError(src, f"duplicate camera id {cam.id!r} (first at {seen[cam.id]})", where=where, field="id")
        seen[cam.id] = where
        if cam.gb_id:
            if cam.gb_id in seen_gb:
                raise SchemaError(
                    src,
                    f"duplicate GB/T 28181 id {cam.gb_id} (first at {seen_gb[cam.gb_id]})",
                    where=where,
                    field="gb_id",
                )
            seen_gb[cam.gb_id] = where


def read_csv(path: Path) -> list[Camera]:
    src = str(path)
    text = decode_text(path.read_bytes(), src)[0]
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise SchemaError(src, "empty file: expected a header row with id, lon, lat, ...")
    lowered = [f.strip().lower() for f in reader.fieldnames]
    for field in ("lon", "lat"):
        if not any(a in lowered for a in ALIASES[field]):
            raise SchemaError(
                src,
                f"no {field} column: expected one of {', '.join(ALIASES[field])}; "
                f"header is {', '.join(reader.fieldnames)}",
            )
    cams, wheres = [], []
    for i, raw in enumerate(reader, start=2):
        if None in raw:
            raise SchemaError(src, f"more values than the {len(lowered)} header columns", where=f"line {i}")
        row = {k.strip().lower(): v for k, v in raw.items() if k is not None}
        where = f"line {i}"
        cams.append(camera_from_record(row, src=src, where=where))
        wheres.append(where)
    _check_unique(cams, src, wheres)
    return cams


def _crs_of(doc: Mapping[str, Any], src: str) -> str | None:
    crs = doc.get("crs")
    if crs is None:
        return None
    try:
        name = str(crs["properties"]["name"])
    except (KeyError, TypeError):
        raise SchemaError(
            src, f"'crs' member must be {{'type': 'name', 'properties': {{'name': ...}}}}, got {crs!r}", field="crs"
        ) from None
    return name


def read_geojson(path: Path) -> list[Camera]:
    src = str(path)
    try:
        doc = json.loads(decode_text(path.read_bytes(), src)[0])
    except json.JSONDecodeError as exc:
        raise InputError(src, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise SchemaError(src, "expected a GeoJSON FeatureCollection with a 'features' list")
    crs_name = _crs_of(doc, src)
    transform = None
    if crs_name is not None and not re.search(r"(CRS84|EPSG:+4326)$", crs_name):
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError

        try:
            transform = Transformer.from_crs(CRS.from_user_input(crs_name), "EPSG:4326", always_xy=True)
        except CRSError:
            raise SchemaError(src, f"unknown CRS {crs_name!r}", field="crs") from None
    cams, wheres = [], []
    for i, feat in enumerate(doc["features"]):
        where = f"feature {i}"
        if not isinstance(feat, dict):
            raise SchemaError(src, "expected a Feature object", where=where)
        geom = feat.get("geometry")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise SchemaError(src, "expected an object", where=where, field="properties")
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            got = geom.get("type") if isinstance(geom, dict) else geom
            raise SchemaError(src, f"expected a Point geometry, got {got!r}", where=where, field="geometry")
        coords = geom.get("coordinates")
        if (
            not isinstance(coords, list)
            or len(coords) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c) for c in coords)
        ):
            raise SchemaError(
                src, f"expected [x, y] numbers, got {coords!r}", where=where, field="geometry.coordinates"
            )
        x, y = float(coords[0]), float(coords[1])
        if transform is not None:
            x, y = transform.transform(x, y)
        elif not (-180 <= x <= 180 and -90 <= y <= 90):
            raise SchemaError(
                src,
                f"coordinates ({x:g}, {y:g}) are not lon/lat degrees and the file declares no "
                "'crs': add a crs member or reproject to EPSG:4326",
                where=where,
                field="geometry",
            )
        row = {str(k).lower(): v for k, v in props.items()}
        if "id" in feat and not any(a in row for a in ALIASES["id"]):
            row["id"] = feat["id"]
        row["lon"], row["lat"] = x, y
        cams.append(camera_from_record(row, src=src, where=where))
        wheres.append(where)
    _check_unique(cams, src, wheres)
    return cams


def parse_other_tags(value: str | None) -> dict[str, str]:
    """GDAL's OSM driver packs extra tags as ``"k"=>"v","k2"=>"v2"``."""
    if not value:
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _OSM_TAG.findall(value)}


def read_osm(path: Path) -> list[Camera]:
    """Nodes tagged ``man_made=surveillance`` (camera or ALPR, not guards) from an OSM extract."""
    from geo.osm import read_layer

    src = str(path)
    points = read_layer(path, "points", where="man_made = 'surveillance'")
    cams, wheres = [], []
    for osm_id, name, geom, other in zip(
        points["osm_id"], points["name"], points.geometry, points["other_tags"], strict=True
    ):
        tags = parse_other_tags(other)
        if tags.get("surveillance:type", "camera") not in ("camera", "ALPR", "alpr"):
            continue
        where = f"node {osm_id}"
        row: dict[str, Any] = {"id": f"osm-{osm_id}", "name": name, "lon": geom.x, "lat": geom.y}
        direction = tags.get("camera:direction")
        if direction is not None:
            row["heading"] = _osm_direction(direction, src, where)
        for key in ("camera:angle", "camera:mount", "height"):
            if key in tags:
                row[key] = tags[key].removesuffix(" m").strip()
        ctype = tags.get("camera:type", "")
        row["kind"] = ctype if ctype.lower() in _KIND_WORDS else ""
        cams.append(camera_from_record(row, src=src, where=where))
        wheres.append(where)
    _check_unique(cams, src, wheres)
    return cams


_COMPASS = {
    d: i * 22.5
    for i, d in enumerate(
        ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
    )
}


def _osm_direction(value: str, src: str, where: str) -> str:
    v = value.strip().upper()
    if v in _COMPASS:
        return str(_COMPASS[v])
    if "-" in v[1:]:  # a range "a-b": the middle of it
        a, b = v.split("-", 1) if not v.startswith("-") else (v, "")
        try:
            lo, hi = float(a), float(b)
        except ValueError:
            raise SchemaError(
                src, f"expected degrees or a compass point, got {value!r}", where=where, field="camera:direction"
            ) from None
        return str((lo + ((hi - lo) % 360) / 2) % 360)
    return value


def read_cameras(path: str | Path) -> list[Camera]:
    """Read a camera file by its extension: .csv, .geojson/.json, .osm/.osm.pbf/.pbf/.osm.gz."""
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file")
    name = p.name.lower()
    if name.endswith(".csv"):
        return read_csv(p)
    if name.endswith((".geojson", ".json")):
        return read_geojson(p)
    if name.endswith((".osm", ".pbf", ".osm.gz", ".osm.bz2")):
        return read_osm(p)
    raise InputError(str(p), "unknown camera file type: expected .csv, .geojson, .osm or .osm.pbf")


def with_defaults(cameras: Iterable[Camera], **defaults: Any) -> list[Camera]:
    """Fill missing lens/resolution/height values from defaults, leaving the direction alone."""
    out = []
    for cam in cameras:
        changes = {k: v for k, v in defaults.items() if getattr(cam, k) is None}
        out.append(replace(cam, **changes) if changes else cam)
    return out
