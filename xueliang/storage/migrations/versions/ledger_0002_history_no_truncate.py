"""ledger: on PostgreSQL, TRUNCATE of the change history is refused too

Revision ID: ledger_0002
Revises: ledger_0001

ledger_0001's row triggers refuse UPDATE and DELETE; PostgreSQL's TRUNCATE fires no row triggers, so the
append-only history could be emptied there. SQLite has no TRUNCATE.
"""

from xueliang.storage.append_only import drop_truncate_refusal, refuse_truncate

revision = "ledger_0002"
down_revision = "ledger_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    refuse_truncate("ledger_history")


def downgrade() -> None:
    drop_truncate_refusal("ledger_history")
