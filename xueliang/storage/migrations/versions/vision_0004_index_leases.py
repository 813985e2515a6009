"""vision: per-file leases of indexing runs, so two runs on one database never index the same file

Revision ID: vision_0004
Revises: vision_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "vision_0004"
down_revision = "vision_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_leases",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_index_leases"),
    )


def downgrade() -> None:
    op.drop_table("index_leases")
