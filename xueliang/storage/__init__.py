"""Storage through SQLAlchemy 2.0: SQLite by default, any database by URL; alembic migrations."""

from xueliang.storage.base import Base
from xueliang.storage.database import Database, open_database
from xueliang.storage.tables import AuditRow, CameraRow

__all__ = ["AuditRow", "Base", "CameraRow", "Database", "open_database"]
