"""vision: videos.size_bytes as a 64-bit integer (recorder exports exceed 2 GiB)

PostgreSQL's INTEGER stops at 2,147,483,647, so indexing a file over 2 GiB failed there. SQLite's INTEGER is
already 64-bit: nothing to do on SQLite (and no table rebuild).
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "vision_0002", "vision_0001"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "videos", "size_bytes", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "videos", "size_bytes", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
