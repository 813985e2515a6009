"""ledger: on PostgreSQL, TRUNCATE of the change history is refused too

ledger_0001's row triggers refuse UPDATE and DELETE; PostgreSQL's TRUNCATE fires no row triggers, so the
append-only history could be emptied there. SQLite has no TRUNCATE.
"""

from xueliang.storage.append_only import drop_truncate_refusal, refuse_truncate

revision, down_revision = "ledger_0002", "ledger_0001"


def upgrade() -> None:
    refuse_truncate("ledger_history")


def downgrade() -> None:
    drop_truncate_refusal("ledger_history")
