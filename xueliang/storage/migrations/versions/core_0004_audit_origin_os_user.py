"""core: the audit log records where a request came from (web, cli) and the OS user of the process

``actor`` is who the caller says it is (the web login, or the CLI's ``--actor``); ``os_user`` is the
operating-system account of the process that wrote the row, so a claimed actor can be checked against
who really ran it. Rows written before this revision have both NULL.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "core_0004", "core_0003"


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("origin", sa.String(16), nullable=True))
    op.add_column("audit_log", sa.Column("os_user", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("os_user")
        batch.drop_column("origin")
