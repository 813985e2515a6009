"""core: on SQLite, INSERT OR REPLACE / REPLACE INTO cannot overwrite an audit_log row

Revision ID: core_0003
Revises: core_0002

core_0002's UPDATE and DELETE triggers do not fire when SQLite's REPLACE conflict resolution deletes
the old row (recursive_triggers is off), so ``INSERT OR REPLACE INTO audit_log (id, ...)`` rewrote a
row. A BEFORE INSERT trigger refuses any insert whose id is already taken, before the conflict
resolution runs. On PostgreSQL the only way to rewrite by insert is ``ON CONFLICT DO UPDATE``, which
fires core_0002's UPDATE trigger.
"""

from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
