"""vision: indexed videos, vehicle sightings and their trajectories"""

import sqlalchemy as sa
from alembic import op

from xueliang.storage.migration_ops import create_table, foreign_key

revision, down_revision, branch_labels = "vision_0001", None, ("vision",)
depends_on = "core_0001"  # cameras


def upgrade() -> None:
    create_table(
        "videos",
        """
        id              Integer     PK
        sha256          String(64)
        path            Text
        size_bytes      Integer
        camera_id       String(64)
        start_time      DateTime
        end_time        DateTime
        fps             Float
        frame_count     Integer
        duration_s      Float
        width           Integer
        height          Integer
        detector        String(200)
        frames_decoded  Integer
        frames_detected Integer
        processing_s    Float
        indexed_at      DateTime
        """,
        sa.UniqueConstraint("sha256", name="uq_videos_sha256"),
        foreign_key("videos", "camera_id", "cameras.id"),
        indexes=["camera_id", "start_time"],
    )
    create_table(
        "sightings",
        """
        id                      Integer     PK
        video_id                Integer
        camera_id               String(64)
        track_id                Integer
        first_seen              DateTime
        last_seen               DateTime
        detector_class          String(32)
        detector_confidence     Float
        colour                  String(32)
        colour_confidence       Float
        vehicle_type            String(32)
        vehicle_type_confidence Float
        plate_state             String(16)
        plate_state_confidence  Float
        plate_text              String(32)  NULL
        plate_text_confidence   Float       NULL
        plate_colour            String(16)  NULL
        direction               String(16)
        direction_deg           Float       NULL
        best_frame              Integer
        thumbnail_path          Text        NULL
        frame_path              Text        NULL
        embedding               LargeBinary NULL
        embedding_model         String(64)  NULL
        """,
        foreign_key("sightings", "video_id", "videos.id", ondelete="CASCADE"),
        foreign_key("sightings", "camera_id", "cameras.id"),
        indexes=[
            "video_id",
            "camera_id",
            "first_seen",
            "last_seen",
            "colour",
            "vehicle_type",
            "plate_state",
            "plate_text",
        ],
    )
    op.create_index("ix_sightings_camera_first_seen", "sightings", ["camera_id", "first_seen"])
    create_table(
        "sighting_points",
        """
        id          Integer PK
        sighting_id Integer
        frame       Integer
        at          DateTime
        x1          Float
        y1          Float
        x2          Float
        y2          Float
        confidence  Float
        """,
        foreign_key("sighting_points", "sighting_id", "sightings.id", ondelete="CASCADE"),
        indexes=["sighting_id"],
    )


def downgrade() -> None:
    op.drop_table("sighting_points")
    op.drop_table("sightings")
    op.drop_table("videos")
