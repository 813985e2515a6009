"""Investigators: sighting search, thumbnails, a sighting's detail and trajectory, keep/eliminate marks.

Only investigators (and admin) reach footage and thumbnails; every search, trajectory lookup, mark and
export is audited.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xueliang.config import format_validation_error
from xueliang.errors import InputError, NotFoundError, XueliangError
from xueliang.i18n import N_, translator
from xueliang.i18n.validation import validation_line
from xueliang.investigate.link import DEFAULT_LINK_THRESHOLD
from xueliang.storage import Database
from xueliang.web.auth import audit_refusal, require
from xueliang.web.media import safe_media_file, url_media_file
from xueliang.web.routes_common import ERRORS, page, page_language
from xueliang.web.sightings import (
    WEB_CASE,
    SearchForm,
    SightingsPage,
    add_mark,
    check_sighting,
    facets,
    get_sighting,
    media_path,
    search_sightings,
)
from xueliang.web.users import User

Investigator = Annotated[User, Depends(require("investigator"))]
# sightings.id is a 32-bit INTEGER on PostgreSQL (64-bit on SQLite): anything beyond is a 422, not a 500
SightingId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a sighting id")]
IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "the image (never cached)"}
}
ANY_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {"*/*": {}}, "description": "the file (never cached)"}}
SCENE = r"^\s*-?[0-9.]+\s*,\s*-?[0-9.]+\s*,\s*[0-9.]+\s*,[^,]+,[^,]+$"


class MarkIn(BaseModel):
    """A keep/eliminate decision with its reason, appended to the review log of ``case`` (default ``web``)."""

    model_config = ConfigDict(extra="forbid")

    mark: Literal["keep", "eliminate"]
    reason: str = Field(min_length=3, max_length=2000)
    case: str = Field(default=WEB_CASE, min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")


#: the search form's fields by their labels on the page (a bad value is named as the user sees it)
SEARCH_LABELS = {
    "colour": N_("Colour"),
    "vehicle_type": N_("Type"),
    "plate_state": N_("Plate"),
    "plate_prefix": N_("Plate starts with"),
    "camera_id": N_("Camera"),
    "start": N_("From (UTC)"),
    "end": N_("To (UTC)"),
    "limit": N_("Limit"),
}
SCENES_LABELS = {"scenes": N_("Scenes"), "min_scenes": N_("Minimum scenes")}


class ScenesIn(BaseModel):
    """Multi-scene search: each scene ``LON,LAT,METRES,FROM,TO``; vehicles seen near >= min_scenes."""

    model_config = ConfigDict(extra="forbid")

    scenes: list[Annotated[str, Field(pattern=SCENE, max_length=200)]] = Field(min_length=1, max_length=20)
    min_scenes: int = Field(2, ge=1, le=20)
    min_similarity: float = Field(DEFAULT_LINK_THRESHOLD, ge=-1, le=1, allow_inf_nan=False)


def _multi_scene(db: Database, user: User, body: ScenesIn) -> list[dict[str, Any]]:
    """Through the search API (plate links, appearance links, ranked); audited there."""
    from xueliang.investigate.scenes import multi_scene, parse_scene_arg

    scenes = [parse_scene_arg(line, index=i + 1) for i, line in enumerate(body.scenes)]
    res = multi_scene(db, scenes, min_scenes=body.min_scenes, min_similarity=body.min_similarity, actor=user.name)
    return [guard_media(c.to_json()) for c in res.candidates]


def guard_media(obj: Any) -> Any:
    """``obj`` (JSON-like) with every stored ``thumbnail_path`` replaced by the guarded URL that serves
    it (or None): where the media folder is stays on the server."""
    if isinstance(obj, list):
        return [guard_media(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: guard_media(v) for k, v in obj.items() if k != "thumbnail_path"}
    if "thumbnail_path" in obj:
        sid = obj.get("sighting_id")
        out["thumbnail_url"] = f"/media/sightings/{sid}/thumbnail" if obj["thumbnail_path"] and sid else None
    return out


def _trajectory(db: Database, user: User, sighting_id: int, min_similarity: float) -> dict[str, Any]:
    """Where else the vehicle was seen, as GeoJSON: the CLI's ``xueliang trajectory --sighting`` (plate and
    appearance links, camera positions from the registry); audited there under the user's name."""
    from xueliang.investigate.similar import trajectory

    check_sighting(db, sighting_id)  # 404 naming the id, before any lookup
    try:
        t = trajectory(db, sighting_id=sighting_id, min_similarity=min_similarity, actor=user.name)
    except InputError as exc:  # the library names the CLI option; here it is the URL's sighting
        raise InputError("trajectory", exc.detail) from exc
    fc: dict[str, Any] = guard_media(t.to_geojson())
    return fc


def _search(db: Database, user: User, q: SearchForm) -> SightingsPage:
    found = search_sightings(db, q)
    query = q.active() | {"limit": q.limit, "total": found.total, "total_is_estimate": found.total_is_estimate}
    db.audit(actor=user.name, action="web.search", query=query, result_count=len(found.hits))
    return found


def _detail_page(request: Request, user: User, sighting_id: int, error: str | None) -> HTMLResponse:
    sighting, detail = get_sighting(request.app.state.db, sighting_id)
    return page(
        request,
        "sighting.html",
        user,
        s=sighting,
        track=detail.track_json(),
        width=detail.width,
        height=detail.height,
        error=error,
    )


def viewed(db: Database, user: User, what: str, query: dict[str, Any]) -> None:
    """Audit a footage view (a sighting record, a frame, a thumbnail, a media file): ``web.view.<what>``."""
    db.audit(actor=user.name, action=f"web.view.{what}", query=query, result_count=1)


def _file(request: Request, user: User, sighting_id: int, kind: str) -> Response:
    st = request.app.state.settings
    db: Database = request.app.state.db
    stored = media_path(db, sighting_id, kind)
    if not stored:
        raise NotFoundError(f"sighting {sighting_id} has no {kind}")
    f = safe_media_file(st.media_dir, stored)
    viewed(db, user, kind, {"sighting": sighting_id})
    return FileResponse(f, headers={"Cache-Control": "private, no-store"})


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    @r.get("/investigator", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, user: Investigator) -> HTMLResponse:
        db: Database = request.app.state.db
        raw = {k: v for k, v in request.query_params.items() if v.strip()}
        error = None
        found = SightingsPage([], 0, False, None)
        try:
            q = SearchForm.model_validate(raw)
            found = _search(db, user, q)
        except ValidationError as exc:
            audit_refusal(request, user, format_validation_error(exc))
            error = validation_line(exc.errors(), translator(page_language(request)), SEARCH_LABELS)
            q = SearchForm()
        except InputError as exc:  # a cursor that is not one (the form's own fields are checked above)
            audit_refusal(request, user, str(exc))
            error = str(exc)
        nxt = found.next_query(q)
        return page(
            request,
            "investigator.html",
            user,
            q=q,
            raw=raw,
            results=found.hits,
            found=found,
            next_url=None if nxt is None else "/investigator?" + urlencode(nxt),
            facets=facets(db),
            error=error,
        )

    @r.get("/investigator/scenes", response_class=HTMLResponse, include_in_schema=False)
    def scenes_page(request: Request, user: Investigator, scenes: str = "", k: int = 2) -> HTMLResponse:
        lines = [ln.strip() for ln in scenes.splitlines() if ln.strip()]
        results: list[dict[str, Any]] | None = None
        error = shown = None
        if lines:
            try:
                results = _multi_scene(request.app.state.db, user, ScenesIn(scenes=lines, min_scenes=k))
            except ValidationError as exc:
                error = format_validation_error(exc)
                shown = validation_line(exc.errors(), translator(page_language(request)), SCENES_LABELS)
            except XueliangError as exc:
                error = str(exc)
            if error:
                audit_refusal(request, user, error)
        return page(request, "scenes.html", user, scenes=scenes, k=k, results=results, error=shown or error)

    @r.post("/api/scenes", tags=["investigator"])
    def api_scenes(request: Request, user: Investigator, body: ScenesIn) -> dict[str, Any]:
        """Vehicles seen near at least ``min_scenes`` of the scenes, linked by plate or appearance (audited)."""
        return {"candidates": _multi_scene(request.app.state.db, user, body)}

    @r.get("/api/sightings", tags=["investigator"])
    def api_search(request: Request, user: Investigator, q: Annotated[SearchForm, Query()]) -> dict[str, Any]:
        """Sightings matching every filter (audited). With a plate, one page of ``limit`` (exact matches
        first, then one character off, then partial plates, each by time), ``total`` (an estimate when
        ``total_is_estimate``) and ``next``, the ``after`` of the next page (null on the last)."""
        found = _search(request.app.state.db, user, q)
        return {
            "results": [r.to_json() for r in found.hits],
            "total": found.total,
            "total_is_estimate": found.total_is_estimate,
            "next": found.next,
        }

    @r.get("/investigator/sightings/{sighting_id}", response_class=HTMLResponse, include_in_schema=False)
    def detail_page(request: Request, user: Investigator, sighting_id: SightingId) -> HTMLResponse:
        resp = _detail_page(request, user, sighting_id, None)
        viewed(request.app.state.db, user, "sighting", {"sighting": sighting_id, "page": True})
        return resp

    @r.get("/api/sightings/{sighting_id}", tags=["investigator"])
    def api_detail(request: Request, user: Investigator, sighting_id: SightingId) -> dict[str, Any]:
        """One sighting with its trajectory (box centres in video pixels)."""
        sighting, detail = get_sighting(request.app.state.db, sighting_id)
        viewed(request.app.state.db, user, "sighting", {"sighting": sighting_id})
        return {"sighting": sighting.to_json(), "trajectory": detail.track_json()}

    @r.get(
        "/api/sightings/{sighting_id}/trajectory",
        tags=["investigator"],
        response_class=JSONResponse,
        responses={200: {"content": {"application/geo+json": {}}}, 404: {"description": "unknown sighting"}},
    )
    def api_trajectory(
        request: Request,
        user: Investigator,
        sighting_id: SightingId,
        min_similarity: Annotated[float, Query(ge=-1, le=1)] = 0.85,
    ) -> JSONResponse:
        """Where else this vehicle was seen, in time order (GeoJSON; audited).

        Linked by plate text and by appearance similarity >= ``min_similarity``, as ``xueliang trajectory``:
        a ``LineString`` through the camera positions, then one ``Point`` per sighting with ``order``,
        ``link`` (query/plate/appearance) and ``similarity``; a sighting whose camera has no position is
        a feature with null geometry and ``located: false``.
        """
        fc = _trajectory(request.app.state.db, user, sighting_id, min_similarity)
        return JSONResponse(fc, media_type="application/geo+json")

    @r.get(
        "/media/sightings/{sighting_id}/thumbnail", tags=["investigator"], response_class=FileResponse, responses=IMAGE
    )
    def thumbnail(request: Request, user: Investigator, sighting_id: SightingId) -> Response:
        """The sighting's thumbnail (investigators and admin only)."""
        return _file(request, user, sighting_id, "thumbnail")

    @r.get("/media/sightings/{sighting_id}/frame", tags=["investigator"], response_class=FileResponse, responses=IMAGE)
    def frame(request: Request, user: Investigator, sighting_id: SightingId) -> Response:
        """The sighting's best full frame (investigators and admin only)."""
        return _file(request, user, sighting_id, "frame")

    @r.get("/media/files/{path:path}", tags=["investigator"], response_class=FileResponse, responses=ANY_FILE)
    def media_file(request: Request, user: Investigator, path: str) -> Response:
        """Any file under the media folder by relative path: ``..`` and absolute paths get 400; a missing file
        and a symlink out both get 404."""
        f = url_media_file(request.app.state.settings.media_dir, path)
        viewed(request.app.state.db, user, "file", {"path": path})
        return FileResponse(f)

    @r.post("/api/sightings/{sighting_id}/marks", tags=["investigator"])
    def api_mark(request: Request, user: Investigator, sighting_id: SightingId, body: MarkIn) -> dict[str, Any]:
        """Record keep/eliminate with a reason (appended; the latest mark counts)."""
        db: Database = request.app.state.db
        m = add_mark(db, sighting_id, body.mark, body.reason, user.name, body.case)
        db.audit(
            actor=user.name, action="web.mark", query={"sighting": sighting_id, **body.model_dump()}, result_count=1
        )
        return asdict(m)

    @r.post("/investigator/sightings/{sighting_id}/mark", include_in_schema=False)
    def form_mark(
        request: Request,
        user: Investigator,
        sighting_id: SightingId,
        mark: Annotated[str, Form()],
        reason: Annotated[str, Form()],
        case: Annotated[str, Form()] = "",
    ) -> Response:
        db: Database = request.app.state.db
        try:
            body = MarkIn.model_validate({"mark": mark, "reason": reason, "case": case.strip() or WEB_CASE})
        except ValidationError as exc:
            resp = _detail_page(request, user, sighting_id, format_validation_error(exc))
            resp.status_code = 400
            return resp
        add_mark(db, sighting_id, body.mark, body.reason, user.name, body.case)
        db.audit(
            actor=user.name, action="web.mark", query={"sighting": sighting_id, **body.model_dump()}, result_count=1
        )
        return RedirectResponse(f"/investigator/sightings/{sighting_id}", status_code=303)

    @r.post(
        "/api/sightings/{sighting_id}/export",
        tags=["investigator"],
        response_class=Response,
        responses={200: {"content": {"application/zip": {}}, "description": "the evidence package"}},
    )
    def export(request: Request, user: Investigator, sighting_id: SightingId) -> Response:
        """Evidence package (zip): sighting.json with trajectory and marks, thumbnail and frame, SHA-256 manifest."""
        db: Database = request.app.state.db
        st = request.app.state.settings
        sighting, detail = get_sighting(db, sighting_id)
        files: dict[str, bytes] = {
            "sighting.json": json.dumps(
                {"sighting": sighting.to_json(), "trajectory": detail.track_json(), "exported_by": user.name},
                ensure_ascii=False,
                indent=2,
                default=str,
            ).encode("utf-8")
        }
        for kind in ("thumbnail", "frame"):
            stored = media_path(db, sighting_id, kind)
            if stored:
                f = safe_media_file(st.media_dir, stored)
                files[f"{kind}{f.suffix}"] = f.read_bytes()
        manifest = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in sorted(files.items()))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in sorted(files.items()):
                z.writestr(name, data)
            z.writestr("SHA256SUMS", manifest)
        db.audit(
            actor=user.name,
            action="web.export",
            query={"sighting": sighting_id, "files": sorted(files)},
            result_count=1,
        )
        return Response(
            buf.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="sighting-{sighting_id}.zip"'},
        )

    return r
