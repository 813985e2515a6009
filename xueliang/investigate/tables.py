"""ORM tables of investigator search (alembic branch ``search``): cases, their queries, reviews.

``search_cases`` is an investigation: its id may equal a ledger case id (then ``ledger``
is set) but need not. ``search_case_queries`` keeps every search run for a case (what found the
candidates); ``search_reviews`` is the append-only keep/eliminate log: the latest row per
(case, sighting) is the current decision, earlier rows stay as history. Both logs refuse UPDATE
and DELETE on SQLite and PostgreSQL (triggers in the migration).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vision.tables import SightingRow
from xueliang.storage import Base
from xueliang.storage.times import UTCDateTime

# Search's indexes on vision's ``sightings`` (migrations search_0001 and search_0004). On PostgreSQL
# search_0002 also adds ``ix_sightings_plate_text_c`` on ``plate_text COLLATE "C"`` (exact plate prefixes).
_s = SightingRow.__table__.c
SEARCH_INDEXES = (
    Index("ix_sightings_colour_type_first_seen", _s.colour, _s.vehicle_type, _s.first_seen),
    Index("ix_sightings_colour_type_plate_state_first_seen", _s.colour, _s.vehicle_type, _s.plate_state, _s.first_seen),
    Index("ix_sightings_type_first_seen", _s.vehicle_type, _s.first_seen),
    Index("ix_sightings_plate_state_first_seen", _s.plate_state, _s.first_seen),
    # covering index of plate patterns within a window (see xueliang.investigate.search._plate_in_window)
    Index("ix_sightings_window_plate", _s.first_seen, _s.last_seen, _s.plate_text, _s.camera_id),
    # counting a model's vectors and reading those after an id stay on the index (ann_index)
    Index(
        "ix_sightings_embedding_model_id",
        _s.embedding_model,
        _s.id,
        sqlite_where=text("embedding IS NOT NULL"),
        postgresql_where=text("embedding IS NOT NULL"),
    ),
)


class SearchCaseRow(Base):
    __tablename__ = "search_cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ledger: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class CaseQueryRow(Base):
    __tablename__ = "search_case_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("search_cases.case_id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    query: Mapped[str] = mapped_column(Text)
    result_count: Mapped[int] = mapped_column(Integer)
    sighting_ids: Mapped[str] = mapped_column(Text)


class ReviewRow(Base):
    __tablename__ = "search_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("search_cases.case_id"))
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_search_reviews_case_sighting", "case_id", "sighting_id"),)


class AnnStateRow(Base):
    """One row: this database's random id and a counter of changed/deleted embedded sightings.

    Persisted ANN indexes (:mod:`xueliang.investigate.ann_index`) record both; triggers of ``search_0004`` raise
    ``sightings_changed``.
    """

    __tablename__ = "search_ann_state"

    database_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sightings_changed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
