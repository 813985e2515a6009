"""core: camera registry and audit log"""

import sqlalchemy as sa
from alembic import op

from xueliang.storage.migration_ops import create_table

revision, down_revision, branch_labels = "core_0001", None, ("core",)


def upgrade() -> None:
    create_table(
        "cameras",
        """
        id              String(64)  PK
        gb_id           String(20)  NULL
        name            String(200) NULL
        lon             Float
        lat             Float
        heading_deg     Float       NULL
        fov_deg         Float       NULL
        focal_mm        Float       NULL
        sensor_width_mm Float       NULL
        resolution_px   Integer     NULL
        height_m        Float       NULL
        tilt_deg        Float       NULL
        mount           String(32)  NULL
        channels        Integer
        kind            String(16)
        admin_unit      String(200) NULL
        source          Text        NULL
        source_sha256   String(64)  NULL
        imported_at     DateTime
        """,
        sa.UniqueConstraint("gb_id", name="uq_cameras_gb_id"),
        indexes=["admin_unit"],
    )
    create_table(
        "audit_log",
        """
        id           Integer     PK
        at           DateTime
        actor        String(100)
        action       String(50)
        query        Text
        result_count Integer     NULL
        """,
        indexes=["at", "actor"],
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("cameras")
