"""Stored spec versions, compressed, found by content hash.

Each function takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlmodel import Session, col, select

from monitor.store.models import Source, SpecSnapshot


def content_hash(document: Any) -> str:
    """Hash of the parsed document with sorted keys: whitespace and key order do not make a new version."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def find_snapshot(*, session: Session, source_id: str, digest: str) -> SpecSnapshot | None:
    return session.exec(
        select(SpecSnapshot).where(SpecSnapshot.source_id == source_id, SpecSnapshot.content_hash == digest)
    ).first()


def add_snapshot(
    *, session: Session, source_id: str, digest: str, body: bytes, fmt: str, title: str, version: str, now: datetime
) -> SpecSnapshot:
    snapshot = SpecSnapshot(
        source_id=source_id, content_hash=digest, format=fmt, title=title[:500], version=version[:100],
        size_bytes=len(body), body=zlib.compress(body, 6), first_seen_at=now, last_seen_at=now,
    )  # fmt: skip
    session.add(snapshot)
    session.flush()
    return snapshot


def snapshot_body(snapshot: SpecSnapshot) -> bytes:
    return zlib.decompress(snapshot.body)


def current_snapshot(*, session: Session, source: Source) -> SpecSnapshot | None:
    if source.content_hash is None:
        return None
    return find_snapshot(session=session, source_id=source.id, digest=source.content_hash)


def list_snapshots(*, session: Session, source_id: str) -> Sequence[SpecSnapshot]:
    return session.exec(
        select(SpecSnapshot).where(SpecSnapshot.source_id == source_id).order_by(col(SpecSnapshot.id))
    ).all()
