"""ORM tables of footage indexing: ``videos``, ``sightings``, ``sighting_points`` (alembic branch ``vision``).

A video row and all its sightings are written in one transaction at the end of the file, so a
``videos`` row exists only for a completely indexed file: that row is the "done" mark reruns skip.
An ``int`` column given by its annotation alone (``width: Mapped[int]``) is an ``Integer``, NOT NULL unless
the annotation allows None; a ``float`` one names ``Float`` (SQLAlchemy's own type for ``float`` is ``Double``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xueliang.storage import Base
from xueliang.storage.times import UTCDateTime

SOURCE_VIDEO = "video"
SOURCE_CHECKPOINT = "checkpoint"


class VideoRow(Base):
    """One indexed file, identified by the SHA-256 of its bytes."""

    __tablename__ = "videos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # files over 2 GiB (migration vision_0002)
    camera_id: Mapped[str] = mapped_column(String(64), ForeignKey("cameras.id"), index=True)
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    end_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    fps: Mapped[float] = mapped_column(Float)
    frame_count: Mapped[int]
    duration_s: Mapped[float] = mapped_column(Float)
    width: Mapped[int]
    height: Mapped[int]
    detector: Mapped[str] = mapped_column(String(200))
    frames_decoded: Mapped[int]
    frames_detected: Mapped[int]
    processing_s: Mapped[float] = mapped_column(Float)
    indexed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    sightings: Mapped[list[SightingRow]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="SightingRow.id"
    )


class SightingRow(Base):
    """One vehicle track: when and where it was seen, its attributes, each with a confidence."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # NULL for a checkpoint pass (source "checkpoint"): no video behind it (migration vision_0003)
    video_id: Mapped[int | None] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    camera_id: Mapped[str] = mapped_column(String(64), ForeignKey("cameras.id"))
    track_id: Mapped[int]
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    detector_class: Mapped[str] = mapped_column(String(32))
    detector_confidence: Mapped[float] = mapped_column(Float)
    colour: Mapped[str] = mapped_column(String(32))
    colour_confidence: Mapped[float] = mapped_column(Float)
    vehicle_type: Mapped[str] = mapped_column(String(32))
    vehicle_type_confidence: Mapped[float] = mapped_column(Float)
    plate_state: Mapped[str] = mapped_column(String(16))
    plate_state_confidence: Mapped[float] = mapped_column(Float)
    plate_text: Mapped[str | None] = mapped_column(String(32))
    plate_text_confidence: Mapped[float | None] = mapped_column(Float)
    plate_colour: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    direction_deg: Mapped[float | None] = mapped_column(Float)
    best_frame: Mapped[int]
    thumbnail_path: Mapped[str | None] = mapped_column(Text)
    frame_path: Mapped[str | None] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(64))
    # vision_0003: where the sighting came from ("video": `xueliang index`; "checkpoint": a GA/T 1400
    # pass record from `xueliang passes import`), the record's MotorVehicleID (re-imports skip it),
    # its lane number and vehicle brand code
    source: Mapped[str] = mapped_column(String(16), default=SOURCE_VIDEO, server_default=SOURCE_VIDEO)
    external_id: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    lane: Mapped[int | None]
    brand: Mapped[str | None] = mapped_column(String(32))

    video: Mapped[VideoRow | None] = relationship(back_populates="sightings")
    points: Mapped[list[SightingPointRow]] = relationship(
        back_populates="sighting", cascade="all, delete-orphan", order_by="SightingPointRow.frame"
    )

    __table_args__ = (
        # investigate_0003: the indexes a stored pass pays for, each serving a query (the composite
        # attribute/window indexes of search_0001 are declared there); see that migration
        Index("ix_sightings_camera_first_seen", "camera_id", "first_seen"),
        Index("ix_sightings_plate_text_first_seen", "plate_text", "first_seen"),
        Index(
            "ix_sightings_video_id",
            "video_id",
            sqlite_where=text("video_id IS NOT NULL"),
            postgresql_where=text("video_id IS NOT NULL"),
        ),
    )


class SightingPointRow(Base):
    """One box of a sighting's trajectory (pixels of the video frame)."""

    __tablename__ = "sighting_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"), index=True)
    frame: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    x2: Mapped[float] = mapped_column(Float)
    y2: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)

    sighting: Mapped[SightingRow] = relationship(back_populates="points")


class IndexLeaseRow(Base):
    """A claim on a file (by SHA-256) by one ``xueliang index`` run while it works on it (``vision_0003``).

    Another run skips a file with a live lease; a lease whose ``expires_at`` has passed (its run was
    killed) is taken over. The run renews its leases while it works and deletes each when the file is
    stored or has failed.
    """

    __tablename__ = "index_leases"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(Text)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
