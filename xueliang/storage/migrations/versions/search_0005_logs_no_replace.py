"""search: on SQLite, INSERT OR REPLACE / REPLACE INTO cannot overwrite the case query and review logs

search_0001's UPDATE and DELETE triggers do not fire when SQLite's REPLACE conflict resolution deletes
the old row. A BEFORE INSERT trigger refuses an insert whose id is taken, before the conflict
resolution runs. PostgreSQL's ``ON CONFLICT DO UPDATE`` already fires the UPDATE trigger.
"""

from xueliang.storage.append_only import drop_sqlite_triggers, refuse_replace

revision, down_revision = "search_0005", "search_0004"

TABLES = ("search_case_queries", "search_reviews")


def upgrade() -> None:
    refuse_replace(*TABLES)


def downgrade() -> None:
    for table in TABLES:
        drop_sqlite_triggers(table, "replace")
