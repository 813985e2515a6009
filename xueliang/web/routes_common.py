"""Login, logout and the home page that sends each role to its own page."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xueliang.web.auth import NotLoggedIn, clear_session, current_user, set_session
from xueliang.web.users import User, authenticate

HOME = {"planner": "/planner", "investigator": "/investigator", "reviewer": "/reviewer", "admin": "/reviewer"}


@dataclass
class LoginFailures:
    """Failed logins per name in a sliding window; past ``limit`` the name is locked until they age out."""

    limit: int = 5
    window_s: float = 300.0
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, name: str) -> deque[float]:
        q = self.seen.setdefault(name, deque())
        now = time.monotonic()
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def locked(self, name: str) -> bool:
        return len(self._recent(name)) >= self.limit

    def add(self, name: str) -> None:
        self._recent(name).append(time.monotonic())

    def clear(self, name: str) -> None:
        self.seen.pop(name, None)


def page(request: Request, name: str, user: User | None, **context: object) -> HTMLResponse:
    templates = request.app.state.templates
    resp: HTMLResponse = templates.TemplateResponse(request, name, {"user": user, **context})
    return resp


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        try:
            user = current_user(request)
        except NotLoggedIn:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(HOME[user.role], status_code=303)

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
        failures: LoginFailures = request.app.state.login_failures
        if failures.locked(username):
            resp = page(request, "login.html", None, next=next, error="Too many failed logins; wait a few minutes.")
            resp.status_code = 429
            return resp
        user = authenticate(request.app.state.db, username, password)
        if user is None:
            failures.add(username)
            resp = page(request, "login.html", None, next=next, error="Wrong name or password.")
            resp.status_code = 401
            return resp
        failures.clear(username)
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
