"""The camera schedule: one row per camera with its lens, cost, bitrate and storage, and totals per phase.

Bitrate model (a planner's estimate, not a measurement): the stream carries
``width x height x fps x bits-per-pixel`` bits per second, with 16:9 frames, 0.075 bits per pixel for
H.264 at a street scene of average complexity (a 4 MP 25 fps stream then needs 6.9 Mbit/s, in the
range camera makers quote), H.265 at 0.55 of that and MJPEG at 8 times; ``complexity`` scales it
(0.5 a quiet lane at night, 1 a street, 2 a busy crossing with trees in the wind). Storage for
``days`` of continuous recording is ``bitrate x 86,400 s x days``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BITS_PER_PIXEL_H264 = 0.075
CODEC_FACTOR = {"h264": 1.0, "h265": 0.55, "mjpeg": 8.0}
Codec = Literal["h264", "h265", "mjpeg"]


class StreamSettings(BaseModel):
    """How every camera of a schedule records."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fps: float = Field(25.0, gt=0, le=120)
    codec: Codec = "h265"
    complexity: float = Field(1.0, gt=0, le=5)
    retention_days: int = Field(30, ge=1, le=3650)


def bitrate_mbps(width_px: float, fps: float, codec: str, complexity: float = 1.0) -> float:
    """Estimated stream bitrate in Mbit/s for a ``width_px`` wide 16:9 stream."""
    if codec not in CODEC_FACTOR:
        raise ValueError(f"codec: expected one of {', '.join(CODEC_FACTOR)}, got {codec!r}")
    if width_px <= 0 or fps <= 0 or complexity <= 0:
        raise ValueError(f"width, fps and complexity must be more than 0, got {width_px}, {fps}, {complexity}")
    height = width_px * 9.0 / 16.0
    bits = width_px * height * fps * BITS_PER_PIXEL_H264 * CODEC_FACTOR[codec] * complexity
    return bits / 1e6


def storage_tb(mbps: float, days: float) -> float:
    """Terabytes (10^12 bytes) for ``days`` of continuous recording at ``mbps``."""
    return mbps * 1e6 / 8.0 * 86_400.0 * days / 1e12


@dataclass(frozen=True)
class ScheduleCamera:
    """One camera to schedule (WGS84 position; ``model`` from the catalogue, or empty)."""

    site: str
    lon: float
    lat: float
    model: str
    kind: str
    heading_deg: float | None
    height_m: float
    fov_deg: float
    resolution_px: int
    cost: float | None
    phase: int = 1


@dataclass(frozen=True)
class ScheduleRow:
    """One camera of the schedule: the camera as the file shows it (position and angles rounded), its lens,
    and what its stream carries and stores."""

    camera: ScheduleCamera
    focal_mm: float
    fps: float
    codec: str
    bitrate_mbps: float
    retention_days: int
    storage_tb: float


@dataclass(frozen=True)
class PhaseTotal:
    phase: int
    cameras: int
    cost: float
    bitrate_mbps: float
    storage_tb: float


def schedule(cameras: Iterable[ScheduleCamera], stream: StreamSettings) -> list[ScheduleRow]:
    """Rows sorted by phase then site."""
    from geo.density import focal_mm

    rows = []
    for c in cameras:
        mbps = bitrate_mbps(c.resolution_px, stream.fps, stream.codec, stream.complexity)
        heading = None if c.heading_deg is None else round(c.heading_deg, 1)
        shown = replace(c, lon=round(c.lon, 7), lat=round(c.lat, 7), heading_deg=heading, fov_deg=round(c.fov_deg, 1))
        rows.append(
            ScheduleRow(
                camera=shown,
                focal_mm=round(focal_mm(c.fov_deg), 2),
                fps=stream.fps,
                codec=stream.codec,
                bitrate_mbps=round(mbps, 2),
                retention_days=stream.retention_days,
                storage_tb=round(storage_tb(mbps, stream.retention_days), 3),
            )
        )
    return sorted(rows, key=lambda r: (r.camera.phase, r.camera.site))


def phase_totals(rows: Sequence[ScheduleRow]) -> list[PhaseTotal]:
    out = []
    for phase in sorted({r.camera.phase for r in rows}):
        rs = [r for r in rows if r.camera.phase == phase]
        out.append(
            PhaseTotal(
                phase,
                len(rs),
                round(sum(r.camera.cost or 0.0 for r in rs), 2),
                round(sum(r.bitrate_mbps for r in rs), 2),
                round(sum(r.storage_tb for r in rs), 3),
            )
        )
    return out


#: the schedule's columns in file order: each is a field of the row's camera or of the row
HEADER = [
    "site",
    "lon",
    "lat",
    "model",
    "kind",
    "heading_deg",
    "height_m",
    "fov_deg",
    "focal_mm",
    "resolution_px",
    "cost",
    "phase",
    "fps",
    "codec",
    "bitrate_mbps",
    "retention_days",
    "storage_tb",
]
TOTAL_HEADER = [f.name for f in fields(PhaseTotal)]
_CAMERA_FIELDS = {f.name for f in fields(ScheduleCamera)}


def _cells(row: ScheduleRow | PhaseTotal) -> list[object]:
    if isinstance(row, PhaseTotal):
        values = list(asdict(row).values())
    else:
        values = [getattr(row.camera if c in _CAMERA_FIELDS else row, c) for c in HEADER]
    return ["" if v is None else v for v in values]


def to_csv(rows: Sequence[ScheduleRow]) -> str:
    """The schedule, then a blank line and the totals per phase (and over all phases)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(_cells(r) for r in rows)
    w.writerow([])
    w.writerow(TOTAL_HEADER)
    totals = phase_totals(rows)
    w.writerows(_cells(t) for t in totals)
    w.writerow(["all", *(_cells(_grand(totals))[1:])])
    return buf.getvalue()


def _grand(totals: Sequence[PhaseTotal]) -> PhaseTotal:
    return PhaseTotal(
        0,
        sum(t.cameras for t in totals),
        round(sum(t.cost for t in totals), 2),
        round(sum(t.bitrate_mbps for t in totals), 2),
        round(sum(t.storage_tb for t in totals), 3),
    )


def to_xlsx(rows: Sequence[ScheduleRow]) -> bytes:
    """An .xlsx workbook: sheet ``schedule`` (one row per camera) and sheet ``totals`` (per phase, then all)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "schedule"
    ws.append(HEADER)
    for r in rows:
        ws.append(_cells(r))
    tot = wb.create_sheet("totals")
    tot.append(TOTAL_HEADER)
    totals = phase_totals(rows)
    for t in totals:
        tot.append(_cells(t))
    tot.append(["all", *(_cells(_grand(totals))[1:])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plan_cameras(plan_dir: str | Path) -> list[ScheduleCamera]:
    """The new cameras of a ``xueliang plan`` folder (plan.geojson), with their models from plan.json."""
    import json

    from xueliang.errors import InputError

    d = Path(plan_dir)
    if not (d / "plan.json").is_file() or not (d / "plan.geojson").is_file():
        raise InputError(str(d), "expected a plan folder with plan.json and plan.geojson (run `xueliang plan`)")
    plan = json.loads((d / "plan.json").read_text(encoding="utf-8"))
    models = {m["name"]: m for m in plan.get("catalogue", [])}
    sites = json.loads((d / "plan.geojson").read_text(encoding="utf-8"))
    out = []
    for k, f in enumerate(sites.get("features", [])):
        p = f.get("properties") or {}
        m = models.get(p.get("model"))
        if m is None:
            raise InputError(
                str(d / "plan.geojson"),
                f"model {p.get('model')!r} is not in plan.json's catalogue",
                where=f"feature {k}",
                field="model",
            )
        lon, lat = f["geometry"]["coordinates"][:2]
        out.append(
            ScheduleCamera(
                site=f"site-{p.get('site', k)}-{p.get('candidate', k)}",
                lon=float(lon),
                lat=float(lat),
                model=str(m["name"]),
                kind=str(m.get("kind", "bullet")),
                heading_deg=p.get("heading_deg"),
                height_m=float(m.get("height_m", 6.0)),
                fov_deg=float(m["fov_deg"]),
                resolution_px=int(m["resolution_px"]),
                cost=float(p.get("cost", m["cost"])),
                phase=int(p.get("phase", 1)),
            )
        )
    return out
