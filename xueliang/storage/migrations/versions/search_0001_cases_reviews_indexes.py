"""search: cases, their queries, the review (keep/eliminate) log; composite indexes on sightings

Revision ID: search_0001
Revises:
Depends on: vision_0001 (sightings)
"""

import sqlalchemy as sa
from alembic import op

from xueliang.storage.append_only import drop_append_only_function, refuse_update_delete

revision = "search_0001"
down_revision = None
branch_labels = ("search",)
depends_on = "vision_0001"

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
    op.create_table(
        "search_cases",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("ledger", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_search_cases"),
    )
    op.create_table(
        "search_case_queries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("result_count", sa.Integer, nullable=False),
        sa.Column("sighting_ids", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_case_queries"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["search_cases.case_id"], name="fk_search_case_queries_case_id_search_cases"
        ),
    )
    op.create_index("ix_search_case_queries_case_id", "search_case_queries", ["case_id"])
    op.create_table(
        "search_reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("sighting_id", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_reviews"),
        sa.ForeignKeyConstraint(["case_id"], ["search_cases.case_id"], name="fk_search_reviews_case_id_search_cases"),
        sa.ForeignKeyConstraint(["sighting_id"], ["sightings.id"], name="fk_search_reviews_sighting_id_sightings"),
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
