"""Poll one spec source: fetch conditionally, snapshot new content, diff against the previous version and the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.hooks import alert_changes
from monitor.config import Settings, SpecSource
from monitor.contracts import contract_file, pin, spec_of, usage_for
from monitor.engine import DiffOptions, EngineError, Spec, diff, load_spec_bytes
from monitor.errors import SpecRejected
from monitor.limits.alerts import alert_limit_decreases
from monitor.redact import redact_url
from monitor.sources.fetcher import Fetcher
from monitor.sources.recording import failures_recorded
from monitor.store import queries
from monitor.store.batch import current_batch
from monitor.store.models import Source, SpecSnapshot, utcnow
from monitor.store.session import session_scope


@dataclass
class SpecPoll:
    """What one poll did, for the job-run record and the `monitor check` table."""

    source_id: str
    outcome: str = "error"  # not-modified, unchanged, new-version, returned (an older version came back), error
    snapshot_id: int | None = None
    upstream_changes: int = 0
    upstream_breaking: int = 0  # of this version's changes from the previous one, how many break clients
    flapping: int = 0
    drift: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, object]:
        return {"outcome": self.outcome, "upstream_changes": self.upstream_changes,
                "upstream_breaking": self.upstream_breaking, "flapping": self.flapping,
                **{f"drift_{k}": v for k, v in self.drift.items()}}  # fmt: skip


def poll_spec(
    *, settings: Settings, engine: Engine, fetcher: Fetcher, platform: str, name: str, source: SpecSource,
    now: datetime | None = None,
) -> SpecPoll:  # fmt: skip
    """One poll. Any failure is recorded on the source (one masked line) and re-raised; stored data stays intact."""
    now = now or utcnow()
    with failures_recorded(engine, f"{platform}/{name}", source.url, now):
        return _poll(settings, engine, fetcher, platform, name, source, now)


def _poll(
    settings: Settings, engine: Engine, fetcher: Fetcher, platform: str, name: str, source: SpecSource, now: datetime
) -> SpecPoll:
    source_id = f"{platform}/{name}"
    result = SpecPoll(source_id)
    shown_url = redact_url(source.url)
    batch = current_batch.get()  # a cycle's batch: validators read once per cycle, a 304's bookkeeping queued
    state = batch.state(source_id) if batch is not None else None
    if state is None or state[3] != shown_url or state[4] != "spec":
        with session_scope(engine) as session:
            state = queries.source_state(session=session, source_id=source_id)
            if state is None or state[3] != shown_url or state[4] != "spec":
                row = queries.ensure_source(session=session, source_id=source_id, platform=platform, name=name,
                                            kind="spec", url=shown_url)  # fmt: skip
                state = (row.etag, row.last_modified, row.content_hash, row.url, row.kind)
    etag, last_modified, known_hash = state[0], state[1], state[2]
    try:
        fetched = fetcher.fetch(source.url, etag=etag if known_hash else None,
                                last_modified=last_modified if known_hash else None)  # fmt: skip
        spec = None if fetched.not_modified else load_spec_bytes(fetched.body or b"", redact_url(fetched.url))
    except EngineError as exc:
        raise SpecRejected(f"{source_id}: invalid spec: {exc}") from exc
    if (fetched.not_modified or spec is None) and batch is not None and source.confirm_after <= 1:
        # The hottest path: nothing to confirm (confirm_seen would return at once), only counters to queue.
        batch.not_modified(source_id, now)
        result.outcome = "not-modified"
        return result
    if fetched.not_modified or spec is None:  # the hot path: no ORM objects, two UPDATEs
        with session_scope(engine) as session:
            queries.record_success(session=session, source_id=source_id, now=now, not_modified=True)
            if queries.confirm_seen(session=session, source_id=source_id, confirm_after=source.confirm_after, now=now):
                alert_changes(session=session, source_id=source_id, now=now)  # same transaction: the outbox
        result.outcome = "not-modified"
        return result
    with session_scope(engine) as session:
        queries.record_success(session=session, source_id=source_id, now=now, not_modified=False)
        row = session.get(Source, source_id)
        assert row is not None
        row.etag, row.last_modified = fetched.etag, fetched.last_modified
        digest = queries.content_hash(spec.root)
        if digest == row.content_hash:
            result.outcome = "unchanged"
            if queries.confirm_seen(session=session, source_id=source_id, confirm_after=source.confirm_after, now=now):
                alert_changes(session=session, source_id=source_id, now=now)
            return result
        previous = queries.current_snapshot(session=session, source=row)
        snapshot = queries.find_snapshot(session=session, source_id=source_id, digest=digest)
        if snapshot is None:
            snapshot = queries.add_snapshot(session=session, source_id=source_id, digest=digest, body=fetched.body or b"",
                                            fmt=spec.format, title=spec.title, version=spec.version, now=now)  # fmt: skip
            result.outcome = "new-version"
        else:  # an older version came back: the same snapshot, seen once more
            snapshot.times_seen += 1
            snapshot.last_seen_at = now
            result.outcome = "returned"
        row.content_hash = digest
        result.snapshot_id = snapshot.id
        if previous is not None:
            upstream = diff(spec_of(previous), spec).to_dict()["changes"]
            result.upstream_breaking = sum(c["level"] == "breaking" for c in upstream)
            result.upstream_changes, result.flapping = queries.record_upstream_changes(
                session=session,
                source_id=source_id,
                changes=upstream,
                old_id=previous.id,
                new_id=snapshot.id or 0,
                now=now,
            )
        result.drift = _drift(session, settings, source_id, source, snapshot, spec, now)
    return result


def _drift(session: Session, settings: Settings, source_id: str, source: SpecSource, current: SpecSnapshot, spec: Spec,
           now: datetime) -> dict[str, int]:  # fmt: skip
    """Diff the contract against the current upstream version, restricted to what the integrations use."""
    contract_snapshot = contract_for(session, settings, source_id, current, now)
    return record_drift_against(session=session, settings=settings, source_id=source_id, source=source,
                                contract=contract_snapshot, current=current, now=now, current_spec=spec)  # fmt: skip


def record_drift_against(
    *, session: Session, settings: Settings, source_id: str, source: SpecSource, contract: SpecSnapshot,
    current: SpecSnapshot, now: datetime, current_spec: Spec | None = None,
) -> dict[str, int]:  # fmt: skip
    """Store the drift from `contract` to `current`, restricted to the operations the integrations use."""
    current_spec = current_spec or spec_of(current)
    contract_spec = current_spec if contract.id == current.id else spec_of(contract)
    changes = diff(contract_spec, current_spec, DiffOptions(usage=usage_for(settings, source_id))).to_dict()["changes"]
    counts = queries.record_drift(session=session, source_id=source_id, changes=changes, contract_id=contract.id or 0,
                                  current_id=current.id or 0, now=now, confirm_after=source.confirm_after)  # fmt: skip
    alert_changes(session=session, source_id=source_id, now=now)  # this poll's changes and drift, in its transaction
    alert_limit_decreases(session=session, settings=settings, source_id=source_id, spec=current_spec, now=now)
    return counts


def contract_for(
    session: Session, settings: Settings, source_id: str, current: SpecSnapshot, now: datetime
) -> SpecSnapshot:
    """The contract: the committed file wins; else the stored contract; else the first version seen is pinned."""
    path = contract_file(settings.contracts_dir, source_id)
    contract = queries.get_contract(session=session, source_id=source_id)
    if path is not None:
        body = path.read_bytes()
        spec = load_spec_bytes(body, str(path))
        digest = queries.content_hash(spec.root)
        snapshot = queries.find_snapshot(session=session, source_id=source_id, digest=digest)
        if snapshot is None:
            snapshot = queries.add_snapshot(session=session, source_id=source_id, digest=digest, body=body,
                                            fmt=spec.format, title=spec.title, version=spec.version, now=now)  # fmt: skip
        if contract is None or contract.snapshot_id != snapshot.id:
            queries.set_contract(session=session, source_id=source_id, snapshot_id=snapshot.id or 0,
                                 by=f"file {path}", reason="contract file", action="pin", now=now)  # fmt: skip
        return snapshot
    if contract is not None:
        stored = session.get(SpecSnapshot, contract.snapshot_id)
        if stored is not None:
            return stored
    pin(session=session, settings=settings, source_id=source_id, snapshot=current, by="monitor (first poll)",
        reason="no contract yet: pinned the first version seen", action="pin", now=now)  # fmt: skip
    return current
