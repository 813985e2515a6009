"""Server-side login sessions, and role checks as FastAPI dependencies.

The session cookie (HttpOnly, SameSite=Strict) holds a random 256-bit token; the database keeps its
SHA-256 in ``web_sessions`` with the user and the expiry. Sessions so survive a restart and are shared
by every process on the database, and they end for good at logout, when the user is disabled or the
password is reset (no secret key to configure, and a copy of the database yields no usable cookie).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from fastapi import HTTPException, Request, Response
from sqlalchemy import delete, select

from xueliang.errors import NotFoundError
from xueliang.storage import Database
from xueliang.web.tables import SessionRow
from xueliang.web.users import User, end_sessions, get_user

COOKIE = "xueliang_session"


class NotLoggedIn(Exception):
    """Raised by dependencies; the app turns it into a redirect to /login (pages) or 401 (API)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(db: Database, user: User, max_age_s: int) -> str:
    """A new session for ``user``; returns the token for the cookie. Sessions expired a day ago are purged."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        s.execute(delete(SessionRow).where(SessionRow.expires_at < now - dt.timedelta(days=1)))
        s.add(
            SessionRow(
                token_sha256=_digest(token),
                user_name=user.name,
                created_at=now,
                expires_at=now + dt.timedelta(seconds=max_age_s),
            )
        )
    return token


def end_session(db: Database, token: str, *, why: str) -> bool:
    """End the session of ``token``; False when it was not live."""
    with db.transaction() as s:
        return end_sessions(s, SessionRow.token_sha256 == _digest(token), why=why) > 0


def session_user(db: Database, token: str) -> User | None:
    """The user of a live session (not ended, not expired, user enabled), else None."""
    with db.sessions() as s:
        row = s.scalars(select(SessionRow).where(SessionRow.token_sha256 == _digest(token))).first()
    if row is None or row.ended_at is not None or row.expires_at <= dt.datetime.now(dt.UTC):
        return None
    try:
        return get_user(db, row.user_name)
    except NotFoundError:
        return None


def set_session(response: Response, request: Request, user: User) -> None:
    st = request.app.state.settings
    token = start_session(request.app.state.db, user, st.session_max_age_s)
    secure = st.secure_cookies
    if secure is None:  # on over HTTPS or behind a configured proxy (which terminates TLS)
        peer = request.client.host if request.client else None
        secure = request.url.scheme == "https" or peer in st.trusted_proxies
    response.set_cookie(COOKIE, token, max_age=st.session_max_age_s, httponly=True, samesite="strict", secure=secure)


def clear_session(response: Response, request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        end_session(request.app.state.db, token, why="logout")
    response.delete_cookie(COOKIE)


def current_user(request: Request) -> User:
    """The logged-in user (re-read from the database, so a disabled or re-roled user takes effect at once)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotLoggedIn()
    user = session_user(request.app.state.db, token)
    if user is None:
        raise NotLoggedIn()
    return user


def audit_refusal(request: Request, user: User, why: str) -> None:
    """Append ``web.refused`` for a logged-in user's refused request (a search, footage view or export that
    the role may not make, or input the route refused), with the method, path, query string and why."""
    query = {"method": request.method, "path": request.url.path, "params": str(request.url.query), "why": why}
    request.app.state.db.audit(actor=user.name, action="web.refused", query=query, result_count=None)


def require(*roles: str) -> Callable[[Request], User]:
    """A dependency that lets through the given roles (and admin); others get HTTP 403."""

    def dep(request: Request) -> User:
        user = current_user(request)
        if not user.may(*roles):
            audit_refusal(request, user, f"role {user.role} needs {'/'.join(roles)}")
            raise HTTPException(
                status_code=403, detail=f"role {user.role!r} may not open this; needs {'/'.join(roles)}"
            )
        return user

    return dep
