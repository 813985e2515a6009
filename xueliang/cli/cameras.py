"""``xueliang cameras``: the camera registry."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from xueliang.cli._common import FILE, FOLDER, db_option, echo_import_notes, open_db, tally
from xueliang.cli._lang import _, current


@click.group()
def cameras() -> None:
    """Import and list the camera registry (CSV, GeoJSON, OSM extracts)."""


@cameras.command("import")
@click.argument("files", nargs=-1, required=True, type=FILE)
@db_option
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="CSV/GeoJSON: import the good rows and list the bad ones in the report (default: all or nothing).",
)
@click.option(
    "--report",
    "report_dir",
    type=FOLDER,
    default=".",
    show_default=True,
    help="Folder for import_report.csv (written when a record was left out or a tag could not be used).",
)
def import_cmd(files: tuple[str, ...], db_url: str | None, skip_bad_rows: bool, report_dir: str) -> None:
    """Import camera FILES. A registry (CSV, GeoJSON) goes in whole or not at all unless --skip-bad-rows;
    an OSM extract is community data: unusable tags are left unknown and listed, the cameras kept."""
    from geo.registry import import_camera_file

    db = open_db(db_url)
    for f in files:
        r = import_camera_file(db, f, skip_bad_rows=skip_bad_rows)
        click.echo(
            _(
                "%(file)s: %(counts)s (sha256 %(sha)s) -> %(db)s",
                file=f,
                counts=tally(added=r.added, updated=r.updated, unknown_direction=r.unknown_direction),
                sha=r.sha256[:12],
                db=db.url,
            )
        )
        if r.read is not None and r.read.notes:
            name = "import_report.csv" if len(files) == 1 else f"{Path(f).name}.import_report.csv"
            echo_import_notes(r.read, Path(report_dir) / name)


@cameras.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per camera.")
def list_cmd(db_url: str | None, as_json: bool) -> None:
    """List registered cameras with a summary by admin unit and kind."""
    from dataclasses import asdict

    from geo.registry import load_cameras

    cams = load_cameras(open_db(db_url))
    if as_json:
        for c in cams:
            click.echo(json.dumps(asdict(c), ensure_ascii=False))
        return
    unknown = sum(c.heading_deg is None for c in cams)
    click.echo(
        _(
            "%(n)s cameras, %(channels)s channels, %(unknown)s with unknown direction",
            n=len(cams),
            channels=sum(c.channels for c in cams),
            unknown=unknown,
        )
    )
    for kind, n in sorted(Counter(c.kind for c in cams).items()):
        click.echo(_("  kind %(kind)s: %(n)s", kind=current().gettext(kind), n=n))
    for unit, n in sorted(Counter(c.admin_unit or _("(none)") for c in cams).items()):
        click.echo(f"  {unit}: {n}")
