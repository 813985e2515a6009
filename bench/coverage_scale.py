"""Coverage at city scale: synthetic cameras over the Campo Grande extract, all target classes.

Prints the time of the vectorised run for growing camera counts (the cost should grow no worse than
linearly) and the ratio against a straightforward per-camera shapely loop measured on a subsample in
the same run. Usage: python bench/coverage_scale.py [--cameras 76000] [--loop-sample 1000] [--osm PATH]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.analysis import build_views, cameras_frame, run_coverage  # noqa: E402
from geo.cameras import Camera  # noqa: E402
from geo.config import CoverageConfig  # noqa: E402
from geo.coverage import Occluders, point_coverage  # noqa: E402
from geo.targets import build_targets  # noqa: E402
from geo.town import Town, load_town  # noqa: E402
from geo.view import bearing_deg, pixel_density  # noqa: E402

DEFAULT_OSM = ROOT.parent / "shared/data/osm/campo_grande_graphhopper_2013.osm.gz"


def synthetic_cameras(town: Town, n: int, seed: int) -> list[Camera]:
    """Cameras on the road network, 4-8 m off the centreline, facing along or across the road."""
    rng = np.random.default_rng(seed)
    lines = town.roads.geometry.to_numpy()
    lengths = shapely.length(lines)
    which = rng.choice(len(lines), size=n, p=lengths / lengths.sum())
    at = rng.uniform(0, 1, n) * lengths[which]
    pts = shapely.line_interpolate_point(lines[which], at)
    ahead = shapely.line_interpolate_point(lines[which], np.minimum(at + 1.0, lengths[which]))
    p, q = shapely.get_coordinates(pts), shapely.get_coordinates(ahead)
    road_bearing = bearing_deg(q[:, 0] - p[:, 0], q[:, 1] - p[:, 1])
    side = rng.choice([-1, 1], n) * rng.uniform(4, 8, n)
    rad = np.radians(road_bearing + 90)
    x, y = p[:, 0] + np.sin(rad) * side, p[:, 1] + np.cos(rad) * side
    import geopandas as gpd

    ll = gpd.GeoSeries(shapely.points(x, y), crs=town.crs).to_crs(4326)
    heading = (road_bearing + rng.choice([0, 180, 90, 270], n) + rng.normal(0, 15, n)) % 360
    kind = rng.choice(["bullet", "bullet", "bullet", "dome"], n)
    res = rng.choice([1920, 2560, 3840], n)
    fov = rng.choice([40.0, 60.0, 90.0], n)
    lon, lat = ll.x.to_numpy(), ll.y.to_numpy()
    return [
        Camera(
            id=f"s{i}",
            lon=float(lon[i]),
            lat=float(lat[i]),
            heading_deg=None if kind[i] == "dome" else float(heading[i]),
            fov_deg=None if kind[i] == "dome" else float(fov[i]),
            resolution_px=int(res[i]),
            height_m=5.0,
            kind=str(kind[i]),
        )
        for i in range(n)
    ]


def naive_loop(town: Town, cams: list[Camera], targets_xy: np.ndarray, cfg: CoverageConfig) -> int:
    """The straightforward way: per camera, a shapely sector, then per target a contains + line-of-sight test."""
    frame = cameras_frame(cams, town.crs)
    v = build_views(frame, cfg, pixel_density(cfg.level))
    tree = shapely.STRtree(town.buildings.geometry.to_numpy())
    pts = [shapely.Point(x, y) for x, y in targets_xy]
    pairs = 0
    for i in range(len(v)):
        if v.radius[i] <= 0:
            continue
        c = shapely.Point(v.x[i], v.y[i])
        if v.half_fov[i] >= 180:
            sector = c.buffer(v.radius[i])
        else:
            angles = np.radians(np.linspace(v.heading[i] - v.half_fov[i], v.heading[i] + v.half_fov[i], 32))
            ring = [(v.x[i], v.y[i])] + [
                (v.x[i] + v.radius[i] * np.sin(a), v.y[i] + v.radius[i] * np.cos(a)) for a in angles
            ]
            sector = shapely.Polygon(ring)
        for p in pts:
            if sector.contains(p):
                line = shapely.LineString([c, p])
                if not any(town.buildings.geometry.iloc[b].crosses(line) for b in tree.query(line)):
                    pairs += 1
    return pairs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--osm", default=str(DEFAULT_OSM))
    ap.add_argument("--cameras", type=int, default=76_000)
    ap.add_argument("--loop-sample", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not Path(args.osm).exists():
        print(f"skipped: {args.osm} is absent (see ../shared/data/SOURCES.md)")
        return
    cfg = CoverageConfig()
    t0 = time.perf_counter()
    town = load_town(args.osm, cfg)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    targets = build_targets(town, cfg)
    t_targets = time.perf_counter() - t0
    print(
        f"town {Path(args.osm).name}: {len(town.roads)} drivable ways, {len(town.buildings)} buildings; "
        f"load {t_load:.1f} s, targets {t_targets:.1f} s: " + ", ".join(f"{k} {len(v)}" for k, v in targets.items())
    )
    all_cams = synthetic_cameras(town, args.cameras, args.seed)
    times = {}
    for n in (args.cameras // 4, args.cameras // 2, args.cameras):
        t0 = time.perf_counter()
        r = run_coverage(town, all_cams[:n], cfg)
        times[n] = time.perf_counter() - t0
        cov = r.classes["intersections"].targets["covered"].mean()
        print(
            f"{n:>7} cameras: coverage, all classes + view polygons: {times[n]:6.1f} s "
            f"({times[n] / n * 1e6:.0f} us/camera); intersections covered {cov:.1%}"
        )
    ns = sorted(times)
    print(
        f"growth: x{ns[-1] / ns[0]:.0f} cameras -> x{times[ns[-1]] / times[ns[0]]:.2f} time "
        f"(linear = x{ns[-1] / ns[0]:.0f})"
    )
    # the straightforward loop on a subsample, same targets (point classes), same cameras
    xy = np.concatenate(
        [shapely.get_coordinates(t.geometry.to_numpy()) for k, t in targets.items() if k != "crowded_areas"]
    )
    sample = all_cams[: args.loop_sample]
    t0 = time.perf_counter()
    naive_pairs = naive_loop(town, sample, xy, cfg)
    t_naive = time.perf_counter() - t0
    frame = cameras_frame(sample, town.crs)
    v = build_views(frame, cfg, pixel_density(cfg.level))
    t0 = time.perf_counter()
    m = point_coverage(v, xy[:, 0], xy[:, 1], Occluders.from_geoms(town.buildings.geometry.to_numpy()), clearance=0)
    t_vec = time.perf_counter() - t0
    print(
        f"point coverage of {len(xy)} targets by {len(sample)} cameras: per-camera shapely loop {t_naive:.2f} s "
        f"({naive_pairs} pairs), vectorised {t_vec:.3f} s ({m.nnz} pairs): ratio x{t_naive / t_vec:.0f}"
    )
    per_cam = t_naive / len(sample)
    print(
        f"loop extrapolated to {args.cameras} cameras: {per_cam * args.cameras:.0f} s for point targets alone, "
        f"vs {times[args.cameras]:.1f} s for the whole vectorised run "
        f"(x{per_cam * args.cameras / times[args.cameras]:.0f})"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
