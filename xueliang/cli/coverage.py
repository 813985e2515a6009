"""``xueliang coverage``: blind spots of a town at a required pixel density."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xueliang.cli._common import db_option, echo_import_counts, open_db


def print_summary(summary: dict[str, Any], out: Path) -> None:
    for name, c in summary["classes"].items():
        extra = ""
        if "area_weighted_ratio" in c and c["area_weighted_ratio"] is not None:
            extra = f", area-weighted {c['area_weighted_ratio']:.1%}"
        ratio = "n/a" if c["ratio"] is None else f"{c['ratio']:.1%}"
        click.echo(f"  {name:<20} {c['covered']:>6} of {c['total']:<6} covered ({ratio}{extra}) at {c['level']}")
    cams = summary["cameras"]
    click.echo(
        f"  cameras: {cams['total']} ({cams['in_extract']} inside the extract), "
        f"{cams['unknown_direction']} with unknown direction counted as {cams['unknown_direction_treatment']}"
    )
    click.echo(f"  villages: {summary['villages']['text']}")
    for note in summary.get("notes", []):
        click.echo(f"  note: {note}")
    imp = summary.get("camera_import")
    if imp and imp.get("report"):
        echo_import_counts(
            imp["records_with_unusable_tags"], imp["records_left_out"], imp["left_out_reasons"], Path(imp["report"])
        )
    click.echo(f"results in {out}/: summary.json, gaps.geojson, coverage.gpkg, villages.csv, coverage.png")


def run(
    osm: str,
    cameras_file: str | None,
    db_url: str | None,
    level: str | None,
    config: str | None,
    unknown_direction: str | None,
    out: str,
    draw_map: bool = True,
) -> dict[str, Any]:
    from geo.analysis import run_coverage
    from geo.cameras import CameraRead, read_camera_file
    from geo.config import load_coverage_config
    from geo.io import write_outputs
    from geo.osm import sha256_file
    from geo.registry import load_cameras
    from geo.town import load_town

    cfg = load_coverage_config(config)
    updates: dict[str, Any] = {}
    if level is not None:
        updates["level"] = float(level) if level.replace(".", "", 1).isdigit() else level
    if unknown_direction is not None:
        updates["unknown_direction"] = unknown_direction
    if updates:
        cfg = cfg.model_validate({**cfg.model_dump(), **updates})
    inputs = {osm: sha256_file(osm)} if Path(osm).is_file() else {}
    read: CameraRead | None = None
    if cameras_file is not None:
        read = read_camera_file(cameras_file)
        cams = list(read.cameras)
        inputs[cameras_file] = sha256_file(cameras_file)
    else:
        db = open_db(db_url)
        cams = load_cameras(db)
        inputs["camera registry"] = db.url
    if config:
        inputs[config] = sha256_file(config)

    def say(msg: str) -> None:
        click.echo(f"  ... {msg}", err=True)

    town = load_town(osm, cfg)
    result = run_coverage(town, cams, cfg, progress=say)
    say("writing outputs")
    return write_outputs(result, out, inputs=inputs, draw_map=draw_map, camera_read=read)


@click.command()
@click.option("--osm", required=True, type=click.Path(dir_okay=False), help="OSM extract (.osm.pbf, .osm, .osm.gz).")
@click.option(
    "--cameras",
    "cameras_file",
    type=click.Path(dir_okay=False),
    help="Camera file (CSV, GeoJSON or OSM); default: the registry in --db.",
)
@db_option
@click.option("--level", help="Required level: detection, observation, recognition, identification, or px/m.")
@click.option("--config", type=click.Path(dir_okay=False), help="TOML/JSON coverage config (unknown keys rejected).")
@click.option(
    "--unknown-direction",
    type=click.Choice(["not-covering", "omni"]),
    help="How cameras with no recorded direction count (default not-covering).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--no-map", is_flag=True, help="Skip drawing coverage.png.")
def coverage(
    osm: str,
    cameras_file: str | None,
    db_url: str | None,
    level: str | None,
    config: str | None,
    unknown_direction: str | None,
    out: str,
    no_map: bool,
) -> None:
    """Which intersections, main-road nodes, crowded areas, key sites and boundary crossings no camera sees."""
    summary = run(osm, cameras_file, db_url, level, config, unknown_direction, out, draw_map=not no_map)
    click.echo(
        f"coverage of {osm} at {summary['level']} ({summary['px_per_m']:g} px/m), "
        f"metric CRS {summary['projected_crs']}:"
    )
    print_summary(summary, Path(out))
