"""Coverage targets from a town: intersections, main-road key nodes, crowded areas, key sites and
boundary crossings. Each builder returns a GeoDataFrame in the town's metric CRS with the columns
``target_id, name, kind, priority, geometry`` (plus class-specific ones)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.arrays import BoolArray, FloatArray, IndexArray, ObjectArray
from geo.config import CoverageConfig
from geo.osm import match_tags
from geo.town import Town, _read_polygons_file
from geo.view import bearing_deg

CLASSES = ("intersections", "main_road_nodes", "crowded_areas", "key_sites", "boundary_crossings")
AREA_CLASSES = ("crowded_areas",)
PRIORITY = {"key_sites": 1, "intersections": 2, "crowded_areas": 2, "main_road_nodes": 3, "boundary_crossings": 3}


def _frame(crs: object, geoms: object, prefix: str, cls: str, **cols: object) -> gpd.GeoDataFrame:
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    data: dict[str, object] = {"target_id": [f"{prefix}{i + 1}" for i in range(n)]}
    data.update({"name": [None] * n, "kind": [cls] * n, "priority": [PRIORITY[cls]] * n})
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def road_nodes(roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every street incidence at every OSM node: one row per (node, way-side) with the neighbour vertex.

    A node in the middle of a way counts two streets, a way's end one; OSM ways share a node exactly,
    so equal coordinates are the same node.
    """
    coords, idx = shapely.get_coordinates(roads.geometry.to_numpy(), return_index=True)
    n = len(coords)
    first = np.r_[True, idx[1:] != idx[:-1]]
    last = np.r_[idx[1:] != idx[:-1], True]
    key = np.round(coords, 2)
    rows_prev = np.flatnonzero(~first)  # incidence toward the previous vertex
    rows_next = np.flatnonzero(~last)  # toward the next vertex
    at = np.r_[rows_prev, rows_next]
    nb = np.r_[rows_prev - 1, rows_next + 1]
    df = pd.DataFrame(
        {
            "kx": key[at, 0],
            "ky": key[at, 1],
            "x": coords[at, 0],
            "y": coords[at, 1],
            "nx": coords[nb, 0],
            "ny": coords[nb, 1],
            "line": idx[at],
        }
    )
    del n
    return df


def _consolidate(x: FloatArray, y: FloatArray, tolerance: float) -> IndexArray:
    """Cluster label per point: points whose ``tolerance`` buffers overlap merge (as osmnx does)."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.intp)
    if tolerance <= 0:
        return np.arange(len(x))
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(np.c_[x, y]).query_pairs(2 * tolerance, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(x), len(x)))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.intp)


def junctions(roads: gpd.GeoDataFrame, min_streets: int) -> pd.DataFrame:
    """Raw OSM junction nodes with their street count, main-road flag and incidences."""
    inc = road_nodes(roads)
    streets = inc.groupby(["kx", "ky"]).size().rename("streets")
    inc = inc.join(streets, on=["kx", "ky"])
    return inc[inc["streets"] >= min_streets]


def intersections(town: Town, cfg: CoverageConfig) -> gpd.GeoDataFrame:
    c = cfg.intersections
    inc = junctions(town.roads, c.min_streets)
    nodes = inc.groupby(["kx", "ky"], sort=True).agg(x=("x", "first"), y=("y", "first"), streets=("streets", "first"))
    nodes = nodes.reset_index()
    labels = _consolidate(nodes["x"].to_numpy(), nodes["y"].to_numpy(), c.tolerance_m)
    nodes["cluster"] = labels
    clusters = nodes.groupby("cluster").agg(x=("x", "mean"), y=("y", "mean"), raw_nodes=("x", "size"))
    # approach legs: incidences whose neighbour vertex lies outside the cluster's merge radius
    inc = inc.merge(nodes[["kx", "ky", "cluster"]], on=["kx", "ky"])
    cx = clusters["x"].to_numpy()[inc["cluster"].to_numpy()]
    cy = clusters["y"].to_numpy()[inc["cluster"].to_numpy()]
    outward = np.hypot(inc["nx"] - cx, inc["ny"] - cy) > np.hypot(inc["x"] - cx, inc["y"] - cy)
    inc = inc[outward.to_numpy()].assign(
        bearing=bearing_deg((inc["nx"] - inc["x"]).to_numpy()[outward], (inc["ny"] - inc["y"]).to_numpy()[outward])
    )
    ordered = inc.sort_values(["cluster", "bearing"])
    legs = (ordered["bearing"].round(1).astype(str)).groupby(ordered["cluster"]).agg(";".join)
    names = town.roads["name"].to_numpy()[inc["line"].to_numpy()]
    named = pd.DataFrame({"cluster": inc["cluster"].to_numpy(), "name": names}).dropna().drop_duplicates()
    street_names = (
        named.sort_values(["cluster", "name"])
        .groupby("cluster")["name"]
        .agg(lambda s: " / ".join(s.astype(str).iloc[:3]))
    )
    geoms = shapely.points(clusters["x"].to_numpy(), clusters["y"].to_numpy())
    out = _frame(
        town.crs,
        geoms,
        "int-",
        "intersections",
        raw_nodes=clusters["raw_nodes"].to_numpy(),
        legs=legs.reindex(clusters.index).fillna("").to_numpy(),
    )
    out["name"] = street_names.reindex(clusters.index).to_numpy()
    out["leg_count"] = [len(s.split(";")) if s else 0 for s in out["legs"]]
    return out


def main_road_nodes(town: Town, cfg: CoverageConfig) -> gpd.GeoDataFrame:
    c = cfg.main_road_nodes
    main = town.roads["highway"].isin(c.highways).to_numpy()
    inc = junctions(town.roads, 3)
    on_main = (
        inc.assign(main=main[inc["line"].to_numpy()])
        .groupby(["kx", "ky"])
        .agg(x=("x", "first"), y=("y", "first"), main=("main", "any"))
    )
    j = on_main[on_main["main"]]
    xs, ys, kinds = [j["x"].to_numpy()], [j["y"].to_numpy()], [np.full(len(j), "junction", dtype=object)]
    lines = town.roads.geometry.to_numpy()[main]
    if len(lines):
        lengths = shapely.length(lines)
        counts = np.floor(lengths / c.spacing_m).astype(int)
        which = np.repeat(np.arange(len(lines)), counts)
        offsets = np.concatenate([np.arange(1, k + 1) * c.spacing_m for k in counts]) if counts.sum() else np.zeros(0)
        pts = shapely.line_interpolate_point(lines[which], offsets)
        xy = shapely.get_coordinates(pts)
        xs.append(xy[:, 0])
        ys.append(xy[:, 1])
        kinds.append(np.full(len(xy), "along", dtype=object))
    x, y, kind = np.concatenate(xs), np.concatenate(ys), np.concatenate(kinds)
    labels = _consolidate(x, y, c.tolerance_m)
    df = pd.DataFrame({"x": x, "y": y, "junction": kind == "junction", "c": labels})
    # a cluster holding a junction sits at the junction; otherwise at the mean of its points
    df["w"] = np.where(df["junction"], 1e6, 1.0)
    g = df.groupby("c")
    cx = (df["x"] * df["w"]).groupby(df["c"]).sum() / g["w"].sum()
    cy = (df["y"] * df["w"]).groupby(df["c"]).sum() / g["w"].sum()
    out = _frame(
        town.crs,
        shapely.points(cx.to_numpy(), cy.to_numpy()),
        "main-",
        "main_road_nodes",
        node_type=np.where(g["junction"].any().to_numpy(), "junction", "along"),
    )
    return out


def _user_targets(path: Path, what: str, town: Town, cls: str, prefix: str) -> tuple[gpd.GeoDataFrame, BoolArray]:
    """Targets from a user's file (``source_tag`` "user"), and which of them are polygons."""
    gdf = _read_polygons_file(path, what, town.crs)
    out = _frame(town.crs, gdf.geometry.to_numpy(), prefix, cls)
    if "name" in gdf.columns:
        out["name"] = gdf["name"].to_numpy()
    if "priority" in gdf.columns:
        out["priority"] = pd.to_numeric(gdf["priority"], errors="coerce").fillna(PRIORITY[cls]).astype(int).to_numpy()
    out["source_tag"] = "user"
    return out, out.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()


def crowded_areas(town: Town, cfg: CoverageConfig) -> gpd.GeoDataFrame:
    c = cfg.crowded_areas
    if c.areas_file is not None:
        out, poly = _user_targets(c.areas_file, "areas_file", town, "crowded_areas", "crowd-")
        out.loc[~poly, "geometry"] = out.geometry[~poly].buffer(c.point_radius_m)
        return out
    hit, kind = match_tags(town.areas, c.tags)
    polys = town.areas[hit.to_numpy()]
    phit, pkind = match_tags(town.points, c.tags)
    pts = town.points[phit.to_numpy()]
    # a point inside a matched polygon is the same place
    if len(pts) and len(polys):
        inside = pts.sjoin(polys[["geometry"]], predicate="within", how="left")["index_right"].notna()
        keep = ~inside.groupby(level=0).any()
        pts, pkind = pts[keep.to_numpy()], pkind[phit][keep.to_numpy()]
    else:
        pkind = pkind[phit]
    geoms = np.r_[polys.geometry.to_numpy(), pts.geometry.buffer(c.point_radius_m).to_numpy()]
    out = _frame(town.crs, geoms, "crowd-", "crowded_areas", source_tag=np.r_[kind[hit].to_numpy(), pkind.to_numpy()])
    out["name"] = np.r_[polys["name"].to_numpy(), pts["name"].to_numpy()]
    out = out[out.area > 1.0].reset_index(drop=True)
    out["target_id"] = [f"crowd-{i + 1}" for i in range(len(out))]
    return out


def _frontage_points(sites: ObjectArray, roads: gpd.GeoDataFrame) -> ObjectArray:
    """For site polygons: the point of the site nearest to its nearest drivable road (its street front)."""
    if len(sites) == 0:
        return sites
    tree = shapely.STRtree(roads.geometry.to_numpy())
    nearest = tree.query_nearest(sites, all_matches=False)
    road_geoms = roads.geometry.to_numpy()[nearest[1]]
    lines = shapely.shortest_line(sites[nearest[0]], road_geoms)
    out = np.array(sites, dtype=object)
    out[nearest[0]] = shapely.get_point(lines, 0)
    return out


def key_sites(town: Town, cfg: CoverageConfig) -> gpd.GeoDataFrame:
    c = cfg.key_sites
    if c.sites_file is not None:
        out, poly = _user_targets(c.sites_file, "sites_file", town, "key_sites", "site-")
        geoms = out.geometry.to_numpy()
        geoms[poly] = _frontage_points(geoms[poly], town.roads)
        return out.set_geometry(list(geoms))
    hit, kind = match_tags(town.areas, c.tags)
    polys = town.areas[hit.to_numpy()]
    bhit, bkind = match_tags(town.buildings, c.tags)
    phit, pkind = match_tags(town.points, c.tags)
    pts = town.points[phit.to_numpy()]
    pkind = pkind[phit]
    site_polys = np.r_[polys.geometry.to_numpy(), town.buildings.geometry.to_numpy()[bhit.to_numpy()]]
    if len(pts) and len(site_polys):
        tree = shapely.STRtree(site_polys)
        inside = tree.query(pts.geometry.to_numpy(), predicate="within")[0]
        keep = ~np.isin(np.arange(len(pts)), inside)
        pts, pkind = pts[keep], pkind[keep]
    names = np.r_[polys["name"].to_numpy(), town.buildings["name"].to_numpy()[bhit.to_numpy()], pts["name"].to_numpy()]
    kinds = np.r_[kind[hit].to_numpy(), bkind[bhit].to_numpy(), pkind.to_numpy()]
    geoms = np.r_[_frontage_points(site_polys, town.roads), pts.geometry.to_numpy()]
    out = _frame(town.crs, geoms, "site-", "key_sites", source_tag=kinds)
    out["name"] = names
    return out


def boundary_crossings(town: Town, cfg: CoverageConfig) -> gpd.GeoDataFrame:
    c = cfg.boundary_crossings
    if c.boundaries_file is not None:
        admin = _read_polygons_file(c.boundaries_file, "boundaries_file", town.crs)
        admin = admin.assign(name=admin["name"] if "name" in admin.columns else None)
    else:
        admin = town.admin[town.admin["admin_level"].isin(c.admin_levels).to_numpy()]
    if admin.empty:
        return _frame(town.crs, np.zeros(0, dtype=object), "cross-", "boundary_crossings")
    borders = shapely.boundary(admin.geometry.to_numpy())
    roads = town.roads.geometry.to_numpy()
    tree = shapely.STRtree(borders)
    ri, bi = tree.query(roads, predicate="intersects")
    hits = shapely.intersection(roads[ri], borders[bi])
    pts, which = shapely.get_parts(hits, return_index=True)
    pts = shapely.get_parts(shapely.force_2d(pts))
    pts = pts[shapely.get_type_id(pts) == 0] if len(pts) else pts
    del which
    if len(pts) == 0:
        return _frame(town.crs, np.zeros(0, dtype=object), "cross-", "boundary_crossings")
    xy = shapely.get_coordinates(pts)
    labels = _consolidate(xy[:, 0], xy[:, 1], c.tolerance_m)
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "c": labels}).groupby("c").mean()
    geoms = shapely.points(df["x"].to_numpy(), df["y"].to_numpy())
    # name a crossing by the units meeting there
    near = shapely.STRtree(admin.geometry.to_numpy()).query(shapely.buffer(geoms, 1.0), predicate="intersects")
    unit_names = admin["name"].astype(str).to_numpy(dtype=object)
    meeting: dict[int, set[str]] = {}
    for i, j in zip(near[0].tolist(), near[1].tolist(), strict=True):
        meeting.setdefault(i, set()).add(str(unit_names[j]))
    out = _frame(town.crs, geoms, "cross-", "boundary_crossings")
    out["name"] = [" | ".join(sorted(meeting[i])) if i in meeting else None for i in range(len(out))]
    return out


_EMPTY = {
    "intersections": "no junction of {n}+ drivable streets in this extract: 0 intersection targets",
    "main_road_nodes": "no main roads ({highways}) in this extract: 0 main-road targets",
    "crowded_areas": "no crowded areas (squares, markets, stations...) mapped in this extract: 0 crowded-area targets",
    "key_sites": "no key sites (schools, hospitals, banks...) mapped in this extract: 0 key-site targets",
}


def empty_notes(town: Town, cfg: CoverageConfig, targets: dict[str, gpd.GeoDataFrame]) -> list[str]:
    """One sentence per empty layer or empty target class, for summaries: why a class has zero targets."""
    notes = []
    if town.buildings.empty:
        notes.append("no buildings in this extract: nothing blocks a camera's view")
    for name, t in targets.items():
        if len(t):
            continue
        if name == "boundary_crossings":
            if town.admin.empty and cfg.boundary_crossings.boundaries_file is None:
                notes.append("no administrative boundaries in this extract: 0 boundary crossings")
            else:
                notes.append("no drivable road crosses an administrative boundary here: 0 boundary crossings")
            continue
        text = _EMPTY[name].format(
            n=cfg.intersections.min_streets, highways=", ".join(cfg.main_road_nodes.highways[:4]) + ", ..."
        )
        notes.append(text)
    for layer, n in town.repaired.items():
        if n:
            notes.append(f"{n} invalid {layer} polygon(s) repaired (shapely.make_valid)")
    return notes


def build_targets(town: Town, cfg: CoverageConfig) -> dict[str, gpd.GeoDataFrame]:
    """Every enabled class's targets, keyed by class name."""
    builders = {
        "intersections": intersections,
        "main_road_nodes": main_road_nodes,
        "crowded_areas": crowded_areas,
        "key_sites": key_sites,
        "boundary_crossings": boundary_crossings,
    }
    return {name: fn(town, cfg) for name, fn in builders.items() if getattr(cfg, name).enabled}


# The two rules for "an intersection is covered", by name, as every shell words them.
LEG_DISTANCE_M = 10.0
INTERSECTION_RULES = {
    "centre_seen": "centre seen: a camera sees the intersection's centre point",
    "every_approach_seen": (
        f"every approach seen: each street entering the intersection is seen {LEG_DISTANCE_M:g} m out from the centre"
    ),
}


def approach_points(
    inter: gpd.GeoDataFrame, distance_m: float = LEG_DISTANCE_M
) -> tuple[FloatArray, FloatArray, IndexArray]:
    """One point per approach leg, ``distance_m`` along its bearing, and the row of its intersection.

    An intersection without legs gets its centre as its only approach point.
    """
    xs: list[float] = []
    ys: list[float] = []
    owner: list[int] = []
    xy = shapely.get_coordinates(inter.geometry.to_numpy()) if len(inter) else np.zeros((0, 2))
    for k, legs in enumerate(inter["legs"] if "legs" in inter.columns else [""] * len(inter)):
        bearings = [float(v) for v in str(legs).split(";") if v] if isinstance(legs, str) else []
        for b in bearings or [float("nan")]:
            r, d = (0.0, 0.0) if b != b else (float(np.radians(b)), distance_m)  # NaN: no legs, the centre
            xs.append(float(xy[k, 0] + np.sin(r) * d))
            ys.append(float(xy[k, 1] + np.cos(r) * d))
            owner.append(k)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), np.asarray(owner, dtype=np.intp)
