"""Column types of the store: a datetime column that keeps the instant on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that stores UTC and reads back aware UTC, on SQLite as on PostgreSQL.

    SQLite has no time-zone type: SQLAlchemy writes the wall-clock digits and drops the offset, so a waiver expiring at
    06:49-08:00 came back as 06:49 UTC, eight hours early. Converting to UTC before writing keeps the instant; a
    naive value is taken as UTC (what every caller means by one). Comparisons in queries are converted the same way.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__()  # always with a time zone: the argument only mirrors DateTime's so models read the same

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
