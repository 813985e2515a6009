"""``xueliang users``: roles, hashed passwords, errors that say what was expected."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from xueliang.cli import cli
from xueliang.storage import open_database
from xueliang.web.tables import UserRow
from xueliang.web.users import authenticate

pytestmark = pytest.mark.postgresql  # db/db_url tests run on SQLite and PostgreSQL (tests/conftest.py)


def test_add_with_password_env_stores_an_argon2_hash(db_url: str) -> None:
    url = db_url
    r = CliRunner().invoke(
        cli,
        ["users", "add", "li", "--role", "investigator", "--password-env", "PW", "--db", url],
        env={"PW": "s3cret-enough"},
    )
    assert r.exit_code == 0, r.output
    db = open_database(url)
    with db.sessions() as s:
        row = s.get(UserRow, "li")
    assert row is not None and row.role == "investigator"
    assert row.password_hash.startswith("$argon2id$") and "s3cret-enough" not in row.password_hash
    assert authenticate(db, "li", "s3cret-enough") is not None
    assert authenticate(db, "li", "wrong-password") is None
    assert authenticate(db, "nobody", "s3cret-enough") is None
    db.dispose()


def test_add_with_prompt_and_duplicate(db_url: str) -> None:
    url = db_url
    runner = CliRunner()
    r = runner.invoke(cli, ["users", "add", "wang", "--role", "planner", "--db", url], input="longpassword\n" * 2)
    assert r.exit_code == 0, r.output
    again = runner.invoke(cli, ["users", "add", "wang", "--role", "admin", "--db", url], input="longpassword\n" * 2)
    assert again.exit_code == 2 and "user 'wang' exists (use --replace to reset)" in again.output
    listed = runner.invoke(cli, ["users", "list", "--db", url])
    assert listed.output.strip() == "wang\tplanner"


def test_bad_role_name_and_short_password(db_url: str) -> None:
    url = db_url
    runner = CliRunner()
    r = runner.invoke(cli, ["users", "add", "x", "--role", "boss", "--db", url])
    assert r.exit_code == 2 and "boss" in r.output
    r = runner.invoke(
        cli, ["users", "add", "x", "--role", "planner", "--password-env", "PW", "--db", url], env={"PW": "short"}
    )
    assert r.exit_code == 2 and "'password': expected at least 8 characters, got 5" in r.output
    r = runner.invoke(
        cli,
        ["users", "add", "a b", "--role", "planner", "--password-env", "PW", "--db", url],
        env={"PW": "longpassword"},
    )
    assert r.exit_code == 2 and "'name': expected 1-64 letters" in r.output
    r = runner.invoke(cli, ["users", "add", "x", "--role", "planner", "--password-env", "NOPE_UNSET", "--db", url])
    assert r.exit_code == 2 and "environment variable 'NOPE_UNSET' is not set" in r.output


def test_users_are_listed_in_code_point_order(db_url: str) -> None:
    from xueliang.web.users import add_user, list_users

    db = open_database(db_url)
    for name in ("li", "Li", "a-1", "a_1", "wang"):
        add_user(db, name, "planner", "longpassword")
    assert [u.name for u in list_users(db)] == sorted(["li", "Li", "a-1", "a_1", "wang"])
    db.dispose()
