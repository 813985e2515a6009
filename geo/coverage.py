"""Coverage on arrays: which targets lie in which camera views, occlusion by buildings included.

The core result is a sparse boolean matrix (targets x cameras). Point targets are tested exactly:
inside the sector (range and angle) and with a clear line of sight — the segment from camera to
target, trimmed by ``clearance`` metres at both ends, crosses no building footprint other than the
one the camera or target stands in. View polygons (for area targets and maps) are traced with rays
every ``ray_step_deg`` degrees, each cut at the first building it meets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.arrays import Columns
from geo.view import Views, in_sector, sector_ray_bearings


@dataclass(frozen=True)
class Occluders(Columns):
    """Building footprints (metric CRS) with their spatial index."""

    geoms: NDArray[np.object_]
    tree: shapely.STRtree

    @classmethod
    def from_geoms(cls, geoms: NDArray[np.object_] | list[object]) -> Occluders:
        arr = np.asarray(geoms, dtype=object)
        return cls(arr, shapely.STRtree(arr))

    def hosts(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> sp.csr_matrix:
        """Sparse (points x buildings) relation: point stands inside or on the building."""
        pts = np.asarray(shapely.points(x, y), dtype=object)
        pi, bi = self.tree.query(pts, predicate="intersects")
        return sp.csr_matrix((np.ones(len(pi), dtype=bool), (pi, bi)), shape=(len(pts), len(self)))


def _blocked(
    occ: Occluders,
    x0: NDArray[np.float64],
    y0: NDArray[np.float64],
    x1: NDArray[np.float64],
    y1: NDArray[np.float64],
    exempt_a: sp.csr_matrix,
    exempt_b: sp.csr_matrix,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    clearance: float,
) -> NDArray[np.bool_]:
    """For each segment (x0,y0)->(x1,y1): does it cross a building other than those exempted for its ends?"""
    n = len(x0)
    if n == 0 or len(occ) == 0:
        return np.zeros(n, dtype=bool)
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    trim = np.minimum(clearance, length / 2 * 0.999)
    ux = np.divide(dx, length, out=np.zeros_like(dx), where=length > 0)
    uy = np.divide(dy, length, out=np.zeros_like(dy), where=length > 0)
    lines = shapely.linestrings(
        np.stack([np.c_[x0 + ux * trim, y0 + uy * trim], np.c_[x1 - ux * trim, y1 - uy * trim]], axis=1)
    )
    li, bi = occ.tree.query(lines, predicate="intersects")
    if len(li):
        ex = np.asarray(exempt_a[a[li], bi]).ravel() | np.asarray(exempt_b[b[li], bi]).ravel()
        li = li[~ex]
    out = np.zeros(n, dtype=bool)
    out[li] = True
    return out


def point_coverage(
    views: Views,
    px: NDArray[np.float64],
    py: NDArray[np.float64],
    occluders: Occluders | None = None,
    *,
    clearance: float = 0.5,
    chunk: int = 2_000_000,
) -> sp.csr_matrix:
    """Sparse boolean matrix (points x cameras): point ``i`` is seen by camera ``j``."""
    n_pts, n_cam = len(px), len(views)
    if n_pts == 0 or n_cam == 0:
        return sp.csr_matrix((n_pts, n_cam), dtype=bool)
    tree = cKDTree(np.c_[px, py])
    live = np.flatnonzero(views.radius > 0)
    cam_hosts = pt_hosts = None
    if occluders is not None and len(occluders):
        cam_hosts = occluders.hosts(views.x, views.y)
        pt_hosts = occluders.hosts(px, py)
    rows: list[NDArray[np.intp]] = []
    cols: list[NDArray[np.intp]] = []
    # query in batches of cameras so the candidate pair lists stay bounded in memory
    step = max(1, chunk // max(1, int(np.ceil(n_pts / max(1, n_cam))) * 50))
    for s in range(0, len(live), step):
        cams = live[s : s + step]
        hits = tree.query_ball_point(np.c_[views.x[cams], views.y[cams]], views.radius[cams])
        counts = np.fromiter((len(h) for h in hits), dtype=np.intp, count=len(hits))
        if counts.sum() == 0:
            continue
        cam = np.repeat(cams, counts)
        pt = np.fromiter((i for h in hits for i in h), dtype=np.intp, count=int(counts.sum()))
        ok = in_sector(views, cam, px[pt], py[pt])
        cam, pt = cam[ok], pt[ok]
        if cam_hosts is not None and pt_hosts is not None and occluders is not None:
            blocked = _blocked(
                occluders, views.x[cam], views.y[cam], px[pt], py[pt], cam_hosts, pt_hosts, cam, pt, clearance
            )
            cam, pt = cam[~blocked], pt[~blocked]
        rows.append(pt)
        cols.append(cam)
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.intp)
    return sp.csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(n_pts, n_cam))


def view_polygons(
    views: Views,
    occluders: Occluders | None = None,
    *,
    ray_step_deg: float = 2.5,
    which: NDArray[np.intp] | None = None,
) -> NDArray[np.object_]:
    """Occlusion-clipped view polygons (one per camera in ``which``; empty where radius is 0)."""
    idx = np.arange(len(views)) if which is None else np.asarray(which, dtype=np.intp)
    out = np.full(len(idx), shapely.Polygon(), dtype=object)
    live = idx[views.radius[idx] > 0]
    pos = np.flatnonzero(views.radius[idx] > 0)
    if len(live) == 0:
        return out
    bearings = [sector_ray_bearings(float(views.heading[i]), float(views.half_fov[i]), ray_step_deg) for i in live]
    counts = np.fromiter((len(b) for b in bearings), dtype=np.intp, count=len(live))
    cam = np.repeat(live, counts)
    theta = np.radians(np.concatenate(bearings))
    r = views.radius[cam].copy()
    x0, y0 = views.x[cam], views.y[cam]
    if occluders is not None and len(occluders):
        x1, y1 = x0 + np.sin(theta) * r, y0 + np.cos(theta) * r
        rays: NDArray[np.object_] = np.asarray(
            shapely.linestrings(np.stack([np.c_[x0, y0], np.c_[x1, y1]], axis=1)), dtype=object
        )
        ri, bi = occluders.tree.query(rays, predicate="intersects")
        if len(ri):
            hosts = occluders.hosts(views.x[live], views.y[live])
            local = np.searchsorted(live, cam[ri])
            ex = np.asarray(hosts[local, bi]).ravel()
            ri, bi = ri[~ex], bi[~ex]
            hit = shapely.intersection(rays[ri], occluders.geoms[bi])
            d = shapely.distance(shapely.points(x0[ri], y0[ri]), hit)
            d = np.where(np.isfinite(d), d, np.inf)
            np.minimum.at(r, ri, d)
    ex_, ey_ = x0 + np.sin(theta) * r, y0 + np.cos(theta) * r
    omni = views.half_fov[live] >= 180.0
    # ring per camera: apex + ray ends for a sector, ray ends alone for an omni view
    ring_counts = counts + (~omni).astype(np.intp) + 1
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    coords = np.empty((int(ring_counts.sum()), 2))
    ring_idx = np.repeat(np.arange(len(live)), ring_counts)
    k = 0
    for j in range(len(live)):
        s, n = starts[j], counts[j]
        pts = np.c_[ex_[s : s + n], ey_[s : s + n]]
        if not omni[j]:
            pts = np.r_[[[views.x[live[j]], views.y[live[j]]]], pts]
        pts = np.r_[pts, pts[:1]]
        coords[k : k + len(pts)] = pts
        k += len(pts)
    rings = shapely.linearrings(coords, indices=ring_idx)
    polys = shapely.make_valid(shapely.polygons(rings))
    out[pos] = polys
    return out


def area_coverage(
    areas: NDArray[np.object_],
    view_geoms: NDArray[np.object_],
    occluders: Occluders | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[NDArray[np.intp]]]:
    """For each area: its open (unbuilt) surface in m², the covered fraction of it, and the views that touch it."""
    open_area = np.zeros(len(areas))
    frac = np.zeros(len(areas))
    touching: list[NDArray[np.intp]] = []
    vt = shapely.STRtree(view_geoms)
    for i, a in enumerate(areas):
        space = a
        if occluders is not None and len(occluders):
            bi = occluders.tree.query(a, predicate="intersects")
            if len(bi):
                space = shapely.difference(a, shapely.union_all(occluders.geoms[bi]))
        open_area[i] = shapely.area(space)
        vi = vt.query(space, predicate="intersects")
        touching.append(np.asarray(vi, dtype=np.intp))
        if len(vi) and open_area[i] > 0:
            seen = shapely.intersection(space, shapely.union_all(view_geoms[vi]))
            frac[i] = min(1.0, shapely.area(seen) / open_area[i])
    return open_area, frac, touching
