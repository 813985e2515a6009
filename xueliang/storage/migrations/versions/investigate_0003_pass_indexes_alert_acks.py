"""investigate: sightings indexes a checkpoint pass pays for, trimmed; watch alert acknowledgements

Revision ID: investigate_0003
Revises: investigate_0002
Depends on: search_0001 (its composite sightings indexes stay), vision_0004

Every stored pass updates every index of ``sightings``; seventeen made an import into a large table
cost ~55 microseconds of CPU per pass in B-tree inserts. Dropped, because another index starts with
the same columns and serves the same lookups: ``ix_sightings_camera_id`` (camera_first_seen),
``ix_sightings_first_seen`` (window_plate), ``ix_sightings_colour`` (colour_type_first_seen),
``ix_sightings_vehicle_type`` (type_first_seen), ``ix_sightings_plate_state`` (plate_state_first_seen).
Dropped as unused by any query: ``ix_sightings_last_seen`` (windows range on first_seen) and
``ix_sightings_source_first_seen``. ``ix_sightings_video_id`` becomes partial (``video_id IS NOT NULL``):
only video sightings have one, and ``video_id = ?`` (the cascade from ``videos``) still uses it.
``ix_sightings_plate_text`` becomes ``(plate_text, first_seen)``: a plate's sightings in time order,
so a plate search reads its first page (and a window) from the index alone.

``watch_alert_acks``: one row per acknowledged alert (who, when, a note); the audit log has it too.
"""

import sqlalchemy as sa
from alembic import op

revision = "investigate_0003"
down_revision = "investigate_0002"
branch_labels = None
depends_on = ("search_0001", "vision_0004")

DROPPED = {
    "ix_sightings_camera_id": ["camera_id"],
    "ix_sightings_first_seen": ["first_seen"],
    "ix_sightings_last_seen": ["last_seen"],
    "ix_sightings_colour": ["colour"],
    "ix_sightings_vehicle_type": ["vehicle_type"],
    "ix_sightings_plate_state": ["plate_state"],
    "ix_sightings_source_first_seen": ["source", "first_seen"],
}


def upgrade() -> None:
    for name in DROPPED:
        op.drop_index(name, "sightings")
    op.drop_index("ix_sightings_video_id", "sightings")
    op.create_index(
        "ix_sightings_video_id",
        "sightings",
        ["video_id"],
        sqlite_where=sa.text("video_id IS NOT NULL"),
        postgresql_where=sa.text("video_id IS NOT NULL"),
    )
    op.drop_index("ix_sightings_plate_text", "sightings")
    op.create_index("ix_sightings_plate_text_first_seen", "sightings", ["plate_text", "first_seen"])
    op.create_table(
        "watch_alert_acks",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("watch_alerts.id"), nullable=False),
        sa.Column("acknowledged_by", sa.String(100), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("alert_id", name="pk_watch_alert_acks"),
    )


def downgrade() -> None:
    op.drop_table("watch_alert_acks")
    op.drop_index("ix_sightings_plate_text_first_seen", "sightings")
    op.create_index("ix_sightings_plate_text", "sightings", ["plate_text"])
    op.drop_index("ix_sightings_video_id", "sightings")
    op.create_index("ix_sightings_video_id", "sightings", ["video_id"])
    for name, cols in DROPPED.items():
        op.create_index(name, "sightings", cols)
