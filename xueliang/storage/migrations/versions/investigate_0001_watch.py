"""investigate: watch lists (布控): watch_rules, watch_alerts (needs sightings.source of vision_0003)"""

import sqlalchemy as sa
from alembic import op

from xueliang.storage.migration_ops import create_table, foreign_key

revision, down_revision, branch_labels = "investigate_0001", None, ("investigate",)
depends_on = ("vision_0003", "core_0001")


def upgrade() -> None:
    create_table(
        "watch_rules",
        """
        id            Integer     PK
        created_at    DateTime
        created_by    String(100)
        plate         String(32)  NULL
        exact         Boolean
        colours       Text        NULL
        vehicle_types Text        NULL
        plate_states  Text        NULL
        note          Text        NULL
        case_id       String(64)  NULL
        active        Boolean
        """,
    )
    create_table(
        "watch_alerts",
        """
        id          Integer PK
        rule_id     Integer
        sighting_id Integer
        at          DateTime
        """,
        foreign_key("watch_alerts", "rule_id", "watch_rules.id"),
        foreign_key("watch_alerts", "sighting_id", "sightings.id", ondelete="CASCADE"),
        sa.UniqueConstraint("rule_id", "sighting_id", name="uq_watch_alerts_rule_sighting"),
        indexes=["rule_id"],
    )


def downgrade() -> None:
    op.drop_table("watch_alerts")
    op.drop_table("watch_rules")
