"""Sessions in signed cookies, and role checks as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from xueliang.errors import NotFoundError
from xueliang.storage import Database
from xueliang.web.users import User, get_user

COOKIE = "xueliang_session"


class NotLoggedIn(Exception):
    """Raised by dependencies; the app turns it into a redirect to /login (pages) or 401 (API)."""


def serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="xueliang-session")


def set_session(response: Response, request: Request, user: User) -> None:
    st = request.app.state.settings
    token = serializer(st.secret_key).dumps({"u": user.name})
    response.set_cookie(
        COOKIE, token, max_age=st.session_max_age_s, httponly=True, samesite="strict", secure=st.secure_cookies
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE)


def current_user(request: Request) -> User:
    """The logged-in user (re-read from the database, so a disabled or re-roled user takes effect at once)."""
    st = request.app.state.settings
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotLoggedIn()
    try:
        data = serializer(st.secret_key).loads(token, max_age=st.session_max_age_s)
    except BadSignature:
        raise NotLoggedIn() from None
    db: Database = request.app.state.db
    try:
        return get_user(db, str(data.get("u", "")))
    except NotFoundError:
        raise NotLoggedIn() from None


def require(*roles: str) -> Callable[[Request], User]:
    """A dependency that lets through the given roles (and admin); others get HTTP 403."""

    def dep(request: Request) -> User:
        user = current_user(request)
        if not user.may(*roles):
            raise HTTPException(
                status_code=403, detail=f"role {user.role!r} may not open this; needs {'/'.join(roles)}"
            )
        return user

    return dep
