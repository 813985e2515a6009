"""search: on PostgreSQL, TRUNCATE of the case query and review logs is refused too

search_0001's row triggers refuse UPDATE and DELETE; PostgreSQL's TRUNCATE fires no row triggers, so the
append-only logs could be emptied there. SQLite has no TRUNCATE.
"""

from xueliang.storage.append_only import drop_truncate_refusal, refuse_truncate

revision, down_revision = "search_0003", "search_0002"

TABLES = ("search_case_queries", "search_reviews")


def upgrade() -> None:
    refuse_truncate(*TABLES)


def downgrade() -> None:
    drop_truncate_refusal(*TABLES)
