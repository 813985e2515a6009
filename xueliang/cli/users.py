"""``xueliang users``: logins of the web app, each with one role."""

from __future__ import annotations

import os

import click

from xueliang.cli._common import db_option, open_db
from xueliang.cli._lang import _, current
from xueliang.errors import InputError


@click.group()
def users() -> None:
    """Logins of the web app (roles: planner, investigator, reviewer, admin)."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["planner", "investigator", "reviewer", "admin"]), help="The role."
)
@click.option("--password-env", metavar="VAR", help="Read the password from this environment variable (else prompt).")
@click.option("--replace", is_flag=True, help="Reset the role and password of an existing user.")
@db_option
def add_cmd(name: str, role: str, password_env: str | None, replace: bool, db_url: str | None) -> None:
    """Add user NAME with a role; the password is stored as an argon2id hash."""
    from xueliang.web.users import add_user

    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise InputError("--password-env", f"environment variable {password_env!r} is not set")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    db = open_db(db_url)
    user = add_user(db, name, role, password, replace=replace)
    click.echo(
        _("user %(name)s (%(role)s) saved in %(db)s", name=user.name, role=current().gettext(user.role), db=db.url)
    )


@users.command("list")
@db_option
def list_cmd(db_url: str | None) -> None:
    """List users and their roles."""
    from xueliang.web.users import list_users

    for u in list_users(open_db(db_url)):
        click.echo(f"{u.name}\t{u.role}")


@users.command("disable")
@click.argument("name")
@db_option
def disable_cmd(name: str, db_url: str | None) -> None:
    """Block NAME from logging in and end its open sessions (`users add NAME --replace` re-enables)."""
    from xueliang.web.users import disable_user

    ended = disable_user(open_db(db_url), name)
    click.echo(_("%(name)s: disabled; %(n)s open session(s) ended", name=name, n=ended))
