"""The ``xueliang`` command: a thin shell over the library.

Each command parses its options, calls the library and prints. Errors the project raises on
purpose print as one line and exit with code 2, without a traceback. Anything else is a bug: it
prints as one line naming a log file that holds the traceback (for a bug report), exit code 1.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click

from xueliang import __version__
from xueliang.cli._lang import LANG_CHOICES, _, current, use_language
from xueliang.errors import XueliangError

LOG_DIR_ENV = "XUELIANG_LOG_DIR"


def crash_log_dir() -> Path:
    """Where tracebacks of unexpected errors go: ``$XUELIANG_LOG_DIR``, else ``<tmp>/xueliang-logs``."""
    return Path(os.environ.get(LOG_DIR_ENV) or Path(tempfile.gettempdir()) / "xueliang-logs")


def write_crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    """The traceback of ``exc`` in a new log file; None when no log file could be written."""
    now = dt.datetime.now(dt.UTC)
    try:
        d = crash_log_dir()
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"crash-{now:%Y%m%dT%H%M%S}-{os.getpid()}.log"
        text = "".join(traceback.format_exception(exc))
        path.write_text(
            f"xueliang {__version__}, {now.isoformat()}\ncommand: xueliang {' '.join(argv)}\n\n{text}", encoding="utf-8"
        )
    except OSError:
        return None
    return path


def report_crash(exc: BaseException, argv: list[str]) -> None:
    """One line on stderr for an unexpected error, its traceback in a log file (the caller exits with 1)."""
    log = write_crash_log(exc, argv)
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    if log:
        line = _(
            "unexpected %(kind)s: %(what)s (a bug in xueliang; the traceback is in %(log)s)",
            kind=type(exc).__name__,
            what=first,
            log=log,
        )
    else:
        line = _("unexpected %(kind)s: %(what)s (a bug in xueliang)", kind=type(exc).__name__, what=first)
    click.echo(_("error: %(message)s", message=line), err=True)


def error_line(exc: XueliangError) -> str:
    """``error: ...`` for a project error, in the command's language (English if the language is unreadable)."""
    from xueliang.i18n import translator
    from xueliang.i18n.errors import translate_error

    try:
        t = current()
    except XueliangError:  # an unreadable $XUELIANG_LANG: say so in English
        t = translator("en")
    return t("error: %(message)s", message=translate_error(exc, t))


class XueliangGroup(click.Group):
    """A click group that turns project errors into one line on stderr and exit code 2, and any other
    exception into one line and exit code 1, with the traceback in a log file."""

    def invoke(self, ctx: click.Context) -> Any:
        from xueliang.storage.database import audit_origin

        try:
            with audit_origin("cli"):
                return super().invoke(ctx)
        except XueliangError as exc:
            click.echo(error_line(exc), err=True)
            ctx.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            report_crash(exc, sys.argv[1:])
            ctx.exit(1)


@click.group(cls=XueliangGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xueliang")
@click.option(
    "--lang",
    type=click.Choice(LANG_CHOICES),
    default=None,
    help="Language of the messages: en or zh-CN (default: $XUELIANG_LANG, else LC_ALL/LC_MESSAGES/LANG, else en).",
)
def cli(lang: str | None) -> None:
    """Toolkit for public video-surveillance programmes.

    Planners: `cameras`, `coverage`. Reviewers: `report`. Web app: `users`, `serve`.
    Start with `xueliang demo`.
    """
    use_language(lang)


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

    commands: tuple[click.Command, ...] = (
        cameras.cameras,
        coverage.coverage,
        plan.plan,
        ledger.ledger,
        demo.demo,
        index.index,
        report.report,
        serve.serve,
        users.users,
        passes.passes,
        tactics.tactics,
        watch.watch,
        search.search,
        search.similar,
        search.similar_index,
        search.trajectory,
        search.review,
        search.export,
    )
    for cmd in commands:
        cli.add_command(cmd)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="xueliang", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # raised outside a command (while parsing the top-level options)
        report_crash(exc, sys.argv[1:] if argv is None else argv)
        sys.exit(1)
    sys.exit(0)
