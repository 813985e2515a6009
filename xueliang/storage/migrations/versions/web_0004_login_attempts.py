"""web: login attempts in the database, for throttling shared by every server process and restarts"""

from alembic import op

from xueliang.storage.migration_ops import create_table

revision, down_revision = "web_0004", "web_0003"


def upgrade() -> None:
    create_table(
        "web_login_attempts",
        "id Integer PK, at DateTime, user_name String(64), client String(64), ok Boolean",
        indexes=["at", "user_name", "client"],
    )


def downgrade() -> None:
    op.drop_table("web_login_attempts")
