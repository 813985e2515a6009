"""The outermost layer of the app (plain ASGI, before FastAPI reads anything):

- a request body larger than ``max_body_bytes`` gets 413 by its ``Content-Length``, before a byte is read
  (a chunked body is cut off at the limit by FastAPI's own ``max_body_size``, set to the same value);
- a POST/PUT/PATCH/DELETE without a live session gets 401 before its body is read (except the login form);
- every response carries the security headers (CSP, frame and type options, referrer policy), and every
  ``/media/`` response ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

import anyio

from xueliang.storage import Database
from xueliang.storage.database import audit_origin

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_POSTS = frozenset({"/login", "/logout"})  # need no session: the login form, and ending one
#: GA/T 1400 pushes from platforms: no session, HTTP Digest checked by routes_viid before the body is read
DIGEST_PREFIX = "/VIID/"
HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
NO_STORE = (b"cache-control", b"private, no-store")


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return bytes(v).decode("latin-1")
    return None


def session_token(scope: Scope, cookie: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        jar: SimpleCookie = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(cookie)
    return morsel.value if morsel else None


def _in_language(scope: Scope, detail: str) -> str:
    """``detail`` in the request's language (the ``/lang`` cookie, else ``Accept-Language``), as the app's pages."""
    from xueliang.i18n import LANGUAGES, negotiate, translator
    from xueliang.i18n.errors import translate_message
    from xueliang.web.routes_common import LANG_COOKIE

    chosen = session_token(scope, LANG_COOKIE)
    t = translator(chosen if chosen in LANGUAGES else negotiate(_header(scope, b"accept-language")))
    return translate_message(t.gettext(detail), t)


async def _answer(
    scope: Scope, send: Send, status: int, detail: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps({"detail": _in_language(scope, detail)}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """See the module docstring. ``db`` and ``max_body`` come from the app's settings."""

    def __init__(self, app: ASGIApp, *, db: Database, max_body: int, cookie: str) -> None:
        self.app = app
        self.db = db
        self.max_body = max_body
        self.cookie = cookie

    async def _logged_in(self, scope: Scope) -> bool:
        from xueliang.web.auth import session_user

        token = session_token(scope, self.cookie)
        if not token:
            return False
        return await anyio.to_thread.run_sync(session_user, self.db, token) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        media = path.startswith("/media/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if not (media and k == b"cache-control")]
                names = {k for k, _ in headers}
                headers += [h for h in HEADERS if h[0] not in names]
                if media:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _answer(scope, send, 413, f"request body too large: at most {self.max_body} bytes")
            return
        if (
            scope["method"] not in SAFE_METHODS
            and path not in OPEN_POSTS
            and not path.startswith(DIGEST_PREFIX)
            and not await self._logged_in(scope)
        ):
            await _answer(scope, send, 401, "not logged in")
            return
        with audit_origin("web"):  # audit rows of this request record origin "web"
            await self.app(scope, receive, send_with_headers)
