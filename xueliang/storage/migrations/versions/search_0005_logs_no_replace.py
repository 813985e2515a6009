"""search: on SQLite, INSERT OR REPLACE / REPLACE INTO cannot overwrite the case query and review logs

Revision ID: search_0005
Revises: search_0004

search_0001's UPDATE and DELETE triggers do not fire when SQLite's REPLACE conflict resolution deletes
the old row. A BEFORE INSERT trigger refuses an insert whose id is taken, before the conflict
resolution runs. PostgreSQL's ``ON CONFLICT DO UPDATE`` already fires the UPDATE trigger.
"""

from alembic import op

revision = "search_0005"
down_revision = "search_0004"
branch_labels = None
depends_on = None

TABLES = ("search_case_queries", "search_reviews")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
