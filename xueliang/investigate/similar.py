"""Similar vehicles by appearance embedding, and one vehicle's trajectory across cameras.

Embeddings are L2-normalised float32 (see :mod:`vision.embed`), so cosine similarity is a dot
product. :class:`VectorIndex` searches exactly with numpy below ``ann_threshold`` vectors and with a
faiss HNSW graph (inner product) above it when ``faiss-cpu`` is installed (exact otherwise). Only
sightings embedded by the same model as the query are compared.

With a media folder (``media_dir``), :func:`similar` searches through the persisted index of
:mod:`xueliang.investigate.ann_index` once the model has ``ann_threshold`` vectors (built on first use, then
kept up to date), instead of loading every embedding and building a graph per call.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from vision.tables import SightingRow
from xueliang.errors import InputError, NotFoundError
from xueliang.investigate.ann_index import Progress, count_vectors, search_persisted, sidecar_path
from xueliang.investigate.search import (
    HIT_COLUMNS,
    Hit,
    SightingQuery,
    attribute_clauses,
    camera_positions,
    fetch_hits,
    hits_from_rows,
    record,
    resolve_cameras,
)
from xueliang.storage import Database

ANN_THRESHOLD = 200_000
Vectors = npt.NDArray[np.float32]


@dataclass
class VectorIndex:
    """Nearest neighbours by inner product over ``vectors`` (rows L2-normalised) labelled by ``ids``."""

    ids: npt.NDArray[np.int64]
    vectors: Vectors
    ann_threshold: int = ANN_THRESHOLD
    hnsw_m: int = 32
    ef_search: int = 128
    _ann: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.ids) != len(self.vectors):
            raise InputError(
                "embeddings", f"expected (n, d) vectors for n ids, got {self.vectors.shape} for {len(self.ids)} ids"
            )

    @property
    def method(self) -> str:
        if len(self.ids) < self.ann_threshold:
            return "exact"
        try:
            import faiss  # noqa: F401
        except ImportError:
            return "exact"
        return "hnsw"

    def _build_ann(self) -> Any:
        import faiss

        if self._ann is None:
            index = faiss.IndexHNSWFlat(self.vectors.shape[1], self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.add(np.ascontiguousarray(self.vectors, dtype=np.float32))
            self._ann = index
        self._ann.hnsw.efSearch = self.ef_search
        return self._ann

    def search(self, query: Vectors, k: int, *, method: str | None = None) -> tuple[npt.NDArray[np.int64], Vectors]:
        """(ids, similarities) of the ``k`` nearest, best first; ``method`` 'exact' or 'hnsw' forces one."""
        if query.shape != (self.vectors.shape[1],):
            raise InputError("query embedding", f"expected {self.vectors.shape[1]} dimensions, got shape {query.shape}")
        k = min(k, len(self.ids))
        if k == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        how = method or self.method
        if how == "hnsw":
            sims, idx = self._build_ann().search(query[None, :].astype(np.float32), k)
            keep = idx[0] >= 0
            return self.ids[idx[0][keep]], sims[0][keep].astype(np.float32)
        sims = self.vectors @ query.astype(np.float32)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((self.ids[top], -sims[top]))]
        return self.ids[top], sims[top].astype(np.float32)


@dataclass(frozen=True)
class Similar:
    hit: Hit
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return self.hit.to_json() | {"similarity": round(self.similarity, 4)}


@dataclass(frozen=True)
class SimilarResult:
    query: dict[str, Any]
    method: str
    results: tuple[Similar, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "method": self.method,
            "count": len(self.results),
            "results": [r.to_json() for r in self.results],
        }


def sighting_embedding(db: Database, sighting_id: int) -> tuple[Vectors, str]:
    with db.sessions() as s:
        row = s.execute(
            select(SightingRow.embedding, SightingRow.embedding_model).where(SightingRow.id == sighting_id)
        ).first()
    if row is None:
        raise NotFoundError(f"--sighting: expected an indexed sighting id, got unknown {sighting_id}")
    if row.embedding is None or row.embedding_model is None:
        raise InputError(
            "--sighting", f"sighting {sighting_id} has no appearance embedding (indexed with --no-embeddings?)"
        )
    return np.frombuffer(row.embedding, np.float32).copy(), str(row.embedding_model)


def image_embedding(path: Path) -> tuple[Vectors, str]:
    """Embed an image file with the indexing embedder (loads torch)."""
    import cv2

    from vision.embed import EMBEDDING_MODEL, Embedder

    img = cv2.imread(str(path))
    if img is None:
        raise InputError(str(path), "expected an image file OpenCV can read (JPEG, PNG, ...), got something else")
    return Embedder().embed([np.asarray(img, dtype=np.uint8)])[0], EMBEDDING_MODEL


def load_index(
    db: Database, model: str, filters: SightingQuery | None = None, *, ann_threshold: int = ANN_THRESHOLD
) -> VectorIndex:
    """Every embedding of ``model`` among the sightings matching ``filters``."""
    stmt = select(SightingRow.id, SightingRow.embedding).where(
        SightingRow.embedding_model == model, SightingRow.embedding.is_not(None)
    )
    if filters is not None:
        stmt = stmt.where(*attribute_clauses(filters))
        cams = resolve_cameras(filters, camera_positions(db))
        if cams is not None:
            stmt = stmt.where(SightingRow.camera_id.in_(cams))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    if not rows:
        return VectorIndex(np.zeros(0, np.int64), np.zeros((0, 0), np.float32), ann_threshold=ann_threshold)
    ids = np.fromiter((r.id for r in rows), np.int64, len(rows))
    vecs = np.frombuffer(b"".join(r.embedding for r in rows), np.float32).reshape(len(rows), -1)
    return VectorIndex(ids, vecs, ann_threshold=ann_threshold)


def similar(
    db: Database,
    *,
    sighting_id: int | None = None,
    image: Path | None = None,
    k: int = 20,
    filters: SightingQuery | None = None,
    min_similarity: float = -1.0,
    actor: str | None = None,
    case_id: str | None = None,
    index: VectorIndex | None = None,
    media_dir: Path | None = None,
    ann_threshold: int = ANN_THRESHOLD,
    progress: Progress | None = None,
) -> SimilarResult:
    """Nearest sightings to a sighting's or an image's appearance; the query sighting is left out.

    With ``media_dir`` and a model of at least ``ann_threshold`` vectors (or an index already
    there), the persisted index under ``media_dir/ann`` is used (see :mod:`xueliang.investigate.ann_index`);
    ``progress`` receives its build/update messages.
    """
    if (sighting_id is None) == (image is None):
        raise InputError("similar", "expected exactly one of a sighting id or an image file")
    if k < 1:
        raise InputError("-k", f"expected a positive number of results, got {k}")
    if sighting_id is not None:
        vec, model = sighting_embedding(db, sighting_id)
    else:
        assert image is not None
        vec, model = image_embedding(image)
    persisted = (
        index is None
        and media_dir is not None
        and (sidecar_path(media_dir, model).exists() or count_vectors(db, model) >= ann_threshold)
    )
    if persisted:
        assert media_dir is not None
        found = search_persisted(
            db, model, vec, k + 1, media_dir, filters=filters, exact_below=ann_threshold, progress=progress
        )
        ids, sims, method = found.ids, found.similarities, found.method
    else:
        idx = index if index is not None else load_index(db, model, filters, ann_threshold=ann_threshold)
        if idx.vectors.size and idx.vectors.shape[1] != vec.shape[0]:
            raise InputError(
                "embeddings", f"expected {idx.vectors.shape[1]}-d vectors of {model}, got {vec.shape[0]}-d"
            )
        ids, sims = idx.search(vec, k + 1) if len(idx.ids) else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        method = idx.method
    pairs = [
        (int(i), float(s)) for i, s in zip(ids, sims, strict=True) if int(i) != sighting_id and s >= min_similarity
    ]
    pairs = pairs[:k]
    hits = fetch_hits(db, [i for i, _ in pairs])
    results = tuple(Similar(hits[i], s) for i, s in pairs if i in hits)
    query: dict[str, Any] = {
        "sighting": sighting_id,
        "image": None if image is None else str(image),
        "k": k,
        "embedding_model": model,
        "min_similarity": min_similarity,
        "filters": None if filters is None else filters.describe(),
    }
    record(
        db, kind="similar", query=query, sighting_ids=[r.hit.sighting_id for r in results], actor=actor, case_id=case_id
    )
    return SimilarResult(query=query, method=method, results=results)


# --- trajectory ----------------------------------------------------------------------------------
LinkKind = Literal["query", "plate", "appearance"]


@dataclass(frozen=True)
class TrajectoryPoint:
    """One sighting of the vehicle and how it was linked: the query itself, the same plate text, or
    appearance similarity (``similarity`` is the cosine; 1.0 for the query and plate links)."""

    hit: Hit
    similarity: float
    link: LinkKind

    def to_json(self) -> dict[str, Any]:
        return self.hit.to_json() | {"similarity": round(self.similarity, 4), "link": self.link}


@dataclass(frozen=True)
class Trajectory:
    query: dict[str, Any]
    points: tuple[TrajectoryPoint, ...]  # by time

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "count": len(self.points), "sightings": [p.to_json() for p in self.points]}

    def to_geojson(self) -> dict[str, Any]:
        """The path (LineString through the located sightings, when 2+) then one Point per sighting.

        ``order`` is the position in time among all sightings. A sighting whose camera has no position
        in the registry is kept as a feature with ``"geometry": null`` and ``located: false`` (RFC 7946
        3.2), so it is listed but not drawn.
        """
        feats: list[dict[str, Any]] = []
        located = [p for p in self.points if _located(p.hit)]
        if len(located) >= 2:
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [[p.hit.lon, p.hit.lat] for p in located]},
                    "properties": {"kind": "path", "sightings": [p.hit.sighting_id for p in located]},
                }
            )
        for order, p in enumerate(self.points):
            here = _located(p.hit)
            d = p.to_json()
            if not here:  # NaN is not JSON
                d["lon"] = d["lat"] = None
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p.hit.lon, p.hit.lat]} if here else None,
                    "properties": {"kind": "sighting", "order": order, "located": here} | d,
                }
            )
        return {"type": "FeatureCollection", "features": feats}


def _located(h: Hit) -> bool:
    return math.isfinite(h.lon) and math.isfinite(h.lat)


def _stored_embedding(db: Database, sighting_id: int) -> tuple[Vectors, str] | None:
    with db.sessions() as s:
        row = s.execute(
            select(SightingRow.embedding, SightingRow.embedding_model).where(SightingRow.id == sighting_id)
        ).first()
    if row is None or row.embedding is None or row.embedding_model is None:
        return None
    return np.frombuffer(row.embedding, np.float32).copy(), str(row.embedding_model)


def _plate_hits(db: Database, text: str) -> list[Hit]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(*HIT_COLUMNS).where(SightingRow.plate_text == text)).all()
    return hits_from_rows(rows, camera_positions(db), None)


def _linked_to_sighting(db: Database, sighting_id: int, *, min_similarity: float, k: int) -> list[TrajectoryPoint]:
    """The sighting, the sightings with its plate text, and (when embedded) those that look like it.

    A readable plate vetoes appearance links to other plates; an appearance match with the same plate
    counts as a plate link. Without an embedding only the plate links; with neither, nothing to link by.
    """
    own = fetch_hits(db, [sighting_id]).get(sighting_id)
    if own is None:
        raise NotFoundError(f"--sighting: expected an indexed sighting id, got unknown {sighting_id}")
    stored = _stored_embedding(db, sighting_id)
    if stored is None and not own.plate_text:
        raise InputError(
            "--sighting",
            f"expected a sighting with a readable plate or an appearance embedding to link by, "
            f"got sighting {sighting_id} with neither",
        )
    points = [TrajectoryPoint(own, 1.0, "query")]
    if stored is not None:
        vec, model = stored
        ids, sims = load_index(db, model).search(vec, k)
        keep = [(int(i), float(s)) for i, s in zip(ids, sims, strict=True) if s >= min_similarity]
        keep = [(i, s) for i, s in keep if i != sighting_id]
        hits = fetch_hits(db, [i for i, _ in keep])
        points += [TrajectoryPoint(hits[i], s, "appearance") for i, s in keep if i in hits]
    if own.plate_text:
        points = [p for p in points if p.hit.plate_text in (None, own.plate_text)]
        points = [
            replace(p, link="plate") if p.link == "appearance" and p.hit.plate_text == own.plate_text else p
            for p in points
        ]
        known = {p.hit.sighting_id for p in points}
        same_plate = _plate_hits(db, own.plate_text)
        points += [TrajectoryPoint(h, 1.0, "plate") for h in same_plate if h.sighting_id not in known]
    return points


def trajectory(
    db: Database,
    *,
    plate: str | None = None,
    sighting_id: int | None = None,
    min_similarity: float = 0.85,
    k: int = 200,
    window: tuple[dt.datetime, dt.datetime] | None = None,
    actor: str | None = None,
    case_id: str | None = None,
) -> Trajectory:
    """One vehicle's sightings by time: by exact plate, or by a sighting (its plate and appearance)."""
    if (plate is None) == (sighting_id is None):
        raise InputError("trajectory", "expected exactly one of --plate or --sighting")
    if plate is not None:
        text = plate.strip().upper()
        if not text or any(c in text for c in "*?%_"):
            raise InputError("--plate", f"expected one full plate text (no wildcards) for a trajectory, got {plate!r}")
        points = [TrajectoryPoint(h, 1.0, "plate") for h in _plate_hits(db, text)]
    else:
        assert sighting_id is not None
        points = _linked_to_sighting(db, sighting_id, min_similarity=min_similarity, k=k)
    if window is not None:
        points = [p for p in points if window[0] <= p.hit.first_seen <= window[1]]
    points.sort(key=lambda p: (p.hit.first_seen, p.hit.sighting_id))
    query = {"plate": plate, "sighting": sighting_id, "min_similarity": min_similarity}
    record(
        db,
        kind="trajectory",
        query=query,
        sighting_ids=[p.hit.sighting_id for p in points],
        actor=actor,
        case_id=case_id,
    )
    return Trajectory(query=query, points=tuple(points))
