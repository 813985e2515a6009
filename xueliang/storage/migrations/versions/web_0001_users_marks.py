"""web: users with roles, and investigators' keep/eliminate marks on sightings

Revision ID: web_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "web_0001"
down_revision = None
branch_labels = ("web",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("name", name="pk_web_users"),
        sa.CheckConstraint("role in ('planner','investigator','reviewer','admin')", name="ck_web_users_role"),
    )
    op.create_table(
        "web_marks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sighting_id", sa.Integer, nullable=False),
        sa.Column("mark", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_marks"),
        sa.CheckConstraint("mark in ('keep','eliminate')", name="ck_web_marks_mark"),
    )
    op.create_index("ix_web_marks_sighting_id", "web_marks", ["sighting_id"])


def downgrade() -> None:
    op.drop_index("ix_web_marks_sighting_id", table_name="web_marks")
    op.drop_table("web_marks")
    op.drop_table("web_users")
