"""web: users with roles, and investigators' keep/eliminate marks on sightings"""

import sqlalchemy as sa
from alembic import op

from xueliang.storage.migration_ops import create_table

revision, down_revision, branch_labels = "web_0001", None, ("web",)


def upgrade() -> None:
    create_table(
        "web_users",
        "name String(64) PK, role String(16), password_hash Text, created_at DateTime",
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("role in ('planner','investigator','reviewer','admin')", name="ck_web_users_role"),
    )
    create_table(
        "web_marks",
        "id Integer PK, sighting_id Integer, mark String(16), reason Text, actor String(64), at DateTime",
        sa.CheckConstraint("mark in ('keep','eliminate')", name="ck_web_marks_mark"),
        indexes=["sighting_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_web_marks_sighting_id", table_name="web_marks")
    op.drop_table("web_marks")
    op.drop_table("web_users")
