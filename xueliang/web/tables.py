"""ORM tables of the web app: ``web_users``, ``web_sessions`` and ``web_marks`` (alembic branch ``web``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from xueliang.storage import Base
from xueliang.storage.times import UTCDateTime

ROLES = ("planner", "investigator", "reviewer", "admin")
MARKS = ("keep", "eliminate")


class UserRow(Base):
    """One login; ``password_hash`` is an argon2id hash, never the password."""

    __tablename__ = "web_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SessionRow(Base):
    """A login session. The cookie holds a random token; only its SHA-256 is stored, so reading the
    database gives no usable cookie. ``ended_at`` is set by logout, by disabling the user or
    resetting the password; an ended or expired session lets nobody in."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), ForeignKey("web_users.name"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_why: Mapped[str | None] = mapped_column(String(32), nullable=True)


class MarkRow(Base):
    """Browser marks made before web_0003, kept as they were (append-only by triggers). Marks are now
    written to the per-case review log ``search_reviews`` (see :func:`xueliang.web.sightings.add_mark`)."""

    __tablename__ = "web_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sighting_id: Mapped[int] = mapped_column(Integer, index=True)
    mark: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LoginAttemptRow(Base):
    """One login attempt: the name tried, the client address, whether it succeeded. Throttling reads it,
    so every server process on the database and a restart see the same."""

    __tablename__ = "web_login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
