"""ledger: on PostgreSQL, TRUNCATE of the change history is refused too

Revision ID: ledger_0002
Revises: ledger_0001

ledger_0001's row triggers refuse UPDATE and DELETE; PostgreSQL's TRUNCATE fires no row triggers, so the
append-only history could be emptied there. SQLite has no TRUNCATE.
"""

from alembic import op

revision = "ledger_0002"
down_revision = "ledger_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER ledger_history_no_truncate BEFORE TRUNCATE ON ledger_history "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_history_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_history_no_truncate ON ledger_history")
