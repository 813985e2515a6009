"""The real pipeline on real third-party material (skips when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import shared_file
from tests.vision.conftest import START, weights
from vision.attributes import body_colour
from vision.detect import DetectorSpec, load_detector
from vision.embed import Embedder
from vision.index import IndexItem, index_files
from vision.pipeline import PipelineConfig
from vision.plates import PlateReader, normalise_plate
from vision.tables import SightingRow
from xueliang.storage import Database

# Hand-labelled: the passing vehicles of street_two_lane.mp4 at one frame each, with the YOLO11n box.
STREET_COLOURS = [
    (30, (389.8, 207.9, 634.6, 349.3), "white"),
    (84, (321.3, 181.1, 512.9, 317.0), "red"),
    (136, (323.3, 182.1, 512.1, 310.1), "grey/silver"),
    (192, (318.9, 176.7, 603.7, 349.8), "white"),
    (250, (355.9, 177.7, 572.2, 330.3), "white"),
    (432, (341.4, 162.6, 582.5, 340.7), "black"),
    (488, (335.9, 190.6, 556.2, 339.6), "black"),
    (720, (323.0, 168.9, 518.1, 314.5), "grey/silver"),
]


def street_frame(path: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def test_plate_text_normalisation() -> None:
    assert normalise_plate("藏D·T5022") == "藏DT5022"
    assert normalise_plate("苏E D51712") == "苏ED51712"
    assert normalise_plate("京AO1234") == "京A01234"  # O after the office letter is a zero
    assert normalise_plate("FD51") is None
    assert normalise_plate("X苏E12345") is None


@pytest.fixture(scope="module")
def plates() -> PlateReader:
    return PlateReader()


def test_closeup_blue_plate_is_read(plates: PlateReader) -> None:
    img = cv2.imread(str(shared_file("plates/street/closeup_blue_plate.jpg")))
    r = plates.read(img)
    assert (r.state, r.text, r.colour) == ("visible", "藏D·T5022", "blue")


@pytest.mark.parametrize("name", [f"np{i}.jpg" for i in range(6)])
def test_cars_without_plate_are_not_visible(plates: PlateReader, name: str) -> None:
    img = cv2.imread(str(shared_file(f"plates/ccpd_np/{name}")))
    r = plates.read(img)
    assert r.state in ("absent", "covered") and r.text is None


def test_small_vehicle_plate_is_unknown(plates: PlateReader) -> None:
    img = cv2.imread(str(shared_file("plates/street/closeup_blue_plate.jpg")))
    assert plates.read(img[:100, :120]).state == "unknown"


def test_body_colour_on_real_street_crops() -> None:
    clip = shared_file("video/street_two_lane.mp4")
    got = [body_colour(street_frame(clip, f), box).value for f, box, _ in STREET_COLOURS]
    want = [label for _, _, label in STREET_COLOURS]
    correct = sum(g == w for g, w in zip(got, want, strict=True))
    assert correct >= 7, list(zip(got, want, strict=True))


def test_yolo_tflite_finds_cars_with_both_shared_models() -> None:
    clip = shared_file("video/street_two_lane.mp4")
    frame = street_frame(clip, 84)
    for name in ("yolo11n_int8.tflite", "yolov8n_int8.tflite"):
        det = load_detector(DetectorSpec(weights=str(weights(name))))
        d = det.detect(frame)
        assert set(d.class_id.tolist()) <= {2, 3, 5, 7}
        big = d[d.area > 10_000]  # the red car near the camera
        assert len(big) == 1, name


def test_embedding_same_car_is_closer_than_another_car() -> None:
    clip = shared_file("video/street_two_lane.mp4")
    det = load_detector(DetectorSpec(weights=str(weights())))

    def crop(f: int) -> np.ndarray:
        frame = street_frame(clip, f)
        d = det.detect(frame)
        x1, y1, x2, y2 = d.xyxy[int(np.argmax(d.area))].astype(int)
        return frame[y1:y2, x1:x2]

    v = Embedder().embed([crop(78), crop(88), crop(250), crop(488)])
    same = float(v[0] @ v[1])
    assert same > float(v[1] @ v[2]) and same > float(v[1] @ v[3])


def test_real_yolo_pipeline_on_street_clip(db: Database, camera: str, tmp_path: Path) -> None:
    clip = shared_file("video/street_two_lane.mp4")
    summary = index_files(
        db,
        [IndexItem(str(clip), camera, START)],
        detector=DetectorSpec(weights=str(weights())),
        config=PipelineConfig(max_frames=264, plates=False, embeddings=False),
        media_dir=tmp_path,
    )
    assert summary.indexed == 1, summary.files
    with db.sessions() as s:
        rows = list(s.scalars(select(SightingRow).order_by(SightingRow.first_seen)))
    passing = [r for r in rows if r.direction == "down-right"]
    # in the first 11 s five vehicles drive towards the camera: white, red, grey, white pickup, white SUV
    colours = [r.colour for r in passing]
    assert 5 <= len(passing) <= 6, colours
    assert "red" in colours and colours.count("white") >= 2
    assert summary.frames_detected <= summary.frames_scheduled < summary.frames_decoded
