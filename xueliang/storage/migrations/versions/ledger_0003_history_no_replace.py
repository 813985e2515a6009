"""ledger: on SQLite, INSERT OR REPLACE / REPLACE INTO cannot overwrite a ledger_history row

ledger_0001's UPDATE and DELETE triggers do not fire when SQLite's REPLACE conflict resolution deletes
the old row, so ``REPLACE INTO ledger_history (id, ...)`` rewrote history. A BEFORE INSERT trigger
refuses an insert whose id is taken, before the conflict resolution runs. PostgreSQL's ``ON CONFLICT
DO UPDATE`` already fires the UPDATE trigger.
"""

from xueliang.storage.append_only import drop_sqlite_triggers, refuse_replace

revision, down_revision = "ledger_0003", "ledger_0002"


def upgrade() -> None:
    refuse_replace("ledger_history")


def downgrade() -> None:
    drop_sqlite_triggers("ledger_history", "replace")
