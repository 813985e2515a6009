"""``xueliang index`` through the click runner, and a real process killed with SIGKILL mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.vision.conftest import PLUGIN, ROOT, add_camera
from vision.tables import SightingRow, VideoRow
from xueliang.cli import cli
from xueliang.storage import Database, open_database

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def test_cli_indexes_and_summarises(db: Database, db_url: str, camera: str, sample_clip: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text("x")
    args = [
        "index",
        str(sample_clip),
        str(bad),
        "--camera",
        camera,
        "--start",
        "2024-05-01T08:00:00Z",
        "--db",
        db_url,
        "--media",
        str(tmp_path / "m"),
        "--detector-plugin",
        PLUGIN,
        "--no-plates",
    ]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    assert "1 indexed, 0 skipped, 1 failed; 4 sightings; 90 frames decoded" in res.output
    assert "x real time" in res.output
    res = CliRunner().invoke(cli, args[:2] + args[3:])
    assert res.exit_code == 0, res.output
    assert "0 indexed, 1 skipped, 0 failed" in res.output


def test_cli_errors_are_one_line(db_url: str, sample_clip: Path) -> None:
    res = CliRunner().invoke(cli, ["index", str(sample_clip), "--camera", "c", "--start", "yesterday", "--db", db_url])
    assert res.exit_code == 2
    assert "error: --start: 'start': expected ISO 8601" in res.output
    res = CliRunner().invoke(cli, ["index", "--db", db_url])
    assert res.exit_code == 2 and "expected video PATHs or --manifest FILE" in res.output
    res = CliRunner().invoke(
        cli, ["index", str(sample_clip), "--executor", "dask", "--db", db_url, "--detector-plugin", PLUGIN]
    )
    assert res.exit_code == 2 and "'dask' is not one of 'local', 'ray'" in res.output


def _run(db_url: str, clips: list[Path], media: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "xueliang",
        "index",
        *map(str, clips),
        "--camera",
        "cam-1",
        "--start",
        "2024-05-01T08:00:00Z",
        "--db",
        db_url,
        "--media",
        str(media),
        "--detector-plugin",
        "tests.vision.fakes:slow_blob",
        "--no-plates",
        "--no-embeddings",
        "--detect-fps",
        "7.5",
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _rows(db: Database) -> list[tuple[str, int, str, str, str]]:
    with db.sessions() as s:
        q = select(
            VideoRow.sha256,
            SightingRow.track_id,
            SightingRow.first_seen,
            SightingRow.last_seen,
            SightingRow.colour,
        ).join(SightingRow.video)
        return sorted((a, b, str(c), str(d), e) for a, b, c, d, e in s.execute(q))


def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_result(
    db_url: str, tmp_path: Path, sample_clip: Path
) -> None:
    from sample_media.make_sample import make

    clips = [sample_clip, make(tmp_path / "b.mp4", seed=1), make(tmp_path / "c.mp4", seed=2)]
    reference_url = f"sqlite:///{tmp_path / 'ref.db'}"
    killed_url = db_url  # SQLite, then PostgreSQL
    for url in (reference_url, killed_url):
        d = open_database(url)
        add_camera(d)
        d.dispose()
    ref = _run(reference_url, clips, tmp_path / "m1")
    _, err = ref.communicate(timeout=120)  # communicate closes the pipe
    assert ref.returncode == 0, err

    killed_db = open_database(killed_url)
    proc = _run(killed_url, clips, tmp_path / "m2")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with killed_db.sessions() as s:
            if (s.scalar(select(func.count()).select_from(VideoRow)) or 0) >= 1:
                break
        time.sleep(0.05)
    time.sleep(0.7)  # well inside the second file (each takes ~2.5 s with the slow fake)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    with killed_db.sessions() as s:
        n_videos = s.scalar(select(func.count()).select_from(VideoRow))
    assert n_videos is not None and 1 <= n_videos < 3, "the kill must land mid-run"
    # every stored video has all its sightings: nothing half-written
    partial = _rows(killed_db)
    assert len(partial) == 4 * n_videos

    again = _run(killed_url, clips, tmp_path / "m2")
    again.communicate(timeout=120)
    assert again.returncode == 0
    reference_db = open_database(reference_url)
    assert _rows(killed_db) == _rows(reference_db)
    assert len(_rows(reference_db)) == 12
    killed_db.dispose()
    reference_db.dispose()
