"""Planners: a Leaflet map (served locally) with views, gaps per class, cameras and proposed plan sites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xueliang.errors import NotFoundError
from xueliang.web.auth import require
from xueliang.web.routes_common import ERRORS, page
from xueliang.web.users import User

Planner = Annotated[User, Depends(require("planner"))]


def _layer(gpkg: Path, name: str) -> dict[str, Any]:
    import geopandas as gpd

    gdf = gpd.read_file(gpkg, layer=name).to_crs(4326)
    for col in gdf.columns:
        if col != "geometry" and str(gdf[col].dtype).startswith(("datetime", "object")):
            gdf[col] = gdf[col].astype(str)
    data: dict[str, Any] = json.loads(gdf.to_json(na="null"))
    return data


def coverage_layers(coverage_dir: Path) -> dict[str, Any]:
    """GeoJSON of views, cameras and each target class (with ``covered``) from coverage.gpkg."""
    import pyogrio

    gpkg = coverage_dir / "coverage.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(f"no coverage.gpkg in {coverage_dir} (start with --coverage DIR)")
    names = [str(n) for n, _ in pyogrio.list_layers(gpkg)]
    return {name: _layer(gpkg, name) for name in names}


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    @r.get("/planner", response_class=HTMLResponse, include_in_schema=False)
    def planner_page(request: Request, user: Planner) -> HTMLResponse:
        st = request.app.state.settings
        return page(request, "planner.html", user, coverage_dir=st.coverage_dir, plan_dir=st.plan_dir)

    @r.get("/api/planner/coverage", tags=["planner"])
    def coverage(request: Request, user: Planner) -> dict[str, Any]:
        """Coverage layers as GeoJSON (WGS84): ``views``, ``cameras`` and one layer per target class."""
        st = request.app.state.settings
        if st.coverage_dir is None:
            raise NotFoundError("no coverage folder configured (xueliang serve --coverage DIR)")
        return coverage_layers(st.coverage_dir)

    @r.get("/api/planner/plan", tags=["planner"])
    def plan(request: Request, user: Planner) -> dict[str, Any]:
        """Proposed sites of the plan (GeoJSON) and its before/after coverage per class."""
        from xueliang.report.data import load_plan

        st = request.app.state.settings
        if st.plan_dir is None:
            raise NotFoundError("no plan folder configured (xueliang serve --plan DIR)")
        p = load_plan(st.plan_dir)
        return {
            "sites": p.sites,
            "classes": [{"name": c.name, "before": c.before, "after": c.after} for c in p.classes],
            "cameras_added": p.plan.get("cameras_added"),
            "total_cost": p.plan.get("total_cost"),
            "intersection_rule": p.plan.get("intersection_rule_name"),
        }

    return r
