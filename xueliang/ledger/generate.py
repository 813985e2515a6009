"""A synthetic but realistic case ledger for demos and tests.

Rates are set to land near published figures: in the British Transport Police study (Ashby 2017)
video was available in about 45% of cases and useful in about 29%, and useful video raised the
solve rate of most crime types. Cases cluster around hotspots and repeat addresses; the share of
cases with footage grows by year, as a camera programme expands. Everything follows from ``seed``.

Known effects are planted so that the ledger's models can be checked against them. Per crime type,
the time to solve follows proportional hazards: the cumulative hazard of being solved by day ``t``
is ``theta * (1 - exp(-t / days))`` without useful video (most cases are never solved), and
``hazard_ratio`` times that with it. ``theta`` is set so that ``solve_without`` of the cases
without useful video are solved within :data:`FOLLOW_UP_DAYS`, and the hazard ratio so that the
odds ratio of being solved within that follow-up is ``odds_ratio``. Area and time of day play no
part in solving, so a model of solving per type, adjusted for them, is correctly specified.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xueliang.errors import ConfigError
from xueliang.ledger.metrics import FOLLOW_UP_DAYS
from xueliang.ledger.schema import ALL_FIELDS


@dataclass(frozen=True)
class CrimeProfile:
    """Per crime type: share of cases, chance footage is requested, useful given obtained; solving.

    ``solve_without``: share of cases without useful video solved within :data:`FOLLOW_UP_DAYS`;
    ``odds_ratio``: the planted odds ratio of that for useful video; ``days``: time scale of solving
    (the hazard decays as ``exp(-t / days)``).
    """

    weight: float
    p_request: float
    p_useful: float
    solve_without: float
    odds_ratio: float
    days: float
    window_hours: float
    vehicles: bool

    @property
    def solve_with(self) -> float:
        """Share of cases with useful video solved within the follow-up."""
        odds = self.odds_ratio * self.solve_without / (1 - self.solve_without)
        return odds / (1 + odds)

    @property
    def hazard_ratio(self) -> float:
        """The planted hazard ratio: the one that gives ``odds_ratio`` at the follow-up."""
        return math.log(1 - self.solve_with) / math.log(1 - self.solve_without)

    @property
    def theta(self) -> float:
        """Cumulative hazard without useful video as t grows without bound (1 - exp(-theta) are ever solved)."""
        return -math.log(1 - self.solve_without) / (1 - math.exp(-FOLLOW_UP_DAYS / self.days))

    def days_to_solve(self, useful: bool, e: float) -> float | None:
        """Days to solve for a unit exponential draw ``e`` (inverse cumulative hazard); None = never."""
        total = self.theta * (self.hazard_ratio if useful else 1.0)
        return None if e >= total else -self.days * math.log(1 - e / total)


PROFILES: dict[str, CrimeProfile] = {
    "theft": CrimeProfile(0.30, 0.60, 0.58, 0.06, 4.0, 45.0, 3.0, False),
    "burglary": CrimeProfile(0.12, 0.68, 0.60, 0.07, 4.0, 60.0, 10.0, True),
    "vehicle theft": CrimeProfile(0.10, 0.72, 0.70, 0.05, 5.0, 40.0, 8.0, True),
    "robbery": CrimeProfile(0.08, 0.78, 0.75, 0.18, 3.5, 30.0, 0.2, True),
    "fraud": CrimeProfile(0.15, 0.40, 0.45, 0.08, 1.1, 120.0, 0.0, False),
    "assault": CrimeProfile(0.25, 0.66, 0.70, 0.38, 2.0, 20.0, 0.3, False),
}
CONTRIBUTION_MIX = {"corroborating": 0.30, "lead": 0.35, "identified": 0.20, "decisive": 0.15}
RETENTION_DAYS = (7, 15, 30, 30, 30, 90)
AREAS = ("Chengguan", "Dongguan", "Xiguan", "Nanhu", "Beishan", "Hexi")
#: Monaco and its neighbours, the town of the shared OSM sample (lon_min, lat_min, lon_max, lat_max).
DEFAULT_BBOX = (7.405, 43.725, 7.440, 43.752)
BAD_KINDS = (
    "future occurrence",
    "solved before occurrence",
    "unknown contribution",
    "duplicate case id",
    "latitude out of range",
    "video_obtained not yes/no",
    "contribution without footage",
)


@dataclass(frozen=True)
class GeneratedLedger:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    camera_ids: tuple[str, ...]
    camera_lon: tuple[float, ...]
    camera_lat: tuple[float, ...]
    bad_rows: tuple[str, ...]


def _fold(x: np.ndarray[Any, np.dtype[np.float64]], lo: float, hi: float) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Reflect values that spill over an edge back inside (clipping would pile them up on the edge)."""
    x = np.where(x < lo, 2 * lo - x, x)
    x = np.where(x > hi, 2 * hi - x, x)
    return np.clip(x, lo, hi)


def _day(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d")


def _minute(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M")


def generate_ledger(
    n: int,
    *,
    seed: int = 1,
    bbox: tuple[float, float, float, float] = DEFAULT_BBOX,
    start: dt.date = dt.date(2020, 1, 1),
    end: dt.date = dt.date(2026, 6, 30),
    n_cameras: int = 150,
    bad: int = 0,
    camera_ids: tuple[str, ...] = (),
) -> GeneratedLedger:
    """``n`` cases occurring from ``start`` to ``end`` inside ``bbox``, plus ``bad`` broken rows.

    Linked cameras are drawn from ``camera_ids`` when given, else ``n_cameras`` made-up ids."""
    lon0, lat0, lon1, lat1 = bbox
    if camera_ids:
        n_cameras = len(camera_ids)
    if n < 1 or n_cameras < 1 or bad < 0:
        raise ConfigError("generate", f"expected n >= 1, cameras >= 1, bad >= 0, got {n}, {n_cameras}, {bad}")
    if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
        raise ConfigError("--bbox", f"expected lon_min < lon_max and lat_min < lat_max in degrees, got {bbox}")
    if start >= end:
        raise ConfigError("--start/--end", f"expected start before end, got {start} and {end}")
    rng = np.random.default_rng(seed)
    names = list(PROFILES)
    weights = np.array([PROFILES[k].weight for k in names])
    types = rng.choice(len(names), size=n, p=weights / weights.sum())
    span_min = int((end - start).days * 24 * 60)
    minutes = np.sort(rng.integers(0, span_min, size=n))
    t0 = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    end_dt = dt.datetime.combine(end, dt.time(23, 59), tzinfo=dt.UTC)

    # places: hotspots, repeat addresses, background
    k_hot = 30
    hot = np.column_stack([rng.uniform(lon0, lon1, k_hot), rng.uniform(lat0, lat1, k_hot)])
    addresses = hot[rng.integers(0, k_hot, max(n // 20, 1))] + rng.normal(0, 0.0008, (max(n // 20, 1), 2))
    kind = rng.choice(3, size=n, p=[0.25, 0.5, 0.25])
    pts = np.column_stack([rng.uniform(lon0, lon1, n), rng.uniform(lat0, lat1, n)])
    near = hot[rng.integers(0, k_hot, n)] + rng.normal(0, 0.0012, (n, 2))
    pts[kind == 1] = near[kind == 1]
    pts[kind == 0] = addresses[rng.integers(0, len(addresses), n)][kind == 0]
    pts[:, 0] = _fold(pts[:, 0], lon0, lon1)
    pts[:, 1] = _fold(pts[:, 1], lat0, lat1)
    cams = np.column_stack([rng.uniform(lon0, lon1, n_cameras), rng.uniform(lat0, lat1, n_cameras)])
    cams[: n_cameras // 2] = hot[rng.integers(0, k_hot, n_cameras // 2)] + rng.normal(0, 0.001, (n_cameras // 2, 2))
    cams[:, 0] = _fold(cams[:, 0], lon0, lon1)
    cams[:, 1] = _fold(cams[:, 1], lat0, lat1)
    # real registry ids when given (so the ledger links to registered cameras), else CAM-0001 ...
    cam_ids = camera_ids or tuple(f"CAM-{i + 1:04d}" for i in range(n_cameras))
    # nearest cameras by a local equirectangular projection (metres up to a constant factor)
    kx = float(np.cos(np.radians((lat0 + lat1) / 2)))
    years = end.year - start.year + 1

    rows: list[list[str]] = []
    per_year: dict[int, int] = {}
    for i in range(n):
        name = names[types[i]]
        prof = PROFILES[name]
        occurred = t0 + dt.timedelta(minutes=int(minutes[i]))
        growth = 0.80 + 0.25 * (occurred.year - start.year) / max(years - 1, 1)
        per_year[occurred.year] = per_year.get(occurred.year, 0) + 1
        case_id = f"A{occurred.year}{per_year[occurred.year]:05d}"
        window = dt.timedelta(hours=float(rng.uniform(0, prof.window_hours)))
        lon, lat = float(pts[i, 0]), float(pts[i, 1])
        col = min(int((lon - lon0) / (lon1 - lon0) * 3), 2)
        row_ = min(int((lat - lat0) / (lat1 - lat0) * 2), 1)
        area = AREAS[row_ * 3 + col]
        expires = occurred + dt.timedelta(days=int(rng.choice(RETENTION_DAYS)))
        requested = None
        obtained = False
        if rng.random() < min(prof.p_request * growth, 0.95):
            delay = dt.timedelta(days=float(rng.lognormal(1.0, 1.1)))
            requested = min(occurred + window + delay, end_dt)
            obtained = requested.date() <= expires.date() and rng.random() < 0.85 * min(growth, 1.1)
        useful = obtained and rng.random() < prof.p_useful
        contribution = "none"
        if useful:
            contribution = str(rng.choice(list(CONTRIBUTION_MIX), p=list(CONTRIBUTION_MIX.values())))
        status, solved_at = "open", None
        days = prof.days_to_solve(useful, float(rng.exponential()))
        if days is not None and occurred + dt.timedelta(days=days) <= end_dt:
            status, solved_at = "solved", occurred + dt.timedelta(days=days)
        if status == "open" and (end_dt - occurred).days > 365:
            status = "closed"
        hours = screened = eliminated = ""
        cameras = ""
        if obtained:
            hours = f"{rng.lognormal(1.4, 0.8):.1f}"
            if prof.vehicles:
                s = int(rng.poisson(40))
                screened, eliminated = str(s), str(int(rng.binomial(s, 0.8)))
            d2 = ((cams[:, 0] - lon) * kx) ** 2 + (cams[:, 1] - lat) ** 2
            k = int(rng.integers(1, 5))
            cameras = ";".join(cam_ids[j] for j in sorted(np.argsort(d2)[:k]))
        rows.append(
            [
                case_id,
                name,
                _minute(occurred),
                _minute(occurred + window) if prof.window_hours else "",
                f"{lon:.6f}",
                f"{lat:.6f}",
                area,
                status,
                _day(solved_at) if solved_at else "",
                _day(requested) if requested else "",
                _day(expires),
                "yes" if obtained else "no",
                contribution,
                hours,
                screened,
                eliminated,
                cameras,
                f"S{case_id[1:]}" if useful and prof.vehicles else "",
            ]
        )
    bad_kinds = _add_bad_rows(rows, bad, rng, end_dt)
    return GeneratedLedger(
        header=ALL_FIELDS,
        rows=tuple(tuple(r) for r in rows),
        camera_ids=cam_ids,
        camera_lon=tuple(float(x) for x in cams[:, 0]),
        camera_lat=tuple(float(x) for x in cams[:, 1]),
        bad_rows=bad_kinds,
    )


def _add_bad_rows(rows: list[list[str]], bad: int, rng: np.random.Generator, end_dt: dt.datetime) -> tuple[str, ...]:
    """Append ``bad`` broken copies of random rows, one kind of fault each (cycling through BAD_KINDS)."""
    f = {name: i for i, name in enumerate(ALL_FIELDS)}
    kinds = []
    originals = list(rows)  # copy only good rows, never an earlier bad one
    for j in range(bad):
        kind = BAD_KINDS[j % len(BAD_KINDS)]
        src = originals[int(rng.integers(0, len(originals)))]
        r = list(src)
        if kind != "duplicate case id":
            r[f["case_id"]] = f"BAD{j + 1:04d}"
        if kind == "future occurrence":
            r[f["occurred_start"]] = _minute(end_dt.replace(year=end_dt.year + 3))
            r[f["occurred_end"]] = ""
        elif kind == "solved before occurrence":
            r[f["status"]] = "solved"
            r[f["solved_at"]] = "2001-01-01"
        elif kind == "unknown contribution":
            r[f["video_contribution"]] = "helpful"
        elif kind == "latitude out of range":
            r[f["lat"]] = "95.000000"
        elif kind == "video_obtained not yes/no":
            r[f["video_obtained"]] = "maybe"
        elif kind == "contribution without footage":
            r[f["video_obtained"]] = "no"
            r[f["video_contribution"]] = "lead"
        rows.insert(int(rng.integers(0, len(rows) + 1)), r)
        kinds.append(f"{r[f['case_id']]}: {kind}")
    return tuple(kinds)


def write_ledger(path: str | Path, ledger: GeneratedLedger, *, encoding: str = "utf-8") -> None:
    """Write as CSV (in ``encoding``, e.g. ``gbk``) or, for a ``.xlsx`` path, as an Excel sheet."""
    p = Path(path)
    if p.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "cases"
        ws.append(list(ledger.header))
        for r in ledger.rows:
            ws.append(list(r))
        wb.save(p)
        return
    with open(p, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ledger.header)
        w.writerows(ledger.rows)
