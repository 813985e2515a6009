"""A persisted approximate-nearest-neighbour index of one embedding model's sightings.

Files under the media folder, per model: ``ann/<slug>.json`` (the sidecar, :class:`AnnMeta`) and the
faiss file it names, ``ann/<slug>.<token>.faiss``: an ``IndexIDMap2`` over ``IndexHNSWFlat`` (inner
product) whose labels are sighting ids, added in ascending id order. A new version is written to
a new file, then the sidecar is replaced (temporary file + ``os.replace``): the sidecar's rename is
the one commit point, so a crash leaves the previous version whole, and the old file is removed
after it.

The sidecar ties the index to its database (``search_ann_state.database_id``, a random id written
by migration ``search_0004``) and to its state: the highest sighting id included and the
database's ``sightings_changed`` counter (raised by triggers when an embedded sighting is deleted
or re-embedded). :func:`open_index` refuses, naming the file, an index of another database, one
whose sidecar and file disagree, an unreadable file, and one built before sightings changed;
:func:`ensure_index` (``xueliang similar-index``) rebuilds those, saying why.

Building streams the embeddings from the database in id order, ``batch`` rows at a time (never all
of them as Python bytes). Sightings added later (ids above the recorded highest) are added by
:func:`update_index`; :func:`search_persisted` searches the memory-mapped index and, for fewer than
``persist_min_new`` new sightings, searches those exactly next to it instead of rewriting the file.

Filters are applied in SQL (ids only) and through a faiss ``IDSelectorBatch``
(``SearchParametersHNSW(sel=...)``, honoured through ``IndexIDMap2`` in faiss >= 1.7.3); when fewer
than ``exact_below`` ids remain, the search is exact over just those vectors (read from the
index's flat storage, not from the database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import func, select

from vision.tables import SightingRow
from xueliang.errors import InputError, StorageError
from xueliang.investigate.search import SightingQuery, attribute_clauses, camera_positions, resolve_cameras
from xueliang.investigate.tables import AnnStateRow
from xueliang.storage import Database

FORMAT = 1
HNSW_M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 128
BATCH = 10_000
PERSIST_MIN_NEW = 1_000
Progress = Callable[[str], None]
Ids = npt.NDArray[np.int64]
Vectors = npt.NDArray[np.float32]


class AnnIndexError(InputError):
    """A persisted index file that cannot be used (corrupt, of another database, out of date)."""


class DatabaseState(BaseModel):
    """The database an index reflects: its random id and its ``sightings_changed`` counter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_id: str
    sightings_changed: int


class AnnMeta(DatabaseState):
    """The JSON sidecar of one persisted index (with the database state it was built at); unknown keys are
    refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    format: int
    model: str
    dimensions: int
    count: int
    max_sighting_id: int
    hnsw_m: int
    ef_construction: int
    index_file: str
    index_bytes: int
    built_at: str
    updated_at: str


@dataclass(frozen=True)
class Found:
    """Ids and similarities of a search, best first, and how it ran."""

    ids: Ids
    similarities: Vectors
    method: str


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # a core dependency, but say so when a trimmed install lacks it
        raise StorageError("persisted ANN index: faiss is not installed (pip install faiss-cpu)") from exc
    return faiss


# --- where and what ------------------------------------------------------------------------------
def model_slug(model: str) -> str:
    """A file-name-safe name of ``model``, unique per model (a short hash of the full name)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.")[:48] or "model"
    return f"{safe}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"


def sidecar_path(media_dir: Path, model: str) -> Path:
    return media_dir / "ann" / f"{model_slug(model)}.json"


def database_state(db: Database) -> DatabaseState:
    with db.sessions() as s:
        rows = list(s.scalars(select(AnnStateRow)))
    if len(rows) != 1:
        raise StorageError(f"database {db.url}: expected one row in search_ann_state, got {len(rows)}")
    return DatabaseState(database_id=rows[0].database_id, sightings_changed=int(rows[0].sightings_changed))


def _model_clauses(model: str) -> tuple[Any, ...]:
    # these two terms match the partial index (embedding_model, id) WHERE embedding IS NOT NULL
    return (SightingRow.embedding_model == model, SightingRow.embedding.is_not(None))


def count_vectors(db: Database, model: str, *, above_id: int = 0) -> int:
    """How many sightings carry an embedding of ``model`` (with id above ``above_id``)."""
    stmt = select(func.count()).select_from(SightingRow).where(*_model_clauses(model), SightingRow.id > above_id)
    with db.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def embedding_models(db: Database) -> list[str]:
    stmt = select(SightingRow.embedding_model).where(SightingRow.embedding.is_not(None)).distinct()
    with db.engine.connect() as conn:
        return sorted(str(m) for m in conn.execute(stmt).scalars() if m is not None)


def stream_embeddings(
    db: Database, model: str, *, above_id: int = 0, batch: int = BATCH
) -> Iterator[tuple[Ids, Vectors]]:
    """(ids, vectors) of ``model`` with id above ``above_id``, ascending, ``batch`` rows at a time.

    Keyset pagination on the ``(embedding_model, id)`` index: each batch is its own short query, so
    only one batch of embedding bytes is alive at a time.
    """
    last = above_id
    while True:
        stmt = (
            select(SightingRow.id, SightingRow.embedding)
            .where(*_model_clauses(model), SightingRow.id > last)
            .order_by(SightingRow.id)
            .limit(batch)
        )
        with db.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return
        ids = np.fromiter((r.id for r in rows), np.int64, len(rows))
        vecs = np.frombuffer(b"".join(r.embedding for r in rows), np.float32).reshape(len(rows), -1)
        del rows
        yield ids, vecs
        last = int(ids[-1])


def filtered_ids(db: Database, filters: SightingQuery) -> Ids | None:
    """Ids of the sightings ``filters`` allows (ids only, sorted), or None when it allows everything."""
    clauses = attribute_clauses(filters)
    cams = resolve_cameras(filters, camera_positions(db)) if filters.camera_ids or filters.near else None
    if not clauses and cams is None:
        return None
    if cams == ():
        return np.zeros(0, np.int64)
    stmt = select(SightingRow.id).where(*clauses)
    if cams is not None:
        stmt = stmt.where(SightingRow.camera_id.in_(cams))
    with db.engine.connect() as conn:
        ids = np.fromiter(conn.execute(stmt).scalars(), np.int64)
    ids.sort()
    return ids


# --- files ---------------------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_index_file(index: Any, path: Path) -> None:
    """``faiss.write_index`` then fsync (a seam for the crash-safety test)."""
    _faiss().write_index(index, str(path))
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _save(index: Any, media_dir: Path, meta: AnnMeta) -> AnnMeta:
    """Write ``index`` to a new file, then commit by replacing the sidecar; remove the old file."""
    side = sidecar_path(media_dir, meta.model)
    side.parent.mkdir(parents=True, exist_ok=True)
    name = f"{model_slug(meta.model)}.{secrets.token_hex(6)}.faiss"
    data, tmp_side = side.parent / name, side.with_name(f".{side.name}.{secrets.token_hex(6)}.tmp")
    old = _read_sidecar(side) if side.exists() else None
    try:
        write_index_file(index, data)
        meta = meta.model_copy(update={"index_file": name, "index_bytes": data.stat().st_size})
        with tmp_side.open("w", encoding="utf-8") as f:
            f.write(json.dumps(meta.model_dump(), indent=1, sort_keys=True))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_side, side)
        _fsync_dir(side.parent)
    except BaseException:
        for p in (data, tmp_side):
            p.unlink(missing_ok=True)
        raise
    if old is not None and old.index_file != name:
        (side.parent / old.index_file).unlink(missing_ok=True)
    return meta


def _read_sidecar(side: Path) -> AnnMeta | None:
    try:
        return AnnMeta.model_validate_json(side.read_bytes())
    except (OSError, ValidationError):
        return None


def _new_index(dim: int, hnsw_m: int, ef_construction: int) -> Any:
    faiss = _faiss()
    hnsw = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    return faiss.IndexIDMap2(hnsw)


def _add(index: Any, ids: Ids, vecs: Vectors, *, source: str) -> None:
    if vecs.shape[1] != index.d:
        raise InputError(source, f"expected {index.d}-d embeddings, got {vecs.shape[1]}-d (sightings {ids[0]}..)")
    index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids)


def _stream_into(
    db: Database, model: str, index: Any | None, *, above_id: int, total: int, batch: int, progress: Progress | None
) -> tuple[Any | None, int, int]:
    """Add ``model``'s embeddings after ``above_id`` to ``index`` (created at the first batch).

    Returns (index, how many were added, the highest id added or ``above_id``).
    """
    added, last, t0 = 0, above_id, time.perf_counter()
    for ids, vecs in stream_embeddings(db, model, above_id=above_id, batch=batch):
        if index is None:
            index = _new_index(vecs.shape[1], HNSW_M, EF_CONSTRUCTION)
        _add(index, ids, vecs, source=f"ANN index of {model}")
        added, last = added + len(ids), int(ids[-1])
        if progress is not None:
            secs = time.perf_counter() - t0
            progress(f"ANN index {model}: {added:,} / {total:,} vectors ({secs:.0f} s)")
    return index, added, last


def build_index(
    db: Database, model: str, media_dir: Path, *, batch: int = BATCH, progress: Progress | None = None
) -> AnnMeta:
    """Build ``model``'s index from scratch, streaming from the database, and persist it."""
    state = database_state(db)  # before reading: a change while building makes the next open rebuild
    total = count_vectors(db, model)
    if total == 0:
        raise InputError("similar-index", f"expected sightings with embeddings of {model!r}, got none")
    index, _added, last = _stream_into(db, model, None, above_id=0, total=total, batch=batch, progress=progress)
    assert index is not None
    now = _now()
    meta = AnnMeta(
        **state.model_dump(),
        format=FORMAT,
        model=model,
        dimensions=int(index.d),
        count=int(index.ntotal),
        max_sighting_id=last,
        hnsw_m=HNSW_M,
        ef_construction=EF_CONSTRUCTION,
        index_file="",
        index_bytes=0,
        built_at=now,
        updated_at=now,
    )
    return _save(index, media_dir, meta)


@dataclass(frozen=True)
class PersistedIndex:
    """An opened index: the faiss ``IndexIDMap2``, its sidecar, and its ids in ascending order."""

    path: Path
    meta: AnnMeta
    index: Any
    ids: Ids


def open_index(db: Database, model: str, media_dir: Path, *, mmap: bool = True) -> PersistedIndex:
    """Open and check ``model``'s index; :class:`AnnIndexError` naming the file says what is wrong.

    ``mmap`` maps the vectors read-only (nothing can be added to such an index).
    """
    try:
        return _open_index(db, model, media_dir, mmap=mmap)
    except _Replaced:  # another process committed a new version between reading the sidecar and the file
        return _open_index(db, model, media_dir, mmap=mmap)


class _Replaced(Exception):
    pass


def _open_index(db: Database, model: str, media_dir: Path, *, mmap: bool) -> PersistedIndex:
    side = sidecar_path(media_dir, model)
    hint = "rebuild it with `xueliang similar-index --rebuild`"

    def bad(path: Path, why: str) -> AnnIndexError:
        return AnnIndexError(str(path), f"{why}; {hint}")

    try:
        raw = side.read_bytes()
    except FileNotFoundError as exc:
        raise AnnIndexError(str(side), "no ANN index here (build it with `xueliang similar-index`)") from exc
    try:
        meta = AnnMeta.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise bad(side, f"expected the JSON sidecar of an ANN index, got {where}: {first['msg']}") from exc
    if meta.format != FORMAT:
        raise bad(side, f"expected index format {FORMAT}, got {meta.format}")
    if meta.model != model:
        raise bad(side, f"expected an index of embedding model {model!r}, got {meta.model!r}")
    state = database_state(db)
    if meta.database_id != state.database_id:
        raise bad(
            side,
            f"built for another database (id {meta.database_id}, this database {db.url} has id {state.database_id})",
        )
    if meta.sightings_changed != state.sightings_changed:
        raise bad(
            side,
            f"{state.sightings_changed - meta.sightings_changed} embedded sightings were deleted or re-embedded "
            "since it was built (its vectors may be stale)",
        )
    data = side.parent / meta.index_file
    if Path(meta.index_file).name != meta.index_file or not data.is_file():
        if raw != side.read_bytes():
            raise _Replaced
        raise bad(data, "index file named by the sidecar is missing")
    size = data.stat().st_size
    if size != meta.index_bytes:
        raise bad(data, f"expected {meta.index_bytes:,} bytes (from {side.name}), got {size:,}: truncated or replaced")
    faiss = _faiss()
    try:
        # IO_FLAG_MMAP_IFC maps the flat vectors (faiss >= 1.10); older versions read them whole
        index = faiss.read_index(str(data), getattr(faiss, "IO_FLAG_MMAP_IFC", 0) if mmap else 0)
    except RuntimeError as exc:
        raise bad(data, f"not a readable faiss index ({str(exc).splitlines()[-1][:200]})") from exc
    if not isinstance(index, faiss.IndexIDMap2):
        raise bad(data, f"expected a faiss IndexIDMap2, got {type(index).__name__}")
    if (index.ntotal, index.d) != (meta.count, meta.dimensions):
        raise bad(
            data, f"expected {meta.count:,} x {meta.dimensions}-d vectors (sidecar), got {index.ntotal:,} x {index.d}-d"
        )
    ids = faiss.vector_to_array(index.id_map).astype(np.int64, copy=False)
    if len(ids) and (ids[-1] != meta.max_sighting_id or np.any(np.diff(ids) <= 0)):
        raise bad(data, "expected sighting ids in ascending order up to the sidecar's highest id")
    return PersistedIndex(data, meta, index, ids)


def update_index(
    db: Database, model: str, media_dir: Path, *, batch: int = BATCH, progress: Progress | None = None
) -> tuple[PersistedIndex, int]:
    """Add the sightings after the recorded highest id and persist; (the index in memory, how many added)."""
    pi = open_index(db, model, media_dir, mmap=False)
    new = count_vectors(db, model, above_id=pi.meta.max_sighting_id)
    if new == 0:
        return pi, 0
    index, added, last = _stream_into(
        db, model, pi.index, above_id=pi.meta.max_sighting_id, total=new, batch=batch, progress=progress
    )
    assert index is not None
    meta = pi.meta.model_copy(update={"count": int(index.ntotal), "max_sighting_id": last, "updated_at": _now()})
    meta = _save(index, media_dir, meta)
    faiss = _faiss()
    ids = faiss.vector_to_array(index.id_map).astype(np.int64, copy=False)
    return PersistedIndex(sidecar_path(media_dir, model).parent / meta.index_file, meta, index, ids), added


def ensure_index(
    db: Database,
    model: str,
    media_dir: Path,
    *,
    rebuild: bool = False,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> tuple[AnnMeta, str]:
    """Build, rebuild or update ``model``'s index; (its sidecar, what was done, for a person)."""
    say = progress or (lambda _msg: None)
    if rebuild:
        return build_index(db, model, media_dir, batch=batch, progress=progress), "rebuilt (--rebuild)"
    if not sidecar_path(media_dir, model).exists():
        return build_index(db, model, media_dir, batch=batch, progress=progress), "built"
    try:
        pi, added = update_index(db, model, media_dir, batch=batch, progress=progress)
    except AnnIndexError as exc:
        say(f"rebuilding: {exc}")
        return build_index(db, model, media_dir, batch=batch, progress=progress), f"rebuilt ({exc.detail})"
    return pi.meta, f"added {added:,} new sightings" if added else "up to date"


# --- search --------------------------------------------------------------------------------------
def _flat_storage(index: Any) -> Any:
    faiss = _faiss()
    return faiss.downcast_index(faiss.downcast_index(index.index).storage)


def _exact_positions(index: Any, positions: npt.NDArray[np.int64], query: Vectors, k: int) -> tuple[Ids, Vectors]:
    """Exact inner product over the index's stored vectors at ``positions`` (internal numbering)."""
    faiss = _faiss()
    params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(positions))
    sims, pos = _flat_storage(index).search(query[None, :], k, params=params)
    return pos[0], sims[0]


def _merge(parts: list[tuple[Ids, Vectors]], k: int) -> tuple[Ids, Vectors]:
    ids = np.concatenate([p[0] for p in parts]).astype(np.int64)
    sims = np.concatenate([p[1] for p in parts]).astype(np.float32)
    keep = ids >= 0
    ids, sims = ids[keep], sims[keep]
    order = np.lexsort((ids, -sims))[:k]
    return ids[order], sims[order]


def search_persisted(
    db: Database,
    model: str,
    query: Vectors,
    k: int,
    media_dir: Path,
    *,
    filters: SightingQuery | None = None,
    exact_below: int,
    ef_search: int = EF_SEARCH,
    persist_min_new: int = PERSIST_MIN_NEW,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> Found:
    """The ``k`` nearest sightings of ``model`` to ``query`` through the persisted index.

    Builds the index when it does not exist, adds new sightings first (persisting them when there
    are at least ``persist_min_new``, else searching them exactly next to the index), and applies
    ``filters`` (SQL ids, then a faiss ID selector; exact when fewer than ``exact_below`` remain).
    """
    if not sidecar_path(media_dir, model).exists():
        if progress is not None:
            progress(f"building the ANN index of {model} under {media_dir} (once; later searches reuse it)")
        build_index(db, model, media_dir, batch=batch, progress=progress)
    pi = open_index(db, model, media_dir, mmap=True)
    if pi.meta.dimensions != query.shape[0]:
        raise InputError("embeddings", f"expected {pi.meta.dimensions}-d vectors of {model}, got {query.shape[0]}-d")
    new = count_vectors(db, model, above_id=pi.meta.max_sighting_id)
    tail_ids, tail_vecs = np.zeros(0, np.int64), np.zeros((0, query.shape[0]), np.float32)
    if new >= persist_min_new:
        pi, _ = update_index(db, model, media_dir, batch=batch, progress=progress)
    elif new:
        chunks = list(stream_embeddings(db, model, above_id=pi.meta.max_sighting_id, batch=batch))
        tail_ids = np.concatenate([c[0] for c in chunks])
        tail_vecs = np.concatenate([c[1] for c in chunks])
    q = np.ascontiguousarray(query, dtype=np.float32)
    allowed = None if filters is None else filtered_ids(db, filters)
    faiss = _faiss()
    parts: list[tuple[Ids, Vectors]] = []
    if allowed is None:
        k_idx = min(k, pi.meta.count)
        params = faiss.SearchParametersHNSW(efSearch=max(ef_search, k_idx))
        sims, ids = pi.index.search(q[None, :], k_idx, params=params)
        parts.append((ids[0], sims[0]))
        method = "hnsw-persisted"
    else:
        inside = np.isin(allowed, pi.ids, assume_unique=True)
        in_index = allowed[inside]
        tail_keep = np.isin(tail_ids, allowed, assume_unique=True)
        tail_ids, tail_vecs = tail_ids[tail_keep], tail_vecs[tail_keep]
        k_idx = min(k, len(in_index))
        if k_idx == 0:
            method = "exact"
        elif len(in_index) < exact_below:
            positions = np.searchsorted(pi.ids, in_index).astype(np.int64)
            pos, sims = _exact_positions(pi.index, positions, q, k_idx)
            parts.append((np.where(pos >= 0, pi.ids[np.maximum(pos, 0)], -1), sims))
            method = "exact"
        else:
            params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBatch(in_index), efSearch=max(ef_search, k_idx))
            sims, ids = pi.index.search(q[None, :], k_idx, params=params)
            parts.append((ids[0], sims[0]))
            method = "hnsw-persisted"
    if len(tail_ids):
        sims_t = tail_vecs @ q
        parts.append((tail_ids, sims_t))
    if not parts:
        return Found(np.zeros(0, np.int64), np.zeros(0, np.float32), method)
    ids_out, sims_out = _merge(parts, k)
    return Found(ids_out, sims_out, method)
