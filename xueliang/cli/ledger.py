"""``xueliang ledger``: the case ledger (import, statistics, blind spots, a demo generator)."""

from __future__ import annotations

import datetime as dt

import click

from xueliang.cli._common import FILE, NumberRange, db_option, echo_rejections, open_db, tally
from xueliang.cli._lang import _, iso_time
from xueliang.errors import ConfigError, NotFoundError


@click.group()
def ledger() -> None:
    """Case ledger: how often video supported solving cases, with denominators and intervals."""


def _parse_day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(option, f"expected a date like 2024-01-31, got {value!r}") from None


@ledger.command("import", short_help="Import cases from CSV (UTF-8 or GBK) or .xlsx.")
@click.argument("file", type=FILE)
@click.option("--map", "pairs", multiple=True, metavar="FIELD=COLUMN", help="Read FIELD from COLUMN (repeatable).")
@click.option("--mapping", "mapping_file", type=FILE, help="TOML/JSON file of FIELD = COLUMN.")
@click.option("--report", "report", type=FILE, help="Write the rejected rows to this CSV.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of times written without an offset.")
@click.option("--sheet", default=None, help="Excel sheet to read (default: the first).")
@click.option("--header-row", default=1, show_default=True, type=int, help="Row of the header (after titles).")
@click.option("--quiet", is_flag=True, help="Do not print each rejected row.")
@db_option
def import_cmd(
    file: str,
    pairs: tuple[str, ...],
    mapping_file: str | None,
    report: str | None,
    tz: str,
    sheet: str | None,
    header_row: int,
    quiet: bool,
    db_url: str | None,
) -> None:
    """Import a ledger FILE (CSV in UTF-8 or GBK, or .xlsx); valid rows go in together, bad rows listed."""
    from xueliang.ledger.io import load_mapping, read_ledger, write_rejections
    from xueliang.ledger.schema import get_zone
    from xueliang.ledger.store import import_ledger

    mapping = load_mapping(mapping_file, pairs)
    now = dt.datetime.now(dt.UTC)
    parsed = read_ledger(file, mapping=mapping, tz=get_zone(tz), now=now, sheet=sheet, header_row=header_row)
    db = open_db(db_url)
    result = import_ledger(db, parsed, now=now)
    if not quiet:
        echo_rejections(result.rejections, file)
    if report:
        write_rejections(report, parsed)
    if result.ignored_columns:
        click.echo(_("%(file)s: ignored column(s) %(columns)s", file=file, columns=", ".join(result.ignored_columns)))
    counts = tally(
        rows_read=result.rows_read,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected_rows,
    )
    click.echo(
        _(
            "%(file)s (%(encoding)s): %(counts)s; %(history)s history rows (sha256 %(sha)s) -> %(db)s",
            file=file,
            encoding=result.encoding,
            counts=counts,
            history=result.history_rows,
            sha=result.sha256[:12],
            db=db.url,
        )
    )
    if report:
        click.echo(_("validation report: %(path)s (%(n)s problems)", path=report, n=len(result.rejections)))


@ledger.command("stats", short_help="Shares with numerators, denominators, intervals.")
@click.option("--by", type=click.Choice(["type", "area", "month", "year"]), default=None, help="Also per group.")
@click.option("--from", "from_", default=None, metavar="DATE", help="First day of occurrence (YYYY-MM-DD).")
@click.option("--to", "to", default=None, metavar="DATE", help="Last day of occurrence (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--claim",
    type=NumberRange(0, 1),
    default=None,
    metavar="SHARE",
    help="A claimed video-supported share of solved cases (e.g. 0.8) to check against the ledger.",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Date the statuses hold; open cases are censored there (default: the ledger's latest date).",
)
@db_option
def stats_cmd(
    by: str | None,
    from_: str | None,
    to: str | None,
    as_json: bool,
    claim: float | None,
    db_url: str | None,
    as_of: str | None = None,
) -> None:
    """Shares with their numerators, denominators and 95% intervals; solve rates with vs without video;
    time to solve with open cases censored, hazard and odds ratios, a matched comparison, the funnel."""
    from typing import cast

    from xueliang.ledger.metrics import GroupBy, ledger_stats
    from xueliang.ledger.render import render_json, render_text
    from xueliang.ledger.store import load_cases, registered_camera_ids

    start, end = _parse_day(from_, "--from"), _parse_day(to, "--to")
    if start and end and start > end:
        raise ConfigError("--from/--to", f"expected --from on or before --to, got {start} and {end}")
    db = open_db(db_url)
    table = load_cases(db)
    if len(table) == 0:
        raise ConfigError("ledger", f"no cases in {db.url}; run `xueliang ledger import FILE` first")
    stats = ledger_stats(
        table,
        start=start,
        end=end,
        by=cast(GroupBy | None, by),
        registered=registered_camera_ids(db),
        claim=claim,
        status_as_of=_parse_day(as_of, "--as-of"),
    )
    click.echo(render_json(stats) if as_json else render_text(stats))
    db.audit(
        actor=None,
        action="ledger.stats",
        query={"by": by, "from": from_, "to": to, "as_of": as_of},
        result_count=stats.cases,
    )


@ledger.command("blindspots", short_help="Cases outside camera views, as demand weights.")
@click.option("--coverage", "coverage_dir", required=True, type=click.Path(), help="Folder with coverage.gpkg.")
@click.option("--out", default=None, type=FILE, help="Write demand weights CSV here.")
@click.option("--tagged", default=None, type=FILE, help="Write every case with in_view.")
@click.option("--weight", type=click.Choice(["count", "unsolved"]), default="count", show_default=True)
@click.option("--type-weight", "type_weights", multiple=True, metavar="TYPE=W", help="Weight per crime type.")
@click.option("--decimals", default=4, show_default=True, type=click.IntRange(0, 8), help="Rounding of points.")
@click.option("--from", "from_", default=None, metavar="DATE", help="First day of occurrence (YYYY-MM-DD).")
@click.option("--to", "to", default=None, metavar="DATE", help="Last day of occurrence (YYYY-MM-DD).")
@db_option
def blindspots_cmd(
    coverage_dir: str,
    out: str | None,
    tagged: str | None,
    weight: str,
    type_weights: tuple[str, ...],
    decimals: int,
    from_: str | None,
    to: str | None,
    db_url: str | None,
) -> None:
    """Tag each case inside/outside the camera views; list blind-spot cases as demand weights."""
    from typing import cast

    from xueliang.ledger.blindspots import (
        WeightBy,
        find_blind_spots,
        read_views,
        write_case_tags,
        write_demand_csv,
    )
    from xueliang.ledger.metrics import between
    from xueliang.ledger.store import load_cases

    weights: dict[str, float] = {}
    for pair in type_weights:
        name, sep, value = pair.partition("=")
        try:
            weights[name.strip().lower()] = float(value)
        except ValueError:
            raise ConfigError("--type-weight", f"expected TYPE=NUMBER, got {pair!r}") from None
        if not sep or weights[name.strip().lower()] < 0:
            raise ConfigError("--type-weight", f"expected TYPE=NUMBER >= 0, got {pair!r}")
    union = read_views(coverage_dir)
    db = open_db(db_url)
    table = load_cases(db)
    table = table.select(between(table, _parse_day(from_, "--from"), _parse_day(to, "--to")))
    res = find_blind_spots(table, union, decimals=decimals, weight_by=cast(WeightBy, weight), type_weights=weights)
    click.echo(
        _(
            "%(cases)s cases: %(inside)s inside camera views, %(outside)s in blind spots, "
            "%(none)s without a place; %(points)s blind-spot points",
            cases=f"{res.cases:,}",
            inside=f"{res.inside:,}",
            outside=f"{res.outside:,}",
            none=f"{res.without_place:,}",
            points=f"{len(res.points):,}",
        )
    )
    for p in res.points[:20]:
        more = " ..." if len(p.case_ids) > 5 else ""
        click.echo(f"  {p.lon:.6f},{p.lat:.6f}  weight {p.weight:g}  {';'.join(p.case_ids[:5])}{more}")
    if out:
        write_demand_csv(out, res.points)
        click.echo(_("demand weights: %(path)s (%(n)s points)", path=out, n=len(res.points)))
    if tagged:
        write_case_tags(tagged, table, res)
        click.echo(_("cases tagged in/out of view: %(path)s (%(n)s cases)", path=tagged, n=res.cases))
    if out or tagged:
        query = {
            "coverage": coverage_dir,
            "out": out,
            "tagged": tagged,
            "weight": weight,
            "from": from_,
            "to": to,
        }
        db.audit(actor=None, action="ledger.blindspots", query=query, result_count=res.outside)


@ledger.command("history", short_help="Recorded changes of a case, or of all cases.")
@click.argument("case_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change.")
@db_option
def history_cmd(case_id: str | None, as_json: bool, db_url: str | None) -> None:
    """Every recorded change (of CASE_ID, or of all cases): field, old and new value, when, source file."""
    import json
    from dataclasses import asdict

    from xueliang.ledger.store import case_history

    entries = case_history(open_db(db_url), case_id)
    if case_id is not None and not entries:
        raise NotFoundError(f"case {case_id!r}: no history in the ledger")
    for h in entries:
        if as_json:
            click.echo(json.dumps(asdict(h), ensure_ascii=False, default=str))
        else:
            at = iso_time(h.changed_at)[:19].replace("T", " ")
            click.echo(
                f"{at} {h.case_id} {h.field}: {h.old_value!r} -> {h.new_value!r} "
                + _("(%(source)s row %(row)s)", source=h.source, row=h.source_row)
            )


@ledger.command("generate", short_help="Write a synthetic ledger for demos.")
@click.option("--n", "n", default=5000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--out", required=True, type=FILE, help="CSV (or .xlsx) to write.")
@click.option("--bbox", default=None, metavar="LON0,LAT0,LON1,LAT1", help="Area of the cases (default: Monaco).")
@click.option("--start", default="2020-01-01", show_default=True, help="First day of occurrence.")
@click.option("--end", default="2026-06-30", show_default=True, help="Last day of occurrence.")
@click.option("--cameras", "n_cameras", default=150, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--bad", default=0, show_default=True, type=click.IntRange(0, 100_000), help="Broken rows to add.")
@click.option("--encoding", default="utf-8", show_default=True, type=click.Choice(["utf-8", "gbk"]))
@click.option(
    "--camera-id", "camera_ids", multiple=True, metavar="ID", help="Link cases to these camera ids (repeatable)."
)
def generate_cmd(
    n: int,
    seed: int,
    out: str,
    bbox: str | None,
    start: str,
    end: str,
    n_cameras: int,
    bad: int,
    encoding: str,
    camera_ids: tuple[str, ...] = (),
) -> None:
    """Write a realistic synthetic ledger for demos (rates near the published studies)."""
    from xueliang.ledger.generate import DEFAULT_BBOX, generate_ledger, write_ledger

    box = DEFAULT_BBOX
    if bbox:
        try:
            parts = tuple(float(v) for v in bbox.split(","))
        except ValueError:
            parts = ()
        if len(parts) != 4:
            raise ConfigError("--bbox", f"expected four numbers LON0,LAT0,LON1,LAT1, got {bbox!r}")
        box = (parts[0], parts[1], parts[2], parts[3])
    first, last = _parse_day(start, "--start"), _parse_day(end, "--end")
    assert first is not None and last is not None
    gen = generate_ledger(
        n, seed=seed, bbox=box, start=first, end=last, n_cameras=n_cameras, bad=bad, camera_ids=camera_ids
    )
    write_ledger(out, gen, encoding=encoding)
    click.echo(f"{out}: {len(gen.rows):,} rows ({n:,} cases, {len(gen.bad_rows)} deliberately bad), seed {seed}")
    for b in gen.bad_rows:
        click.echo(f"  bad row {b}")
