"""What adversarial testing found (issue 13): body limits and auth before the body, 4xx instead of 5xx,
login throttling in the database, cookie and headers, the media file-existence oracle."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.factories import PASSWORD, WebData
from tests.web.live import serve
from xueliang.storage import open_database
from xueliang.web import throttle
from xueliang.web.app import create_app
from xueliang.web.settings import WebSettings
from xueliang.web.users import add_user

AsRole = Callable[[str], TestClient]


@pytest.fixture
def fresh(tmp_path: Path) -> WebSettings:
    """An app of its own (login attempts of other tests do not count here)."""
    url = f"sqlite:///{tmp_path / 'sec.db'}"
    db = open_database(url)
    for role in ("planner", "investigator"):
        add_user(db, role, role, PASSWORD)
    db.dispose()
    (tmp_path / "media").mkdir()
    return WebSettings(db_url=url, media_dir=tmp_path / "media", max_body_bytes=64_000)


def _client(settings: WebSettings, address: str = "10.0.0.1") -> TestClient:
    return TestClient(create_app(settings), client=(address, 40000))


# --- 3. auth before any body, body limit -------------------------------------------------------------
@pytest.fixture
def live(fresh: WebSettings) -> Iterator[str]:
    yield from serve(fresh)


def _raw(base: str, head: str, body: bytes = b"") -> bytes:
    """Send ``head`` (and ``body``) on a socket and return the status line and headers that come back."""
    u = urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(head.encode() + b"\r\n\r\n" + body)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    return got


def test_anonymous_post_is_refused_before_its_body_is_sent(live: str) -> None:
    """Headers announcing 200 MB, and not one byte of body: the answer comes at once (it used to wait for
    the whole body, and a 186 MB one grew the server by 580 MB before its 401)."""
    head = "POST /api/scenes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000"
    assert _raw(live, head).startswith(b"HTTP/1.1 401")
    big = head.replace("10000", str(200_000_000))
    assert _raw(live, big).startswith(b"HTTP/1.1 413")


def test_logged_in_post_over_the_limit_is_413(fresh: WebSettings) -> None:
    with _client(fresh) as c:
        c.post("/login", data={"username": "investigator", "password": PASSWORD})
        body = b'{"scenes": ["' + b"1" * 70_000 + b'"]}'
        r = c.post("/api/scenes", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"scenes": ["'
            for _ in range(10):
                yield b"1" * 10_000
            yield b'"]}'

        r = c.post("/api/scenes", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413, r.text
        assert c.post("/api/scenes", json={"scenes": ["x"]}).status_code == 422  # small ones get to validation


# --- 5. no 5xx ----------------------------------------------------------------------------------------
BIG = str(2**63 + 5)


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", f"/api/sightings/{BIG}"),
        ("GET", f"/api/sightings/{BIG}/trajectory"),
        ("GET", f"/media/sightings/{BIG}/thumbnail"),
        ("GET", f"/media/sightings/{BIG}/frame"),
        ("POST", f"/api/sightings/{BIG}/export"),
        ("GET", f"/api/sightings/{2**31}"),  # past PostgreSQL's INTEGER
        ("GET", f"/investigator/sightings/{BIG}"),
    ],
)
def test_huge_ids_are_4xx(as_role: AsRole, method: str, url: str) -> None:
    r = as_role("investigator").request(method, url)
    assert 400 <= r.status_code < 500, (url, r.status_code)


def test_huge_id_mark_and_odd_times_and_nan_are_4xx(as_role: AsRole) -> None:
    c = as_role("investigator")
    assert c.post(f"/api/sightings/{BIG}/marks", json={"mark": "keep", "reason": "fits"}).status_code == 422
    for bad in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1500-01-01T00:00:00Z"):
        r = c.get("/api/sightings", params={"end": bad})
        assert r.status_code == 422 and "between 1900 and 2999" in r.text, bad
        assert c.get("/investigator", params={"start": bad}).status_code == 200  # the page says why
    r = c.post(
        "/api/scenes",
        content=b'{"scenes": ["112.9,28.2,100,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z"], "min_similarity": NaN}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "min_similarity"


# --- 7. login throttling ------------------------------------------------------------------------------
def _fail(c: TestClient, name: str) -> int:
    return c.post("/login", data={"username": name, "password": "not the password"}).status_code


def test_throttle_survives_a_restart_and_is_shared_by_processes(fresh: WebSettings) -> None:
    with _client(fresh, "10.0.0.1") as one:
        for _ in range(throttle.ACCOUNT.free):
            assert _fail(one, "planner") == 401
    # four more failures stored by another client: the delay is now 2**4 s, so a slow start of the
    # second app (a loaded machine) cannot outlast it before the check below
    db = open_database(fresh.db_url)
    for k in range(4):
        throttle.record(db, "planner", f"10.0.1.{k}", ok=False)
    db.dispose()
    with _client(fresh, "10.0.0.2") as other:  # another process (or a restart), another client
        r = other.post("/login", data={"username": "planner", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "try again in" in r.text
        assert other.post("/login", data={"username": "investigator", "password": PASSWORD}).status_code == 200


def test_delays_grow_and_end_no_hard_lock(fresh: WebSettings) -> None:
    db = open_database(fresh.db_url)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    waits = []
    for k in range(12):
        at = t0 + dt.timedelta(seconds=100 * k)
        throttle.record(db, "planner", f"10.1.0.{k}", ok=False, now=at)  # many clients: the account's delay
        waits.append(throttle.wait_s(db, "planner", "10.9.9.9", now=at))
    assert waits[: throttle.ACCOUNT.free - 1] == [0.0] * (throttle.ACCOUNT.free - 1)
    grown = waits[throttle.ACCOUNT.free - 1 :]
    assert grown == sorted(grown) and grown[0] == 1.0 and grown[-1] == throttle.ACCOUNT.cap_s  # capped: a minute
    last = t0 + dt.timedelta(seconds=1100)
    assert throttle.wait_s(db, "planner", "10.9.9.9", now=last + dt.timedelta(seconds=61)) == 0.0
    # per client: one address guessing many names is slowed whatever the name
    for k in range(throttle.CLIENT.free + 3):
        throttle.record(db, f"name{k}", "10.2.0.1", ok=False, now=t0 + dt.timedelta(seconds=k))
    assert throttle.wait_s(db, "someone", "10.2.0.1", now=t0 + dt.timedelta(seconds=13)) == 7.0  # 2**3 - 1
    assert throttle.wait_s(db, "someone", "10.2.0.2", now=t0 + dt.timedelta(seconds=13)) == 0.0
    db.dispose()


def test_forwarded_for_only_from_a_configured_proxy() -> None:
    proxies = ("10.0.0.9",)
    assert throttle.client_address("203.0.113.5", "1.2.3.4", proxies) == "203.0.113.5"  # not a proxy: ignored
    assert throttle.client_address("10.0.0.9", "1.2.3.4, 198.51.100.7", proxies) == "198.51.100.7"
    assert throttle.client_address("10.0.0.9", "1.2.3.4, 10.0.0.9", proxies) == "1.2.3.4"
    assert throttle.client_address("10.0.0.9", "<script>", proxies) == "10.0.0.9"
    assert throttle.client_address("10.0.0.9", None, proxies) == "10.0.0.9"


def test_spoofed_forwarded_for_does_not_dodge_the_client_limit(fresh: WebSettings) -> None:
    with _client(fresh, "10.3.0.1") as c:
        for k in range(throttle.CLIENT.free):
            r = c.post(
                "/login",
                data={"username": f"n{k}", "password": "wrong password"},
                headers={"x-forwarded-for": f"192.0.2.{k}"},
            )
            assert r.status_code == 401
        r = c.post("/login", data={"username": "n99", "password": "x"}, headers={"x-forwarded-for": "192.0.2.99"})
        assert r.status_code == 429


# --- 8. cookie and headers ----------------------------------------------------------------------------
def test_security_headers_cookie_and_docs(fresh: WebSettings) -> None:
    with _client(fresh) as c:
        login = c.get("/login")
        assert login.headers["x-frame-options"] == "DENY"
        assert login.headers["x-content-type-options"] == "nosniff"
        assert login.headers["referrer-policy"] == "same-origin"
        csp = login.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert c.get("/openapi.json").status_code == 401
        assert c.get("/docs").status_code == 404
        r = c.post("/login", data={"username": "planner", "password": PASSWORD}, follow_redirects=False)
        assert "secure" not in r.headers["set-cookie"].lower()  # plain http, no proxy configured
        assert "/api/sightings" in c.get("/openapi.json").json()["paths"]
    proxied = WebSettings(**{**fresh.__dict__, "trusted_proxies": ("10.0.0.9",)})
    with _client(proxied, "10.0.0.9") as c:
        r = c.post("/login", data={"username": "planner", "password": PASSWORD}, follow_redirects=False)
        assert "; secure" in r.headers["set-cookie"].lower()
    with TestClient(create_app(fresh), base_url="https://testserver") as c:
        r = c.post("/login", data={"username": "planner", "password": PASSWORD}, follow_redirects=False)
        assert "; secure" in r.headers["set-cookie"].lower()


def test_media_answers_are_never_cached(as_role: AsRole, web_data: WebData) -> None:
    c = as_role("investigator")
    sid = web_data.sighting_ids[0]
    for url in (
        f"/media/sightings/{sid}/thumbnail",
        f"/media/sightings/{sid}/frame",
        "/media/files/sightings/abababab/track00000_thumb.jpg",
        "/media/files/missing.jpg",
    ):
        r = c.get(url)
        assert r.headers["cache-control"] == "private, no-store", url


# --- 9. no file-existence oracle ----------------------------------------------------------------------
def test_media_files_answer_the_same_for_missing_and_outside(as_role: AsRole, web_data: WebData) -> None:
    c = as_role("investigator")
    link = web_data.media / "sightings" / "link-to-db"
    if not link.is_symlink():
        link.symlink_to(web_data.root / "web.db")
    dangling = web_data.media / "sightings" / "link-to-nothing"
    if not dangling.is_symlink():
        dangling.symlink_to(web_data.root / "no-such-file")
    for p in ("no/such.jpg", "sightings/link-to-db", "sightings/link-to-nothing", "sightings"):
        r = c.get(f"/media/files/{p}")
        assert (r.status_code, r.json()["detail"]) == (404, f"media file {p!r} not found"), p
    # by spelling alone, whether or not the target exists: 400
    for path in ("/etc/passwd", "/etc/no-such-file", "%2e%2e/web.db", "sightings/%2e%2e/%2e%2e/nothing"):
        r = c.get(f"/media/files/{path}")
        assert r.status_code == 400 and "outside the media folder" in r.text, path


# --- 6. footage views and refusals are audited, with the origin ----------------------------------------
def test_footage_views_and_refusals_are_audited(as_role: AsRole, web_data: WebData) -> None:
    import json

    sid = web_data.sighting_ids[1]
    c = as_role("investigator")
    before = open_database(web_data.db_url)
    start = max([r.id for r in before.audit_log(limit=1)], default=0)
    before.dispose()
    assert c.get(f"/api/sightings/{sid}").status_code == 200
    assert c.get(f"/investigator/sightings/{sid}").status_code == 200
    assert c.get(f"/media/sightings/{sid}/thumbnail").status_code == 200
    assert c.get(f"/media/sightings/{sid}/frame").status_code == 200
    assert c.get("/media/files/sightings/abababab/track00001_thumb.jpg").status_code == 200
    assert c.get("/api/sightings", params={"end": "0001-01-01T00:00:00+01:00"}).status_code == 422
    p = as_role("planner")
    assert p.get("/api/sightings", params={"colour": "red"}).status_code == 403
    assert p.post(f"/api/sightings/{sid}/export").status_code == 403
    db = open_database(web_data.db_url)
    rows = [r for r in reversed(db.audit_log(limit=50)) if r.id > start]
    db.dispose()
    got = [(r.action, r.actor, json.loads(r.query)) for r in rows if r.action.startswith("web.")]
    assert [(a, who) for a, who, _ in got] == [
        ("web.view.sighting", "investigator"),
        ("web.view.sighting", "investigator"),
        ("web.view.thumbnail", "investigator"),
        ("web.view.frame", "investigator"),
        ("web.view.file", "investigator"),
        ("web.refused", "investigator"),
        ("web.refused", "planner"),
        ("web.refused", "planner"),
    ]
    assert got[2][2] == {"sighting": sid} and got[4][2] == {"path": "sightings/abababab/track00001_thumb.jpg"}
    assert "between 1900 and 2999" in got[5][2]["why"]
    assert got[6][2]["path"] == "/api/sightings" and "colour=red" in got[6][2]["params"]
    assert got[7][2]["method"] == "POST" and got[7][2]["path"].endswith("/export")
    assert {r.origin for r in rows} == {"web"} and all(r.os_user for r in rows)
