"""web: login attempts in the database, for throttling shared by every server process and restarts

Revision ID: web_0004
Revises: web_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "web_0004"
down_revision = "web_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_login_attempts"),
    )
    op.create_index("ix_web_login_attempts_at", "web_login_attempts", ["at"])
    op.create_index("ix_web_login_attempts_user_name", "web_login_attempts", ["user_name"])
    op.create_index("ix_web_login_attempts_client", "web_login_attempts", ["client"])


def downgrade() -> None:
    op.drop_table("web_login_attempts")
