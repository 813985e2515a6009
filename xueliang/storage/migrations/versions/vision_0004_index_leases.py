"""vision: per-file leases of indexing runs, so two runs on one database never index the same file"""

from alembic import op

from xueliang.storage.migration_ops import create_table

revision, down_revision = "vision_0004", "vision_0003"


def upgrade() -> None:
    create_table(
        "index_leases",
        "sha256 String(64) PK, holder String(200), path Text, claimed_at DateTime, expires_at DateTime",
    )


def downgrade() -> None:
    op.drop_table("index_leases")
