"""search: cases, their queries, the review (keep/eliminate) log; composite indexes on sightings"""

from alembic import op

from xueliang.storage.append_only import drop_append_only_function, refuse_update_delete
from xueliang.storage.migration_ops import create_table, foreign_key

revision, down_revision, branch_labels = "search_0001", None, ("search",)
depends_on = "vision_0001"  # sightings

INDEXES = {
    "ix_sightings_colour_type_first_seen": ["colour", "vehicle_type", "first_seen"],
    "ix_sightings_colour_type_plate_state_first_seen": ["colour", "vehicle_type", "plate_state", "first_seen"],
    "ix_sightings_type_first_seen": ["vehicle_type", "first_seen"],
    "ix_sightings_plate_state_first_seen": ["plate_state", "first_seen"],
    # covering index of plate patterns within a window (see xueliang.investigate.search._plate_in_window)
    "ix_sightings_window_plate": ["first_seen", "last_seen", "plate_text", "camera_id"],
}


def upgrade() -> None:
    for name, cols in INDEXES.items():
        op.create_index(name, "sightings", cols)
    create_table(
        "search_cases", "case_id String(64) PK, ledger String(64) NULL, created_at DateTime, created_by String(100)"
    )
    create_table(
        "search_case_queries",
        """
        id           Integer     PK
        case_id      String(64)
        at           DateTime
        actor        String(100)
        kind         String(32)
        query        Text
        result_count Integer
        sighting_ids Text
        """,
        foreign_key("search_case_queries", "case_id", "search_cases.case_id"),
        indexes=["case_id"],
    )
    create_table(
        "search_reviews",
        """
        id          Integer     PK
        case_id     String(64)
        sighting_id Integer
        decision    String(16)
        reason      Text
        actor       String(100)
        at          DateTime
        """,
        foreign_key("search_reviews", "case_id", "search_cases.case_id"),
        foreign_key("search_reviews", "sighting_id", "sightings.id"),
    )
    op.create_index("ix_search_reviews_case_sighting", "search_reviews", ["case_id", "sighting_id"])
    for table in ("search_case_queries", "search_reviews"):
        refuse_update_delete(table)


def downgrade() -> None:
    for table in ("search_case_queries", "search_reviews"):
        drop_append_only_function(table)
    op.drop_table("search_reviews")
    op.drop_table("search_case_queries")
    op.drop_table("search_cases")
    for name in INDEXES:
        op.drop_index(name, "sightings")
