"""ledger: cases, linked cameras and sightings, change history"""

from alembic import op

from xueliang.storage.append_only import drop_append_only_function, refuse_update_delete
from xueliang.storage.migration_ops import create_table, foreign_key

revision, down_revision, branch_labels = "ledger_0001", None, ("ledger",)

# the cameras and the sightings linked to a case: (table, column)
LINKS = (("ledger_case_cameras", "camera_ref"), ("ledger_case_sightings", "sighting_ref"))


def upgrade() -> None:
    create_table(
        "ledger_cases",
        """
        case_id             String(64)  PK
        case_type           String(64)
        occurred_start      DateTime
        occurred_end        DateTime    NULL
        lon                 Float       NULL
        lat                 Float       NULL
        area                String(200) NULL
        status              String(16)
        solved_at           DateTime    NULL
        video_requested_at  DateTime    NULL
        video_expires_at    DateTime    NULL
        video_obtained      Boolean
        video_contribution  String(16)
        hours_reviewed      Float       NULL
        vehicles_screened   Integer     NULL
        vehicles_eliminated Integer     NULL
        source              Text
        updated_at          DateTime
        """,
        indexes=["case_type", "occurred_start", "area"],
    )
    for table, ref in LINKS:
        create_table(
            table,
            f"case_id String(64) PK, {ref} String(200) PK",
            foreign_key(table, "case_id", "ledger_cases.case_id", ondelete="CASCADE"),
        )
    op.create_index("ix_ledger_case_cameras_camera_ref", "ledger_case_cameras", ["camera_ref"])
    create_table(
        "ledger_history",
        """
        id            Integer    PK
        case_id       String(64)
        field         String(32)
        old_value     Text       NULL
        new_value     Text       NULL
        changed_at    DateTime
        source        Text
        source_sha256 String(64)
        source_row    Integer    NULL
        """,
        indexes=["case_id", "changed_at"],
    )
    refuse_update_delete("ledger_history")


def downgrade() -> None:
    drop_append_only_function("ledger_history")
    op.drop_table("ledger_history")
    for table, _ in reversed(LINKS):
        op.drop_table(table)
    op.drop_table("ledger_cases")
