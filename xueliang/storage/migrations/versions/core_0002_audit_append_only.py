"""core: the audit log is append-only (UPDATE and DELETE refused; on PostgreSQL TRUNCATE too)

Revision ID: core_0002
Revises: core_0001

Every search and export by a person is written to ``audit_log``; nothing may rewrite or remove that
record, whatever the code does. Triggers from :mod:`xueliang.storage.append_only`, whose DDL is frozen
(shared with the ledger and search logs; a migration must not import code that may change later).
"""

from alembic import op

from xueliang.storage.append_only import drop_append_only_function, refuse_truncate, refuse_update_delete

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    refuse_update_delete("audit_log")
    refuse_truncate("audit_log")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    drop_append_only_function("audit_log")
