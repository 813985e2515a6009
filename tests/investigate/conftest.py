"""A generated world: 16 cameras on a 500 m grid, decoy sightings, planted vehicles with known answers."""

from __future__ import annotations

import datetime as dt

import pytest

from vision.synth import T0, SynthWorld, generate, setup_world
from xueliang.storage import Database


@pytest.fixture
def world(db: Database) -> SynthWorld:
    w = setup_world(db, cameras=16, dim=32)
    generate(db, w, 3000, seed=7, days=2.0)
    return w


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)
