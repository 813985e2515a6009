"""The audit log records where a search came from (cli, web, library) and the OS user of the process,
besides the actor the caller claims (``--actor``); refused CLI searches are audited too."""

from __future__ import annotations

import getpass
import json

from click.testing import CliRunner

from xueliang.cli import cli
from xueliang.storage import Database


def test_claimed_actor_is_kept_with_the_os_user_and_origin(db: Database, db_url: str) -> None:
    from xueliang.investigate.search import SightingQuery, search

    r = CliRunner().invoke(cli, ["search", "--colour", "white", "--actor", "someone_else", "--db", db_url])
    assert r.exit_code == 0, r.output
    search(db, SightingQuery(colours=("red",)), actor="lib_user")
    rows = list(reversed(db.audit_log()))
    assert [(a.actor, a.origin, a.os_user) for a in rows] == [
        ("someone_else", "cli", getpass.getuser()),
        ("lib_user", "library", getpass.getuser()),
    ]


def test_refused_cli_search_is_audited(db: Database, db_url: str) -> None:
    r = CliRunner().invoke(cli, ["search", "--from", "yesterday-ish", "--actor", "li", "--db", db_url])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert db.audit_log(), r.output
    row = db.audit_log()[0]
    assert (row.action, row.actor, row.origin) == ("search-refused", "li", "cli")
    q = json.loads(row.query)
    assert q["options"]["from_"] == "yesterday-ish" and q["why"] in r.output
