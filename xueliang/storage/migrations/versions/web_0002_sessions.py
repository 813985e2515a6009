"""web: server-side login sessions (hashed tokens), so logout and disabling a user end them for good"""

from alembic import op

from xueliang.storage.migration_ops import create_table, foreign_key

revision, down_revision = "web_0002", "web_0001"


def upgrade() -> None:
    create_table(
        "web_sessions",
        """
        token_sha256 String(64) PK
        user_name    String(64)
        created_at   DateTime
        expires_at   DateTime
        ended_at     DateTime   NULL
        ended_why    String(32) NULL
        """,
        foreign_key("web_sessions", "user_name", "web_users.name"),
        indexes=["user_name"],
    )


def downgrade() -> None:
    op.drop_index("ix_web_sessions_user_name", table_name="web_sessions")
    op.drop_table("web_sessions")
