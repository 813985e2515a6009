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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from geo.gbt28181 import parse_device_id
from xueliang.errors import InputError, SchemaError
from xueliang.storage.files import decode_text

OSM_CAMERA_SUFFIXES = (".osm", ".pbf", ".osm.gz", ".osm.bz2")
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


@dataclass(frozen=True)
class ImportNote:
    """One decision about one record of a camera file: which field held what, and what was done with it.

    ``rejected`` notes name records that were not imported; the others name a field left unknown or
    read in a particular way while the camera was kept.
    """

    record: str
    field: str
    value: str
    action: str
    rejected: bool = False


@dataclass(frozen=True)
class CameraRead:
    """What a camera file gave: the cameras kept, and every decision taken on the way (file order)."""

    source: str
    cameras: tuple[Camera, ...]
    notes: tuple[ImportNote, ...] = ()
    records: int = 0

    @property
    def rejected_records(self) -> int:
        return len({n.record for n in self.notes if n.rejected})

    @property
    def noted_records(self) -> int:
        """Kept records with at least one unusable or reinterpreted field."""
        rejected = {n.record for n in self.notes if n.rejected}
        return len({n.record for n in self.notes if not n.rejected and n.record not in rejected})

    def reasons(self) -> dict[str, int]:
        """Rejected records per reason (the action text), for summaries."""
        out: dict[str, int] = {}
        seen: set[str] = set()
        for n in self.notes:
            if n.rejected and n.record not in seen:
                seen.add(n.record)
                out[n.action] = out.get(n.action, 0) + 1
        return dict(sorted(out.items()))


REPORT_COLUMNS = ("record", "field", "value", "action", "outcome")


def write_import_report(path: str | Path, read: CameraRead) -> Path:
    """The import report as CSV: record, field, value, action, outcome (kept or rejected)."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(REPORT_COLUMNS)
            for n in read.notes:
                w.writerow([n.record, n.field, n.value, n.action, "rejected" if n.rejected else "kept"])
    except OSError as exc:
        raise InputError(str(p), f"cannot write the import report: {exc.strerror}") from None
    return p


def fov_from_lens(focal_mm: float, sensor_width_mm: float) -> float:
    """Horizontal field of view in degrees from focal length and sensor width."""
    return math.degrees(2 * math.atan(sensor_width_mm / (2 * focal_mm)))


def _pick(row: Mapping[str, Any], field: str) -> Any:
    for key in ALIASES[field]:
        if key in row:
            value = row[key]
            if value is None or (isinstance(value, str) and value.strip() == ""):
                return None
            if isinstance(value, float) and math.isnan(value):
                return None  # pandas/GDAL give a missing value as NaN
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


class _Rows:
    """Collects validated cameras of one file: all or nothing by default, or skipping bad rows with a note."""

    def __init__(self, src: str, *, skip_bad_rows: bool) -> None:
        self.src = src
        self.skip = skip_bad_rows
        self.cameras: list[Camera] = []
        self.notes: list[ImportNote] = []
        self.records = 0
        self._ids: dict[str, str] = {}
        self._gb_ids: dict[str, str] = {}

    def reject(self, exc: SchemaError, where: str) -> None:
        if not self.skip:
            raise exc
        self.notes.append(ImportNote(where, exc.field or "", "", f"rejected: {exc.detail}", rejected=True))

    def add(self, where: str, make: Callable[[], Camera]) -> None:
        """Validate one record (``make`` raises SchemaError on a bad one) and keep it unless its ids repeat."""
        self.records += 1
        try:
            cam = make()
            if cam.id in self._ids:
                raise SchemaError(
                    self.src, f"duplicate camera id {cam.id!r} (first at {self._ids[cam.id]})", where=where, field="id"
                )
            if cam.gb_id and cam.gb_id in self._gb_ids:
                raise SchemaError(
                    self.src,
                    f"duplicate GB/T 28181 id {cam.gb_id} (first at {self._gb_ids[cam.gb_id]})",
                    where=where,
                    field="gb_id",
                )
        except SchemaError as exc:
            self.reject(exc, where)
            return
        self._ids[cam.id] = where
        if cam.gb_id:
            self._gb_ids[cam.gb_id] = where
        self.cameras.append(cam)

    def result(self) -> CameraRead:
        return CameraRead(self.src, tuple(self.cameras), tuple(self.notes), self.records)


def read_csv_frame(path: str | Path, expected: str) -> pd.DataFrame:
    """A small CSV table (UTF-8 or GBK) as a DataFrame; an empty or unparsable file is one clear error."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file")
    try:
        return pd.read_csv(io.StringIO(decode_text(p.read_bytes(), str(p))[0]))
    except pd.errors.EmptyDataError:
        raise SchemaError(str(p), f"empty file: expected a header row with {expected}") from None
    except pd.errors.ParserError as exc:
        raise InputError(str(p), f"not a readable CSV file ({str(exc).strip()})") from None


def read_csv(path: Path, *, skip_bad_rows: bool = False) -> CameraRead:
    """A CSV registry: all rows or nothing, unless ``skip_bad_rows`` (then bad rows are noted and left out)."""
    src = str(path)
    text = decode_text(path.read_bytes(), src)[0]
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
        if not fieldnames:
            raise SchemaError(src, "empty file: expected a header row with id, lon, lat, ...")
        lowered = [f.strip().lower() for f in fieldnames]
        for field in ("lon", "lat"):
            if not any(a in lowered for a in ALIASES[field]):
                raise SchemaError(
                    src,
                    f"no {field} column: expected one of {', '.join(ALIASES[field])}; "
                    f"header is {', '.join(fieldnames)}",
                )
        rows = _Rows(src, skip_bad_rows=skip_bad_rows)
        for raw in reader:
            where = f"line {reader.line_num}"
            if None in raw:
                rows.records += 1
                rows.reject(SchemaError(src, f"more values than the {len(lowered)} header columns", where=where), where)
                continue
            row = {k.strip().lower(): v for k, v in raw.items() if k is not None}
            rows.add(where, lambda row=row, where=where: camera_from_record(row, src=src, where=where))  # type: ignore[misc]
    except csv.Error as exc:
        raise InputError(src, f"not a readable CSV file at line {reader.line_num}: {exc}") from None
    return rows.result()


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


def load_json(path: Path) -> Any:
    """A JSON document, with one clear error for broken or pathologically nested files."""
    src = str(path)
    try:
        return json.loads(decode_text(path.read_bytes(), src)[0])
    except json.JSONDecodeError as exc:
        raise InputError(src, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InputError(src, "JSON nested too deeply to read (arrays or objects inside each other)") from None


def read_geojson(path: Path, *, skip_bad_rows: bool = False) -> CameraRead:
    """A GeoJSON registry: every feature or nothing, unless ``skip_bad_rows``."""
    src = str(path)
    doc = load_json(path)
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
    rows = _Rows(src, skip_bad_rows=skip_bad_rows)
    for i, feat in enumerate(doc["features"]):
        where = f"feature {i}"
        rows.add(where, lambda feat=feat, where=where: _feature_camera(feat, src, where, transform))  # type: ignore[misc]
    return rows.result()


def _feature_camera(feat: Any, src: str, where: str, transform: Any) -> Camera:
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
        raise SchemaError(src, f"expected [x, y] numbers, got {coords!r}", where=where, field="geometry.coordinates")
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
    return camera_from_record(row, src=src, where=where)


def read_camera_file(path: str | Path, *, skip_bad_rows: bool = False) -> CameraRead:
    """Read a camera file by its extension: .csv, .geojson/.json, .osm/.osm.pbf/.pbf/.osm.gz/.osm.bz2.

    Registries (CSV, GeoJSON) are all or nothing unless ``skip_bad_rows``; an OSM extract is community
    data, read leniently (unusable tags left unknown, each decision noted).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file")
    name = p.name.lower()
    if name.endswith(".csv"):
        return read_csv(p, skip_bad_rows=skip_bad_rows)
    if name.endswith((".geojson", ".json")):
        return read_geojson(p, skip_bad_rows=skip_bad_rows)
    if name.endswith(OSM_CAMERA_SUFFIXES):
        from geo.osm_cameras import read_osm

        return read_osm(p)
    raise InputError(str(p), "unknown camera file type: expected .csv, .geojson, .osm or .osm.pbf")


def read_cameras(path: str | Path) -> list[Camera]:
    """The cameras of :func:`read_camera_file` (registries all or nothing)."""
    return list(read_camera_file(path).cameras)


def with_defaults(cameras: Iterable[Camera], **defaults: Any) -> list[Camera]:
    """Fill missing lens/resolution/height values from defaults, leaving the direction alone."""
    out = []
    for cam in cameras:
        changes = {k: v for k, v in defaults.items() if getattr(cam, k) is None}
        out.append(replace(cam, **changes) if changes else cam)
    return out
