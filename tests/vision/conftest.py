"""Fixtures of the vision tests: a registered camera, the synthetic clip, the shared weights."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from xueliang.storage import CameraRow, Database

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_media" / "synthetic_street.mp4"
SHARED_MODELS = ROOT.parent / "shared" / "models"
START = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
PLUGIN = "tests.vision.fakes:blob"

os.environ.setdefault("YOLO_OFFLINE", "1")


def add_camera(db: Database, camera_id: str = "cam-1") -> str:
    with db.transaction() as s:
        s.add(
            CameraRow(
                id=camera_id,
                lon=-2.3,
                lat=53.4,
                channels=1,
                kind="fixed",
                imported_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            )
        )
    return camera_id


@pytest.fixture
def camera(db: Database) -> str:
    return add_camera(db)


@pytest.fixture
def sample_clip() -> Path:
    assert SAMPLE.is_file(), "run python sample_media/make_sample.py"
    return SAMPLE


def weights(name: str = "yolo11n_int8.tflite") -> Path:
    p = SHARED_MODELS / name
    if not p.exists():
        pytest.skip(f"detector weights {p} are absent (see ../shared/models/SOURCES.md)")
    return p
