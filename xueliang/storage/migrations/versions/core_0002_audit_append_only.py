"""core: the audit log is append-only (UPDATE and DELETE refused; on PostgreSQL TRUNCATE too)

Every search and export by a person is written to ``audit_log``; nothing may rewrite or remove that
record, whatever the code does. Triggers from :mod:`xueliang.storage.append_only`, whose DDL is frozen
(shared with the ledger and search logs; a migration must not import code that may change later).
"""

from xueliang.storage.append_only import (
    drop_append_only_function,
    drop_sqlite_triggers,
    refuse_truncate,
    refuse_update_delete,
)

revision, down_revision = "core_0002", "core_0001"


def upgrade() -> None:
    refuse_update_delete("audit_log")
    refuse_truncate("audit_log")


def downgrade() -> None:
    drop_sqlite_triggers("audit_log", "update", "delete")
    drop_append_only_function("audit_log")
