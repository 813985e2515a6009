"""Open a database by URL and bring its schema up to date with alembic."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, select, text
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from xueliang.errors import InputError, StorageError
from xueliang.storage.tables import MAX_ACTOR, AuditRow

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_WAIT_S = 30  # SQLite's busy_timeout below; PostgreSQL's lock_timeout of an exclusive transaction
ORIGINS = ("web", "cli", "library")
_ORIGIN: ContextVar[str] = ContextVar("xueliang_audit_origin", default="library")


@contextmanager
def audit_origin(origin: str) -> Iterator[None]:
    """Audit rows written inside this block (this thread or task, and threads it starts work in through
    ``contextvars``) record ``origin``: the web app sets ``web`` per request, the CLI ``cli``."""
    if origin not in ORIGINS:
        raise ValueError(f"expected an origin among {ORIGINS}, got {origin!r}")
    token = _ORIGIN.set(origin)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={LOCK_WAIT_S * 1000}")
    cur.close()


def shown_url(url: str) -> str:
    """``url`` fit for a message: the password (``postgresql://user:secret@host/db``) masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def make_engine(url: str) -> Engine:
    try:
        engine = create_engine(url, future=True)
    except ImportError as exc:
        hint = " (pip install 'xueliang[postgres]': postgresql+psycopg://...)" if url.startswith("postgres") else ""
        raise StorageError(f"--db {shown_url(url)!r}: the database driver is not installed: {exc}{hint}") from exc
    except (ArgumentError, ValueError) as exc:
        raise StorageError(f"--db {shown_url(url)!r}: not a usable database URL ({exc})") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database and engine.url.database != ":memory:":
            parent = Path(engine.url.database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StorageError(f"--db {shown_url(url)!r}: folder {parent} does not exist")
    return engine


def upgrade(engine: Engine) -> None:
    """Apply every pending migration of every branch (``alembic upgrade heads``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except OperationalError as exc:
        raise StorageError(f"database {engine.url!r}: cannot migrate schema: {exc.orig}") from exc


@dataclass(frozen=True)
class Database:
    """An engine and its session factory; create with :func:`open_database`."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together or not at all."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def exclusive_transaction(self, purpose: str) -> Iterator[Session]:
        """:meth:`transaction`, one at a time per ``purpose`` (two ``ledger import`` runs): a second one
        waits until the first has committed, then reads what it wrote. PostgreSQL: an advisory lock; SQLite:
        the database's write lock, taken first. Waited for more than 30 s: a StorageError saying so, with
        nothing written."""
        try:
            with self.transaction() as s:
                if self.engine.dialect.name == "postgresql":
                    s.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'"))
                    s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:p))"), {"p": purpose})
                elif self.engine.dialect.name == "sqlite":  # a write statement takes the write lock now
                    s.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))
                yield s
        except OperationalError as exc:
            raise StorageError(
                f"{purpose}: another writer (another {purpose}?) held the database for over {LOCK_WAIT_S} s "
                f"({exc.orig}); nothing was written: run it again when that one has finished"
            ) from exc

    def audit(
        self,
        *,
        actor: str | None,
        action: str,
        query: dict[str, Any],
        result_count: int | None,
        session: Session | None = None,
    ) -> None:
        """Append one line to the audit log (searches, footage views, exports, refusals); inside ``session``
        when given, so that it commits (or not) with the rest of that transaction. The row also records the
        origin (see :func:`audit_origin`) and the OS user of this process, whatever ``actor`` claims."""
        os_user = current_user()
        row = AuditRow(
            at=dt.datetime.now(dt.UTC),
            actor=check_actor(actor or os_user),
            action=action,
            query=json.dumps(query, ensure_ascii=False, sort_keys=True, default=str),
            result_count=result_count,
            origin=_ORIGIN.get(),
            os_user=os_user[:MAX_ACTOR],
        )
        if session is not None:
            session.add(row)
            return
        with self.transaction() as s:
            s.add(row)

    def audit_log(self, limit: int = 100) -> list[AuditRow]:
        with self.sessions() as s:
            return list(s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)))

    def dispose(self) -> None:
        self.engine.dispose()


def check_actor(name: str, *, source: str = "actor") -> str:
    """``name`` if it fits the logs' actor column (1-MAX_ACTOR characters), else an InputError naming
    ``source`` (the CLI option, or the library argument)."""
    if not 1 <= len(name) <= MAX_ACTOR:
        raise InputError(source, f"expected a name of 1-{MAX_ACTOR} characters, got {len(name)}")
    return name


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open (and by default migrate) the database at ``url``."""
    engine = make_engine(url)
    try:
        if migrate:
            upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StorageError(f"database {shown_url(url)!r}: {exc}") from exc
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
