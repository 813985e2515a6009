"""web: browser marks join the per-case review log; web_marks is frozen (append-only, no new rows)

Marks made in the browser now go to ``search_reviews`` (the log ``xueliang review --case`` keeps), under
the case the investigator names (``web`` when none). The marks already in ``web_marks`` are copied
there under case ``web`` (marks of sightings no longer indexed cannot be, by the foreign key, and stay
only in ``web_marks``). ``web_marks`` stays as the record it was, refusing UPDATE, DELETE and
replacement on SQLite and PostgreSQL (TRUNCATE too there).
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from xueliang.storage.append_only import (
    drop_append_only_function,
    drop_sqlite_triggers,
    refuse_replace,
    refuse_truncate,
    refuse_update_delete,
)

revision, down_revision = "web_0003", "web_0002"
depends_on = "search_0001"  # search_cases, search_reviews

WEB_CASE = "web"


def upgrade() -> None:
    bind = op.get_bind()
    marks = bind.execute(sa.text("SELECT count(*) FROM web_marks")).scalar_one()
    if marks:
        exists = bind.execute(sa.text("SELECT 1 FROM search_cases WHERE case_id = :c"), {"c": WEB_CASE}).first()
        if exists is None:
            bind.execute(
                sa.text(
                    "INSERT INTO search_cases (case_id, ledger, created_at, created_by) VALUES (:c, NULL, :at, :by)"
                ),
                {"c": WEB_CASE, "at": dt.datetime.now(dt.UTC), "by": "migration web_0003"},
            )
        bind.execute(
            sa.text(
                "INSERT INTO search_reviews (case_id, sighting_id, decision, reason, actor, at) "
                "SELECT :c, m.sighting_id, m.mark, m.reason, m.actor, m.at FROM web_marks m "
                "WHERE m.sighting_id IN (SELECT id FROM sightings) ORDER BY m.id"
            ),
            {"c": WEB_CASE},
        )
    refuse_update_delete("web_marks")
    refuse_replace("web_marks")
    refuse_truncate("web_marks")


def downgrade() -> None:
    drop_sqlite_triggers("web_marks", "update", "delete", "replace")
    drop_append_only_function("web_marks")
