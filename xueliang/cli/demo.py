"""``xueliang demo``: the main job on the embedded defaults (SQLite file, the sample town)."""

from __future__ import annotations

from pathlib import Path

import click

from xueliang.cli._common import db_option, open_db
from xueliang.config import resolve_db_url
from xueliang.errors import InputError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media"


@click.command()
@db_option
@click.option("--out", default="xueliang-out", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--cases",
    default=2000,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Synthetic cases for the ledger part (0 skips it).",
)
@click.pass_context
def demo(ctx: click.Context, db_url: str | None, out: str, cases: int) -> None:
    """Map the sample town's coverage, measure a synthetic case ledger and plan the next cameras.

    Writes into --out: coverage/ (summary.json, gaps.geojson, coverage.gpkg, villages.csv, coverage.png),
    ledger.csv and blindspot_weights.csv, plan/ (plan.geojson, plan.json, curve.csv, plan.png),
    report/ (report.html, report.pdf).
    """
    from geo.registry import import_camera_file, load_cameras
    from xueliang.cli import coverage as coverage_cmd
    from xueliang.cli import ledger as ledger_cmd
    from xueliang.cli import plan as plan_cmd
    from xueliang.cli import report as report_cmd

    town, cams = SAMPLE / "town.osm", SAMPLE / "cameras.csv"
    if not town.is_file() or not cams.is_file():
        raise InputError(str(SAMPLE), "sample town missing: run from a source checkout (pip install -e .)")
    outdir = Path(out)
    db = open_db(db_url)
    r = import_camera_file(db, cams)
    click.secho("\n1. Camera registry", bold=True)
    click.echo(f"{r.added} added, {r.updated} updated from {cams.name} -> {db.url}")
    cov_dir = outdir / "coverage"
    click.secho("\n2. Coverage of the sample town", bold=True)
    summary = coverage_cmd.run(str(town), None, db_url, None, None, None, str(cov_dir))
    click.echo(f"at {summary.level} ({summary.px_per_m:g} px/m), metric CRS {summary.projected_crs}:")
    coverage_cmd.print_summary(summary, cov_dir)
    weights: str | None = None
    if cases:
        click.secho("\n3. Case ledger (synthetic cases in the sample town)", bold=True)
        bounds = _town_bbox(town)
        ledger_csv = outdir / "ledger.csv"
        ctx.invoke(
            ledger_cmd.generate_cmd,
            n=cases,
            seed=1,
            out=str(ledger_csv),
            bbox=bounds,
            start="2021-01-01",
            end="2026-06-30",
            n_cameras=19,
            bad=3,
            encoding="utf-8",
            camera_ids=tuple(c.id for c in load_cameras(db)),  # cases link to the registry's cameras
        )
        ctx.invoke(
            ledger_cmd.import_cmd,
            file=str(ledger_csv),
            pairs=(),
            mapping_file=None,
            report=str(outdir / "ledger_rejected.csv"),
            tz="UTC",
            sheet=None,
            header_row=1,
            quiet=True,
            db_url=db_url,
        )
        ctx.invoke(ledger_cmd.stats_cmd, by=None, from_=None, to=None, as_json=False, claim=0.8, db_url=db_url)
        weights = str(outdir / "blindspot_weights.csv")
        ctx.invoke(
            ledger_cmd.blindspots_cmd,
            coverage_dir=str(cov_dir),
            out=weights,
            tagged=None,
            weight="count",
            type_weights=(),
            decimals=4,
            from_=None,
            to=None,
            db_url=db_url,
        )
    click.secho("\n4. Plan: the next cameras for a budget of 100,000 (blind-spot cases weigh in)", bold=True)
    ctx.invoke(
        plan_cmd.plan,
        osm=str(town),
        cameras_file=str(cams),
        budget=100000.0,
        phases=None,
        catalogue=None,
        targets_file=None,
        weights=weights,
        candidates_file=None,
        config=None,
        level=None,
        out=str(outdir / "plan"),
    )
    click.secho("\n5. Report for reviewers (HTML, and PDF where Chromium is installed)", bold=True)
    from xueliang.report.build import find_chromium

    ctx.invoke(
        report_cmd.report,
        osm=str(town),
        cameras=None,
        coverage_dir=str(cov_dir),
        plan_dir=str(outdir / "plan"),
        db_url=resolve_db_url(db_url),  # the database just filled: the report reads no ledger without one
        out=str(outdir / "report"),
        no_pdf=find_chromium() is None,
    )
    click.secho(f"\ndone. Database: {db.url}; results: {outdir.resolve()}", bold=True)


def _town_bbox(town: Path) -> str:
    from geo.osm import read_layer

    b = read_layer(town, "lines").total_bounds
    return ",".join(f"{v:.6f}" for v in b)
