"""ORM tables of investigator search (alembic branch ``search``): cases, their queries, reviews.

``search_cases`` is an investigation: its id may equal a ledger case id (then ``ledger``
is set) but need not. ``search_case_queries`` keeps every search run for a case (what found the
candidates); ``search_reviews`` is the append-only keep/eliminate log: the latest row per
(case, sighting) is the current decision, earlier rows stay as history. Both logs refuse UPDATE
and DELETE on SQLite and PostgreSQL (triggers in the migration).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xueliang.storage import Base
from xueliang.storage.times import UTCDateTime


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
    sightings_changed: Mapped[int] = mapped_column(BigInteger, default=0)
