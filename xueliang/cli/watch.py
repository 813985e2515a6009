"""``xueliang watch add | list | remove | alerts | ack | check``: watch lists (布控), thin shells."""

from __future__ import annotations

import json

import click

from xueliang.cli._common import db_option, open_db
from xueliang.cli._lang import _, iso_time


@click.group()
def watch() -> None:
    """Watch lists: alert when an imported pass or an indexed sighting matches a rule."""


@watch.command("add")
@click.option("--plate", metavar="PATTERN", help="Plate pattern: * any run, ? one character (晋M*12*).")
@click.option("--exact", is_flag=True, help="Plate: no one-character-off matches.")
@click.option("--colour", "--color", "colours", multiple=True, metavar="NAME", help="Body colour(s).")
@click.option("--type", "types", multiple=True, metavar="NAME", help="Vehicle type(s).")
@click.option("--plate-state", "states", multiple=True, metavar="STATE", help="visible, covered, absent, unknown.")
@click.option("--note", help="Why this vehicle is watched.")
@click.option("--case", "case_id", metavar="ID", help="The investigation the rule belongs to.")
@click.option("--actor", metavar="NAME", help="Who adds it, for the audit log (default: OS user).")
@db_option
def add_cmd(
    plate: str | None,
    exact: bool,
    colours: tuple[str, ...],
    types: tuple[str, ...],
    states: tuple[str, ...],
    note: str | None,
    case_id: str | None,
    actor: str | None,
    db_url: str | None,
) -> None:
    """Add a rule; every later import or index run checks new sightings against it."""
    from xueliang.investigate.watch import add_rule

    rule = add_rule(
        open_db(db_url),
        plate=plate,
        exact=exact,
        colours=colours,
        vehicle_types=types,
        plate_states=states,
        note=note,
        case_id=case_id,
        actor=actor,
    )
    click.echo(f"rule {rule.id}: {rule.describe()}")


@watch.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include removed rules.")
@db_option
def list_cmd(show_all: bool, db_url: str | None) -> None:
    """List the rules."""
    from xueliang.investigate.watch import rules

    for r in rules(open_db(db_url), active_only=not show_all):
        state = "" if r.active else " [removed]"
        click.echo(f"{r.id}: {r.describe()}{state} (by {r.created_by}, {r.created_at:%Y-%m-%d}) {r.note or ''}")


@watch.command("remove")
@click.argument("rule_id", type=int)
@click.option("--actor", metavar="NAME")
@db_option
def remove_cmd(rule_id: int, actor: str | None, db_url: str | None) -> None:
    """Deactivate a rule (kept with its alerts)."""
    from xueliang.investigate.watch import remove_rule

    r = remove_rule(open_db(db_url), rule_id, actor=actor)
    click.echo(f"rule {r.id} removed: {r.describe()}")


@watch.command("alerts")
@click.option("--rule", "rule_id", type=int, help="Only this rule's alerts.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
def alerts_cmd(rule_id: int | None, limit: int, as_json: bool, db_url: str | None) -> None:
    """Show alerts, newest first."""
    from xueliang.investigate.watch import alerts, describe_alert

    found = alerts(open_db(db_url), rule_id=rule_id, limit=limit)
    if as_json:
        rows = [
            {
                "alert": a.id,
                "rule": a.rule.id,
                "sighting": a.sighting_id,
                "camera_id": a.camera_id,
                "seen_at": a.seen_at.isoformat(),
                "plate": a.plate_text,
                "colour": a.colour,
                "vehicle_type": a.vehicle_type,
                "source": a.source,
                "raised_at": a.raised_at.isoformat(),
                "acknowledged_by": a.acknowledged_by,
                "acknowledged_at": None if a.acknowledged_at is None else a.acknowledged_at.isoformat(),
            }
            for a in found
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for a in found:
        click.echo(describe_alert(a))


@watch.command("ack")
@click.argument("alert_id", type=int)
@click.option("--note", default="", help="What was done (kept with the acknowledgement).")
@click.option("--actor", metavar="NAME")
@db_option
def ack_cmd(alert_id: int, note: str, actor: str | None, db_url: str | None) -> None:
    """Acknowledge an alert (once; audited as watch-ack)."""
    from xueliang.investigate.watch import acknowledge

    a = acknowledge(open_db(db_url), alert_id, actor=actor, note=note)
    at = iso_time(a.acknowledged_at) if a.acknowledged_at else ""
    click.echo(_("alert %(id)s acknowledged by %(actor)s at %(at)s", id=a.id, actor=a.acknowledged_by, at=at))


@watch.command("check")
@click.option("--after-id", default=0, show_default=True, help="Check sightings with a higher id.")
@click.option("--actor", metavar="NAME")
@db_option
def check_cmd(after_id: int, actor: str | None, db_url: str | None) -> None:
    """Check stored sightings against the active rules (new alerts only)."""
    from xueliang.investigate.watch import check_new, describe_alert

    found = check_new(open_db(db_url), after_id=after_id, actor=actor)
    for a in found:
        click.echo(describe_alert(a))
    click.echo(_("%(n)s new alert(s)", n=len(found)))
