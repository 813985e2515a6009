"""``xueliang report``: one HTML + PDF report for committee reviewers."""

from __future__ import annotations

import click

from xueliang.cli._common import FILE, FOLDER
from xueliang.cli._lang import _, current


@click.command()
@click.option("--osm", type=FILE, help="OSM extract: basemap, and coverage if --coverage is missing.")
@click.option("--cameras", type=FILE, help="Camera file for the coverage run (else the registry).")
@click.option("--coverage", "coverage_dir", type=FOLDER, help="Output folder of `xueliang coverage`.")
@click.option("--plan", "plan_dir", type=FOLDER, help="Output folder of `xueliang plan`.")
@click.option("--db", "db_url", default=None, metavar="URL", help="Database with the case ledger.")
@click.option("--out", required=True, type=FOLDER, help="Folder for report.html and report.pdf.")
@click.option("--no-pdf", is_flag=True, help="Write the HTML only.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh-CN"]),
    default=None,
    help="Language of the report (zh-CN: times in Asia/Shanghai); default: the command's language (xueliang --lang).",
)
def report(
    osm: str | None,
    cameras: str | None,
    coverage_dir: str | None,
    plan_dir: str | None,
    db_url: str | None,
    out: str,
    no_pdf: bool,
    lang: str | None,
) -> None:
    """Coverage maps and compliance, a plan's before/after, and the ledger's figures, as HTML and PDF."""
    from xueliang.report.build import build_report

    res = build_report(
        out,
        osm=osm,
        cameras=cameras,
        coverage=coverage_dir,
        plan=plan_dir,
        db_url=db_url,
        pdf=not no_pdf,
        lang=lang or current().lang,
    )
    for warning in res.warnings:
        click.echo(_("warning: %(message)s", message=_(warning)), err=True)
    click.echo(_("report: %(path)s", path=res.html))
    if res.pdf is not None:
        click.echo(_("pdf:    %(path)s", path=res.pdf))
