"""Contract actions for people: pin the current version, accept a newer one, and report every contract's drift."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.config import Settings
from monitor.contracts import contract_file, pin
from monitor.errors import InputError
from monitor.sources.specs import contract_for, record_drift_against
from monitor.store import queries
from monitor.store.models import Change, Source, SpecSnapshot, utcnow
from monitor.store.session import session_scope

log = logging.getLogger(__name__)

LEVELS = ("breaking", "warning", "info")


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    id: int
    version: str
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class ContractStatus:
    """One spec source's contract, its current upstream version and the drift between them (changes not gone)."""

    source_id: str
    contract: SnapshotRef | None
    pinned_at: datetime | None
    pinned_by: str | None
    reason: str | None
    current: SnapshotRef | None
    drift: dict[str, int] = field(default_factory=dict)  # level -> number of drift changes not gone


@dataclass(frozen=True, slots=True)
class ContractMove:
    """What a pin or an accept did."""

    source_id: str
    action: str
    from_snapshot_id: int | None
    to: SnapshotRef
    drift: dict[str, int]  # the drift recomputed against the new contract, by outcome (new, gone, ...)


def contract_status(*, settings: Settings, engine: Engine) -> list[ContractStatus]:
    """Every configured spec source, in config order, whether or not it has been polled or pinned yet."""
    statuses = []
    ids = [f"{p}/{n}" for p, n, _ in settings.spec_sources()]
    ids += [i for i in (f"{p}/{n}" for p, n, _ in settings.observe_sources()) if i not in ids]  # learned, spec-less
    with session_scope(engine) as session:
        for source_id in ids:
            source = session.get(Source, source_id)
            contract = queries.get_contract(session=session, source_id=source_id)
            pinned = session.get(SpecSnapshot, contract.snapshot_id) if contract else None
            current = queries.current_snapshot(session=session, source=source) if source else None
            statuses.append(
                ContractStatus(
                    source_id=source_id,
                    contract=_ref(pinned),
                    pinned_at=contract.pinned_at if contract else None,
                    pinned_by=contract.pinned_by if contract else None,
                    reason=contract.reason if contract else None,
                    current=_ref(current),
                    drift=_drift_by_level(session, source_id),
                )
            )
    return statuses


def move_contract(
    *,
    settings: Settings,
    engine: Engine,
    source_id: str,
    action: str,
    by: str,
    reason: str,
    snapshot_id: int | None = None,
    now: datetime | None = None,
) -> ContractMove:
    """Make a snapshot (default: the current upstream version) the contract, and recompute the drift against it.

    `action` is "pin" or "accept"; an accept needs a reason, since it records that the team adapted to a change.
    The drift is recomputed in the same unit of work, so `contracts status` is right at once, not after a poll.
    """
    if action not in ("pin", "accept"):
        raise ValueError(f"unknown contract action {action!r}")
    if action == "accept" and not reason.strip():
        raise InputError(f"{source_id}: accepting a new contract needs a reason (--reason)")
    _, _, source = settings.spec_source(source_id)
    now = now or utcnow()
    with session_scope(engine) as session:
        row = session.get(Source, source_id)
        current = queries.current_snapshot(session=session, source=row) if row else None
        if current is None:
            raise InputError(f"{source_id}: no version polled yet; run `monitor check --source {source_id}` first")
        target = current if snapshot_id is None else session.get(SpecSnapshot, snapshot_id)
        if target is None or target.source_id != source_id:
            raise InputError(f"{source_id}: snapshot {snapshot_id} is not a stored version of this source")
        contract = queries.get_contract(session=session, source_id=source_id)
        previous = contract.snapshot_id if contract else None
        if action == "accept" and previous == target.id:
            raise InputError(f"{source_id}: snapshot {target.id} is already the contract")
        pin(session=session, settings=settings, source_id=source_id, snapshot=target, by=by, reason=reason,
            action=action, now=now)  # fmt: skip
        drift = record_drift_against(session=session, settings=settings, source_id=source_id, source=source,
                                     contract=target, current=current, now=now)  # fmt: skip
        to = _ref(target)
        assert to is not None  # a stored snapshot has an id
        return ContractMove(source_id, action, previous, to, drift)


def _ref(snapshot: SpecSnapshot | None) -> SnapshotRef | None:
    if snapshot is None or snapshot.id is None:
        return None
    return SnapshotRef(snapshot.id, snapshot.version, snapshot.first_seen_at)


def _drift_by_level(session: Session, source_id: str) -> dict[str, int]:
    """Drift of the spec from the contract, and drift from it observed in real answers (traffic): both count."""
    from sqlalchemy import func

    counts = queries.drift_by_level(session=session, source_id=source_id)
    observed = session.exec(
        select(Change.level, func.count())
        .where(Change.source_id == source_id, Change.against == "observed", Change.status != "gone")
        .group_by(Change.level)
    ).all()
    for level, n in observed:
        counts[level] = counts.get(level, 0) + int(n)
    return counts


def sync_contract_files(*, settings: Settings, engine: Engine, now: datetime | None = None) -> list[str]:
    """Adopt contract files committed since the last poll (a deploy after `git pull`), recomputing their drift.

    Polls read the file only when upstream changes; the service start and `monitor check` call this so a new
    contract takes effect at once. Returns the sources whose contract moved.
    """
    now = now or utcnow()
    moved = []
    for platform, name, source in settings.spec_sources():
        source_id = f"{platform}/{name}"
        if contract_file(settings.contracts_dir, source_id) is None:
            continue
        with session_scope(engine) as session:
            row = session.get(Source, source_id)
            current = queries.current_snapshot(session=session, source=row) if row else None
            if current is None:
                continue
            before = queries.get_contract(session=session, source_id=source_id)
            before_id = before.snapshot_id if before else None
            contract = contract_for(session, settings, source_id, current, now)
            if contract.id != before_id:
                record_drift_against(session=session, settings=settings, source_id=source_id, source=source,
                                     contract=contract, current=current, now=now)  # fmt: skip
                moved.append(source_id)
    from monitor.traffic.service import sync_learned_contract_files  # contracts of spec-less observe sources

    return moved + sync_learned_contract_files(settings=settings, engine=engine, now=now)


class ContractFileWatch:
    """The service's periodic look at contract files: syncs only when a file's modification time or size changed.

    A deploy that pulls new contract files into a running service takes effect within a minute, without parsing
    every contract every minute."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        # The service synced the files as it started (start_service, the distributed API): from here, only changes.
        self._seen: dict[str, tuple[int, int]] = self.stamps()

    def stamps(self) -> dict[str, tuple[int, int]]:
        found = {}
        sources = [*self._settings.spec_sources(), *self._settings.observe_sources()]
        for platform, name, _source in sources:
            path = contract_file(self._settings.contracts_dir, f"{platform}/{name}")
            if path is not None:
                stat = path.stat()
                found[str(path)] = (stat.st_mtime_ns, stat.st_size)
        return found

    def __call__(self) -> list[str]:
        """The sources whose contract moved (none when no file changed)."""
        stamps = self.stamps()
        if stamps == self._seen:
            return []
        moved = sync_contract_files(settings=self._settings, engine=self._engine)
        self._seen = stamps
        for source_id in moved:
            log.info("%s: contract file changed; drift recomputed", source_id)
        return moved
