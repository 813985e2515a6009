"""GA/T 1400 receiving endpoint ``POST /VIID/MotorVehicles``: platforms push pass records.

HTTP Digest authentication (RFC 7616, MD5, ``qop="auth"``) is checked from the headers before the
body is read. Accounts come from the file named by ``$XUELIANG_VIID_USERS``: one ``user:HA1`` per
line, ``HA1 = MD5(user:realm:password)`` (the realm is ``xueliang-viid``), so the file holds no
password; without the variable the endpoint answers 404 (not configured). Nonces are an HMAC of their issue time
under a per-process secret and expire after 5 minutes (``stale=true``).

The body is the GA/T 1400 ``MotorVehicleListObject``; each object is checked and stored as
``passes import`` does (idempotent by ``MotorVehicleID``, ``DeviceID`` must be a registered
camera, watch lists checked) and the answer is a ``ResponseStatusListObject`` with one
``ResponseStatusObject`` per object: ``StatusCode`` 0 stored (or already stored), 4 refused (our
use of the code: the record's problem is in ``StatusString``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from xueliang.errors import InputError

REALM = "xueliang-viid"
USERS_ENV = "XUELIANG_VIID_USERS"
NONCE_TTL_S = 300
MAX_BODY = 64 * 1024 * 1024
_SECRET = secrets.token_bytes(32)
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def load_users(path: str | Path) -> dict[str, str]:
    """``user:HA1`` lines (``#`` comments allowed) -> {user: HA1}."""
    users: dict[str, str] = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, ha1 = line.partition(":")
        if not sep or not re.fullmatch(r"[0-9a-f]{32}", ha1.strip().lower()):
            raise InputError(
                str(path), "expected user:HA1 (32 hex digits of MD5(user:realm:password))", where=f"line {n}"
            )
        users[user.strip()] = ha1.strip().lower()
    return users


def ha1(user: str, password: str) -> str:
    return _md5(f"{user}:{REALM}:{password}")


def _nonce(now: float | None = None) -> str:
    stamp = str(int(now if now is not None else time.time()))
    return stamp + "." + hmac.new(_SECRET, stamp.encode(), "sha256").hexdigest()[:32]


def _nonce_state(nonce: str) -> str:
    stamp, _, mac = nonce.partition(".")
    if not stamp.isdigit() or not hmac.compare_digest(
        mac, hmac.new(_SECRET, stamp.encode(), "sha256").hexdigest()[:32]
    ):
        return "bad"
    return "stale" if time.time() - int(stamp) > NONCE_TTL_S else "ok"


def _challenge(stale: bool = False) -> Response:
    value = f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{_nonce()}"' + (", stale=true" if stale else "")
    return JSONResponse({"detail": "digest authentication required"}, 401, headers={"WWW-Authenticate": value})


def check_digest(request: Request, users: dict[str, str]) -> Response | None:
    """None when the request carries a valid Digest answer, else the 401 challenge to send."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("digest "):
        return _challenge()
    p = {k.lower(): (a if a else b) for k, a, b in _PARAM.findall(header[7:])}
    need = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
    if any(k not in p for k in need) or p["realm"] != REALM or p["qop"] != "auth":
        return _challenge()
    if p["uri"] != request.url.path + (f"?{request.url.query}" if request.url.query else ""):
        return _challenge()
    state = _nonce_state(p["nonce"])
    if state != "ok":
        return _challenge(stale=state == "stale")
    key = users.get(p["username"])
    if key is None:
        return _challenge()
    ha2 = _md5(f"{request.method}:{p['uri']}")
    expected = _md5(f"{key}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")
    if not hmac.compare_digest(expected, p["response"].lower()):
        return _challenge()
    return None


def _status(url: str, object_id: str, code: int, text: str) -> dict[str, Any]:
    return {
        "RequestURL": url,
        "StatusCode": code,
        "StatusString": text,
        "Id": object_id,
        "LocalTime": dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
    }


def router() -> APIRouter:
    r = APIRouter()

    @r.post(
        "/VIID/MotorVehicles",
        include_in_schema=True,
        tags=["GA/T 1400"],
        responses={
            401: {"description": "no or bad HTTP Digest credentials (a challenge in WWW-Authenticate)"},
            404: {"description": "GA/T 1400 receiving is not configured on this server ($XUELIANG_VIID_USERS)"},
            413: {"description": "request body too large"},
            400: {"description": "not a GA/T 1400 MotorVehicleListObject"},
        },
    )
    async def motor_vehicles(request: Request) -> Response:
        from xueliang.investigate.passes import parse_json
        from xueliang.investigate.passes_store import ingest
        from xueliang.investigate.watch import check_new

        path = os.environ.get(USERS_ENV)
        if not path:
            return JSONResponse({"detail": f"GA/T 1400 receiving is not configured (${USERS_ENV})"}, 404)
        refused = check_digest(request, load_users(path))
        if refused is not None:
            return refused  # the body is never read without valid credentials
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            return JSONResponse({"detail": f"body over {MAX_BODY} bytes"}, 413)
        body = await request.body()
        parsed = parse_json(body, source="POST /VIID/MotorVehicles")
        db = request.app.state.db
        user = re.search(r'username="([^"]*)"', request.headers["authorization"])
        result = ingest(db, parsed, actor=f"viid:{user.group(1) if user else '?'}"[:100])
        if result.first_id is not None:
            check_new(db, after_id=result.first_id - 1, actor="viid")
        url = str(request.url.path)
        refusals = {r.record: r for r in result.rejections}
        statuses = []
        ids = {n: p.external_id for n, p in parsed.numbered()}
        for n in range(1, parsed.records_read + 1):
            bad = refusals.get(n)
            if bad is None:
                statuses.append(_status(url, ids.get(n, ""), 0, "OK"))
            else:
                where = f"{bad.field}: " if bad.field else ""
                statuses.append(_status(url, bad.external_id or "", 4, f"{where}{bad.reason}"))
        return JSONResponse({"ResponseStatusListObject": {"ResponseStatusObject": statuses}})

    return r
