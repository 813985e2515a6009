"""A character n-gram index of the distinct plates, for plate patterns without a time window.

``search --plate '*12*'`` without a window had to test every sighting's plate (``LIKE`` with a
leading wildcard cannot use a B-tree): 4.6 s at 10M sightings. Plates repeat (a city's cars pass
many times), so the index is over the distinct plates: ``plate_grams(gram, plate)`` holds every
1- and 2-character substring of each plate, ``plate_gram_counts(gram, n)`` how many plates have it.
A pattern's fixed runs (``晋M*12*`` → ``晋M``, ``12``) give grams every matching plate contains; the
rarest gram's plates passing the pattern's ``LIKE`` (in SQL) are the matches, and the search then
reads the sightings of those plates through ``ix_sightings_plate_text_first_seen``. A one-character-off
match may miss any one fixed character, so each variant (one fixed character made ``?``) is looked
up the same way and the matches are united.

Kept current incrementally: :func:`refresh` adds the plates of sightings above the id it recorded
(``plate_index_state``); ``index`` calls it, and :func:`candidate_plates` calls it first (cheap when
nothing is new). ``passes import`` indexes its file's plates in the transaction that stores the
passes (:func:`refresh_with`), from the plates it already holds. Tables: migration ``investigate_0002``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Integer, String, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from vision.tables import SightingRow
from xueliang.investigate.plates_match import PlatePattern
from xueliang.storage import Base, Database

MAX_CANDIDATES = 20_000  # above this the pattern is too loose for the index; the caller scans instead
MAX_READ = 200_000  # index entries of one gram read (with LIKE, in SQL) before the pattern counts as loose


class PlateGramRow(Base):
    __tablename__ = "plate_grams"

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    plate: Mapped[str] = mapped_column(String(32), primary_key=True)


class PlateGramCountRow(Base):
    __tablename__ = "plate_gram_counts"

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class PlateIndexStateRow(Base):
    __tablename__ = "plate_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sighting_id: Mapped[int] = mapped_column(Integer)


GRAMS = PlateGramRow.metadata.tables["plate_grams"]
COUNTS = PlateGramRow.metadata.tables["plate_gram_counts"]


@dataclass(frozen=True)
class Lookup:
    """The plates matching a pattern (exact or one off, as the pattern allows), or None when the
    pattern is too loose for the index (then search scans, as before)."""

    plates: tuple[str, ...] | None
    candidates: int


def grams(plate: str) -> set[str]:
    return set(plate) | {plate[i : i + 2] for i in range(len(plate) - 1)}


def refresh(db: Database, *, batch: int = 200_000) -> int:
    """Index the plates of sightings added since the last refresh; returns the new plates."""
    added = 0
    while True:
        with db.transaction() as s:
            state = s.get(PlateIndexStateRow, 1)
            last = 0 if state is None else state.last_sighting_id
            rows = s.execute(
                select(SightingRow.id, SightingRow.plate_text)
                .where(SightingRow.id > last)
                .order_by(SightingRow.id)
                .limit(batch)
            ).all()
            if not rows:
                return added
            added += add_plates(s.connection(), {r.plate_text for r in rows if r.plate_text})
            _mark(s, state, rows[-1].id)


@dataclass(frozen=True)
class PlateGrams:
    """The index entries of some plates, computed ahead (``passes import``: in a thread while SQLite, which
    lets go of the GIL, stores the rows and builds their indexes)."""

    entries: list[tuple[str, str]]  # (gram, plate) in key order, gram '' marking each plate
    grams_of: dict[str, set[str]]


def plate_grams(plates: Iterable[str | None]) -> PlateGrams:
    """The index entries of the distinct non-empty ``plates``."""
    grams_of = {p: grams(p) for p in {p for p in plates if p}}
    return PlateGrams(sorted((g, p) for p, gs in grams_of.items() for g in ("", *gs)), grams_of)


def refresh_with(s: Session, plates: PlateGrams, *, after_id: int, last_id: int) -> bool:
    """Inside the transaction ``s`` that just added sightings ``after_id + 1 .. last_id`` whose plates'
    entries are ``plates``: index those plates and move the mark to ``last_id``, so that the index is
    current when the sightings commit (``passes import`` knows its plates: nothing is read back). Only
    when the index was current up to ``after_id``; otherwise False and nothing done (:func:`refresh`
    catches up later)."""
    state = s.get(PlateIndexStateRow, 1)
    if (0 if state is None else state.last_sighting_id) != after_id:
        return False
    add_plates(s.connection(), set(plates.grams_of), ahead=plates)
    _mark(s, state, last_id)
    return True


def _mark(s: Session, state: PlateIndexStateRow | None, top: int) -> None:
    if state is None:
        s.add(PlateIndexStateRow(id=1, last_sighting_id=top))
    else:
        state.last_sighting_id = top


def add_plates(conn: Connection, plates: set[str], *, ahead: PlateGrams | None = None) -> int:
    """Index the plates of ``plates`` that are not yet indexed (their entries among ``ahead``'s when
    given); returns how many were new."""
    plate_list = sorted(plates)
    known: set[str] = set()
    for i in range(0, len(plate_list), 500):
        chunk = plate_list[i : i + 500]
        known |= set(conn.scalars(select(GRAMS.c.plate).where(GRAMS.c.gram == "", GRAMS.c.plate.in_(chunk))))
    new = [p for p in plate_list if p not in known]
    if not new:
        return 0
    # gram '' marks an indexed plate (the dictionary of distinct plates); in key order: B-tree appends
    computed = plate_grams(new) if ahead is None else ahead
    entries = [e for e in computed.entries if e[1] not in known] if known else computed.entries
    counts = Counter(g for p in new for g in computed.grams_of[p])
    stored = set(conn.scalars(select(COUNTS.c.gram).where(COUNTS.c.gram.in_(list(counts)))))
    up = [(n, g) for g, n in counts.items() if g in stored]
    fresh = [(g, n) for g, n in counts.items() if g not in stored]
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite" and raw is not None:  # the driver's executemany: no per-row dicts
        raw.executemany("INSERT INTO plate_grams (gram, plate) VALUES (?, ?)", entries)
        raw.executemany("UPDATE plate_gram_counts SET n = n + ? WHERE gram = ?", up)
        raw.executemany("INSERT INTO plate_gram_counts (gram, n) VALUES (?, ?)", fresh)
        return len(new)
    conn.execute(insert(GRAMS), [{"gram": g, "plate": p} for g, p in entries])  # Core executemany
    if up:
        conn.execute(
            update(COUNTS).where(COUNTS.c.gram == bindparam("g")).values(n=COUNTS.c.n + bindparam("dn")),
            [{"g": g, "dn": n} for n, g in up],
        )
    if fresh:
        conn.execute(insert(COUNTS), [{"gram": g, "n": n} for g, n in fresh])
    return len(new)


def _fixed_runs(tokens: tuple[str, ...]) -> list[str]:
    runs, cur = [], ""
    for t in tokens:
        if t in "*?":
            if cur:
                runs.append(cur)
            cur = ""
        else:
            cur += t
    if cur:
        runs.append(cur)
    return runs


def _variant_tokens(pattern: PlatePattern) -> list[tuple[str, ...]]:
    toks = pattern.tokens
    out = [toks]
    if pattern.max_edits >= 1:
        out += [(*toks[:i], "?", *toks[i + 1 :]) for i in pattern.fixed_positions]
    return out


def candidate_plates(
    db: Database, pattern: PlatePattern, *, max_candidates: int = MAX_CANDIDATES, max_read: int = MAX_READ
) -> Lookup:
    """The distinct plates matching ``pattern`` through the gram index (refreshed first): each variant
    reads its rarest gram's plates (at most ``max_read`` index entries, the pattern's ``LIKE`` applied in
    SQL); more than ``max_candidates`` plates passing is too loose (None: the caller walks or scans)."""
    refresh(db)
    variants = [
        (toks, sorted({g for run in _fixed_runs(toks) for g in grams(run) if len(g) == min(2, len(run))}))
        for toks in _variant_tokens(pattern)
    ]
    if any(not wanted for _, wanted in variants):
        return Lookup(None, 0)
    with db.sessions() as s:
        every = sorted({g for _, wanted in variants for g in wanted})  # one lookup for every variant's grams
        counts = {
            r.gram: r.n
            for r in s.execute(
                select(PlateGramCountRow.gram, PlateGramCountRow.n).where(PlateGramCountRow.gram.in_(every))
            )
        }
        by_gram: dict[str, list[str]] = {}  # variants read through the same gram: one read, their LIKEs or-ed
        for toks, wanted in variants:
            if any(g not in counts for g in wanted):  # a gram no plate has: nothing matches this variant
                continue
            rarest = min(wanted, key=lambda g: (counts[g], g))
            if counts[rarest] > (max_candidates if len(wanted) == 1 else max_read):  # one gram: no LIKE narrows it
                return Lookup(None, counts[rarest])
            like = "".join("%" if t == "*" else "_" if t == "?" else t for t in toks)  # in SQL, before Python
            by_gram.setdefault(rarest, []).append(like)
        pool: set[str] = set()
        for gram, likes in sorted(by_gram.items()):
            pool |= set(
                s.scalars(
                    select(PlateGramRow.plate).where(
                        PlateGramRow.gram == gram, or_(*(PlateGramRow.plate.like(x) for x in sorted(set(likes))))
                    )
                )
            )
            if len(pool) > max_candidates:
                return Lookup(None, len(pool))
    # the LIKE of each variant is its match (plates are upper-case; '_' is '?', '%' is '*'): only a stored
    # partial plate (with '*') needs the matcher's own rule
    matched = tuple(sorted(p for p in pool if "*" not in p or pattern.score(p) > 0))
    return Lookup(matched, len(pool))


def indexed_plates(db: Database) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(PlateGramRow).where(PlateGramRow.gram == "")) or 0)
