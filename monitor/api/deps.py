"""Request-scoped things: the settings, the engine and a database session, declared by type in routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.config import Settings

# Query strings become SQL parameters and log lines: no control characters (PostgreSQL refuses NUL bytes).
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*$"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; routes that write commit, anything else is rolled back when it closes."""
    session = Session(get_engine(request), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items, newest first.")]
OptionalName = Annotated[str | None, Query(max_length=200, pattern=NAME_PATTERN)]
