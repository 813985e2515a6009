"""vision: indexed videos, vehicle sightings and their trajectories

Revision ID: vision_0001
Revises:
Depends on: core_0001 (cameras)
"""

import sqlalchemy as sa
from alembic import op

revision = "vision_0001"
down_revision = None
branch_labels = ("vision",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fps", sa.Float, nullable=False),
        sa.Column("frame_count", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("detector", sa.String(200), nullable=False),
        sa.Column("frames_decoded", sa.Integer, nullable=False),
        sa.Column("frames_detected", sa.Integer, nullable=False),
        sa.Column("processing_s", sa.Float, nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_videos"),
        sa.UniqueConstraint("sha256", name="uq_videos_sha256"),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"], name="fk_videos_camera_id_cameras"),
    )
    op.create_index("ix_videos_camera_id", "videos", ["camera_id"])
    op.create_index("ix_videos_start_time", "videos", ["start_time"])
    op.create_table(
        "sightings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("video_id", sa.Integer, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("track_id", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detector_class", sa.String(32), nullable=False),
        sa.Column("detector_confidence", sa.Float, nullable=False),
        sa.Column("colour", sa.String(32), nullable=False),
        sa.Column("colour_confidence", sa.Float, nullable=False),
        sa.Column("vehicle_type", sa.String(32), nullable=False),
        sa.Column("vehicle_type_confidence", sa.Float, nullable=False),
        sa.Column("plate_state", sa.String(16), nullable=False),
        sa.Column("plate_state_confidence", sa.Float, nullable=False),
        sa.Column("plate_text", sa.String(32), nullable=True),
        sa.Column("plate_text_confidence", sa.Float, nullable=True),
        sa.Column("plate_colour", sa.String(16), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("direction_deg", sa.Float, nullable=True),
        sa.Column("best_frame", sa.Integer, nullable=False),
        sa.Column("thumbnail_path", sa.Text, nullable=True),
        sa.Column("frame_path", sa.Text, nullable=True),
        sa.Column("embedding", sa.LargeBinary, nullable=True),
        sa.Column("embedding_model", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sightings"),
        sa.ForeignKeyConstraint(["video_id"], ["videos.id"], name="fk_sightings_video_id_videos", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"], name="fk_sightings_camera_id_cameras"),
    )
    for col in (
        "video_id",
        "camera_id",
        "first_seen",
        "last_seen",
        "colour",
        "vehicle_type",
        "plate_state",
        "plate_text",
    ):
        op.create_index(f"ix_sightings_{col}", "sightings", [col])
    op.create_index("ix_sightings_camera_first_seen", "sightings", ["camera_id", "first_seen"])
    op.create_table(
        "sighting_points",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sighting_id", sa.Integer, nullable=False),
        sa.Column("frame", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("x1", sa.Float, nullable=False),
        sa.Column("y1", sa.Float, nullable=False),
        sa.Column("x2", sa.Float, nullable=False),
        sa.Column("y2", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sighting_points"),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
            name="fk_sighting_points_sighting_id_sightings",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_sighting_points_sighting_id", "sighting_points", ["sighting_id"])


def downgrade() -> None:
    op.drop_table("sighting_points")
    op.drop_table("sightings")
    op.drop_table("videos")
