"""The planner's workbench: basemap, what-if edits, density zones, scenarios and the camera schedule.

Every route checks the login (and role) before it reads a request body; bodies are parsed by models
that reject unknown keys. Responses never carry a file path.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from xueliang.errors import InputError, NotFoundError
from xueliang.web.auth import current_user, require
from xueliang.web.routes_common import ERRORS
from xueliang.web.users import User
from xueliang.web.workbench import (
    CameraIn,
    ScenarioIn,
    Served,
    WhatIfIn,
    list_scenarios,
    load_scenario,
    parse_body,
    save_scenario,
    served,
)

Planner = Annotated[User, Depends(require("planner"))]
Anyone = Annotated[User, Depends(current_user)]


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError("bbox", f"expected WEST,SOUTH,EAST,NORTH in degrees, got {text!r}") from None
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise InputError("bbox", f"expected west <= east and south <= north within lon/lat range, got {text!r}")
    return (w, s, e, n)


def _whatif_json(srv: Served, body: WhatIfIn) -> dict[str, Any]:
    from geo.targets import INTERSECTION_RULES
    from geo.workbench import whatif

    t0 = time.perf_counter()
    cams = [srv.camera(c, k) for k, c in enumerate(body.cameras)]
    r = whatif(srv.workbench, cams, body.remove)
    return {
        "classes": {k: v.__dict__ for k, v in r.classes.items()},
        "intersection_rules": {
            k: {**v.__dict__, "definition": INTERSECTION_RULES[k]} for k, v in r.intersection_rules.items()
        },
        "villages": r.villages,
        "gaps": r.gaps,
        "seconds": round(time.perf_counter() - t0, 4),
    }


def _zones_json(srv: Served, cams: list[CameraIn]) -> dict[str, Any]:
    from geo.analysis import cameras_frame
    from geo.density import camera_numbers, density_zones, lens_fov

    wb = srv.workbench
    frame = cameras_frame([srv.camera(c, k) for k, c in enumerate(cams)], wb.town.crs)
    zones = density_zones(frame, wb.config, wb.occluders)
    polys = np.asarray([z[3] for z in zones], dtype=object)
    import geopandas as gpd

    wgs = gpd.GeoSeries(list(polys), crs=wb.town.crs).to_crs(4326).to_numpy() if len(polys) else polys
    texts: list[str | None] = list(shapely.to_geojson(shapely.set_precision(wgs, 1e-7))) if len(wgs) else []
    import json

    features = [
        {
            "type": "Feature",
            "geometry": json.loads(t),
            "properties": {"camera_id": z[0], "level": z[1], "px_per_m": z[2]},
        }
        for z, t in zip(zones, texts, strict=True)
        if t is not None
    ]
    d = wb.config.camera_defaults
    fov = lens_fov(frame, wb.config) if len(frame) else np.zeros(0)
    numbers = {}
    for k, row in enumerate(frame.itertuples()):
        res = float(row.resolution_px) if row.resolution_px == row.resolution_px else float(d.resolution_px)
        h = float(row.height_m) if row.height_m == row.height_m else float(d.height_m)
        numbers[str(row.id)] = camera_numbers(res, float(fov[k]), h).__dict__
    return {"type": "FeatureCollection", "features": features, "numbers": numbers}


def _camera_set_geojson(srv: Served, body: WhatIfIn) -> dict[str, Any]:
    """The scenario's whole camera set as a camera file (`xueliang plan --cameras`, `coverage --cameras`)."""
    from geo.workbench import whatif

    r = whatif(srv.workbench, [srv.camera(c, k) for k, c in enumerate(body.cameras)], body.remove)
    cams = r.cameras.to_crs(4326)
    feats = []
    for row in cams.itertuples():
        props: dict[str, Any] = {"id": str(row.id), "kind": str(row.kind), "channels": int(row.channels)}
        for key, col in (("heading", "heading_deg"), ("fov", "fov_deg"), ("resolution_px", "resolution_px")):
            v = getattr(row, col)
            if v is not None and v == v:
                props[key] = float(v) if key != "resolution_px" else int(v)
        h = row.height_m
        if h is not None and h == h:
            props["height_m"] = float(h)
        if row.admin_unit is not None and row.admin_unit == row.admin_unit:
            props["admin_unit"] = str(row.admin_unit)
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(row.geometry.x, 7), round(row.geometry.y, 7)]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def _schedule_rows(request: Request, srv: Served, scenario: str | None, stream: Any) -> list[Any]:
    from geo.schedule import ScheduleCamera, schedule

    st = request.app.state.settings
    cams: list[ScheduleCamera] = []
    if scenario:
        data = WhatIfIn.model_validate({k: load_scenario(st, scenario)[k] for k in ("cameras", "remove")})
        d = srv.workbench.config.camera_defaults
        for k, c in enumerate(data.cameras):
            cam = srv.camera(c, k)
            m = srv.model(c.model)
            cams.append(
                ScheduleCamera(
                    site=cam.id,
                    lon=cam.lon,
                    lat=cam.lat,
                    model=m.name if m else "custom",
                    kind=cam.kind,
                    heading_deg=cam.heading_deg,
                    height_m=cam.height_m if cam.height_m is not None else d.height_m,
                    fov_deg=cam.fov_deg if cam.fov_deg is not None else d.fov_deg,
                    resolution_px=cam.resolution_px or d.resolution_px,
                    cost=m.cost if m else None,
                )
            )
    else:
        if st.plan_dir is None:
            raise NotFoundError("give ?scenario=NAME, or serve a plan (xueliang serve --plan DIR)")
        from geo.schedule import plan_cameras

        cams = plan_cameras(st.plan_dir)
    return schedule(cams, stream)


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    def basemap_json(request: Request, bbox: str | None, zoom: float) -> dict[str, Any]:
        return served(request.app.state).basemap.query(_bbox(bbox), zoom)

    @r.get("/api/planner/basemap", tags=["planner"])
    def planner_basemap(
        request: Request, user: Planner, bbox: str | None = None, zoom: Annotated[float, Query(ge=0, le=22)] = 16
    ) -> dict[str, Any]:
        """Roads by class, buildings, water and admin boundaries from the served extract (GeoJSON, WGS84),
        inside ``bbox`` (WEST,SOUTH,EAST,NORTH) and simplified for ``zoom``."""
        return basemap_json(request, bbox, zoom)

    @r.get("/api/basemap", tags=["session"])
    def basemap(
        request: Request, user: Anyone, bbox: str | None = None, zoom: Annotated[float, Query(ge=0, le=22)] = 16
    ) -> dict[str, Any]:
        """The same basemap for every logged-in role (the investigator's trajectory map draws it too)."""
        return basemap_json(request, bbox, zoom)

    @r.get("/api/planner/workbench", tags=["planner"])
    def workbench(request: Request, user: Planner) -> dict[str, Any]:
        """Existing cameras, the catalogue, the rules, the saved scenarios and the baseline coverage."""
        srv = served(request.app.state)
        cams = srv.workbench.cameras.to_crs(4326)
        existing = []
        for row in cams.itertuples():
            existing.append(
                {
                    "id": str(row.id),
                    "lon": round(row.geometry.x, 7),
                    "lat": round(row.geometry.y, 7),
                    "heading": None if row.heading_deg != row.heading_deg else row.heading_deg,
                    "fov": None if row.fov_deg != row.fov_deg else row.fov_deg,
                    "resolution": None if row.resolution_px != row.resolution_px else int(row.resolution_px),
                    "height": None if row.height_m != row.height_m else row.height_m,
                    "kind": str(row.kind),
                }
            )
        return {
            "cameras": existing,
            "catalogue": [m.model_dump() for m in srv.catalogue.models],
            "scenarios": list_scenarios(request.app.state.settings),
            "baseline": _whatif_json(srv, WhatIfIn()),
        }

    @r.post("/api/planner/whatif", tags=["planner"])
    async def api_whatif(request: Request, user: Planner) -> dict[str, Any]:
        """Coverage with ``cameras`` added and the existing cameras ``remove`` taken away (a moved camera:
        remove its id and add it again). Only the changed cameras' views are traced."""
        body = parse_body(await request.body(), WhatIfIn, "whatif body")
        srv = await run_in_threadpool(served, request.app.state)
        out: dict[str, Any] = await run_in_threadpool(_whatif_json, srv, body)
        return out

    @r.post("/api/planner/zones", tags=["planner"])
    async def api_zones(request: Request, user: Planner) -> dict[str, Any]:
        """Pixel-density zones (identification, recognition, observation, detection) of ``cameras``, cut at
        buildings, and each camera's numbers (lens, range per level, px/m at distance)."""
        body = parse_body(await request.body(), WhatIfIn, "zones body")
        if len(body.cameras) > 200:
            raise InputError("zones body", f"at most 200 cameras at once, got {len(body.cameras)}")
        srv = await run_in_threadpool(served, request.app.state)
        out: dict[str, Any] = await run_in_threadpool(_zones_json, srv, body.cameras)
        return out

    @r.get("/api/planner/scenarios", tags=["planner"])
    def scenarios(request: Request, user: Planner) -> list[dict[str, Any]]:
        """Saved scenarios: name, when and by whom, number of cameras added."""
        return list_scenarios(request.app.state.settings)

    @r.post("/api/planner/scenarios", tags=["planner"])
    async def save(request: Request, user: Planner) -> dict[str, Any]:
        """Save (or replace) a scenario ``{"name", "cameras", "remove"}`` with its coverage."""
        body = parse_body(await request.body(), ScenarioIn, "scenario body")
        srv = await run_in_threadpool(served, request.app.state)
        result = await run_in_threadpool(_whatif_json, srv, body)
        summary = {k: result[k] for k in ("classes", "intersection_rules", "villages")}
        data = save_scenario(request.app.state.settings, body, summary, user.name)
        return {k: data[k] for k in ("name", "saved_at", "saved_by")}

    @r.get("/api/planner/scenarios/compare", tags=["planner"])
    def compare(request: Request, user: Planner, a: str, b: str) -> dict[str, Any]:
        """Two scenarios side by side: per class covered/total/ratio, both intersection rules, channels."""
        st = request.app.state.settings
        out = {}
        for key, name in (("a", a), ("b", b)):
            d = load_scenario(st, name)
            out[key] = {"name": d["name"], "cameras": len(d["cameras"]), "removed": len(d["remove"]), **d["result"]}
        return out

    @r.get("/api/planner/scenarios/{name}", tags=["planner"])
    def scenario(request: Request, user: Planner, name: str) -> dict[str, Any]:
        return load_scenario(request.app.state.settings, name)

    @r.get("/api/planner/scenarios/{name}/cameras.geojson", tags=["planner"])
    def scenario_cameras(request: Request, user: Planner, name: str) -> Response:
        """The scenario's whole camera set as a GeoJSON camera file: ``xueliang plan --cameras FILE`` keeps
        them fixed."""
        import json

        d = load_scenario(request.app.state.settings, name)
        body = WhatIfIn.model_validate({k: d[k] for k in ("cameras", "remove")})
        fc = _camera_set_geojson(served(request.app.state), body)
        return Response(
            json.dumps(fc, ensure_ascii=False),
            media_type="application/geo+json",
            headers={"Content-Disposition": f'attachment; filename="{name}-cameras.geojson"'},
        )

    def schedule_response(request: Request, scenario: str | None, fmt: str, **stream: Any) -> Response:
        from pydantic import ValidationError

        from geo.schedule import StreamSettings, to_csv, to_xlsx
        from xueliang.config import format_validation_error

        try:
            settings = StreamSettings.model_validate(stream)
        except ValidationError as exc:
            raise InputError("schedule", format_validation_error(exc)) from None
        rows = _schedule_rows(request, served(request.app.state), scenario, settings)
        name = f"schedule-{scenario or 'plan'}.{fmt}"
        disp = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "csv":
            return Response(to_csv(rows), media_type="text/csv; charset=utf-8", headers=disp)
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(to_xlsx(rows), media_type=xlsx, headers=disp)

    @r.get(
        "/api/planner/schedule.{fmt}",
        tags=["planner"],
        response_class=Response,
        responses={
            200: {
                "description": "the schedule as CSV or XLSX",
                "content": {
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
            }
        },
    )
    def schedule(
        request: Request,
        user: Planner,
        fmt: Literal["csv", "xlsx"],
        scenario: str | None = None,
        fps: float = 25.0,
        codec: str = "h265",
        complexity: float = 1.0,
        retention_days: int = 30,
    ) -> Response:
        """Camera schedule (``schedule.csv`` or ``schedule.xlsx`` with sheets ``schedule`` and ``totals``) of a
        scenario's added cameras (``?scenario=NAME``) or of the served plan."""
        return schedule_response(
            request, scenario, fmt, fps=fps, codec=codec, complexity=complexity, retention_days=retention_days
        )

    return r
