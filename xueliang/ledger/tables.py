"""Ledger tables: cases with their video record, linked cameras and sightings, and the change history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xueliang.storage.base import Base
from xueliang.storage.times import UTCDateTime


class LedgerCaseRow(Base):
    """One case and its video record. Times are UTC; ``solved_at`` is set only for solved cases."""

    __tablename__ = "ledger_cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    occurred_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16))
    solved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    video_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    video_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    video_obtained: Mapped[bool] = mapped_column(Boolean)
    video_contribution: Mapped[str] = mapped_column(String(16))
    hours_reviewed: Mapped[float | None] = mapped_column(Float)
    vehicles_screened: Mapped[int | None] = mapped_column(Integer)
    vehicles_eliminated: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LedgerCaseCameraRow(Base):
    """A camera linked to a case: a registry id (``cameras.id``) or free text when not registered."""

    __tablename__ = "ledger_case_cameras"

    case_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ledger_cases.case_id", ondelete="CASCADE"), primary_key=True
    )
    camera_ref: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class LedgerCaseSightingRow(Base):
    """A sighting (free identifier, e.g. of the vision index) linked to a case."""

    __tablename__ = "ledger_case_sightings"

    case_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ledger_cases.case_id", ondelete="CASCADE"), primary_key=True
    )
    sighting_ref: Mapped[str] = mapped_column(String(200), primary_key=True)


class LedgerHistoryRow(Base):
    """Append-only: one row per changed field, with the old and new value as text (NULL = empty)."""

    __tablename__ = "ledger_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_row: Mapped[int | None] = mapped_column(Integer)
