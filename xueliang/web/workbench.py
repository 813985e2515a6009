"""The served town: its basemap and what-if workbench, built once per app on first use; saved scenarios.

The extract is ``serve --osm``, else the OSM file a coverage run records in its summary. Existing
cameras are the coverage run's (``coverage.gpkg``), else the registry in the database. Scenarios are
JSON files in the scenarios folder (``serve --scenarios``), one per name, written atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geo.basemap import Basemap
from geo.cameras import Camera
from geo.catalogue import CameraModel, Catalogue
from geo.workbench import Workbench
from xueliang.config import format_validation_error
from xueliang.errors import InputError, NotFoundError
from xueliang.web.settings import WebSettings

OSM_SUFFIXES = (".osm", ".pbf", ".osm.gz")
NAME = re.compile(r"^[\w.-]{1,64}$")


class CameraIn(BaseModel):
    """A camera drawn on the planner's map; ``model`` (from the catalogue) fills what is not given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(None, min_length=1, max_length=64)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    heading: float | None = Field(None, ge=0, le=360)
    fov: float | None = Field(None, gt=0, le=360)
    resolution: int | None = Field(None, ge=16, le=100_000)
    height: float | None = Field(None, ge=0, le=500)
    kind: Literal["bullet", "dome", "ptz"] | None = None
    model: str | None = Field(None, min_length=1, max_length=100)


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cameras: list[CameraIn] = Field(default_factory=list, max_length=2000)
    remove: list[str] = Field(default_factory=list, max_length=100_000)


class ScenarioIn(WhatIfIn):
    name: str = Field(min_length=1, max_length=64)


def parse_body(raw: bytes, model: type[BaseModel], what: str) -> Any:
    """Parse a JSON request body into ``model``; one clear line on bad input."""
    try:
        data = json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        raise InputError(what, f"expected a JSON body, got invalid JSON ({exc.msg} at character {exc.pos})") from None
    except UnicodeDecodeError:
        raise InputError(what, "expected a JSON body in UTF-8, got undecodable bytes") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(what, format_validation_error(exc)) from None


@dataclass(frozen=True)
class Served:
    basemap: Basemap
    workbench: Workbench
    catalogue: Catalogue

    def model(self, name: str | None) -> CameraModel | None:
        if name is None:
            return None
        for m in self.catalogue.models:
            if m.name == name:
                return m
        raise InputError("cameras", f"unknown model {name!r}: expected one of {', '.join(self.model_names)}")

    @property
    def model_names(self) -> list[str]:
        return [m.name for m in self.catalogue.models]

    def camera(self, c: CameraIn, k: int) -> Camera:
        m = self.model(c.model)
        kind = c.kind or (m.kind if m else "bullet")
        return Camera(
            id=c.id or f"new-{k + 1}",
            lon=c.lon,
            lat=c.lat,
            heading_deg=None if kind in ("dome", "ptz") or c.heading is None else c.heading % 360,
            fov_deg=c.fov if c.fov is not None else (m.fov_deg if m else None),
            resolution_px=c.resolution if c.resolution is not None else (m.resolution_px if m else None),
            height_m=c.height if c.height is not None else (m.height_m if m else None),
            kind=kind,
        )


def osm_of(settings: WebSettings) -> Path | None:
    """``serve --osm``, else the OSM extract named in the coverage run's summary (when it still exists)."""
    if settings.osm_path is not None:
        return settings.osm_path
    if settings.coverage_dir is None or not (settings.coverage_dir / "summary.json").is_file():
        return None
    from geo.summary import load_summary

    summary = load_summary(settings.coverage_dir / "summary.json")
    for name in summary.inputs_sha256:
        p = Path(name)
        if p.name.lower().endswith(OSM_SUFFIXES) and p.is_file():
            return p
    return None


def _existing_cameras(settings: WebSettings, db: Any) -> list[Camera]:
    gpkg = settings.coverage_dir / "coverage.gpkg" if settings.coverage_dir else None
    if gpkg is None or not gpkg.is_file():
        from geo.registry import load_cameras

        return load_cameras(db)
    import geopandas as gpd

    gdf = gpd.read_file(gpkg, layer="cameras").to_crs(4326)
    names = [f for f in Camera.__dataclass_fields__ if f not in ("lon", "lat")]
    out = []
    for row, geom in zip(gdf.to_dict("records"), gdf.geometry, strict=True):
        vals = {k: _clean(row.get(k)) for k in names}
        vals["channels"] = int(vals["channels"] or 1)
        vals["kind"] = vals["kind"] or "unknown"
        vals["resolution_px"] = None if vals["resolution_px"] is None else int(vals["resolution_px"])
        vals["id"] = str(vals["id"])
        out.append(Camera(lon=float(geom.x), lat=float(geom.y), **vals))
    return out


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _config(settings: WebSettings) -> Any:
    from geo.config import CoverageConfig, load_coverage_config

    if settings.coverage_dir is not None and (settings.coverage_dir / "summary.json").is_file():
        from geo.summary import load_summary

        return CoverageConfig.model_validate(load_summary(settings.coverage_dir / "summary.json").parameters)
    return load_coverage_config(None)


_LOCK = threading.Lock()


def served(app_state: Any) -> Served:
    """The served town, built on first use (seconds for a town) and kept for the app's life."""
    cached: Served | None = getattr(app_state, "served_town", None)
    if cached is not None:
        return cached
    with _LOCK:
        again: Served | None = getattr(app_state, "served_town", None)  # another request built it meanwhile
        if again is not None:
            return again
        settings: WebSettings = app_state.settings
        osm = osm_of(settings)
        if osm is None:
            raise NotFoundError(
                "no OSM extract configured (xueliang serve --osm FILE, or a coverage run made from one)"
            )
        from geo.basemap import build_basemap
        from geo.catalogue import DEFAULT_CATALOGUE
        from geo.town import load_town
        from geo.workbench import build_workbench

        cfg = _config(settings)
        town = load_town(osm, cfg)
        wb = build_workbench(town, _existing_cameras(settings, app_state.db), cfg)
        out = Served(build_basemap(town), wb, _catalogue(settings) or DEFAULT_CATALOGUE)
        app_state.served_town = out
        return out


def _catalogue(settings: WebSettings) -> Catalogue | None:
    """The catalogue the plan was made with, when a plan folder is served."""
    if settings.plan_dir is None or not (settings.plan_dir / "plan.json").is_file():
        return None
    data = json.loads((settings.plan_dir / "plan.json").read_text(encoding="utf-8"))
    if not data.get("catalogue"):
        return None
    return Catalogue.model_validate({"models": data["catalogue"]})


# --- scenarios: JSON files ---------------------------------------------------------------------------


def scenario_path(settings: WebSettings, name: str) -> Path:
    if not NAME.fullmatch(name) or name.startswith("."):
        raise InputError("name", f"expected 1-64 letters, digits, '-', '_' or '.', got {name!r}")
    return settings.scenarios_dir / f"{name}.json"


def save_scenario(settings: WebSettings, body: ScenarioIn, result: dict[str, Any], user: str) -> dict[str, Any]:
    p = scenario_path(settings, body.name)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "name": body.name,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "saved_by": user,
        "cameras": [c.model_dump(exclude_none=True) for c in body.cameras],
        "remove": sorted(set(body.remove)),
        "result": result,
    }
    tmp = p.with_suffix(".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(p)
    return data


def load_scenario(settings: WebSettings, name: str) -> dict[str, Any]:
    p = scenario_path(settings, name)
    if not p.is_file():
        raise NotFoundError(f"scenario {name!r} not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not {"name", "cameras", "remove", "result"} <= set(data):
        raise InputError(f"scenario {name!r}", "not a saved scenario (expected name, cameras, remove, result)")
    return data


def list_scenarios(settings: WebSettings) -> list[dict[str, Any]]:
    d = settings.scenarios_dir
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.glob("*.json")):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue  # a file someone else put there
        if not isinstance(data, dict) or not isinstance(data.get("cameras"), list):
            continue
        out.append(
            {k: data.get(k) for k in ("name", "saved_at", "saved_by")} | {"cameras": len(data.get("cameras", []))}
        )
    return out
