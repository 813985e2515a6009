"""Small generated data for the web and report tests: a coverage run and a plan on the sample town,
a generated ledger, and sightings with thumbnails and frames written with OpenCV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

from xueliang.storage import open_database

ROOT = Path(__file__).resolve().parents[2]
TOWN = ROOT / "sample_media" / "town.osm"
CAMERAS = ROOT / "sample_media" / "cameras.csv"
PASSWORD = "correct horse battery"
ROLES = ("planner", "investigator", "reviewer", "admin")
T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
SIGHTINGS = (
    # colour, type, plate state, plate text, camera, minutes after T0
    ("red", "car", "visible", "湘A12345", "CAM001", 0),
    ("red", "suv", "visible", "湘A19999", "CAM002", 5),
    ("white", "car", "visible", "湘B55555", "CAM001", 12),
    ("black", "truck", "covered", None, "CAM003", 30),
    ("blue", "bus", "absent", None, "CAM002", 45),
    ("white", "van", "visible", "湘A77777", "CAM003", 90),
)


@dataclass(frozen=True)
class WebData:
    root: Path
    db_url: str
    media: Path
    coverage: Path
    plan: Path
    sighting_ids: tuple[int, ...]


def video_row(sha256: str, path: str, camera_id: str, start: dt.datetime, hours: int, *, size_bytes: int = 1000) -> Any:
    """A 640x360, 25 fps video row of ``hours`` from ``start``, as the web tests' fixtures store them."""
    from vision.tables import VideoRow

    return VideoRow(
        sha256=sha256,
        path=path,
        size_bytes=size_bytes,
        camera_id=camera_id,
        start_time=start,
        end_time=start + dt.timedelta(hours=hours),
        fps=25.0,
        frame_count=90000 * hours,
        duration_s=3600.0 * hours,
        width=640,
        height=360,
        detector="test",
        frames_decoded=1,
        frames_detected=1,
        processing_s=1.0,
        indexed_at=start,
    )


def sighting_row(
    video_id: int,
    camera_id: str,
    track_id: int,
    first: dt.datetime,
    seconds: int,
    *,
    colour: str,
    vehicle_type: str,
    plate_state: str,
    plate_text: str | None,
    thumbnail: str,
    frame: str | None = None,
    plate_confidence: float = 0.9,
    direction: str = "east",
    embedding: bytes | None = None,
    embedding_model: str | None = None,
) -> Any:
    """A sighting row as the web tests' fixtures store them: seen for ``seconds`` from ``first``, fixed
    confidences, a blue plate when there is plate text."""
    from vision.tables import SightingRow

    return SightingRow(
        video_id=video_id,
        camera_id=camera_id,
        track_id=track_id,
        first_seen=first,
        last_seen=first + dt.timedelta(seconds=seconds),
        detector_class="car",
        detector_confidence=0.9,
        colour=colour,
        colour_confidence=0.8,
        vehicle_type=vehicle_type,
        vehicle_type_confidence=0.7,
        plate_state=plate_state,
        plate_state_confidence=0.9,
        plate_text=plate_text,
        plate_text_confidence=plate_confidence if plate_text else None,
        plate_colour="blue" if plate_text else None,
        direction=direction,
        direction_deg=90.0,
        best_frame=10,
        thumbnail_path=thumbnail,
        frame_path=frame,
        embedding=embedding,
        embedding_model=embedding_model,
    )


def _image(path: Path, w: int, h: int, colour_bgr: tuple[int, int, int], text: str) -> None:
    import cv2

    img = np.full((h, w, 3), 60, np.uint8)
    img[: h // 2] = (120, 110, 100)
    cv2.rectangle(img, (w // 5, h // 3), (4 * w // 5, 5 * h // 6), colour_bgr, -1)
    cv2.putText(img, text, (8, h - 10), cv2.FONT_HERSHEY_SIMPLEX, max(w / 600, 0.4), (255, 255, 255), 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


BGR = {"red": (40, 40, 220), "white": (235, 235, 235), "black": (20, 20, 20), "blue": (200, 80, 30)}


def _thumbnail(media: Path, rel: str, colour: str, text: str) -> str:
    """Write a 160x120 thumbnail of a vehicle of ``colour`` at ``media / rel``; ``rel``, as a row stores it."""
    _image(media / rel, 160, 120, BGR.get(colour, (0, 200, 200)), text)
    return rel


def insert_sightings(db_url: str, media: Path) -> tuple[int, ...]:
    from geo.registry import import_camera_file
    from vision.tables import SightingPointRow

    db = open_database(db_url)
    import_camera_file(db, CAMERAS)
    ids = []
    with db.transaction() as s:
        video = video_row("ab" * 32, "/footage/cam001.mp4", "CAM001", T0, 2)
        s.add(video)
        s.flush()
        for k, (colour, vtype, pstate, ptext, cam, minutes) in enumerate(SIGHTINGS):
            frame = f"sightings/abababab/track{k:05d}_frame.jpg"
            _image(media / frame, 640, 360, BGR.get(colour, (0, 200, 200)), f"{cam} {ptext or ''}")
            first = T0 + dt.timedelta(minutes=minutes)
            row = sighting_row(
                video.id,
                cam,
                k + 1,
                first,
                8,
                colour=colour,
                vehicle_type=vtype,
                plate_state=pstate,
                plate_text=ptext,
                thumbnail=_thumbnail(media, f"sightings/abababab/track{k:05d}_thumb.jpg", colour, f"{colour} {vtype}"),
                frame=frame,
                plate_confidence=0.85,
            )
            for i in range(8):
                x = 60 + 60 * i
                row.points.append(
                    SightingPointRow(
                        frame=i * 25,
                        at=first + dt.timedelta(seconds=i),
                        x1=x,
                        y1=150 + 5 * i,
                        x2=x + 120,
                        y2=230 + 5 * i,
                        confidence=0.9,
                    )
                )
            s.add(row)
            s.flush()
            ids.append(row.id)
    db.dispose()
    return tuple(ids)


def build(root: Path) -> WebData:
    from xueliang.cli import cli
    from xueliang.report.build import run_coverage_into
    from xueliang.web.users import add_user

    db_url = f"sqlite:///{root / 'web.db'}"
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    coverage = run_coverage_into(str(TOWN), str(CAMERAS), None, root / "coverage")
    runner = CliRunner()
    plan = root / "plan"
    r = runner.invoke(
        cli, ["plan", "--osm", str(TOWN), "--cameras", str(CAMERAS), "--budget", "60000", "--out", str(plan)]
    )
    assert r.exit_code == 0, r.output
    ledger_csv = root / "ledger.csv"
    r = runner.invoke(cli, ["ledger", "generate", "--n", "600", "--seed", "3", "--out", str(ledger_csv)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["ledger", "import", str(ledger_csv), "--quiet", "--db", db_url])
    assert r.exit_code == 0, r.output
    ids = insert_sightings(db_url, media)
    db = open_database(db_url)
    for role in ROLES:
        add_user(db, role, role, PASSWORD)
    db.dispose()
    return WebData(root=root, db_url=db_url, media=media, coverage=coverage, plan=plan, sighting_ids=ids)


# --- one vehicle seen across cameras, for the trajectory map -------------------------------------
TRAJ_T0 = dt.datetime(2024, 5, 1, 1, 0, tzinfo=dt.UTC)
TRAJ_PLATE = "湘A88888"
TRAJ_CAMERAS = {"TA": (112.9400, 28.2300), "TB": (112.9460, 28.2330), "TC": (112.9520, 28.2290)}
TRAJ_NO_POSITION = "TGONE"  # in no registry row: its sighting is listed, not drawn
TRAJ_SIGHTINGS = (
    # name, camera, minutes after TRAJ_T0, plate text, look (embedding: "v" the vehicle, "v~" close, "o" other)
    ("b", "TB", 10, TRAJ_PLATE, None),
    ("decoy_plate", "TA", 20, "湘B11111", "v"),  # looks the same, another plate: vetoed
    ("a", "TA", 40, TRAJ_PLATE, "v"),  # the sighting the page is opened on
    ("decoy_look", "TB", 50, None, "o"),  # covered plate, looks different
    ("gone", TRAJ_NO_POSITION, 60, TRAJ_PLATE, None),
    ("c", "TC", 90, TRAJ_PLATE, None),
    ("look", "TB", 120, None, "v~"),  # covered plate, looks like the vehicle
    ("lonely", "TC", 180, None, None),  # nothing to link it by
)


@dataclass(frozen=True)
class TrajData:
    db_url: str
    media: Path
    ids: dict[str, int]


def _looks(dim: int = 16) -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    v = rng.normal(size=dim)
    v /= np.linalg.norm(v)
    close = v + 0.3 * rng.normal(size=dim) / np.sqrt(dim)
    other = rng.normal(size=dim)
    other -= (other @ v) * v  # orthogonal: cosine 0
    return {k: (x / np.linalg.norm(x)).astype(np.float32).tobytes() for k, x in (("v", v), ("v~", close), ("o", other))}


def build_trajectory(root: Path) -> TrajData:
    """Three registered cameras and one vehicle (plate 湘A88888) seen at them, plus decoys; one
    sighting's camera is missing from the registry (written with foreign keys off, as legacy data)."""
    from sqlalchemy.orm import Session

    from xueliang.storage import CameraRow
    from xueliang.web.users import add_user

    db_url = f"sqlite:///{root / 'traj.db'}"
    media = root / "media"
    db = open_database(db_url)
    looks = _looks()
    ids: dict[str, int] = {}
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, so it takes effect
        with Session(bind=conn) as s:
            for cam, (lon, lat) in TRAJ_CAMERAS.items():
                s.add(CameraRow(id=cam, name=f"camera {cam}", lon=lon, lat=lat, imported_at=TRAJ_T0))
            video = video_row("cd" * 32, "/footage/ta.mp4", "TA", TRAJ_T0, 4)
            s.add(video)
            s.flush()
            for k, (name, cam, minutes, plate, look) in enumerate(TRAJ_SIGHTINGS):
                row = sighting_row(
                    video.id,
                    cam,
                    k + 1,
                    TRAJ_T0 + dt.timedelta(minutes=minutes),
                    6,
                    colour="white",
                    vehicle_type="suv",
                    plate_state="visible" if plate else "covered",
                    plate_text=plate,
                    thumbnail=_thumbnail(media, f"traj/{name}_thumb.jpg", "white", f"{cam} {plate or name}"),
                    embedding=looks[look] if look else None,
                    embedding_model="test-embedder" if look else None,
                )
                s.add(row)
                s.flush()
                ids[name] = row.id
            s.commit()
        conn.commit()  # the session joined the connection's transaction; this ends it
    for role in ("investigator", "planner"):
        add_user(db, role, role, PASSWORD)
    db.dispose()  # the connection with foreign keys off goes with the pool
    return TrajData(db_url=db_url, media=media, ids=ids)
