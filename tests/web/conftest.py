"""Fixtures: one generated data set per session, a TestClient app, and per-role logged-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")

from fastapi.testclient import TestClient

from tests.web.factories import PASSWORD, TOWN, TrajData, WebData, build, build_trajectory
from xueliang.web.app import create_app
from xueliang.web.settings import WebSettings


@pytest.fixture(scope="session")
def web_data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def settings(web_data: WebData) -> WebSettings:
    return WebSettings(
        db_url=web_data.db_url,
        media_dir=web_data.media,
        coverage_dir=web_data.coverage,
        plan_dir=web_data.plan,
        scenarios_dir=web_data.root / "scenarios",
    )


@pytest.fixture(scope="session")
def traj_data(tmp_path_factory: pytest.TempPathFactory) -> TrajData:
    return build_trajectory(tmp_path_factory.mktemp("traj"))


@pytest.fixture(scope="session")
def traj_settings(traj_data: TrajData) -> WebSettings:
    return WebSettings(db_url=traj_data.db_url, media_dir=traj_data.media, osm_path=TOWN)


@pytest.fixture
def client(settings: WebSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def login(c: TestClient, name: str, password: str = PASSWORD) -> None:
    r = c.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.fixture
def as_role(client: TestClient) -> object:
    def _as(role: str) -> TestClient:
        login(client, role)
        return client

    return _as


@pytest.fixture(scope="session")
def artifacts() -> Path:
    p = Path(__file__).resolve().parents[1] / "artifacts"
    p.mkdir(exist_ok=True)
    return p
