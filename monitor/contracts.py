"""Contracts: the pinned spec per source (contracts/<platform>/<spec>.json) and what integrations use."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from stat import S_ISREG
from typing import Generic, TypeVar

from sqlmodel import Session, select

from monitor.config import Settings
from monitor.engine import Spec, Usage, load_spec_bytes
from monitor.engine.filters import load_usage, normalise_operation_ref
from monitor.engine.limits import Need
from monitor.errors import InputError, UsageFileError
from monitor.store import queries
from monitor.store.models import Contract, SpecSnapshot

T = TypeVar("T")


def contract_file(contracts_dir: Path, source_id: str) -> Path | None:
    """The committed contract file of a source, if the team keeps one (JSON or YAML)."""
    platform, name = source_id.split("/", 1)
    for suffix in (".json", ".yaml", ".yml"):
        path = contracts_dir / platform / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


_USAGE_FILES: dict[Path, tuple[tuple[int, int], Usage]] = {}
_USAGE_LOCK = threading.Lock()


def integration_usage(contracts_dir: Path, name: str) -> Usage | None:
    """contracts/<name>.yaml read as a usage file (None when there is none), parsed again only when it changes: the
    gate, the drift filter and the needs all read it, the gate on every evaluation. An invalid file is an InputError."""
    path = contracts_dir / f"{name}.yaml"
    try:
        stat = path.stat()
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _USAGE_LOCK:
        cached = _USAGE_FILES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        usage = load_usage(path)
    except Exception as exc:  # an engine OptionsError: a usage file is user input
        raise InputError(str(exc)) from exc
    with _USAGE_LOCK:
        _USAGE_FILES[path] = (stamp, usage)
    return usage


def usage_for(settings: Settings, source_id: str) -> Usage | None:
    """Operations of this source used by any integration (config `uses` and contracts/<integration>.yaml)."""
    from monitor.limits.needs import integration_needs, strictest

    refs: set[str] = set()
    fields: dict[str, frozenset[str]] = {}
    needs: dict[str, Need] = {}
    used = False
    for name, integration in settings.integrations.items():
        if source_id in integration.uses:
            used = True
            refs.update(normalise_operation_ref(op) for op in integration.uses[source_id])
            for ref, entry in integration.use_entries.get(source_id, {}).items():
                if isinstance(entry.get("fields"), list):
                    fields[normalise_operation_ref(ref)] = frozenset(str(f) for f in entry["fields"])
        extra = integration_usage(settings.contracts_dir, name)
        if extra is not None:
            used = True
            refs |= set(extra.operations)
            fields.update(extra.fields)
        if used:
            for ref, need in integration_needs(settings, name).get(source_id, {}).items():
                needs[ref] = strictest(needs.get(ref), need)
    return Usage(frozenset(refs), fields, needs) if used else None


def spec_of(snapshot: SpecSnapshot) -> Spec:
    return load_spec_bytes(queries.snapshot_body(snapshot), f"snapshot {snapshot.id} of {snapshot.source_id}")


class SnapshotCache(Generic[T]):
    """What `build` makes of a stored spec version, per content: loading a spec costs milliseconds to seconds and
    the gate answers in under one, so each version loads once. `build` returning None is not cached."""

    def __init__(self, size: int, build: Callable[[SpecSnapshot], T | None]) -> None:
        self._size, self._build = size, build
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, snapshot_id: int | None) -> T | None:
        if snapshot_id is None:
            return None
        # Keyed by content: a snapshot id names other content in another database, or after a test truncates one;
        # the hash is one indexed read, the spec a parse. A content never changes, so entries only go cold.
        digest = session.exec(select(SpecSnapshot.content_hash).where(SpecSnapshot.id == snapshot_id)).first()
        if digest is None:
            return None
        with self._lock:
            if digest in self._items:
                self._items.move_to_end(digest)
                return self._items[digest]
        snapshot = session.get(SpecSnapshot, snapshot_id)
        if snapshot is None:
            return None
        built = self._build(snapshot)
        if built is not None:
            with self._lock:
                self._items[snapshot.content_hash] = built
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return built


def write_contract_file(contracts_dir: Path, source_id: str, snapshot: SpecSnapshot) -> Path | None:
    """Write the pinned spec where the team can commit it; a read-only deployment keeps it in the database only."""
    platform, name = source_id.split("/", 1)
    suffix = ".json" if queries.snapshot_body(snapshot).lstrip()[:1] in (b"{", b"[") else ".yaml"
    path = contracts_dir / platform / f"{name}{suffix}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(queries.snapshot_body(snapshot))
        for other in (".json", ".yaml", ".yml"):  # a stale file of the other format would be found first
            if other != suffix:
                (contracts_dir / platform / f"{name}{other}").unlink(missing_ok=True)
    except OSError:
        return None
    return path


def pin(*, session: Session, settings: Settings, source_id: str, snapshot: SpecSnapshot, by: str, reason: str,
        action: str, now: datetime) -> Contract:  # fmt: skip
    """Make `snapshot` the contract of its source, in the database and in contracts/."""
    contract = queries.set_contract(session=session, source_id=source_id, snapshot_id=snapshot.id or 0, by=by,
                                    reason=reason, action=action, now=now)  # fmt: skip
    committed = contract_file(settings.contracts_dir, source_id)
    if write_contract_file(settings.contracts_dir, source_id, snapshot) is None and committed is not None:
        # The committed file wins at the next poll, so moving only the database would silently undo this.
        raise UsageFileError(f"cannot write {committed}: the contract was not moved (the file would override it)")
    return contract
