"""core: camera registry and audit log

Revision ID: core_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("gb_id", sa.String(20), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("heading_deg", sa.Float, nullable=True),
        sa.Column("fov_deg", sa.Float, nullable=True),
        sa.Column("focal_mm", sa.Float, nullable=True),
        sa.Column("sensor_width_mm", sa.Float, nullable=True),
        sa.Column("resolution_px", sa.Integer, nullable=True),
        sa.Column("height_m", sa.Float, nullable=True),
        sa.Column("tilt_deg", sa.Float, nullable=True),
        sa.Column("mount", sa.String(32), nullable=True),
        sa.Column("channels", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("admin_unit", sa.String(200), nullable=True),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cameras"),
        sa.UniqueConstraint("gb_id", name="uq_cameras_gb_id"),
    )
    op.create_index("ix_cameras_admin_unit", "cameras", ["admin_unit"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("result_count", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("cameras")
