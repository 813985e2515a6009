"""search: database identity and change counter for persisted ANN indexes; (embedding_model, id) index

``search_ann_state`` holds one row: a random ``database_id`` written once (an index file names the
database it was built from, so an index of another database is never used) and
``sightings_changed``, raised by triggers whenever a sighting with an embedding is deleted or its
embedding is rewritten (an index built before such a change holds stale vectors; on SQLite a
deleted id can even be reused by a new sighting). The partial index ``(embedding_model, id) WHERE
embedding IS NOT NULL`` lets counting a model's vectors and reading the ones after an id stay on
the index (no reads of the table's embedding pages).
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

from xueliang.storage.migration_ops import create_table

revision, down_revision = "search_0004", "search_0003"


def upgrade() -> None:
    create_table(
        "search_ann_state",
        "database_id String(32) PK, created_at DateTime",
        sa.Column("sightings_changed", sa.BigInteger, nullable=False, server_default="0"),
    )
    state = sa.table(
        "search_ann_state",
        sa.column("database_id", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("sightings_changed", sa.BigInteger),
    )
    op.bulk_insert(
        state, [{"database_id": uuid.uuid4().hex, "created_at": dt.datetime.now(dt.UTC), "sightings_changed": 0}]
    )
    op.create_index(
        "ix_sightings_embedding_model_id",
        "sightings",
        ["embedding_model", "id"],
        sqlite_where=sa.text("embedding IS NOT NULL"),
        postgresql_where=sa.text("embedding IS NOT NULL"),
    )
    bump = "UPDATE search_ann_state SET sightings_changed = sightings_changed + 1"
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER sightings_ann_deleted AFTER DELETE ON sightings "
            f"WHEN OLD.embedding IS NOT NULL BEGIN {bump}; END"
        )
        op.execute(
            "CREATE TRIGGER sightings_ann_updated AFTER UPDATE OF embedding, embedding_model ON sightings "
            f"WHEN OLD.embedding IS NOT NULL BEGIN {bump}; END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION sightings_ann_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {bump}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER sightings_ann_deleted AFTER DELETE ON sightings "
            "FOR EACH ROW WHEN (OLD.embedding IS NOT NULL) EXECUTE FUNCTION sightings_ann_changed()"
        )
        op.execute(
            "CREATE TRIGGER sightings_ann_updated AFTER UPDATE OF embedding, embedding_model ON sightings "
            "FOR EACH ROW WHEN (OLD.embedding IS NOT NULL) EXECUTE FUNCTION sightings_ann_changed()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS sightings_ann_deleted")
        op.execute("DROP TRIGGER IF EXISTS sightings_ann_updated")
    elif dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sightings_ann_changed() CASCADE")
    op.drop_index("ix_sightings_embedding_model_id", "sightings")
    op.drop_table("search_ann_state")
