"""ledger: cases, linked cameras and sightings, change history

Revision ID: ledger_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from xueliang.storage.append_only import drop_append_only_function, refuse_update_delete

revision = "ledger_0001"
down_revision = None
branch_labels = ("ledger",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_cases",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("case_type", sa.String(64), nullable=False),
        sa.Column("occurred_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("area", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("video_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("video_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("video_obtained", sa.Boolean, nullable=False),
        sa.Column("video_contribution", sa.String(16), nullable=False),
        sa.Column("hours_reviewed", sa.Float, nullable=True),
        sa.Column("vehicles_screened", sa.Integer, nullable=True),
        sa.Column("vehicles_eliminated", sa.Integer, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_ledger_cases"),
    )
    op.create_index("ix_ledger_cases_case_type", "ledger_cases", ["case_type"])
    op.create_index("ix_ledger_cases_occurred_start", "ledger_cases", ["occurred_start"])
    op.create_index("ix_ledger_cases_area", "ledger_cases", ["area"])
    op.create_table(
        "ledger_case_cameras",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("camera_ref", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "camera_ref", name="pk_ledger_case_cameras"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ledger_cases.case_id"],
            name="fk_ledger_case_cameras_case_id_ledger_cases",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_ledger_case_cameras_camera_ref", "ledger_case_cameras", ["camera_ref"])
    op.create_table(
        "ledger_case_sightings",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("sighting_ref", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "sighting_ref", name="pk_ledger_case_sightings"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ledger_cases.case_id"],
            name="fk_ledger_case_sightings_case_id_ledger_cases",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "ledger_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Text, nullable=True),
        sa.Column("new_value", sa.Text, nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_history"),
    )
    op.create_index("ix_ledger_history_case_id", "ledger_history", ["case_id"])
    op.create_index("ix_ledger_history_changed_at", "ledger_history", ["changed_at"])
    refuse_update_delete("ledger_history")


def downgrade() -> None:
    drop_append_only_function("ledger_history")
    op.drop_table("ledger_history")
    op.drop_table("ledger_case_sightings")
    op.drop_table("ledger_case_cameras")
    op.drop_table("ledger_cases")
