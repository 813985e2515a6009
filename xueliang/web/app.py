"""``create_app(settings)``: the FastAPI app; nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from xueliang.errors import InputError, NotFoundError
from xueliang.i18n import N_, Translator, translator
from xueliang.i18n.errors import translate_error, translate_message
from xueliang.i18n.validation import problems
from xueliang.storage import open_database
from xueliang.web.auth import COOKIE, NotLoggedIn, audit_refusal, current_user
from xueliang.web.guard import SAFE_METHODS, Guard
from xueliang.web.media import MediaPathError
from xueliang.web.routes_common import page_language
from xueliang.web.settings import WebSettings

HERE = Path(__file__).resolve().parent
AUDITED = ("/api/sightings", "/api/scenes", "/media/", "/investigator")  # searches, footage, exports


def same_origin(request: Request) -> bool:
    """True unless the browser says the request comes from another site: ``Origin`` (else ``Referer``)
    must name this host and port. Without either header (scripts, curl) the request passes."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    if source == "null":  # sandboxed frames, file: pages
        return False
    there = urlsplit(source)
    host = request.headers.get("host", "")
    return there.scheme in ("http", "https") and there.netloc.lower() == host.lower()


def request_translator(request: Request) -> Translator:
    """The translator of the request's language: the ``/lang`` switch's cookie, else ``Accept-Language``."""
    return translator(page_language(request))


def api_message(request: Request, text: str) -> str:
    """An error ``detail`` of the API in the request's language (a catalogue text or a known shape)."""
    t = request_translator(request)
    return translate_message(t.gettext(text), t)


def create_app(settings: WebSettings) -> FastAPI:
    """The app for ``settings``: opens (and migrates) the database, mounts static files and every route."""
    from xueliang.web import (
        routes_alerts,
        routes_common,
        routes_investigator,
        routes_planner,
        routes_reviewer,
        routes_tactics,
        routes_viid,
        routes_workbench,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="xueliang",
        version="0.1.0",
        description="Maps for planners, sighting search for investigators, compliance and ledger for reviewers.",
        openapi_url=None,  # served below, behind login; no /docs (its page needs a CDN and inline script)
        docs_url=None,
        redoc_url=None,
        max_body_size=settings.max_body_bytes,  # streamed bodies without Content-Length: 413 at the limit
    )
    app.state.settings = settings
    app.state.db = open_database(settings.db_url)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["page"] = templates.env.get_template("_page.html").module  # macros for every page
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def _same_origin_only(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Refuse a state-changing request that a page of another site sent (cross-site request forgery)."""
        if request.method not in SAFE_METHODS and not same_origin(request):
            detail = api_message(request, N_("cross-site request refused: Origin/Referer is not this site"))
            return JSONResponse({"detail": detail}, 403)
        return await call_next(request)

    def refused(request: Request, why: str) -> None:
        """Audit a refused search, footage view or export by a logged-in user (anonymous ones got 401)."""
        if not request.url.path.startswith(AUDITED):
            return
        try:
            user = current_user(request)
        except NotLoggedIn:
            return
        audit_refusal(request, user, why)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """422 naming each field and what was wrong, without echoing the input (NaN is not JSON); ``msg`` in the
        request's language, ``loc`` and ``type`` as pydantic gives them (the audit log keeps English)."""
        errors = exc.errors()
        detail = [{"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e["type"])} for e in errors]
        await run_in_threadpool(refused, request, "; ".join(f"{d['loc'][-1]}: {d['msg']}" for d in detail))
        t = request_translator(request)
        if t.lang != "en":
            for d, p in zip(detail, problems(errors, t), strict=True):
                d["msg"] = p.message
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """FastAPI's and our HTTP errors, their ``detail`` in the request's language."""
        if exc.status_code < 200 or exc.status_code in (204, 304):  # no body allowed
            return Response(status_code=exc.status_code, headers=exc.headers)
        detail = exc.detail
        if isinstance(detail, str):
            detail = api_message(request, detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(NotLoggedIn)
    async def _not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if request.url.path.startswith(("/api/", "/media/", "/openapi.json")):
            return JSONResponse({"detail": api_message(request, N_("not logged in"))}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        await run_in_threadpool(refused, request, str(exc))
        return JSONResponse({"detail": translate_error(exc, request_translator(request))}, status_code=404)

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError) -> Response:
        if isinstance(exc, MediaPathError):  # do not tell the client where the media folder is
            await run_in_threadpool(refused, request, "media path outside the media folder")
            detail = api_message(request, N_("media path refused: outside the media folder"))
            return JSONResponse({"detail": detail}, status_code=400)
        await run_in_threadpool(refused, request, str(exc))
        return JSONResponse({"detail": translate_error(exc, request_translator(request))}, status_code=400)

    app.include_router(routes_common.router())
    app.include_router(routes_planner.router())
    app.include_router(routes_workbench.router())
    app.include_router(routes_investigator.router())
    app.include_router(routes_reviewer.router())
    app.include_router(routes_tactics.router())  # the investigators' Tactics page (docs/tactics.md)
    app.include_router(routes_alerts.router())  # watch-list alerts: page, JSON, acknowledging
    app.include_router(routes_viid.router())  # GA/T 1400 push, HTTP Digest (docs/tactics.md)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(current_user)])
    def openapi() -> JSONResponse:
        """The OpenAPI spec, for logged-in users only."""
        return JSONResponse(app.openapi())

    # outermost: size limit and login checked before any body is read; security headers on every answer
    app.add_middleware(Guard, db=app.state.db, max_body=settings.max_body_bytes, cookie=COOKIE)
    return app
