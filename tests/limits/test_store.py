"""The rate-limit tables: migration 0006 creates exactly the models' tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

MINE = {"observedlimit", "announcedlimit"}


def _tables(diff: object) -> set[str]:
    """Every table name a compare_metadata entry mentions (entries are tuples, or lists of tuples)."""
    items = diff if isinstance(diff, list) else [diff]
    names: set[str] = set()
    for item in items:
        for part in item[1:] if isinstance(item, tuple) else ():
            table = getattr(part, "table", None)
            name = getattr(part, "name", None)
            if table is not None:
                names.add(str(table.name))
            elif isinstance(part, str):
                names.add(part)
            elif isinstance(name, str):
                names.add(name)
    return names


def test_the_migration_creates_exactly_the_models_tables(db: Engine) -> None:
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert [d for d in diff if _tables(d) & MINE] == []
