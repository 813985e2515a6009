"""search: on PostgreSQL, TRUNCATE of the case query and review logs is refused too

Revision ID: search_0003
Revises: search_0002

search_0001's row triggers refuse UPDATE and DELETE; PostgreSQL's TRUNCATE fires no row triggers, so the
append-only logs could be emptied there. SQLite has no TRUNCATE.
"""

from alembic import op

revision = "search_0003"
down_revision = "search_0002"
branch_labels = None
depends_on = None

TABLES = ("search_case_queries", "search_reviews")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
