"""investigate: watch lists (布控): watch_rules, watch_alerts

Revision ID: investigate_0001
Revises:
Depends on: vision_0003 (sightings.source), core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "investigate_0001"
down_revision = None
branch_labels = ("investigate",)
depends_on = ("vision_0003", "core_0001")


def upgrade() -> None:
    op.create_table(
        "watch_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("plate", sa.String(32), nullable=True),
        sa.Column("exact", sa.Boolean, nullable=False),
        sa.Column("colours", sa.Text, nullable=True),
        sa.Column("vehicle_types", sa.Text, nullable=True),
        sa.Column("plate_states", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watch_rules"),
    )
    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.Integer, nullable=False),
        sa.Column("sighting_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watch_alerts"),
        sa.ForeignKeyConstraint(["rule_id"], ["watch_rules.id"], name="fk_watch_alerts_rule_id_watch_rules"),
        sa.ForeignKeyConstraint(
            ["sighting_id"], ["sightings.id"], name="fk_watch_alerts_sighting_id_sightings", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("rule_id", "sighting_id", name="uq_watch_alerts_rule_sighting"),
    )
    op.create_index("ix_watch_alerts_rule_id", "watch_alerts", ["rule_id"])


def downgrade() -> None:
    op.drop_table("watch_alerts")
    op.drop_table("watch_rules")
