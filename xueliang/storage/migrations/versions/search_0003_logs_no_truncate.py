"""search: on PostgreSQL, TRUNCATE of the case query and review logs is refused too

Revision ID: search_0003
Revises: search_0002

search_0001's row triggers refuse UPDATE and DELETE; PostgreSQL's TRUNCATE fires no row triggers, so the
append-only logs could be emptied there. SQLite has no TRUNCATE.
"""

from xueliang.storage.append_only import drop_truncate_refusal, refuse_truncate

revision = "search_0003"
down_revision = "search_0002"
branch_labels = None
depends_on = None

TABLES = ("search_case_queries", "search_reviews")


def upgrade() -> None:
    for table in TABLES:
        refuse_truncate(table)


def downgrade() -> None:
    for table in TABLES:
        drop_truncate_refusal(table)
