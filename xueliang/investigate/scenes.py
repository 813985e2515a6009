"""Multi-scene search: vehicles seen near at least k of several scenes (place, radius, window).

Each scene selects the sightings of cameras within its radius during its window (plus the usual
attribute filters). Sightings of different scenes are linked when they show the same vehicle:

* both plates readable (``plate_text``): linked when the texts are equal;
* otherwise, when their link score (:mod:`xueliang.investigate.link`: the cosine similarity of their
  appearance embeddings, same ``embedding_model``, plus agreement of vehicle type and colour) is at
  least ``min_similarity`` (default :data:`~xueliang.investigate.link.DEFAULT_LINK_THRESHOLD`, set
  from precision and recall on labelled pairs); two different readable plates are never linked.

Linked sightings form groups (union-find); a group is a candidate vehicle when it covers at least
``min_scenes`` scenes. Candidates are ranked by the number of scenes, then by strength: the mean,
over the scenes it covers beyond the first, of the best link into that scene (1.0 for a plate).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.errors import InputError
from xueliang.investigate.link import DEFAULT_LINK_THRESHOLD, appearance_similarity, link_scores
from xueliang.investigate.search import (
    HIT_COLUMNS,
    Hit,
    Place,
    SightingQuery,
    TimeWindow,
    attribute_clauses,
    camera_positions,
    cameras_near,
    hits_from_rows,
    parse_time,
    record,
)
from xueliang.storage import Database


@dataclass(frozen=True)
class Scene:
    place: Place
    window: TimeWindow
    label: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "lon": self.place.lon,
            "lat": self.place.lat,
            "metres": self.place.metres,
            "from": self.window.start.isoformat(),
            "to": self.window.end.isoformat(),
        }


class _SceneModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lon: float
    lat: float
    metres: float
    start: str
    end: str
    label: str = ""


def _scene(data: dict[str, Any], source: str, where: str) -> Scene:
    try:
        m = _SceneModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise InputError(
            source,
            f"expected keys lon, lat, metres, start, end[, label]: {err['msg']}",
            where=where,
            field=field or None,
        ) from exc
    try:
        place = Place(m.lon, m.lat, m.metres)
        window = TimeWindow(parse_time(m.start, source=source), parse_time(m.end, source=source))
    except InputError as exc:
        raise InputError(source, exc.detail, where=where) from exc
    return Scene(place, window, m.label or where)


def parse_scene_arg(value: str, *, index: int = 1) -> Scene:
    """``LON,LAT,METRES,FROM,TO`` (the --scene option)."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 5:
        raise InputError("--scene", f"expected LON,LAT,METRES,FROM,TO, got {value!r}")
    keys = ("lon", "lat", "metres", "start", "end")
    data: dict[str, Any] = dict(zip(keys, parts, strict=True))
    return _scene(data, "--scene", f"scene {index}")


def load_scenes(path: Path) -> list[Scene]:
    """A JSON list of objects or a CSV with header ``lon,lat,metres,start,end[,label]``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read the scene file ({exc.strerror})") from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"expected JSON, got a syntax error at line {exc.lineno}") from exc
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise InputError(str(path), "expected a JSON list of scene objects")
        scenes = [_scene(d, str(path), f"scene {i + 1}") for i, d in enumerate(data)]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        scenes = [
            _scene({k: v for k, v in r.items() if k is not None}, str(path), f"line {i + 2}")
            for i, r in enumerate(rows)
        ]
    if not scenes:
        raise InputError(str(path), "expected at least one scene, got none")
    return scenes


@dataclass(frozen=True)
class Candidate:
    """One vehicle seen at several scenes: its key, the scenes it covers, its sightings."""

    key: str
    scenes: tuple[int, ...]
    strength: float
    hits: tuple[Hit, ...]
    hit_scenes: tuple[int, ...]  # the scene of each hit
    linked_by: str  # "plate" | "appearance" | "plate+appearance"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "scenes": list(self.scenes),
            "scene_count": len(self.scenes),
            "strength": round(self.strength, 4),
            "linked_by": self.linked_by,
            "sightings": [h.to_json() | {"scene": s} for s, h in zip(self.hit_scenes, self.hits, strict=True)],
        }


@dataclass(frozen=True)
class MultiSceneResult:
    scenes: tuple[Scene, ...]
    candidates: tuple[Candidate, ...]
    query: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "count": len(self.candidates),
            "candidates": [c.to_json() for c in self.candidates],
        }


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def run_multi_scene(
    db: Database,
    scenes: list[Scene],
    *,
    filters: SightingQuery | None = None,
    min_scenes: int = 2,
    min_similarity: float = DEFAULT_LINK_THRESHOLD,
    limit: int = 200,
) -> MultiSceneResult:
    if not scenes:
        raise InputError("--scene", "expected at least one scene, got none")
    if not 1 <= min_scenes <= len(scenes):
        raise InputError("--min-scenes", f"expected 1..{len(scenes)} (the number of scenes), got {min_scenes}")
    if not -1.0 <= min_similarity <= 1.0:
        raise InputError("--min-similarity", f"expected a cosine in -1..1, got {min_similarity}")
    filters = filters or SightingQuery()
    positions = camera_positions(db)
    hits: list[Hit] = []
    scene_of: list[int] = []
    emb: list[np.ndarray[Any, Any] | None] = []
    models: list[str | None] = []
    with db.engine.connect() as conn:
        for si, sc in enumerate(scenes):
            cams = cameras_near(positions, sc.place)
            if not cams:
                continue
            q = replace(filters, window=sc.window)  # attribute_clauses reads the attributes, plate and window
            stmt = select(*HIT_COLUMNS, SightingRow.embedding, SightingRow.embedding_model).where(
                *attribute_clauses(q), SightingRow.camera_id.in_(cams)
            )
            rows = conn.execute(stmt).all()
            found = {h.sighting_id: h for h in hits_from_rows(rows, positions, filters.plate)}
            for r in rows:
                if r.id not in found:
                    continue
                hits.append(found[r.id])
                scene_of.append(si)
                emb.append(None if r.embedding is None else np.frombuffer(r.embedding, np.float32))
                models.append(r.embedding_model)
    n = len(hits)
    uf = _UnionFind(n)
    link_strength: dict[tuple[int, int], float] = {}
    # plates
    by_plate: dict[str, list[int]] = defaultdict(list)
    for i, h in enumerate(hits):
        if h.plate_text:
            by_plate[h.plate_text].append(i)
    for idx in by_plate.values():
        for j in idx[1:]:
            uf.union(idx[0], j)
        for i in idx:
            for j in idx:
                if scene_of[i] != scene_of[j]:
                    link_strength[(i, scene_of[j])] = 1.0
    # appearance, scene pair by scene pair, per embedding model
    groups: dict[tuple[int, str | None], list[int]] = defaultdict(list)
    for i in range(n):
        if emb[i] is not None:
            groups[(scene_of[i], models[i])].append(i)
    keys = sorted(groups, key=lambda k: (k[0], str(k[1])))
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            (sa, ma), (sb, mb) = keys[a], keys[b]
            if sa == sb or ma != mb:
                continue
            ia, ib = groups[keys[a]], groups[keys[b]]
            A = np.stack([emb[i] for i in ia])  # type: ignore[misc]
            B = np.stack([emb[i] for i in ib])  # type: ignore[misc]
            if A.shape[1] != B.shape[1]:
                continue
            sim = link_scores(
                appearance_similarity(A, B, ma),
                [hits[i].vehicle_type for i in ia],
                [hits[i].vehicle_type for i in ib],
                [hits[i].colour for i in ia],
                [hits[i].colour for i in ib],
            )
            for x, y in zip(*np.nonzero(sim >= min_similarity), strict=True):
                i, j = ia[int(x)], ib[int(y)]
                pi, pj = hits[i].plate_text, hits[j].plate_text
                if pi and pj and pi != pj:
                    continue
                s = float(sim[x, y])
                uf.union(i, j)
                link_strength[(i, sb)] = max(link_strength.get((i, sb), -1.0), s)
                link_strength[(j, sa)] = max(link_strength.get((j, sa), -1.0), s)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members[uf.find(i)].append(i)
    cands: list[Candidate] = []
    for idx in members.values():
        covered = sorted({scene_of[i] for i in idx})
        if len(covered) < min_scenes:
            continue
        best_into = {s: max((link_strength.get((i, s), 0.0) for i in idx), default=0.0) for s in covered}
        strength = float(np.mean(list(best_into.values())))
        idx.sort(key=lambda i: (hits[i].first_seen, hits[i].sighting_id))
        plates = sorted({t for i in idx if (t := hits[i].plate_text)})
        key = plates[0] if len(plates) == 1 else f"appearance:{hits[idx[0]].sighting_id}"
        via_plate = len(plates) == 1 and sum(1 for i in idx if hits[i].plate_text) > 1
        via_app = any(hits[i].plate_text is None for i in idx)
        linked = "plate+appearance" if via_plate and via_app else "plate" if via_plate else "appearance"
        cands.append(
            Candidate(
                key=key,
                scenes=tuple(covered),
                strength=strength,
                hits=tuple(hits[i] for i in idx),
                hit_scenes=tuple(scene_of[i] for i in idx),
                linked_by=linked,
            )
        )
    cands.sort(key=lambda c: (-len(c.scenes), -c.strength, c.hits[0].sighting_id))
    query = {
        "scenes": [s.describe() for s in scenes],
        "filters": filters.describe(),
        "min_scenes": min_scenes,
        "min_similarity": min_similarity,
    }
    return MultiSceneResult(scenes=tuple(scenes), candidates=tuple(cands[:limit]), query=query)


class SceneOptions(TypedDict, total=False):
    """The options of :func:`run_multi_scene` (its defaults apply), as keywords of :func:`multi_scene`."""

    filters: SightingQuery | None
    min_scenes: int
    min_similarity: float
    limit: int


def multi_scene(
    db: Database,
    scenes: list[Scene],
    *,
    actor: str | None = None,
    case_id: str | None = None,
    **options: Unpack[SceneOptions],
) -> MultiSceneResult:
    """:func:`run_multi_scene` plus the audit row (and case query row)."""
    res = run_multi_scene(db, scenes, **options)
    ids = sorted({h.sighting_id for c in res.candidates for h in c.hits})
    record(
        db,
        kind="search-scenes",
        query=res.query | {"candidates": len(res.candidates)},
        sighting_ids=ids,
        actor=actor,
        case_id=case_id,
    )
    return res
