"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from xueliang.cli._lang import _, current
from xueliang.config import resolve_db_url
from xueliang.i18n import N_
from xueliang.storage import Database, open_database

if TYPE_CHECKING:
    from geo.cameras import CameraRead

F = TypeVar("F", bound=Callable[..., Any])
# integers that reach the database (ids, limits): SQLite and PostgreSQL store at most a signed 64-bit value
SQL_INT = click.IntRange(max=2**63 - 1)
# an option's path: a file (not a folder), or a folder (not a file); existence is checked by the command
FILE = click.Path(dir_okay=False)
FOLDER = click.Path(file_okay=False)


class Rejected(Protocol):
    """A record an import left out (a ledger row, a vehicle pass)."""

    def message(self, source: str) -> str: ...


class NumberRange(click.FloatRange):
    """click.FloatRange that also refuses NaN (NaN compares false with both bounds, so FloatRange lets it in)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        out = super().convert(value, param, ctx)
        if out != out:
            self.fail(f"expected a number in {self._describe_range()}, got {value!r}", param, ctx)
        return out


def db_option(func: F) -> F:
    """``--db URL``; falls back to ``$XUELIANG_DB``, then ``./xueliang.db``."""
    return click.option(
        "--db",
        "db_url",
        default=None,
        metavar="URL",
        help="Database URL (default: $XUELIANG_DB, else sqlite file ./xueliang.db).",
    )(func)


def open_db(db_url: str | None) -> Database:
    """The command's database; its connections are closed when the command ends (however it ends)."""
    db = open_database(resolve_db_url(db_url))
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(db.dispose)
    return db


@contextmanager
def opened_db(db_url: str | None) -> Iterator[Database]:
    """:func:`open_db`, disposed of when the block ends (however it ends)."""
    db = open_db(db_url)
    try:
        yield db
    finally:
        db.dispose()


# the counts a summary line may hold (see :func:`tally`), in the order the caller gives them
COUNTS = {
    "rows_read": N_("%(n)s rows read"),
    "read": N_("%(n)s read"),
    "added": N_("%(n)s added"),
    "updated": N_("%(n)s updated"),
    "unchanged": N_("%(n)s unchanged"),
    "already": N_("%(n)s already stored"),
    "rejected": N_("%(n)s rejected"),
    "unknown_direction": N_("%(n)s with unknown direction"),
}


def tally(**counts: int) -> str:
    """The counts of a summary line in the command's language, named as in :data:`COUNTS`:
    ``tally(added=3, updated=1)`` is "3 added, 1 updated" (zh-CN: "新增 3，更新 1")."""
    sep = ", " if current().lang == "en" else "，"
    return sep.join(_(COUNTS[name], n=n) for name, n in counts.items())


def echo_rejections(rejections: Iterable[Rejected], file: str) -> None:
    """``rejected: WHY`` on stderr for each record of ``file`` an import left out."""
    for r in rejections:
        click.echo(_("rejected: %(why)s", why=r.message(file)), err=True)


def echo_import_notes(read: CameraRead, path: Path) -> None:
    """Write the import report and say in one or two lines what it holds."""
    from geo.cameras import write_import_report

    write_import_report(path, read)
    echo_import_counts(read.noted_records, read.rejected_records, read.reasons(), path)


def echo_import_counts(noted: int, rejected: int, reasons_by: dict[str, int], path: Path) -> None:
    """``12 cameras with unusable tags: see DIR/import_report.csv`` and the records left out, by reason."""
    if noted:
        one, many = (
            N_("  %(n)s camera with unusable tags: see %(path)s"),
            N_("  %(n)s cameras with unusable tags: see %(path)s"),
        )
        click.echo(_(one if noted == 1 else many, n=noted, path=path))
    if rejected:
        reasons = sorted(reasons_by.items(), key=lambda kv: -kv[1])
        why = "; ".join(f"{n} {reason}" for reason, n in reasons[:3]) + ("; ..." if len(reasons) > 3 else "")
        click.echo(_("  %(n)s records left out (%(why)s): see %(path)s", n=rejected, why=why, path=path))


def echo_progress(message: str) -> None:
    """A progress line of a long run (``  ... message`` on stderr), in the command's language."""
    from xueliang.cli._lang import current
    from xueliang.i18n.errors import translate_label

    click.echo(f"  ... {translate_label(message, current())}", err=True)
