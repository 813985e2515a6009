"""investigate: plate n-gram index over the distinct plates (plate patterns without a time window)

Filled incrementally by xueliang.investigate.plate_index.refresh (from the sightings above
plate_index_state.last_sighting_id), not here: building it at migration time would read every
sighting inside the migration's transaction.
"""

from alembic import op

from xueliang.storage.migration_ops import create_table

revision, down_revision = "investigate_0002", "investigate_0001"


def upgrade() -> None:
    create_table("plate_grams", "gram String(2) PK, plate String(32) PK")
    create_table("plate_gram_counts", "gram String(2) PK, n Integer")
    create_table("plate_index_state", "id Integer PK, last_sighting_id Integer")


def downgrade() -> None:
    for table in ("plate_index_state", "plate_gram_counts", "plate_grams"):
        op.drop_table(table)
