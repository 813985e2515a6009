"""Login, logout and the home page that sends each role to its own page."""

from __future__ import annotations

import math
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from xueliang.i18n import LANGUAGES, Translator, negotiate, translator
from xueliang.i18n.errors import translate_label, translate_message
from xueliang.web import throttle
from xueliang.web.auth import NotLoggedIn, clear_session, current_user, set_session
from xueliang.web.users import User, authenticate


class ErrorOut(BaseModel):
    """Why a request was refused."""

    detail: str


# the error answers every API route may give, documented in the OpenAPI spec
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "bad input (named in detail)"},
    401: {"model": ErrorOut, "description": "not logged in"},
    403: {"model": ErrorOut, "description": "this role may not open it, or a cross-site request"},
    404: {"model": ErrorOut, "description": "not found"},
    413: {"description": "request body too large"},
}

HOME = {"planner": "/planner", "investigator": "/investigator", "reviewer": "/reviewer", "admin": "/reviewer"}


def client_of(request: Request) -> str:
    """The client's address (``X-Forwarded-For`` only when the peer is a configured proxy)."""
    st = request.app.state.settings
    peer = request.client.host if request.client else None
    return throttle.client_address(peer, request.headers.get("x-forwarded-for"), st.trusted_proxies)


LANG_COOKIE = "xueliang_lang"


def page_language(request: Request) -> str:
    """The language chosen with the switch (a cookie), else the browser's ``Accept-Language``."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else negotiate(request.headers.get("accept-language"))


STATIC = Path(__file__).resolve().parent / "static"


@cache
def js_texts() -> tuple[str, ...]:
    """Every text the page scripts translate: the literal first argument of each ``T("...")`` in static/*.js."""
    from babel.messages.extract import extract

    found: set[str] = set()
    for path in sorted(STATIC.glob("*.js")):
        with open(path, "rb") as f:
            for _line, message, _comments, _context in extract("javascript", f, keywords={"T": None}):
                if isinstance(message, str) and message:
                    found.add(message)
    return tuple(sorted(found))


def js_messages(t: Translator) -> dict[str, str]:
    """The translations the page scripts need (embedded in each page as data; {} for English)."""
    from xueliang.i18n.vocabulary import WORDS

    return {} if t.lang == "en" else {m: t.gettext(m) for m in (*js_texts(), *WORDS)}


def page(request: Request, name: str, user: User | None, **context: object) -> HTMLResponse:
    templates = request.app.state.templates
    t = translator(page_language(request))
    if isinstance(context.get("error"), str):  # a one-line error: its fixed part in the page's language
        context["error"] = translate_message(t.gettext(str(context["error"])), t)
    resp: HTMLResponse = templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "lang": t.lang,
            "tr": t,
            "label": partial(translate_label, t=t),
            "languages": list(LANGUAGES),
            "js_messages": js_messages(t),
            **context,
        },
    )
    return resp


def _local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirect)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target
    return target if ok else "/"


def router() -> APIRouter:
    r = APIRouter(responses=ERRORS)

    @r.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        try:
            user = current_user(request)
        except NotLoggedIn:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(HOME[user.role], status_code=303)

    @r.get("/lang/{code}", include_in_schema=False)
    def switch_language(code: str, next: str = "/") -> Response:
        """The language switch: remember ``code`` (en, zh-CN) in a cookie and go back to ``next``."""
        if code not in LANGUAGES:
            return Response(f"unknown language {code!r}: expected one of {', '.join(LANGUAGES)}", status_code=404)
        resp = RedirectResponse(_local_path(next), status_code=303)
        resp.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax")
        return resp

    @r.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "") -> HTMLResponse:
        return page(request, "login.html", None, next=next, error=None)

    @r.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        next: Annotated[str, Form()] = "",
    ) -> Response:
        db = request.app.state.db
        who = client_of(request)
        wait = throttle.wait_s(db, username, who)
        if wait > 0:
            seconds = math.ceil(wait)
            error = translator(page_language(request))("Too many failed logins; try again in %(s)s s.", s=seconds)
            resp = page(request, "login.html", None, next=next, error=error)
            resp.status_code = 429
            resp.headers["Retry-After"] = str(seconds)
            return resp
        user = authenticate(db, username, password)
        throttle.record(db, username, who, ok=user is not None)
        if user is None:
            resp = page(
                request,
                "login.html",
                None,
                next=next,
                error=translator(page_language(request))("Wrong name or password."),
            )
            resp.status_code = 401
            return resp
        target = next if next.startswith("/") and not next.startswith(("//", "/\\")) else HOME[user.role]
        redirect = RedirectResponse(target, status_code=303)
        set_session(redirect, request, user)
        return redirect

    @r.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        resp = RedirectResponse("/login", status_code=303)
        clear_session(resp, request)
        return resp

    @r.get("/api/me", tags=["session"])
    def me(user: Annotated[User, Depends(current_user)]) -> dict[str, str]:
        """The logged-in user and role."""
        return {"name": user.name, "role": user.role}

    return r
