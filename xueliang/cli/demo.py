"""``xueliang demo``: the main job on the embedded defaults (SQLite file, the sample town)."""

from __future__ import annotations

from pathlib import Path

import click

from xueliang.cli._common import db_option, open_db
from xueliang.errors import InputError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media"


@click.command()
@db_option
@click.option("--out", default="xueliang-out", show_default=True, type=click.Path(file_okay=False))
def demo(db_url: str | None, out: str) -> None:
    """Import the sample town's cameras into the database and map its coverage."""
    from geo.registry import import_camera_file
    from xueliang.cli import coverage as coverage_cmd

    town, cams = SAMPLE / "town.osm", SAMPLE / "cameras.csv"
    if not town.is_file() or not cams.is_file():
        raise InputError(str(SAMPLE), "sample town missing: run from a source checkout (pip install -e .)")
    db = open_db(db_url)
    r = import_camera_file(db, cams)
    click.echo(f"1. camera registry: {r.added} added, {r.updated} updated from {cams.name} -> {db.url}")
    cov_dir = Path(out) / "coverage"
    summary = coverage_cmd.run(str(town), None, db_url, None, None, None, str(cov_dir))
    click.echo(f"2. coverage of the sample town at {summary['level']} ({summary['px_per_m']:g} px/m):")
    coverage_cmd.print_summary(summary, cov_dir)
    click.echo(f"done. Database: {db.url}; results: {Path(out).resolve()}")
