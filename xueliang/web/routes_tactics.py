"""Investigators: the Tactics page (parameters, results table, each result's passes on the map, export).

``GET /investigator/tactics`` renders the form and, with a tactic chosen, its results; ``GET
/api/tactics/{name}`` returns the same result as JSON (the export). Both run the tactic on DuckDB
over the database's sightings and write the audit row under the logged-in investigator (and the
case's query row with ``case``). Parameters are parsed by a model that rejects unknown keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xueliang.config import format_validation_error
from xueliang.errors import InputError, XueliangError
from xueliang.storage import Database
from xueliang.web.auth import require
from xueliang.web.routes_common import ERRORS, page
from xueliang.web.users import User

Investigator = Annotated[User, Depends(require("investigator"))]
TACTICS = ("cloned-plates", "companions", "first-entry", "footholds", "nocturnal", "frequent", "area-collision")


class TacticIn(BaseModel):
    """The page's parameters; empty fields mean the tactic's defaults (docs/tactics.md)."""

    model_config = ConfigDict(extra="forbid")

    tactic: Literal[
        "cloned-plates", "companions", "first-entry", "footholds", "nocturnal", "frequent", "area-collision"
    ]
    plate: str = Field("", max_length=16)
    start: str = Field("", max_length=40)
    end: str = Field("", max_length=40)
    entry: str = Field("", max_length=4000)  # checkpoint ids, comma-separated
    scenes: str = Field("", max_length=4000)  # LON,LAT,METRES,FROM,TO per line
    k: int | None = Field(None, ge=1, le=50)
    min_passes: int | None = Field(None, ge=1, le=100_000)
    max_kmh: float | None = Field(None, gt=0, le=2000)
    case: str = Field("", max_length=64)


def _window(p: TacticIn) -> Any:
    from xueliang.investigate.search import parse_time
    from xueliang.investigate.tactics.run import Window

    return Window(
        parse_time(p.start, source="from") if p.start.strip() else None,
        parse_time(p.end, source="to") if p.end.strip() else None,
    )


def run_tactic(db: Database, user: User, p: TacticIn, *, parquet: str | None = None) -> dict[str, Any]:
    """Run ``p`` (DuckDB), audit it under ``user``, return the JSON result.

    DuckDB reads the day-partitioned Parquet mirror when one is configured (``serve --passes-parquet``),
    else only the passes the tactic needs from the database (its window's rows and the columns of
    the passes relation, pushed down as SQL: :func:`reads_for`).
    """
    from xueliang.investigate.scenes import parse_scene_arg
    from xueliang.investigate.tactics import run
    from xueliang.investigate.tactics.service import check_cameras, check_plate, execute, reads_for, scene_cameras

    w = _window(p)
    plate = check_plate(p.plate, source="plate") if p.tactic in ("companions", "footholds") else None
    cams: list[str] = []
    resolved: list[Any] = []
    if p.tactic == "first-entry":
        cams = [c.strip() for c in p.entry.split(",") if c.strip()]
        check_cameras(db, cams, "entry")
    if p.tactic == "area-collision":
        lines = [ln.strip() for ln in p.scenes.splitlines() if ln.strip()]
        if not lines:
            raise InputError("scenes", "expected at least one scene LON,LAT,METRES,FROM,TO, got none")
        resolved = scene_cameras(db, [parse_scene_arg(ln, index=i + 1) for i, ln in enumerate(lines)])
    calls: dict[str, Any] = {
        "cloned-plates": lambda e: run.cloned_plates(e, window=w, max_kmh=p.max_kmh or 150.0),
        "companions": lambda e: run.companions(e, plate=str(plate), window=w, k=p.k or 3),
        "first-entry": lambda e: run.first_entry(e, entry_cameras=cams, window=w),
        "footholds": lambda e: run.footholds(e, plate=str(plate), window=w),
        "nocturnal": lambda e: run.nocturnal(e, window=w, min_passes=p.min_passes or 10),
        "frequent": lambda e: run.frequent(e, window=w, min_passes=p.min_passes or 8),
        "area-collision": lambda e: run.area_collision(e, scenes=resolved, k=p.k or 2),
    }
    reads = None if parquet else reads_for(p.tactic, w, plate=plate, scenes=resolved)
    result = execute(
        db, p.tactic, calls[p.tactic], parquet=parquet, reads=reads, actor=user.name, case_id=p.case.strip() or None
    )
    return result.to_json()


def _mirror(request: Request) -> str | None:
    folder = request.app.state.settings.passes_parquet
    return None if folder is None else str(folder)


def _parse(params: dict[str, str]) -> TacticIn:
    try:
        return TacticIn.model_validate({k: v for k, v in params.items() if v != "" or k == "tactic"})
    except ValidationError as exc:
        raise InputError("tactic parameters", format_validation_error(exc)) from exc


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    @r.get("/investigator/tactics", response_class=HTMLResponse, include_in_schema=False)
    def tactics_page(request: Request, user: Investigator) -> HTMLResponse:
        params = dict(request.query_params)
        result, error = None, None
        if params.get("tactic"):
            try:
                result = run_tactic(request.app.state.db, user, _parse(params), parquet=_mirror(request))
            except XueliangError as exc:
                error = str(exc)
        return page(
            request,
            "tactics.html",
            user,
            tactics=TACTICS,
            params=params,
            result=result,
            error=error,
            export=f"/api/tactics?{request.url.query}" if result is not None else None,
        )

    @r.get("/api/tactics")
    def tactics_api(request: Request, user: Investigator) -> JSONResponse:
        """The tactic's result as JSON (results with their pass ids, and the passes), audited."""
        result = run_tactic(request.app.state.db, user, _parse(dict(request.query_params)), parquet=_mirror(request))
        return JSONResponse(result, headers={"Content-Disposition": 'attachment; filename="tactic.json"'})

    return r
