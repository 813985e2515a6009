"""Coverage at city scale: synthetic cameras over a real extract, all target classes.

Prints the time of the whole coverage run for growing camera counts (the cost should grow no worse than
linearly), then point coverage (every point class) against two baselines a competent shapely-2 user would
write, measured in the same run on the same cameras, targets and buildings, single-threaded like ours:

- vectorised shapely: all sector polygons in one call, one STRtree query of sectors against targets
  (``contains``), all sight lines in one call and one STRtree query of them against the buildings;
- STRtree loop: per camera, its sector queried against the targets' STRtree, then its sight lines in bulk
  against the buildings' STRtree (run on ``--loop-sample`` cameras and scaled per camera above that).

Ours: a KD-tree of targets queried by camera range, the exact angle test on arrays, then one STRtree query
of the sight lines. Both baselines approximate the arc with 32 points, so their pair counts differ a little.
Run it on Campo Grande (103 buildings) and on Monaco (23k buildings):
    python bench/coverage_scale.py [--cameras 76000] [--loop-sample 500] [--osm PATH]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import shapely
from _root import ROOT

from geo.analysis import build_views, cameras_frame, run_coverage
from geo.cameras import Camera
from geo.config import CoverageConfig
from geo.coverage import Occluders, point_coverage
from geo.targets import build_targets
from geo.town import Town, load_town
from geo.view import Views, bearing_deg, pixel_density

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


def _sector_polygons(v: Views, idx: np.ndarray, arc_points: int = 32) -> np.ndarray:
    """Sector (or disc) polygons of views ``idx``, built in one vectorised call: apex + ``arc_points`` on the arc."""
    half = np.where(v.half_fov[idx] >= 180, 180.0, v.half_fov[idx])
    head = np.nan_to_num(v.heading[idx])
    t = np.linspace(0.0, 1.0, arc_points)
    ang = np.radians(head[:, None] - half[:, None] + 2 * half[:, None] * t[None, :])
    ax = v.x[idx, None] + v.radius[idx, None] * np.sin(ang)
    ay = v.y[idx, None] + v.radius[idx, None] * np.cos(ang)
    apex = np.c_[v.x[idx], v.y[idx]][:, None, :]
    arc = np.stack([ax, ay], axis=2)
    # a disc is its arc alone; a sector starts and ends at the camera
    ring = np.concatenate([apex, arc, apex], axis=1)
    disc = np.concatenate([arc[:, :-1], arc[:, :1]], axis=1)
    out = np.empty(len(idx), dtype=object)
    omni = half >= 180
    if (~omni).any():
        out[~omni] = shapely.polygons(ring[~omni])
    if omni.any():
        out[omni] = shapely.polygons(disc[omni])
    return out


def _hosts(tree: shapely.STRtree, x: np.ndarray, y: np.ndarray) -> set[tuple[int, int]]:
    """(point, building) pairs where the point stands in or on the building: those walls do not block it."""
    pi, bi = tree.query(shapely.points(x, y), predicate="intersects")
    return set(zip(pi.tolist(), bi.tolist(), strict=True))


def strtree_loop(v: Views, targets_xy: np.ndarray, buildings: np.ndarray) -> int:
    """What a competent shapely-2 user writes: per camera, its sector polygon queried against an STRtree of the
    targets (``predicate="contains"``), then that camera's sight lines tested in bulk against an STRtree of the
    buildings (the buildings the camera or the target stands in do not block)."""
    pts = np.asarray(shapely.points(targets_xy[:, 0], targets_xy[:, 1]))
    ttree = shapely.STRtree(pts)
    btree = shapely.STRtree(buildings)
    target_hosts = _hosts(btree, targets_xy[:, 0], targets_xy[:, 1])
    live = np.flatnonzero(v.radius > 0)
    sectors = _sector_polygons(v, live)
    pairs = 0
    for k, i in enumerate(live):
        seen = ttree.query(sectors[k], predicate="contains")
        if len(seen) == 0:
            continue
        own = {b for _, b in _hosts(btree, v.x[i : i + 1], v.y[i : i + 1])}
        lines = shapely.linestrings(
            np.stack([np.broadcast_to([v.x[i], v.y[i]], (len(seen), 2)), targets_xy[seen]], axis=1)
        )
        li, bi = btree.query(lines, predicate="intersects")
        blocked = {int(a) for a, b in zip(li, bi, strict=True) if b not in own and (seen[a], b) not in target_hosts}
        pairs += len(seen) - len(blocked)
    return pairs


def vectorised_shapely(v: Views, targets_xy: np.ndarray, buildings: np.ndarray) -> int:
    """Fully vectorised shapely 2: every sector built in one call, one STRtree query of all sectors against
    the targets, all sight lines built in one call and one query of them against the buildings."""
    pts = np.asarray(shapely.points(targets_xy[:, 0], targets_xy[:, 1]))
    btree = shapely.STRtree(buildings)
    live = np.flatnonzero(v.radius > 0)
    sectors = _sector_polygons(v, live)
    si, ti = shapely.STRtree(pts).query(sectors, predicate="contains")
    cam = live[si]
    lines = shapely.linestrings(np.stack([np.c_[v.x[cam], v.y[cam]], targets_xy[ti]], axis=1))
    li, bi = btree.query(lines, predicate="intersects")
    cam_hosts = _hosts(btree, v.x, v.y)
    target_hosts = _hosts(btree, targets_xy[:, 0], targets_xy[:, 1])
    keep = [
        (int(cam[a]), int(b)) not in cam_hosts and (int(ti[a]), int(b)) not in target_hosts
        for a, b in zip(li, bi, strict=True)
    ]
    blocked = np.unique(li[np.asarray(keep, dtype=bool)]) if len(li) else np.zeros(0, dtype=np.intp)
    return len(si) - len(blocked)


def _first(v: Views, n: int) -> Views:
    return Views(v.camera_id[:n], v.x[:n], v.y[:n], v.heading[:n], v.half_fov[:n], v.radius[:n])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--osm", default=str(DEFAULT_OSM))
    ap.add_argument("--cameras", type=int, default=76_000)
    ap.add_argument("--loop-sample", type=int, default=500, help="Cameras the STRtree loop runs on (then scaled).")
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
    # point coverage (every point class, the same cameras) against the two shapely-2 baselines
    xy = np.concatenate(
        [shapely.get_coordinates(t.geometry.to_numpy()) for k, t in targets.items() if k != "crowded_areas"]
    )
    buildings = town.buildings.geometry.to_numpy()
    occ = Occluders.from_geoms(buildings)
    frame = cameras_frame(all_cams, town.crs)
    v_all = build_views(frame, cfg, pixel_density(cfg.level))
    print(f"point coverage of {len(xy)} targets (point classes), {len(buildings)} buildings occluding:")
    print("  cameras |   ours s | vectorised shapely s (ratio) | STRtree loop s (ratio) | pairs ours/vec/loop")
    for n in sorted({min(args.loop_sample, args.cameras), *times}):
        v = _first(v_all, n)
        t0 = time.perf_counter()
        m = point_coverage(v, xy[:, 0], xy[:, 1], occ, clearance=0)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_vec = vectorised_shapely(v, xy, buildings)
        t_vec = time.perf_counter() - t0
        k = min(n, args.loop_sample)
        t0 = time.perf_counter()
        n_loop = strtree_loop(_first(v_all, k), xy, buildings)
        t_loop = (time.perf_counter() - t0) * n / k
        loop_note = "" if k == n else f" (per camera x {n} from {k})"
        print(
            f"  {n:>7} | {t_ours:8.2f} | {t_vec:8.2f} (x{t_vec / t_ours:4.1f})          | "
            f"{t_loop:8.2f} (x{t_loop / t_ours:4.1f}){loop_note} | {m.nnz}/{n_vec}/{n_loop if k == n else '-'}"
        )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
