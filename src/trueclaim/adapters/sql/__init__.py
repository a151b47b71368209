"""SQLAlchemy 2 repositories over SQLite (default) and PostgreSQL."""

from trueclaim.adapters.sql.engine import make_engine, normalize_database_url
from trueclaim.adapters.sql.repositories import SqlRepositories

__all__ = ["SqlRepositories", "make_engine", "normalize_database_url"]
