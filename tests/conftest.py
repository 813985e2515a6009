"""Shared fixtures: a fresh database per test, paths to the shared real data.

Test modules marked ``pytestmark = pytest.mark.postgresql`` (the storage tests) run every test that uses
``db``/``db_url`` twice: on SQLite and on PostgreSQL. The PostgreSQL run needs ``$XUELIANG_TEST_PG``, a URL
such as ``postgresql+psycopg://postgres@127.0.0.1:5432/xueliang_test`` of a server where the user may create
databases (``.ci/run`` starts one); each test gets its own new, empty database, dropped afterwards. A test of
such a module marked ``sqlite_only`` runs on SQLite only (for slow tests whose storage another test covers).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from xueliang.storage import Database, open_database

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
SHARED_MODELS = SHARED / "models"
PG_ENV = "XUELIANG_TEST_PG"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line follows $XUELIANG_LANG and the locale: tests expect English whatever the machine's LANG
    (tests of the language choice set or remove these themselves)."""
    monkeypatch.setenv("XUELIANG_LANG", "en")


def shared_file(rel: str) -> Path:
    """A file under ../shared/data, or skip the test saying which file is absent."""
    p = SHARED_DATA / rel
    if not p.exists():
        pytest.skip(f"real data {p} is absent (see ../shared/data/SOURCES.md)")
    return p


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker("postgresql")
    if "db_backend" in metafunc.fixturenames and marked and not metafunc.definition.get_closest_marker("sqlite_only"):
        metafunc.parametrize("db_backend", BACKENDS, indirect=True)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or each of :data:`BACKENDS` in modules marked ``postgresql``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[sa.Engine]:
    """An autocommit engine on the ``$XUELIANG_TEST_PG`` server, for creating and dropping test databases."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            f"${PG_ENV} is not set: set it to a postgresql+psycopg:// URL of a server where databases may be "
            "created to run the storage tests on PostgreSQL too (.ci/run starts one)"
        )
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server: sa.Engine = request.getfixturevalue("pg_server")
    name = f"xueliang_test_{uuid.uuid4().hex[:12]}"
    with server.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    d = open_database(db_url)
    yield d
    d.dispose()
