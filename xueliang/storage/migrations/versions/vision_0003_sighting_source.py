"""vision: sightings from checkpoint pass records: source, external id, lane, brand; video_id optional

A checkpoint (卡口) camera emits one GA/T 1400 ``MotorVehicleObject`` per passing vehicle; ``xueliang
passes import`` stores each as a sighting with ``source = 'checkpoint'`` and no video. So:

* ``source`` ('video' | 'checkpoint', existing rows 'video'), ``external_id`` (the record's
  ``MotorVehicleID``, unique: a re-import skips what is there), ``lane`` and ``brand``: new columns
  (``ALTER TABLE ADD COLUMN``, no table rebuild);
* ``video_id`` loses its NOT NULL. On PostgreSQL ``ALTER COLUMN ... DROP NOT NULL``. On SQLite a
  table rebuild would cascade-delete ``sighting_points`` (foreign keys are on and cannot be switched
  off inside the migration's transaction) and drop the triggers of ``search_0004``; removing a NOT
  NULL constraint does not change the stored rows, so the migration edits the table's definition in
  ``sqlite_schema`` instead (the procedure of https://sqlite.org/lang_altertable.html, section 7:
  ``writable_schema``, bump ``schema_version``), checked by ``PRAGMA integrity_check`` afterwards.
"""

import re

import sqlalchemy as sa
from alembic import op

revision, down_revision = "vision_0003", "vision_0002"

_NOT_NULL = re.compile(r"(\bvideo_id\s+INTEGER)\s+NOT\s+NULL", re.IGNORECASE)


def _sqlite_set_video_id_sql(conn: sa.Connection, *, nullable: bool) -> None:
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sightings'").scalar()
    if nullable:
        new, n = _NOT_NULL.subn(r"\1", sql)
    else:
        new, n = re.subn(r"(\bvideo_id\s+INTEGER)(?!\s+NOT)", r"\1 NOT NULL", sql, count=1, flags=re.IGNORECASE)
    if n != 1:
        raise RuntimeError(f"vision_0003: unexpected definition of sightings.video_id in: {sql}")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'sightings'", (new,))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    check = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    if check != "ok":
        raise RuntimeError(f"vision_0003: integrity check after editing sightings failed: {check}")


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("sightings", sa.Column("source", sa.String(16), nullable=False, server_default="video"))
    op.add_column("sightings", sa.Column("external_id", sa.String(64), nullable=True))
    op.add_column("sightings", sa.Column("lane", sa.Integer, nullable=True))
    op.add_column("sightings", sa.Column("brand", sa.String(32), nullable=True))
    op.create_index("ix_sightings_external_id", "sightings", ["external_id"], unique=True)
    op.create_index("ix_sightings_source_first_seen", "sightings", ["source", "first_seen"])
    if conn.dialect.name == "sqlite":
        _sqlite_set_video_id_sql(conn, nullable=True)
    else:
        op.alter_column("sightings", "video_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    conn = op.get_bind()
    op.execute("DELETE FROM sightings WHERE video_id IS NULL")
    if conn.dialect.name == "sqlite":
        _sqlite_set_video_id_sql(conn, nullable=False)
    else:
        op.alter_column("sightings", "video_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_sightings_source_first_seen", "sightings")
    op.drop_index("ix_sightings_external_id", "sightings")
    for col in ("brand", "lane", "external_id", "source"):
        op.drop_column("sightings", col)
