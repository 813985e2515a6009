"""Users and roles: add, disable, check a password (argon2id hashes)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from xueliang.errors import InputError, NotFoundError
from xueliang.storage import Database
from xueliang.storage.collation import code_point
from xueliang.web.tables import ROLES, SessionRow, UserRow

if TYPE_CHECKING:
    from argon2 import PasswordHasher

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


def _hasher() -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - part of the web extra
        raise InputError("users", "password hashing needs argon2-cffi: pip install 'xueliang[web]'") from exc
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(db: Database, name: str, role: str, password: str, *, replace: bool = False) -> User:
    """Create (or with ``replace`` reset) a user; the password is stored hashed."""
    if not NAME_RE.match(name):
        raise InputError("users", f"expected 1-64 letters, digits, '_', '.', '-', got {name!r}", field="name")
    if role not in ROLES:
        raise InputError("users", f"expected one of {', '.join(ROLES)}, got {role!r}", field="role")
    if len(password) < MIN_PASSWORD:
        raise InputError("users", f"expected at least {MIN_PASSWORD} characters, got {len(password)}", field="password")
    with db.transaction() as s:
        row = s.get(UserRow, name)
        if row is not None and not replace:
            raise InputError("users", f"user {name!r} exists (use --replace to reset)", field="name")
        if row is None:
            row = UserRow(name=name, created_at=dt.datetime.now(dt.UTC))
            s.add(row)
        else:
            end_sessions(s, SessionRow.user_name == name, why="password reset")
        row.role = role
        row.password_hash = hash_password(password)
        row.disabled = False
    return User(name=name, role=role)


def end_sessions(s: Session, *where: ColumnElement[bool], why: str) -> int:
    """End the live login sessions matching ``where`` inside the transaction ``s``; returns how many."""
    stmt = (
        update(SessionRow)
        .where(SessionRow.ended_at.is_(None), *where)
        .values(ended_at=dt.datetime.now(dt.UTC), ended_why=why)
    )
    return int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def disable_user(db: Database, name: str) -> int:
    """Block ``name`` from logging in and end its sessions; returns the number of sessions ended."""
    with db.transaction() as s:
        row = s.get(UserRow, name)
        if row is None:
            raise NotFoundError(f"user {name!r} not found")
        row.disabled = True
        return end_sessions(s, SessionRow.user_name == name, why="disabled")


def authenticate(db: Database, name: str, password: str) -> User | None:
    """The user if the name exists, is enabled and the password matches; else None."""
    with db.sessions() as s:
        row = s.get(UserRow, name)
    if row is None or row.disabled:
        hash_password("timing-equaliser")  # similar time whether or not the name exists
        return None
    if not verify_password(row.password_hash, password):
        return None
    return User(name=row.name, role=row.role)


def get_user(db: Database, name: str) -> User:
    with db.sessions() as s:
        row = s.get(UserRow, name)
    if row is None or row.disabled:
        raise NotFoundError(f"user {name!r} not found")
    return User(name=row.name, role=row.role)


def list_users(db: Database) -> list[User]:
    with db.sessions() as s:
        return [User(name=r.name, role=r.role) for r in s.scalars(select(UserRow).order_by(code_point(UserRow.name)))]
