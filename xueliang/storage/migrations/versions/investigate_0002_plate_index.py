"""investigate: plate n-gram index over the distinct plates (plate patterns without a time window)

Revision ID: investigate_0002
Revises: investigate_0001

Filled incrementally by xueliang.investigate.plate_index.refresh (from the sightings above
plate_index_state.last_sighting_id), not here: building it at migration time would read every
sighting inside the migration's transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = "investigate_0002"
down_revision = "investigate_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plate_grams",
        sa.Column("gram", sa.String(2), nullable=False),
        sa.Column("plate", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("gram", "plate", name="pk_plate_grams"),
    )
    op.create_table(
        "plate_gram_counts",
        sa.Column("gram", sa.String(2), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("gram", name="pk_plate_gram_counts"),
    )
    op.create_table(
        "plate_index_state",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("last_sighting_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plate_index_state"),
    )


def downgrade() -> None:
    op.drop_table("plate_index_state")
    op.drop_table("plate_gram_counts")
    op.drop_table("plate_grams")
