"""``xueliang coverage``: blind spots of a town (filled in below)."""

from __future__ import annotations

import click


@click.command()
def coverage() -> None:
    """Coverage of intersections, main roads, crowded areas, key sites and boundary crossings."""
    raise click.UsageError("not yet")
