"""``xueliang demo``: the main job on the embedded defaults."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Run coverage on the sample town into ./xueliang.db and ./xueliang-out/."""
    raise click.UsageError("not yet")
