"""Storage: SQLModel tables, the unit of work, queries and Alembic migrations (SQLite or PostgreSQL)."""
