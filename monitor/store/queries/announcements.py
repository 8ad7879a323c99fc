"""Stored announcement entries and every removal date announced per subject.

Each function takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from monitor.store.models import AnnouncedDate, FeedEntry


def find_entry(*, session: Session, source_id: str, entry_key: str) -> FeedEntry | None:
    return session.exec(
        select(FeedEntry).where(FeedEntry.source_id == source_id, FeedEntry.entry_key == entry_key)
    ).first()


def entry_hashes(*, session: Session, source_id: str) -> set[str]:
    return set(session.exec(select(FeedEntry.content_hash).where(FeedEntry.source_id == source_id)).all())


def record_announced_date(
    *, session: Session, subject: str, removal_date: date, entry_id: int, announced_at: datetime
) -> bool:
    """Keep every removal date announced for a subject; True when the date is new for it (a moved date)."""
    known = session.exec(select(AnnouncedDate).where(AnnouncedDate.subject == subject)).all()
    if any(d.removal_date == removal_date and d.entry_id == entry_id for d in known):
        return False
    session.add(AnnouncedDate(subject=subject, removal_date=removal_date, entry_id=entry_id, announced_at=announced_at))
    return bool(known) and all(d.removal_date != removal_date for d in known)


def date_history(*, session: Session, subject: str) -> Sequence[AnnouncedDate]:
    return session.exec(
        select(AnnouncedDate).where(AnnouncedDate.subject == subject).order_by(col(AnnouncedDate.announced_at))
    ).all()


def list_entries(
    *, session: Session, source_id: str | None = None, category: str | None = None, with_dates: bool = False,
    limit: int = 500,
) -> Sequence[FeedEntry]:  # fmt: skip
    """Announcements newest first; `with_dates`: only those with a removal or effective date."""
    query = select(FeedEntry)
    if source_id:
        query = query.where(FeedEntry.source_id == source_id)
    if category:
        query = query.where(FeedEntry.category == category)
    if with_dates:
        query = query.where(col(FeedEntry.removal_date).is_not(None) | col(FeedEntry.effective_date).is_not(None))
    return session.exec(
        query.order_by(col(FeedEntry.first_seen_at).desc(), col(FeedEntry.id).desc()).limit(limit)
    ).all()
