"""Poll one announcement source (RSS/Atom feed or changelog page): store new entries, classified and linked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.hooks import alert_date_moved, alert_entry
from monitor.config import FeedSource, Settings
from monitor.contracts import spec_of
from monitor.errors import FeedError
from monitor.limits.store import record_announced
from monitor.redact import redact_url
from monitor.sources.announcement_limits import extract_limits
from monitor.sources.announcements import (
    RATE_LIMIT,
    OperationRef,
    classify,
    link_operations,
    removal_subjects,
    subject_key,
)
from monitor.sources.feeds import FeedItem, filter_items, parse_feed, parse_page
from monitor.sources.fetcher import Fetcher
from monitor.sources.recording import failures_recorded
from monitor.store import queries
from monitor.store.models import FeedEntry, Source, utcnow
from monitor.store.session import session_scope


@dataclass
class FeedPoll:
    source_id: str
    outcome: str = "error"  # not-modified, unchanged, updated, error
    new_entries: int = 0
    moved_dates: int = 0
    is_malformed: bool = False

    def counts(self) -> dict[str, object]:
        return {"outcome": self.outcome, "new_entries": self.new_entries, "moved_dates": self.moved_dates,
                "malformed": self.is_malformed}  # fmt: skip


def poll_feed(
    *, settings: Settings, engine: Engine, fetcher: Fetcher, platform: str, name: str, source: FeedSource,
    now: datetime | None = None,
) -> FeedPoll:  # fmt: skip
    """One poll. Any failure is recorded on the source (one masked line) and re-raised; stored entries stay."""
    now = now or utcnow()
    with failures_recorded(engine, f"{platform}/{name}", source.url, now):
        return _poll(settings, engine, fetcher, platform, name, source, now)


def _poll(
    settings: Settings, engine: Engine, fetcher: Fetcher, platform: str, name: str, source: FeedSource, now: datetime
) -> FeedPoll:
    source_id = f"{platform}/{name}"
    result = FeedPoll(source_id)
    with session_scope(engine) as session:
        row = queries.ensure_source(session=session, source_id=source_id, platform=platform, name=name,
                                    kind=source.kind, url=redact_url(source.url))  # fmt: skip
        etag, last_modified, known_hash = row.etag, row.last_modified, row.content_hash
    fetched = fetcher.fetch(source.url, etag=etag if known_hash else None,
                            last_modified=last_modified if known_hash else None)  # fmt: skip
    body = fetched.body or b""
    digest = hashlib.sha256(body).hexdigest()
    if fetched.not_modified or digest == known_hash:
        result.outcome = "not-modified" if fetched.not_modified else "unchanged"
        with session_scope(engine) as session:
            queries.record_success(session=session, source_id=source_id, now=now, not_modified=fetched.not_modified)
        return result
    items, problem = _items(body, source, redact_url(fetched.url))
    result.is_malformed = problem is not None
    if problem is not None and not items and body.strip():
        raise FeedError(f"{source_id}: unreadable {source.kind}: {problem}")
    with session_scope(engine) as session:
        catalogue = _catalogue(session)
        known = queries.entry_hashes(session=session, source_id=source_id)
        for item in items:
            if item.content_hash in known or queries.find_entry(
                session=session, source_id=source_id, entry_key=item.key
            ):
                continue
            known.add(item.content_hash)
            moved = _store(session, source_id, item, catalogue, now)
            result.new_entries += 1
            result.moved_dates += moved
        row = session.get(Source, source_id)
        assert row is not None
        row.etag, row.last_modified, row.content_hash = fetched.etag, fetched.last_modified, digest
        warning = f"malformed {source.kind} (kept {len(items)} entries): {problem}" if problem else None
        queries.record_success(session=session, source_id=source_id, now=now, not_modified=False, warning=warning)
    result.outcome = "updated"
    return result


def _items(body: bytes, source: FeedSource, url: str) -> tuple[list[FeedItem], str | None]:
    if source.kind == "page":
        items = parse_page(body, selector=source.selector or "article", base_url=url)
        problem = None if items else f"no element matches {source.selector!r}"
    else:
        parsed = parse_feed(body, source=url)
        items = list(parsed.items)
        problem = parsed.problem if (parsed.is_malformed or parsed.is_truncated) else None
    return filter_items(items, ignore_text=source.ignore_text, trigger_text=source.trigger_text), problem


def _catalogue(session: Session) -> list[OperationRef]:
    """The operations of every monitored spec's current version, to link announcements to."""
    refs: list[OperationRef] = []
    for source in queries.list_sources(session=session):
        if source.kind != "spec":
            continue
        snapshot = queries.current_snapshot(session=session, source=source)
        if snapshot is None:
            continue
        spec = spec_of(snapshot)
        for op in spec.operations.values():
            refs.append(
                OperationRef(source.id, op.key, op.operation_id, op.path, tuple(op.tags), spec.title, spec.version)
            )
    return refs


def _labelled(links: list[tuple[str, str]], catalogue: list[OperationRef]) -> list[tuple[str, str]]:
    """Links as stored and shown: `GET /orders/{orderId}` as the spec writes it, not the engine's key `GET /orders/{}`.

    Readers that match them against used operations normalise with `normalise_operation_ref`, so labels and the
    keys stored before this change both match."""
    wanted = set(links)
    labels = {
        (r.source_id, r.key): f"{r.key.partition(' ')[0]} {r.path}" for r in catalogue if (r.source_id, r.key) in wanted
    }
    return [(source_id, labels.get((source_id, key), key)) for source_id, key in links]


def _store(session: Session, source_id: str, item: FeedItem, catalogue: list[OperationRef], now: datetime) -> int:
    """Store one new entry; returns 1 when it moved an announced removal date."""
    c = classify(item)
    links = link_operations(item, c, catalogue)
    subject = subject_key(c, links) if (c.removal_date or links or c.apis) else None
    entry = FeedEntry(
        source_id=source_id, entry_key=item.key[:500], title=item.title[:1000], link=item.link, summary=item.summary,
        content_hash=item.content_hash, published_at=item.published_at, category=c.category, severity=c.severity,
        effective_date=c.effective_date, removal_date=c.removal_date, subject=subject, apis=list(c.apis),
        operations=[list(link) for link in _labelled(links, catalogue)], first_seen_at=now,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    if c.category == RATE_LIMIT:  # the new figures and operations, kept with the announcement
        record_announced(session=session, entry=entry, limits=extract_limits(f"{item.title}\n{item.summary}"))
    moved = 0
    subjects = removal_subjects(c)
    alert_entry(session=session, entry=entry, removal_subjects=[s for s, _ in subjects], now=now)  # the outbox
    for removal_subject, removal_date in subjects:  # a reminder post can move several dates at once
        known = [d.removal_date for d in queries.date_history(session=session, subject=removal_subject)]
        is_moved = queries.record_announced_date(session=session, subject=removal_subject, removal_date=removal_date,
                                                 entry_id=entry.id or 0, announced_at=item.published_at or now)  # fmt: skip
        moved += is_moved
        if is_moved:
            alert_date_moved(session=session, entry=entry, subject=removal_subject, removal_date=removal_date,
                             previous=sorted(set(known)), now=now)  # fmt: skip
    return moved
