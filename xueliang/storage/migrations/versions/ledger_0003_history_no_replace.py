"""ledger: on SQLite, INSERT OR REPLACE / REPLACE INTO cannot overwrite a ledger_history row

Revision ID: ledger_0003
Revises: ledger_0002

ledger_0001's UPDATE and DELETE triggers do not fire when SQLite's REPLACE conflict resolution deletes
the old row, so ``REPLACE INTO ledger_history (id, ...)`` rewrote history. A BEFORE INSERT trigger
refuses an insert whose id is taken, before the conflict resolution runs. PostgreSQL's ``ON CONFLICT
DO UPDATE`` already fires the UPDATE trigger.
"""

from alembic import op

revision = "ledger_0003"
down_revision = "ledger_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER ledger_history_no_replace BEFORE INSERT ON ledger_history "
            "WHEN EXISTS (SELECT 1 FROM ledger_history WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_history is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ledger_history_no_replace")
