"""core: on SQLite, INSERT OR REPLACE / REPLACE INTO cannot overwrite an audit_log row

core_0002's UPDATE and DELETE triggers do not fire when SQLite's REPLACE conflict resolution deletes
the old row (recursive_triggers is off), so ``INSERT OR REPLACE INTO audit_log (id, ...)`` rewrote a
row. A BEFORE INSERT trigger refuses any insert whose id is already taken, before the conflict
resolution runs. On PostgreSQL the only way to rewrite by insert is ``ON CONFLICT DO UPDATE``, which
fires core_0002's UPDATE trigger.
"""

from xueliang.storage.append_only import drop_sqlite_triggers, refuse_replace

revision, down_revision = "core_0003", "core_0002"


def upgrade() -> None:
    refuse_replace("audit_log")


def downgrade() -> None:
    drop_sqlite_triggers("audit_log", "replace")
