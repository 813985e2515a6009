"""What-if latency on the planner's workbench: the sample town and Monaco.

Each side, same run, same process, one thread:
- incremental (geo.workbench.whatif): targets, buildings and the existing cameras' coverage computed once;
  an edit traces only the changed cameras' views;
- full recompute (geo.analysis.run_coverage): what a planner without the workbench would run after each
  edit (targets rebuilt, every camera's coverage and view polygons), the fair baseline for "recompute".
Also the basemap answer (GeoJSON features, bytes) for the whole town at zoom 14 and a 500 m box at zoom 17.

Monaco has no camera registry: 300 cameras are placed at road vertices with seeded random headings.
Usage: python bench/whatif_latency.py [--reps 15] [--monaco PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from _root import ROOT

from geo.analysis import run_coverage
from geo.basemap import build_basemap
from geo.cameras import Camera, read_cameras
from geo.config import load_coverage_config
from geo.town import Town, load_town
from geo.workbench import build_workbench, whatif
from tests.geo.road_cameras import cameras_on_roads

MONACO = ROOT.parent / "shared/data/osm/monaco_osrm_2016.osm.pbf"


def synthetic_cameras(town: Town, n: int, seed: int = 1) -> list[Camera]:
    return cameras_on_roads(town, n, np.random.default_rng(seed))


def timed(fn, reps: int) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def bench(name: str, osm: Path, cams: list[Camera] | None, reps: int) -> None:
    cfg = load_coverage_config(None)
    t0 = time.perf_counter()
    town = load_town(osm, cfg)
    t_town = time.perf_counter() - t0
    cams = cams if cams is not None else synthetic_cameras(town, 300)
    t0 = time.perf_counter()
    wb = build_workbench(town, cams, cfg)
    t_build = time.perf_counter() - t0
    base = cams[0]
    moved = Camera(**{**base.__dict__, "lon": base.lon + 0.0004, "heading_deg": 120.0})
    new = Camera(
        id="new-1",
        lon=base.lon - 0.0003,
        lat=base.lat + 0.0002,
        heading_deg=200.0,
        fov_deg=95.0,
        resolution_px=2560,
        height_m=5.0,
        kind="bullet",
    )
    ten = [Camera(**{**new.__dict__, "id": f"new-{k}", "lat": new.lat + 0.0001 * k}) for k in range(10)]
    edits = {
        "add 1": lambda: whatif(wb, [new]),
        "move 1": lambda: whatif(wb, [moved], [base.id]),
        "delete 1": lambda: whatif(wb, [], [base.id]),
        "add 10": lambda: whatif(wb, ten),
    }
    print(f"== {name}: {len(town.roads)} roads, {len(town.buildings)} buildings, {len(cams)} cameras")
    print(f"   town load {t_town:.2f} s, workbench build (once per served town) {t_build:.2f} s")
    t_full = timed(lambda: run_coverage(town, [*cams, new], cfg), max(1, reps // 5))
    for label, fn in edits.items():
        t = timed(fn, reps)
        print(
            f"   what-if {label:<9} median {t * 1000:7.1f} ms"
            f"   (full recompute {t_full * 1000:7.0f} ms: x{t_full / t:.0f})"
        )
    api(town, wb, new, reps)
    bm = build_basemap(town)
    b = bm.bounds
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    box = (cx - 0.0032, cy - 0.00225, cx + 0.0032, cy + 0.00225)  # about 500 m
    for label, args in (("whole town z14", (None, 14.0)), ("500 m box z17", (box, 17.0))):
        t = timed(lambda a=args: bm.query(*a), max(3, reps // 3))
        fc: dict[str, Any] = bm.query(*args)
        size = len(json.dumps(fc))
        print(f"   basemap {label:<15} {len(fc['features']):6d} features {size / 1e6:6.2f} MB  {t * 1000:6.0f} ms")


def api(town: Town, wb: object, new: Camera, reps: int) -> None:
    """The same edit through the web route's code (JSON of classes, rules, villages and the gap list)."""
    from geo.catalogue import DEFAULT_CATALOGUE
    from xueliang.web.routes_workbench import _whatif_json
    from xueliang.web.workbench import Served, WhatIfIn

    srv = Served(build_basemap(town), wb, DEFAULT_CATALOGUE)  # type: ignore[arg-type]
    body = WhatIfIn.model_validate({"cameras": [{"lon": new.lon, "lat": new.lat, "heading": 200, "fov": 95}]})
    t = timed(lambda: json.dumps(_whatif_json(srv, body)), reps)
    size = len(json.dumps(_whatif_json(srv, body)))
    print(f"   what-if add 1 as the API answers it (with JSON, {size / 1e3:.0f} kB) median {t * 1000:7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--monaco", type=Path, default=MONACO)
    a = ap.parse_args()
    bench("sample town", ROOT / "sample_media/town.osm", read_cameras(str(ROOT / "sample_media/cameras.csv")), a.reps)
    if a.monaco.is_file():
        bench("Monaco", a.monaco, None, a.reps)
    else:
        print(f"Monaco skipped: {a.monaco} not found")


if __name__ == "__main__":
    main()
