"""web: browser marks join the per-case review log; web_marks is frozen (append-only, no new rows)

Revision ID: web_0003
Revises: web_0002
Depends on: search_0001 (search_cases, search_reviews)

Marks made in the browser now go to ``search_reviews`` (the log ``xueliang review --case`` keeps), under
the case the investigator names (``web`` when none). The marks already in ``web_marks`` are copied
there under case ``web`` (marks of sightings no longer indexed cannot be, by the foreign key, and stay
only in ``web_marks``). ``web_marks`` stays as the record it was, refusing UPDATE, DELETE and
replacement on SQLite and PostgreSQL (TRUNCATE too there).
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "web_0003"
down_revision = "web_0002"
branch_labels = None
depends_on = "search_0001"

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
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER web_marks_no_{action.lower()} BEFORE {action} ON web_marks "
                "BEGIN SELECT RAISE(ABORT, 'web_marks is append-only'); END"
            )
        op.execute(
            "CREATE TRIGGER web_marks_no_replace BEFORE INSERT ON web_marks "
            "WHEN EXISTS (SELECT 1 FROM web_marks WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'web_marks is append-only'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION web_marks_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'web_marks is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER web_marks_append_only BEFORE UPDATE OR DELETE ON web_marks "
            "FOR EACH ROW EXECUTE FUNCTION web_marks_append_only()"
        )
        op.execute(
            "CREATE TRIGGER web_marks_no_truncate BEFORE TRUNCATE ON web_marks "
            "FOR EACH STATEMENT EXECUTE FUNCTION web_marks_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS web_marks_no_{name}")
    elif dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS web_marks_append_only() CASCADE")
