"""Property-based tests of the whole API from its own OpenAPI spec (schemathesis), logged in as admin.

Every operation of ``/openapi.json`` gets generated requests, valid and invalid; each answer must be
no 5xx, with a status code, content type and body that the spec documents. The app runs on a copy of
the web tests' database (marks and exports write to it). Examples are bounded so the run stays short.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed: pip install -e '.[test]'")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.web.factories import PASSWORD, WebData  # noqa: E402
from xueliang.web.app import create_app  # noqa: E402
from xueliang.web.auth import COOKIE  # noqa: E402
from xueliang.web.settings import WebSettings  # noqa: E402


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, web_data: WebData) -> tuple[Any, dict[str, str]]:
    """The app on a copy of the web database, and the Cookie header of an admin session."""
    copy = tmp_path_factory.mktemp("api") / "api.db"
    src = sqlite3.connect(web_data.root / "web.db")
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    app = create_app(
        WebSettings(
            db_url=f"sqlite:///{copy}", media_dir=web_data.media, coverage_dir=web_data.coverage, plan_dir=web_data.plan
        )
    )
    with TestClient(app, client=("10.77.0.1", 50000)) as c:
        r = c.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303, r.text
        headers = {"Cookie": f"{COOKIE}={c.cookies[COOKIE]}"}
    return app, headers


@pytest.fixture(scope="module")
def api_schema(api: tuple[Any, dict[str, str]]) -> Any:
    app, headers = api
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case: Any, api: tuple[Any, dict[str, str]]) -> None:
    # every check but "a schema-valid request is accepted": a valid shape may still name an unknown
    # sighting (404) or a plate pattern or scene time that cannot be (400), which the spec documents;
    # and but the Allow header of a 405: where one path has separate GET and POST routes (scenarios),
    # Starlette's 405 lists only the first route's method (the 405 itself is right)
    case.call_and_validate(
        headers=api[1],
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.allow_header_conformance],
    )


def test_the_spec_needs_a_login(api: tuple[Any, dict[str, str]]) -> None:
    with TestClient(api[0]) as c:
        assert c.get("/openapi.json").status_code == 401
