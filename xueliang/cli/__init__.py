"""The ``xueliang`` command: a thin shell over the library.

Each command parses its options, calls the library and prints. Errors the project raises on
purpose print as one line and exit with code 2, without a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from xueliang import __version__
from xueliang.errors import XueliangError


class XueliangGroup(click.Group):
    """A click group that turns project errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        from xueliang.storage.database import audit_origin

        try:
            with audit_origin("cli"):
                return super().invoke(ctx)
        except XueliangError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=XueliangGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xueliang")
def cli() -> None:
    """Toolkit for public video-surveillance programmes.

    Planners: `cameras`, `coverage`. Reviewers: `report`. Web app: `users`, `serve`.
    Start with `xueliang demo`.
    """


def _register() -> None:
    from xueliang.cli import (
        cameras,
        coverage,
        demo,
        index,
        ledger,
        passes,
        plan,
        report,
        search,
        serve,
        tactics,
        users,
        watch,
    )

    cli.add_command(cameras.cameras)
    cli.add_command(coverage.coverage)
    cli.add_command(plan.plan)
    cli.add_command(ledger.ledger)
    cli.add_command(demo.demo)
    cli.add_command(index.index)
    cli.add_command(report.report)
    cli.add_command(serve.serve)
    cli.add_command(users.users)
    cli.add_command(passes.passes)
    cli.add_command(tactics.tactics)
    cli.add_command(watch.watch)
    for cmd in (search.search, search.similar, search.similar_index, search.trajectory, search.review, search.export):
        cli.add_command(cmd)


_register()


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="xueliang", standalone_mode=True)
    sys.exit(0)
