"""Tiny OSM XML extracts written by tests: a street grid, buildings, areas and tagged nodes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

Tags = dict[str, str]


@dataclass
class OsmXml:
    """Build an extract node by node; ids are assigned in order, coordinates are lon/lat degrees."""

    nodes: list[tuple[int, str, str, Tags]] = field(default_factory=list)
    ways: list[tuple[int, list[int], Tags]] = field(default_factory=list)
    _next: int = 1

    def node(self, lon: float | str, lat: float | str, tags: Tags | None = None) -> int:
        nid = self._next
        self._next += 1
        self.nodes.append((nid, str(lat), str(lon), tags or {}))
        return nid

    def way(self, coords: Sequence[tuple[float, float]], tags: Tags, *, closed: bool = False) -> int:
        ids = [self.node(lon, lat) for lon, lat in coords]
        if closed:
            ids.append(ids[0])
        wid = 1000 + len(self.ways)
        self.ways.append((wid, ids, tags))
        return wid

    def grid(self, lon0: float, lat0: float, n: int = 3, step: float = 0.001, highway: str = "residential") -> None:
        """``n`` x ``n`` streets crossing at shared nodes."""
        ids = [[self.node(lon0 + i * step, lat0 + j * step) for i in range(n)] for j in range(n)]
        for j in range(n):
            self.ways.append((1000 + len(self.ways), ids[j], {"highway": highway, "name": f"Row {j}"}))
        for i in range(n):
            self.ways.append((1000 + len(self.ways), [ids[j][i] for j in range(n)], {"highway": highway}))

    def polygon(self, coords: Sequence[tuple[float, float]], tags: Tags) -> int:
        return self.way(coords, tags, closed=True)

    def write(self, path: Path) -> Path:
        lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='xueliang tests'>"]
        for nid, lat, lon, tags in self.nodes:
            lines.append(f"<node id='{nid}' version='1' lat={quoteattr(lat)} lon={quoteattr(lon)}>")
            lines.extend(_tags(tags))
            lines.append("</node>")
        for wid, ids, tags in self.ways:
            lines.append(f"<way id='{wid}' version='1'>")
            lines.extend(f"<nd ref='{i}'/>" for i in ids)
            lines.extend(_tags(tags))
            lines.append("</way>")
        lines.append("</osm>")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def _tags(tags: Tags) -> Iterable[str]:
    return (f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())


def camera(tags: Tags | None = None) -> Tags:
    return {"man_made": "surveillance", **(tags or {})}
