"""A data set whose every stored text field carries markup, for the stored-XSS browser test.

Camera ids and names, village names (``admin_unit``), OSM target names, the plan's catalogue model names,
plate text, colours and types, case ids, review reasons and a user name all hold ``<img src=x onerror=...>``
and ``<script>`` markup. The coverage and plan folders are the web tests' real ones, with every text
column rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.web.factories import PASSWORD, WebData, _image, sighting_row, video_row
from xueliang.storage import open_database

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
HOSTILE_USER = f"{IMG}adm"
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def mark(field: str) -> str:
    """The value stored in ``field``: markup, then the field's name (to find it on the page as text)."""
    return f"{IMG}{SCRIPT}{field}"


@dataclass(frozen=True)
class HostileData:
    db_url: str
    media: Path
    coverage: Path
    plan: Path
    sighting_ids: tuple[int, ...]
    case_id: str


def _rewrite_coverage(src: Path, dst: Path) -> None:
    import geopandas as gpd
    import pyogrio

    shutil.copytree(src, dst)
    gpkg = dst / "coverage.gpkg"
    layers = [str(n) for n, _ in pyogrio.list_layers(src / "coverage.gpkg")]
    gpkg.unlink()
    for name in layers:
        gdf = gpd.read_file(src / "coverage.gpkg", layer=name)
        for col in gdf.columns:
            if col != "geometry" and (gdf[col].dtype == object or str(gdf[col].dtype).startswith("str")):
                gdf[col] = [mark(f"{name}.{col}") for _ in range(len(gdf))]
        gdf.to_file(gpkg, layer=name, driver="GPKG")
    villages = dst / "villages.csv"
    lines = villages.read_text(encoding="utf-8").splitlines()
    villages.write_text(
        "\n".join([lines[0], *(f'"{mark("village")}",' + ln.split(",", 1)[1] for ln in lines[1:])]) + "\n",
        encoding="utf-8",
    )


def _rewrite_plan(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    sites = json.loads((dst / "plan.geojson").read_text(encoding="utf-8"))
    for f in sites["features"]:
        for k, v in list(f["properties"].items()):
            if isinstance(v, str):
                f["properties"][k] = mark(f"site.{k}")
    (dst / "plan.geojson").write_text(json.dumps(sites, ensure_ascii=False), encoding="utf-8")


def build_hostile(root: Path, web_data: WebData) -> HostileData:
    from sqlalchemy.orm import Session

    from xueliang.storage import CameraRow
    from xueliang.web.sightings import add_mark
    from xueliang.web.tables import UserRow
    from xueliang.web.users import hash_password

    _rewrite_coverage(web_data.coverage, root / "coverage")
    _rewrite_plan(web_data.plan, root / "plan")
    db_url = f"sqlite:///{root / 'hostile.db'}"
    media = root / "media"
    db = open_database(db_url)
    cams = {mark("camera.id")[:60] + "A": (112.9400, 28.2300), mark("camera.id")[:60] + "B": (112.9460, 28.2330)}
    ids = []
    with Session(db.engine) as s:
        for cam, (lon, lat) in cams.items():
            s.add(
                CameraRow(
                    id=cam, name=mark("camera.name"), lon=lon, lat=lat, admin_unit=mark("village"), imported_at=T0
                )
            )
        s.flush()
        video = video_row("ef" * 32, "/footage/x.mp4", next(iter(cams)), T0, 1)
        s.add(video)
        s.flush()
        for k, cam in enumerate(cams):
            thumb = f"hostile/{k}_thumb.jpg"
            _image(media / thumb, 160, 120, (40, 40, 220), "x")
            first = T0 + dt.timedelta(minutes=10 * k)
            row = sighting_row(
                video.id,
                cam,
                k + 1,
                first,
                5,
                colour=mark("colour"),
                vehicle_type=mark("type"),
                plate_state=mark("plate_state"),
                plate_text=mark("plate"),
                thumbnail=thumb,
                frame=thumb,
                direction=mark("direction"),
            )
            s.add(row)
            s.flush()
            ids.append(row.id)
        s.add(
            UserRow(
                name=HOSTILE_USER, role="admin", password_hash=hash_password(PASSWORD), created_at=T0, disabled=False
            )
        )
        s.commit()
    case_id = mark("case")[:64]
    add_mark(db, ids[0], "eliminate", mark("reason"), HOSTILE_USER, case_id=case_id)
    db.dispose()
    return HostileData(
        db_url=db_url,
        media=media,
        coverage=root / "coverage",
        plan=root / "plan",
        sighting_ids=tuple(ids),
        case_id=case_id,
    )
