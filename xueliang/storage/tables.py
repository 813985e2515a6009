"""Core tables shared by every subsystem: the camera registry and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xueliang.storage.base import Base
from xueliang.storage.times import UTCDateTime


class CameraRow(Base):
    """One camera of the registry. ``heading_deg`` NULL means the direction is unknown."""

    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gb_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float | None] = mapped_column(Float)
    focal_mm: Mapped[float | None] = mapped_column(Float)
    sensor_width_mm: Mapped[float | None] = mapped_column(Float)
    resolution_px: Mapped[int | None] = mapped_column(Integer)
    height_m: Mapped[float | None] = mapped_column(Float)
    tilt_deg: Mapped[float | None] = mapped_column(Float)
    mount: Mapped[str | None] = mapped_column(String(32))
    channels: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16), default="unknown")
    admin_unit: Mapped[str | None] = mapped_column(String(200), index=True)
    source: Mapped[str | None] = mapped_column(Text)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


MAX_ACTOR = 100  # characters of a name in the audit log (and the search case and review logs)


class AuditRow(Base):
    """Append-only: who searched, viewed footage or exported what (or was refused), when, and how many
    results came back. ``actor`` is the name the caller gave (web login, CLI ``--actor``); ``origin`` is
    ``web``, ``cli`` or ``library``; ``os_user`` the operating-system account of the writing process."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR), index=True)
    action: Mapped[str] = mapped_column(String(50))
    query: Mapped[str] = mapped_column(Text)
    result_count: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(String(16))
    os_user: Mapped[str | None] = mapped_column(String(100))
