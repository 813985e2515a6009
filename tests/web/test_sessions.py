"""Server-side sessions: they survive a restart, end for good at logout, disabling or a password reset;
cross-site state-changing requests are refused."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import login
from tests.web.factories import PASSWORD
from xueliang.cli import cli
from xueliang.storage import Database, open_database
from xueliang.web.app import create_app
from xueliang.web.auth import COOKIE
from xueliang.web.settings import WebSettings
from xueliang.web.tables import SessionRow
from xueliang.web.users import add_user


@pytest.fixture
def site(tmp_path: Path) -> tuple[WebSettings, Database]:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    db = open_database(url)
    add_user(db, "ina", "investigator", PASSWORD)
    add_user(db, "rev", "reviewer", PASSWORD)
    return WebSettings(db_url=url, media_dir=tmp_path), db


def test_session_survives_a_restart_and_only_its_hash_is_stored(site: tuple[WebSettings, Database]) -> None:
    settings, db = site
    with TestClient(create_app(settings)) as first:
        login(first, "ina")
        token = first.cookies[COOKIE]
    with TestClient(create_app(settings)) as second:  # a new process: no shared memory, same database
        second.cookies.set(COOKIE, token)
        assert second.get("/api/me").json() == {"name": "ina", "role": "investigator"}
    with db.sessions() as s:
        rows = list(s.scalars(select(SessionRow)))
    assert [r.token_sha256 for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in {r.token_sha256 for r in rows}


def test_logout_ends_the_session_for_good(site: tuple[WebSettings, Database]) -> None:
    settings, db = site
    with TestClient(create_app(settings)) as c:
        login(c, "ina")
        token = c.cookies[COOKIE]
        assert c.post("/logout", follow_redirects=False).status_code == 303
        c.cookies.set(COOKIE, token)  # a copy of the cookie taken before logout
        assert c.get("/api/me").status_code == 401
    with db.sessions() as s:
        row = s.scalars(select(SessionRow)).one()
    assert row.ended_why == "logout" and row.ended_at is not None


def test_disable_and_password_reset_end_every_session(site: tuple[WebSettings, Database]) -> None:
    settings, db = site
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
        login(a, "ina")
        login(b, "ina")
        login(b, "rev")  # b now holds rev's session; ina's first session in b stays live in the table
        assert a.get("/api/me").status_code == 200
        add_user(db, "ina", "investigator", "a new password", replace=True)
        assert a.get("/api/me").status_code == 401
        assert b.get("/api/me").json()["name"] == "rev"  # other users are untouched
        login(a, "ina", "a new password")
        r = CliRunner().invoke(cli, ["users", "disable", "ina", "--db", settings.db_url])
        assert r.exit_code == 0 and "1 open session(s) ended" in r.output, r.output
        assert a.get("/api/me").status_code == 401
        r = a.post("/login", data={"username": "ina", "password": "a new password"}, follow_redirects=False)
        assert r.status_code == 401
    with db.sessions() as s:
        why = sorted(r.ended_why or "live" for r in s.scalars(select(SessionRow).where(SessionRow.user_name == "ina")))
    assert why == ["disabled", "password reset", "password reset"]


def test_disable_unknown_user_is_a_clear_error(site: tuple[WebSettings, Database]) -> None:
    settings, _ = site
    r = CliRunner().invoke(cli, ["users", "disable", "nobody", "--db", settings.db_url])
    assert r.exit_code == 2 and "user 'nobody' not found" in r.output


def test_expired_session_lets_nobody_in(site: tuple[WebSettings, Database]) -> None:
    settings, db = site
    with TestClient(create_app(settings)) as c:
        login(c, "ina")
        with db.transaction() as s:
            row = s.scalars(select(SessionRow)).one()
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        assert c.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # a script: no browser headers
        ({"Origin": "http://testserver"}, True),
        ({"Referer": "http://testserver/investigator"}, True),
        ({"Origin": "http://evil.example"}, False),
        ({"Origin": "http://testserver.evil.example"}, False),
        ({"Referer": "https://evil.example/page"}, False),
        ({"Origin": "null"}, False),
    ],
)
def test_cross_site_posts_are_refused(
    site: tuple[WebSettings, Database], headers: dict[str, str], allowed: bool
) -> None:
    settings, _ = site
    with TestClient(create_app(settings)) as c:
        login(c, "ina")
        r = c.post("/logout", headers=headers, follow_redirects=False)
        assert (r.status_code == 303) is allowed
        if not allowed:
            assert r.status_code == 403 and "cross-site request refused" in r.text
            assert c.get("/api/me").status_code == 200  # the forged logout did nothing
        # reading stays allowed from anywhere (GET changes nothing)
        assert c.get("/login", headers=headers).status_code == 200
