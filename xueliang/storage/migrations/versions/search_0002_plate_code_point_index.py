"""search: on PostgreSQL, an index on plate_text in code-point order for exact plate prefix ranges

xueliang.investigate.search narrows an exact plate prefix by ``plate_text COLLATE "C"`` between two bounds; the plain
index on plate_text follows the database's collation (e.g. zh-Hans-CN) and cannot serve that range. SQLite
already compares by code point, so nothing to do there.
"""

from alembic import op

revision, down_revision = "search_0002", "search_0001"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_sightings_plate_text_c ON sightings (plate_text COLLATE "C")')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_sightings_plate_text_c")
