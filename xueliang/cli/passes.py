"""``xueliang passes import | generate | export``: checkpoint pass records, thin shells."""

from __future__ import annotations

import time
from pathlib import Path

import click

from xueliang.cli._common import FILE, FOLDER, db_option, echo_rejections, open_db, tally
from xueliang.cli._lang import _


@click.group()
def passes() -> None:
    """Checkpoint (卡口) pass records: import GA/T 1400 JSON or CSV, generate a test city, export Parquet."""


@passes.command("import")
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option("--tz", default="+08:00", show_default=True, help="UTC offset of PassTime values without one.")
@click.option("--map", "pairs", multiple=True, metavar="FIELD=COLUMN", help="CSV: the column of a GA/T 1400 field.")
@click.option("--mapping", type=FILE, help="CSV: a TOML/JSON file of FIELD = COLUMN.")
@click.option("--report", type=FILE, help="Write every rejected record to this CSV.")
@click.option("--quiet", is_flag=True, help="Do not print each rejected record.")
@click.option("--actor", metavar="NAME", help="Who imports, for the audit log (default: OS user).")
@db_option
def import_cmd(
    files: tuple[str, ...],
    tz: str,
    pairs: tuple[str, ...],
    mapping: str | None,
    report: str | None,
    quiet: bool,
    actor: str | None,
    db_url: str | None,
) -> None:
    """Import pass FILES (.json GA/T 1400 MotorVehicleListObject, or .csv) as checkpoint sightings.

    Each file is one transaction; a MotorVehicleID already stored is skipped (re-imports add
    nothing); records with bad fields or an unregistered DeviceID are rejected and reported.
    Active watch-list rules are checked against the new passes.
    """
    from xueliang.investigate.passes import load_columns, parse_offset, write_rejections
    from xueliang.investigate.passes_store import device_map, import_files
    from xueliang.investigate.watch import check_new, describe_alert

    offset = parse_offset(tz)
    columns = load_columns(mapping, pairs) if (mapping or pairs) else None
    db = open_db(db_url)
    devices = device_map(db)
    reports = []
    t0 = time.perf_counter()
    # the next file is read in a second process while this one is stored; strict: the reader is shut down
    results = import_files(db, files, columns=columns, tz=offset, devices=devices, actor=actor)
    for f, result in zip(files, results, strict=True):
        took = time.perf_counter() - t0
        reports.append((f, result.rejections))
        if not quiet:
            echo_rejections(result.rejections, f)
        rate = result.records_read / took if took > 0 else 0.0
        counts = tally(
            read=result.records_read,
            added=result.added,
            already=result.already,
            rejected=len(result.rejections),
        )
        click.echo(_("%(file)s: %(counts)s (%(rate)s records/s)", file=f, counts=counts, rate=f"{rate:,.0f}"))
        if result.first_id is not None:
            for alert in check_new(db, after_id=result.first_id - 1, actor=actor):
                click.echo(describe_alert(alert))
        t0 = time.perf_counter()
    from xueliang.investigate.plate_index import refresh

    refresh(db)  # the plate index of `search --plate` without a window
    if report:
        n = write_rejections(report, reports)
        click.echo(f"rejection report: {report} ({n} records)")


@passes.command("generate")
@click.option("--out", required=True, type=FOLDER, help="Folder to write into.")
@click.option("--checkpoints", default=100, show_default=True, help="Checkpoints (rounded up to a square grid).")
@click.option("--vehicles", default=1000, show_default=True, help="Background vehicles.")
@click.option("--days", default=8, show_default=True)
@click.option("--seed", default=0, show_default=True)
def generate_cmd(out: str, checkpoints: int, vehicles: int, days: int, seed: int) -> None:
    """Write a synthetic city: cameras.csv, passes-YYYYMMDD.json per day, truths.json (planted answers)."""
    from xueliang.errors import InputError
    from xueliang.investigate.passes_generate import generate_city, write_city

    for name, value, low in (("--checkpoints", checkpoints, 1), ("--vehicles", vehicles, 1), ("--days", days, 2)):
        if value < low:
            raise InputError(name, f"expected at least {low}, got {value}")
    city = generate_city(checkpoints=checkpoints, vehicles=vehicles, days=days, seed=seed)
    files = write_city(city, Path(out))
    click.echo(f"{len(city)} passes at {len(city.checkpoints)} checkpoints over {days} days -> {out}")
    click.echo(f"files: {', '.join(p.name for p in files[:3])}{', ...' if len(files) > 3 else ''}")
    click.echo(f"next: xueliang cameras import {Path(out) / 'cameras.csv'}; xueliang passes import {out}/passes-*.json")


@passes.command("export")
@click.option("--out", required=True, type=FOLDER, help="Parquet folder (day=YYYY-MM-DD/...).")
@db_option
def export_cmd(out: str, db_url: str | None) -> None:
    """Export sightings (checkpoint and video) to Parquet partitioned by day, incrementally."""
    from xueliang.investigate.tactics.columnar import export_parquet

    rows, files = export_parquet(open_db(db_url), Path(out))
    click.echo(f"{rows} sightings exported in {files} files -> {out}")
