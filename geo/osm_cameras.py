"""Mapped cameras from an OSM extract: community data, read leniently.

A node tagged ``man_made=surveillance`` is a camera unless ``surveillance:type`` says otherwise (a guard,
a sign). A tag that cannot be used leaves that field unknown and keeps the camera; every such decision
is an :class:`~geo.cameras.ImportNote` (node, tag, value, what was done). ``camera:direction`` with
several values (``NW;SE``, ``0;180``) becomes one view per direction, a range (``90-180``) one sector.
Only a node without usable coordinates is rejected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.cameras import _KIND_WORDS, MAX_LENGTH, Camera, CameraRead, ImportNote, camera_from_record
from xueliang.errors import SchemaError

_OSM_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
CAMERA_TYPES = ("camera", "alpr")
_COMPASS = {
    d: i * 22.5
    for i, d in enumerate(
        ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
    )
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_LENGTH = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(m|metres|meters|metre|meter|ft|feet|')?$", re.IGNORECASE)
_FEET_M = 0.3048


def parse_other_tags(value: object) -> dict[str, str]:
    """GDAL's OSM driver packs extra tags as ``"k"=>"v","k2"=>"v2"``; NULL (None or NaN) is no tags."""
    if not isinstance(value, str) or not value:
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _OSM_TAG.findall(value)}


@dataclass(frozen=True)
class Direction:
    """One view of a node: where it looks and, for a mapped range, how wide."""

    heading_deg: float
    fov_deg: float | None = None


def _bearing(text: str) -> float | None:
    t = text.strip().upper().removesuffix("°").strip()
    if t in _COMPASS:
        return _COMPASS[t]
    if _NUMBER.match(t):
        x = float(t)
        return x % 360 if 0 <= x <= 360 else None
    return None


def parse_direction(value: str) -> tuple[list[Direction], list[str]]:
    """``camera:direction`` as views: ``NW``, ``135``, ``NW;SE``, ``0;180``, ``90-180`` (a sector).

    Returns the usable views and the parts that could not be used (left out, to be noted).
    """
    views: list[Direction] = []
    bad: list[str] = []
    for part in value.split(";"):
        p = part.strip()
        if not p:
            continue
        one = _bearing(p)
        if one is not None:
            views.append(Direction(one))
            continue
        lo_text, sep, hi_text = p[1:].partition("-")
        lo, hi = (_bearing(p[0] + lo_text), _bearing(hi_text)) if sep else (None, None)
        if lo is None or hi is None:
            bad.append(p)
            continue
        width = (hi - lo) % 360 or 360.0
        views.append(Direction((lo + width / 2) % 360, width))
    return views, bad


def parse_length_m(value: str) -> float | None:
    """OSM lengths: metres by default, ``5 m``, ``5m``, ``16 ft``, ``16'``; None when unusable."""
    m = _LENGTH.match(value.strip())
    if m is None:
        return None
    x = float(m.group(1)) * (_FEET_M if (m.group(2) or "").lower() in ("ft", "feet", "'") else 1.0)
    return x if 0 <= x <= 500 else None


class _NodeReader:
    """Turns one node's tags into cameras, noting every value it could not use."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.notes: list[ImportNote] = []

    def note(self, tag: str, value: str, action: str, *, rejected: bool = False) -> None:
        self.notes.append(ImportNote(self.where, tag, value, action, rejected))

    def text(self, tags: dict[str, str], tag: str, field: str) -> str | None:
        value = tags.get(tag)
        if value is None:
            return None
        if len(value) > MAX_LENGTH[field]:
            self.note(tag, value[:60] + "...", f"longer than {MAX_LENGTH[field]} characters: left unknown")
            return None
        return value

    def tilt(self, tags: dict[str, str]) -> float | None:
        value = tags.get("camera:angle")
        if value is None:
            return None
        t = value.strip().removesuffix("°").strip()
        if not _NUMBER.match(t):
            self.note("camera:angle", value, "not a number of degrees: tilt left unknown")
            return None
        x = float(t)
        if -90 <= x <= 90:
            return x
        if 90 < x <= 360:
            self.note("camera:angle", value, "looks like a field of view, not a tilt (-90-90): tilt left unknown")
        else:
            self.note("camera:angle", value, "out of range -90-90 degrees: tilt left unknown")
        return None

    def height(self, tags: dict[str, str]) -> float | None:
        value = tags.get("height")
        if value is None:
            return None
        x = parse_length_m(value)
        if x is None:
            self.note("height", value, "not a height in metres (0-500): height left unknown")
        elif not _NUMBER.match(value.strip()):
            self.note("height", value, f"read as {x:g} m")
        return x

    def kind(self, tags: dict[str, str]) -> str:
        value = tags.get("camera:type")
        if value is None:
            return ""
        if value.strip().lower() in _KIND_WORDS:
            return value.strip().lower()
        self.note("camera:type", value, "not fixed, dome or panning: kind left unknown")
        return ""

    def directions(self, tags: dict[str, str]) -> list[Direction]:
        value = tags.get("camera:direction")
        if value is None:
            return []
        views, bad = parse_direction(value)
        if bad and views:
            self.note("camera:direction", value, f"part(s) {';'.join(bad)} unusable: left out")
        elif bad:
            self.note("camera:direction", value, "not degrees, a compass point or a range: direction left unknown")
        if len(views) > 1:
            heads = ", ".join(f"{v.heading_deg:g}" for v in views)
            self.note("camera:direction", value, f"{len(views)} directions: one view each ({heads} degrees)")
        return views


def _coordinates(geom: Any) -> tuple[float, float] | str:
    """lon, lat of a node, or why they cannot be used."""
    if geom is None or geom.is_empty or geom.geom_type != "Point":
        return "no point geometry"
    x, y = float(geom.x), float(geom.y)
    if not (math.isfinite(x) and math.isfinite(y)):
        return f"coordinates ({x}, {y}) are not numbers"
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return f"coordinates ({x:g}, {y:g}) are outside lon -180-180, lat -90-90"
    if x == 0 and y == 0:
        return "coordinates 0,0: what an unparsable lat/lon is read as"
    return x, y


def _xml_coordinates(path: Path, ids: set[str]) -> dict[str, str]:
    """For OSM XML: the raw ``lat``/``lon`` text of nodes ``ids`` that is not a number (GDAL reads it as 0)."""
    import xml.etree.ElementTree as ET

    from geo.osm import readable_path

    bad: dict[str, str] = {}
    try:
        for _, el in ET.iterparse(readable_path(path), events=("end",)):
            if el.tag == "node" and el.get("id") in ids:
                for attr in ("lat", "lon"):
                    text = el.get(attr) or ""
                    try:
                        if not math.isfinite(float(text)):
                            raise ValueError(text)
                    except ValueError:
                        bad[str(el.get("id"))] = f"{attr}={text!r} is not a number"
                        break
            el.clear()
    except ET.ParseError:
        pass  # GDAL read the file; the coordinates it gave stand
    return bad


def node_cameras(
    osm_id: object, name: object, geom: Any, other_tags: object, *, src: str, bad_coordinates: str | None = None
) -> tuple[list[Camera], list[ImportNote]]:
    """The camera(s) of one ``man_made=surveillance`` node and the notes on it.

    ``bad_coordinates`` is why the file's own coordinate text is unusable, when the caller checked it.
    """
    tags = parse_other_tags(other_tags)
    where = f"node {osm_id}"
    r = _NodeReader(where)
    stype = tags.get("surveillance:type")
    if stype is not None and stype.strip().lower() not in CAMERA_TYPES:
        r.note("surveillance:type", stype, "not a camera: skipped", rejected=True)
        return [], r.notes
    xy = bad_coordinates or _coordinates(geom)
    if isinstance(xy, str):
        r.note("lon/lat", "" if geom is None else str(geom.wkt)[:60], f"{xy}: rejected", rejected=True)
        return [], r.notes
    base: dict[str, Any] = {
        "name": r.text({"name": name} if isinstance(name, str) else {}, "name", "name"),
        "lon": xy[0],
        "lat": xy[1],
        "tilt": r.tilt(tags),
        "height": r.height(tags),
        "mount": r.text(tags, "camera:mount", "mount"),
        "kind": r.kind(tags),
    }
    views = r.directions(tags)
    rows: list[tuple[str, dict[str, Any]]] = []
    if len(views) <= 1:
        v = views[0] if views else None
        extra = {} if v is None else {"heading": v.heading_deg, "fov": v.fov_deg}
        rows.append((f"osm-{osm_id}", base | extra))
    else:
        for k, v in enumerate(views, start=1):
            rows.append((f"osm-{osm_id}-{k}", base | {"heading": v.heading_deg, "fov": v.fov_deg}))
    cams: list[Camera] = []
    for cam_id, row in rows:
        try:
            cams.append(camera_from_record({"id": cam_id, **row}, src=src, where=where))
        except SchemaError as exc:  # every field is cleaned above; only the id can still be refused
            r.note(exc.field or "", "", f"rejected: {exc.detail}", rejected=True)
            return [], r.notes
    return cams, r.notes


def read_osm(path: Path) -> CameraRead:
    """Nodes tagged ``man_made=surveillance`` (camera or ALPR, not guards) from an OSM extract."""
    from geo.osm import read_layer

    src = str(path)
    points = read_layer(path, "points", where="man_made = 'surveillance'")
    cams: list[Camera] = []
    notes: list[ImportNote] = []
    other = points["other_tags"] if "other_tags" in points.columns else [None] * len(points)
    names = points["name"] if "name" in points.columns else [None] * len(points)
    # GDAL reads an unparsable lat or lon in OSM XML as 0: check the text of nodes sitting on 0
    on_zero = [
        str(i) for i, g in zip(points["osm_id"], points.geometry, strict=True) if g is not None and 0 in (g.x, g.y)
    ]
    bad = _xml_coordinates(path, set(on_zero)) if on_zero and not path.name.lower().endswith(".pbf") else {}
    for osm_id, name, geom, tags in zip(points["osm_id"], names, points.geometry, other, strict=True):
        c, n = node_cameras(osm_id, name, geom, tags, src=src, bad_coordinates=bad.get(str(osm_id)))
        cams.extend(c)
        notes.extend(n)
    return CameraRead(src, tuple(cams), tuple(notes), len(points))
