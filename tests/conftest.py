"""Shared fixtures: a fresh database per test, paths to the shared real data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from xueliang.storage import Database, open_database

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
SHARED_MODELS = SHARED / "models"


def shared_file(rel: str) -> Path:
    """A file under ../shared/data, or skip the test saying which file is absent."""
    p = SHARED_DATA / rel
    if not p.exists():
        pytest.skip(f"real data {p} is absent (see ../shared/data/SOURCES.md)")
    return p


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    d = open_database(db_url)
    yield d
    d.dispose()
