"""Fixtures of the investigator tests.

* ``world``: 16 cameras on a 500 m grid, decoy sightings, planted vehicles with known answers (search).
* ``city``: a generated checkpoint city (commuters, planted truths) shared by the tactic tests. The
  generator and the tactics' defaults were tuned on seeds 1-4; these tests use seed 11 (held back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from vision.synth import T0, SynthWorld, generate, setup_world
from xueliang.investigate.passes_generate import City, generate_city
from xueliang.investigate.tactics.columnar import write_city_parquet
from xueliang.investigate.tactics.engines import DuckEngine
from xueliang.investigate.tactics.run import Window
from xueliang.storage import Database


@pytest.fixture
def world(db: Database) -> SynthWorld:
    w = setup_world(db, cameras=16, dim=32)
    generate(db, w, 3000, seed=7, days=2.0)
    return w


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@pytest.fixture(scope="session")
def city() -> City:
    return generate_city(checkpoints=100, vehicles=1500, days=8, seed=11)


@pytest.fixture(scope="session")
def city_parquet(city: City, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("passes")
    write_city_parquet(city, out)
    return out


@pytest.fixture
def duck(city_parquet: Path) -> Iterator[DuckEngine]:
    e = DuckEngine(parquet=city_parquet, threads=2)
    yield e
    e.close()


def window(pair: tuple[str, str]) -> Window:
    return Window(dt.datetime.fromisoformat(pair[0]), dt.datetime.fromisoformat(pair[1]))
