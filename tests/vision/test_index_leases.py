"""Two indexing runs on one database: each file is claimed by its SHA-256 before work starts, a file
another run holds is skipped with a line saying so, a stale lease (killed run) is taken over."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.vision.conftest import PLUGIN, START
from vision.decode import sha256_file
from vision.detect import DetectorSpec
from vision.index import IndexItem, IndexSummary, index_files
from vision.leases import Leases
from vision.pipeline import PipelineConfig
from vision.tables import IndexLeaseRow, VideoRow
from xueliang.storage import Database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)

FAKE = DetectorSpec(plugin=PLUGIN)
FAST = PipelineConfig(plates=False, embeddings=False)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from sample_media.make_sample import make

    d = tmp_path_factory.mktemp("clips")
    out = []
    for seed in (1, 2, 3):
        make(d / f"seed{seed}.mp4", seed=seed)
        out.append(d / f"seed{seed}.mp4")
    return out


def _count(db: Database, table: type) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _lease(db: Database, sha256: str, holder: str, path: str, claimed_at: dt.datetime) -> None:
    """A two-minute lease of another run, as a claim would store it."""
    with db.transaction() as s:
        s.add(
            IndexLeaseRow(
                sha256=sha256,
                holder=holder,
                path=path,
                claimed_at=claimed_at,
                expires_at=claimed_at + dt.timedelta(minutes=2),
            )
        )


def test_a_file_claimed_by_another_run_is_skipped_and_the_rest_go_on(
    db: Database, camera: str, clips: list[Path]
) -> None:
    with Leases(db) as other:  # another run holds the first clip
        assert other.claim(sha256_file(str(clips[0])), str(clips[0])) is None
        summary = index_files(db, [IndexItem(str(c), camera, START) for c in clips[:2]], detector=FAKE, config=FAST)
        assert [f.status for f in summary.files] == ["skipped", "indexed"]
        msg = summary.files[0].message
        assert "being indexed by another run" in msg and other.holder in msg and "rerun later" in msg
    assert _count(db, VideoRow) == 1 and _count(db, IndexLeaseRow) == 0  # the other run released on exit


def test_a_stale_lease_is_taken_over(db: Database, camera: str, clips: list[Path]) -> None:
    sha = sha256_file(str(clips[0]))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    _lease(db, sha, "deadhost pid 4242 run x", "/gone", past)  # left by a run killed ten minutes ago
    summary = index_files(db, [IndexItem(str(clips[0]), camera, START)], detector=FAKE, config=FAST)
    assert summary.files[0].status == "indexed"
    assert _count(db, VideoRow) == 1 and _count(db, IndexLeaseRow) == 0


def test_a_live_lease_of_a_killed_local_run_is_taken_over_at_once(db: Database, camera: str, clips: list[Path]) -> None:
    """kill -9 leaves an unexpired lease; its process is gone from this machine, so a rerun need not wait."""
    import socket
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    sha = sha256_file(str(clips[0]))
    now = dt.datetime.now(dt.UTC)
    _lease(db, sha, f"{socket.gethostname()} pid {int(gone.stdout)} run x", "/killed", now)
    summary = index_files(db, [IndexItem(str(clips[0]), camera, START)], detector=FAKE, config=FAST)
    assert summary.files[0].status == "indexed"
    # a live process of this machine keeps its lease (this test's own pid)
    sha2 = sha256_file(str(clips[1]))
    _lease(db, sha2, f"{socket.gethostname()} pid {os.getpid()} run y", "/alive", now)
    summary = index_files(db, [IndexItem(str(clips[1]), camera, START)], detector=FAKE, config=FAST)
    assert summary.files[0].status == "skipped"


def test_leases_are_renewed_while_held(db: Database, clips: list[Path]) -> None:
    sha = sha256_file(str(clips[1]))
    with Leases(db, ttl_s=0.6) as mine:
        assert mine.claim(sha, "x") is None
        with db.sessions() as s:
            first = s.get(IndexLeaseRow, sha).expires_at  # type: ignore[union-attr]
        threading.Event().wait(0.5)
        with db.sessions() as s:
            later = s.get(IndexLeaseRow, sha).expires_at  # type: ignore[union-attr]
        assert later > first
        with Leases(db) as other:
            assert "being indexed by another run" in (other.claim(sha, "y") or "")


@pytest.mark.sqlite_only
def test_two_concurrent_runs_with_an_overlapping_file(db: Database, camera: str, clips: list[Path]) -> None:
    """Run A indexes clips 0 and 1, run B clips 1 and 2, at the same time: no crash, each clip once."""
    results: dict[str, IndexSummary] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(name: str, files: list[Path]) -> None:
        try:
            start.wait()
            results[name] = index_files(
                db, [IndexItem(str(c), camera, START) for c in files], detector=FAKE, config=FAST
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=("a", clips[:2])), threading.Thread(target=run, args=("b", clips[1:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    outcomes = [f for s in results.values() for f in s.files]
    assert sorted(f.status for f in outcomes) == ["indexed", "indexed", "indexed", "skipped"]
    with db.sessions() as s:
        assert sorted(s.scalars(select(VideoRow.path))) == sorted(str(c) for c in clips)
    assert _count(db, IndexLeaseRow) == 0
