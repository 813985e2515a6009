"""Generate the sample town (``town.osm``) and its camera registry (``cameras.csv``).

A synthetic county town on a 150 m street grid: a primary road (人民路 Renmin Road) and a
secondary road (建设路 Jianshe Road), residential streets, building footprints, a school, a
hospital, a bank, a police station, a town hall, a market, a square, and two villages plus the
town as administrative boundaries. Cameras sit at corners looking into intersections, along the
main road, at sites; some are domes, some have no recorded direction. Deterministic: same output
every run. Run ``python sample_media/make_town.py`` to rebuild the files next to this script.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

ORIGIN_LON, ORIGIN_LAT = 112.9390, 28.2280  # a county town's latitude; the streets are invented
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(ORIGIN_LAT))
XS = [0, 150, 300, 450, 600, 750, 900]
YS = [0, 150, 300, 450, 600, 750]
HERE = Path(__file__).resolve().parent


def lonlat(x: float, y: float) -> tuple[float, float]:
    return ORIGIN_LON + x / M_PER_DEG_LON, ORIGIN_LAT + y / M_PER_DEG_LAT


class Osm:
    def __init__(self) -> None:
        self.nodes: dict[tuple[float, float], int] = {}
        self.node_tags: dict[int, dict[str, str]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
        self.next_id = 1

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        key = (round(x, 3), round(y, 3))
        if key not in self.nodes or tags:
            nid = self.next_id
            self.next_id += 1
            if not tags:
                self.nodes[key] = nid
            self.node_tags[nid] = tags or {}
            self._xy = getattr(self, "_xy", {})
            self._xy[nid] = (x, y)
            return nid
        return self.nodes[key]

    def way(self, pts: list[tuple[float, float]], tags: dict[str, str]) -> int:
        wid = self.next_id
        self.next_id += 1
        self.ways.append((wid, [self.node(x, y) for x, y in pts], tags))
        return wid

    def area(self, x0: float, y0: float, x1: float, y1: float, tags: dict[str, str]) -> int:
        return self.way([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], tags)

    def boundary(self, pts: list[tuple[float, float]], tags: dict[str, str]) -> None:
        wid = self.way([*pts, pts[0]], {})
        rid = self.next_id
        self.next_id += 1
        self.relations.append(
            (rid, [("way", wid, "outer")], {"type": "boundary", "boundary": "administrative", **tags})
        )

    def write(self, path: Path) -> None:
        lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='xueliang make_town'>"]
        for nid, (x, y) in sorted(self._xy.items()):
            lon, lat = lonlat(x, y)
            tags = self.node_tags.get(nid) or {}
            attrs = f"<node id='{nid}' version='1' lat='{lat:.7f}' lon='{lon:.7f}'"
            if tags:
                lines.append(attrs + ">")
                lines += [f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
                lines.append("</node>")
            else:
                lines.append(attrs + "/>")
        for wid, refs, tags in self.ways:
            lines.append(f"<way id='{wid}' version='1'>")
            lines += [f"  <nd ref='{r}'/>" for r in refs]
            lines += [f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("</way>")
        for rid, members, tags in self.relations:
            lines.append(f"<relation id='{rid}' version='1'>")
            lines += [f"  <member type='{t}' ref='{r}' role='{role}'/>" for t, r, role in members]
            lines += [f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("</relation>")
        lines.append("</osm>")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build() -> tuple[Osm, list[dict[str, object]]]:
    osm = Osm()
    # streets: every grid line, with a node at each crossing and one mid-block
    for y in YS:
        pts = [(x, y) for x in range(XS[0], XS[-1] + 1, 75)]
        if y == 300:
            tags = {"highway": "primary", "name": "人民路 Renmin Road"}
        else:
            tags = {"highway": "residential", "name": f"Lane {y // 150 + 1}"}
        osm.way(pts, tags)
    for x in XS:
        pts = [(x, y) for y in range(YS[0], YS[-1] + 1, 75)]
        tags = (
            {"highway": "secondary", "name": "建设路 Jianshe Road"}
            if x == 450
            else {"highway": "residential", "name": f"Street {x // 150 + 1}"}
        )
        osm.way(pts, tags)
    # roads leaving town (they cross the town boundary)
    osm.way([(450, 750), (450, 900)], {"highway": "secondary", "name": "建设路 Jianshe Road"})
    osm.way([(900, 300), (1050, 300)], {"highway": "primary", "name": "人民路 Renmin Road"})
    osm.way([(0, 300), (-150, 300)], {"highway": "primary", "name": "人民路 Renmin Road"})
    # a service driveway (not a street) and a footway (not drivable)
    osm.way([(75, 450), (75, 500)], {"highway": "service", "service": "driveway"})
    osm.way([(225, 600), (225, 675)], {"highway": "footway"})
    # blocks: four buildings per block unless the block is special
    special = {(150, 450): "school", (600, 150): "market", (300, 300): "square", (450, 450): "hospital"}
    for bx in XS[:-1]:
        for by in YS[:-1]:
            kind = special.get((bx, by))
            if kind == "school":
                osm.area(bx + 12, by + 12, bx + 138, by + 138, {"amenity": "school", "name": "第一小学 No.1 Primary"})
                osm.area(bx + 40, by + 40, bx + 110, by + 80, {"building": "school"})
                continue
            if kind == "market":
                osm.area(bx + 12, by + 12, bx + 138, by + 138, {"amenity": "marketplace", "name": "农贸市场 Market"})
                continue
            if kind == "square":
                osm.area(bx + 12, by + 12, bx + 138, by + 138, {"place": "square", "name": "人民广场 People's Square"})
                continue
            for cx, cy in ((bx + 15, by + 15), (bx + 95, by + 15), (bx + 15, by + 95), (bx + 95, by + 95)):
                tags: dict[str, str] = {"building": "yes"}
                if kind == "hospital" and (cx, cy) == (bx + 15, by + 15):
                    tags = {"building": "hospital", "amenity": "hospital", "name": "县人民医院 County Hospital"}
                osm.area(cx, cy, cx + 40, cy + 40, tags)
    osm.area(615, 315, 655, 355, {"building": "yes", "amenity": "townhall", "name": "镇政府 Town Government"})
    osm.node(160, 320, {"amenity": "bank", "name": "农业银行 Agricultural Bank"})
    osm.node(770, 470, {"amenity": "police", "name": "派出所 Police Station"})
    osm.node(905, 605, {"amenity": "bus_station", "name": "汽车站 Bus Station"})
    # admin units: the town (8) and two villages (10) split at x = 525
    osm.boundary([(-60, -60), (960, -60), (960, 810), (-60, 810)], {"admin_level": "8", "name": "城关镇 Chengguan"})
    osm.boundary([(-60, -60), (525, -60), (525, 810), (-60, 810)], {"admin_level": "10", "name": "东村 Dongcun"})
    osm.boundary([(525, -60), (960, -60), (960, 810), (525, 810)], {"admin_level": "10", "name": "西村 Xicun"})

    cams: list[dict[str, object]] = []

    def cam(i: int, x: float, y: float, **kw: object) -> None:
        lon, lat = lonlat(x, y)
        row: dict[str, object] = {"camera_id": f"CAM{i:03d}", "lon": round(lon, 7), "lat": round(lat, 7)}
        row.update(kw)
        cams.append(row)

    # a 4 MP bullet on a 6 m pole, one channel: the main road's cameras and the town exit's
    pole = {"resolution": 2560, "height": 6, "kind": "bullet", "channels": 1}
    i = 1
    # corners of the main-road intersections, looking diagonally into the junction
    for x in XS:
        cam(i, x - 8, 300 - 8, heading=45, focal_mm=6, sensor_width_mm=5.6, **pole, name=f"人民路 x {x}")
        i += 1
    # a few other intersections
    for x, y in ((150, 150), (750, 600), (300, 600), (600, 450)):
        cam(i, x + 8, y + 8, heading=225, fov=90, resolution=1920, height=5, kind="bullet", channels=1)
        i += 1
    # domes at the square and the market, a PTZ at Jianshe Road
    cam(i, 375, 375, kind="dome", fov=360, resolution=2560, height=8, channels=2, name="广场球机 Square dome")
    i += 1
    cam(i, 675, 225, kind="dome", fov=360, resolution=2560, height=8, channels=2, name="市场球机 Market dome")
    i += 1
    cam(i, 455, 600, kind="ptz", resolution=1920, height=10, channels=1, name="建设路 PTZ")
    i += 1
    # the school gate and the hospital, looking at the site
    cam(i, 233, 596, heading=225, fov=70, resolution=2560, height=4, kind="bullet", name="学校门口 School gate")
    i += 1
    # legacy cameras whose direction was never recorded
    for x, y in ((750, 150), (150, 600), (900, 450)):
        cam(i, x + 6, y - 6, resolution=1280, height=4, channels=1, name="legacy (direction unknown)")
        i += 1
    # a GB/T 28181 device on the Jianshe Road exit
    cam(i, 456, 780, heading=0, fov=40, **pole, gb_id="43010200001320000001", name="出城卡口 Town exit")
    return osm, cams


def main() -> None:
    osm, cams = build()
    osm.write(HERE / "town.osm")
    fields = [
        "camera_id",
        "gb_id",
        "name",
        "lon",
        "lat",
        "heading",
        "fov",
        "focal_mm",
        "sensor_width_mm",
        "resolution",
        "height",
        "kind",
        "channels",
    ]
    with open(HERE / "cameras.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in cams:
            w.writerow(row)
    print(f"wrote {HERE / 'town.osm'} and {HERE / 'cameras.csv'} ({len(cams)} cameras)")


if __name__ == "__main__":
    main()
