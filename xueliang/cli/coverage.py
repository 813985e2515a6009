"""``xueliang coverage``: blind spots of a town at a required pixel density."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from xueliang.cli._common import FILE, FOLDER, db_option, echo_import_counts, echo_progress, open_db
from xueliang.cli._lang import _, current
from xueliang.i18n.errors import pad, translate_message

if TYPE_CHECKING:
    from geo.summary import CoverageSummary


def print_summary(summary: CoverageSummary, out: Path) -> None:
    t = current()
    for name, c in summary.classes.items():
        extra = ""
        if c.area_weighted_ratio is not None:
            extra = _(", area-weighted %(ratio)s", ratio=t.percent(c.area_weighted_ratio))
        ratio = _("n/a") if c.ratio is None else t.percent(c.ratio)
        click.echo(
            _(
                "  %(name)s %(covered)s of %(total)s covered (%(ratio)s%(extra)s) at %(level)s",
                name=pad(t.gettext(name), 20),
                covered=f"{c.covered:>6}",
                total=f"{c.total:<6}",
                ratio=ratio,
                extra=extra,
                level=t.gettext(c.level),
            )
        )
    cams = summary.cameras
    click.echo(
        _(
            "  cameras: %(total)s (%(inside)s inside the extract), "
            "%(unknown)s with unknown direction counted as %(treatment)s",
            total=cams.total,
            inside=cams.in_extract,
            unknown=cams.unknown_direction,
            treatment=t.gettext(cams.unknown_direction_treatment),
        )
    )
    for r in (summary.intersection_rules or {}).values():
        click.echo(
            _(
                "  intersections %(covered)s of %(total)s by the rule %(rule)s",
                covered=f"{r.covered:>4}",
                total=r.total,
                rule=t.gettext(r.definition),
            )
        )
    click.echo(_("  villages: %(text)s", text=translate_message(summary.villages.text, t)))
    for note in summary.notes:
        click.echo(_("  note: %(note)s", note=translate_message(note, t)))
    imp = summary.camera_import
    if imp is not None and imp.report is not None:
        echo_import_counts(imp.records_with_unusable_tags, imp.records_left_out, imp.left_out_reasons, Path(imp.report))
    click.echo(
        _(
            "results in %(out)s/: %(files)s",
            out=out,
            files="summary.json, gaps.geojson, coverage.gpkg, villages.csv, coverage.png",
        )
    )


def run(
    osm: str,
    cameras_file: str | None,
    db_url: str | None,
    level: str | None,
    config: str | None,
    unknown_direction: str | None,
    out: str,
    draw_map: bool = True,
) -> CoverageSummary:
    from geo.config import load_coverage_config
    from geo.coverage_job import run_coverage_job

    cfg = load_coverage_config(config)
    updates: dict[str, Any] = {}
    if level is not None:
        updates["level"] = float(level) if level.replace(".", "", 1).isdigit() else level
    if unknown_direction is not None:
        updates["unknown_direction"] = unknown_direction
    if updates:
        cfg = cfg.model_validate({**cfg.model_dump(), **updates})

    db = open_db(db_url) if cameras_file is None else None
    return run_coverage_job(
        osm, cfg, out, cameras_file=cameras_file, db=db, config_file=config, draw_map=draw_map, progress=echo_progress
    )


@click.command()
@click.option("--osm", required=True, type=FILE, help="OSM extract (.osm.pbf, .osm, .osm.gz).")
@click.option(
    "--cameras",
    "cameras_file",
    type=FILE,
    help="Camera file (CSV, GeoJSON or OSM); default: the registry in --db.",
)
@db_option
@click.option("--level", help="Required level: detection, observation, recognition, identification, or px/m.")
@click.option("--config", type=FILE, help="TOML/JSON coverage config (unknown keys rejected).")
@click.option(
    "--unknown-direction",
    type=click.Choice(["not-covering", "omni"]),
    help="How cameras with no recorded direction count (default not-covering).",
)
@click.option("--out", required=True, type=FOLDER, help="Output folder.")
@click.option("--no-map", is_flag=True, help="Skip drawing coverage.png.")
def coverage(no_map: bool, **options: Any) -> None:
    """Which intersections, main-road nodes, crowded areas, key sites and boundary crossings no camera sees."""
    summary = run(**options, draw_map=not no_map)
    click.echo(
        _(
            "coverage of %(osm)s at %(level)s (%(px)s px/m), metric CRS %(crs)s:",
            osm=options["osm"],
            level=current().gettext(summary.level),
            px=f"{summary.px_per_m:g}",
            crs=summary.projected_crs,
        )
    )
    print_summary(summary, Path(options["out"]))
