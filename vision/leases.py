"""Per-file leases of indexing runs (table ``index_leases``): two ``xueliang index`` runs on one database
share the work instead of both indexing a file and the second failing on ``videos.sha256``.

A run claims a file by its SHA-256 before working on it. A file another run holds is skipped with a line
saying who holds it and until when; the rest go on. A lease lives ``ttl_s`` seconds and is renewed by a
background thread while the run works, so the lease of a killed run runs out and the next run takes
it over (at once when the killed run was on the same machine: its process is gone). Each lease is
deleted when its file is stored or has failed, and all at the end of the run.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid
from types import TracebackType

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from vision.tables import IndexLeaseRow, VideoRow
from xueliang.storage import Database

DEFAULT_TTL_S = 120.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _dead_here(holder: str) -> bool:
    """True when ``holder`` ("HOST pid N run X") is a process of this machine that no longer runs: a run killed
    with ``kill -9`` leaves its lease behind, and a rerun on the same machine need not wait for it to expire."""
    parts = holder.split()
    if len(parts) < 3 or parts[0] != socket.gethostname() or parts[1] != "pid" or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but not ours to signal
        return False
    return False


def _hms(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


class Leases:
    """The leases of one run; use as a context manager (renewal thread, release of what is left)."""

    def __init__(self, db: Database, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.db = db
        self.ttl = dt.timedelta(seconds=ttl_s)
        self.holder = f"{socket.gethostname()} pid {os.getpid()} run {uuid.uuid4().hex[:8]}"
        self.held: set[str] = set()
        self.taken_over: dict[str, str] = {}  # sha256 -> the stale holder
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Leases:
        self._thread = threading.Thread(target=self._renew_loop, name="index-leases", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            left = sorted(self.held)
            self.held.clear()
        if left:
            with self.db.transaction() as s:
                s.execute(
                    delete(IndexLeaseRow).where(IndexLeaseRow.sha256.in_(left), IndexLeaseRow.holder == self.holder)
                )

    def _renew_loop(self) -> None:
        period = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(period):
            with self._lock:
                held = sorted(self.held)
            if held:
                try:
                    with self.db.transaction() as s:
                        s.execute(
                            update(IndexLeaseRow)
                            .where(IndexLeaseRow.sha256.in_(held), IndexLeaseRow.holder == self.holder)
                            .values(expires_at=_now() + self.ttl)
                        )
                except OperationalError:  # busy database: the next round renews
                    continue

    def claim(self, sha256: str, path: str) -> str | None:
        """Claim the file; None when this run now holds it, else why it is skipped."""
        for attempt in range(5):
            try:
                return self._claim_once(sha256, path)
            except IntegrityError:
                return "claimed by another indexing run at the same moment; skipped (rerun to pick it up)"
            except OperationalError:  # another writer: SQLite refuses a read-then-write at once
                time.sleep(0.05 * (attempt + 1))
        return "the database stayed busy while claiming the file; skipped (rerun to pick it up)"

    def _claim_once(self, sha256: str, path: str) -> str | None:
        now = _now()
        with self.db.transaction() as s:
            if s.scalar(select(VideoRow.id).where(VideoRow.sha256 == sha256)) is not None:
                return "already indexed"
            row = s.get(IndexLeaseRow, sha256)
            if row is None:
                s.add(
                    IndexLeaseRow(
                        sha256=sha256, holder=self.holder, path=path, claimed_at=now, expires_at=now + self.ttl
                    )
                )
            elif row.holder != self.holder and row.expires_at > now and not _dead_here(row.holder):
                return (
                    f"being indexed by another run ({row.holder}, as {row.path}) since {_hms(row.claimed_at)} UTC; "
                    f"its lease runs to {_hms(row.expires_at)} UTC. Skipped: rerun later to pick it up"
                )
            else:
                stale = row.holder
                done = s.execute(
                    update(IndexLeaseRow)
                    .where(IndexLeaseRow.sha256 == sha256, IndexLeaseRow.holder == stale)
                    .values(holder=self.holder, path=path, claimed_at=now, expires_at=now + self.ttl)
                )
                if int(done.rowcount or 0) != 1:  # type: ignore[attr-defined]
                    return "claimed by another indexing run at the same moment; skipped (rerun to pick it up)"
                if stale != self.holder:
                    self.taken_over[sha256] = stale
        with self._lock:
            self.held.add(sha256)
        return None

    def release(self, sha256: str) -> None:
        with self._lock:
            if sha256 not in self.held:
                return
            self.held.discard(sha256)
        with self.db.transaction() as s:
            s.execute(delete(IndexLeaseRow).where(IndexLeaseRow.sha256 == sha256, IndexLeaseRow.holder == self.holder))
