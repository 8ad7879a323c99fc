"""Which operations an integration uses, as engine operation keys, resolved through each source's contract."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from monitor.config import Integration
from monitor.contracts import SnapshotCache, integration_usage, spec_of
from monitor.engine.filters import normalise_operation_ref
from monitor.engine.model import operation_key
from monitor.errors import InputError
from monitor.store.models import SpecSnapshot

CACHE_SIZE = 64  # snapshots; a snapshot never changes, so an entry never goes stale, only cold


@dataclass(frozen=True, slots=True)
class SpecOperations:
    """One snapshot's operations: operationId -> key, and key -> the label as written in the spec."""

    by_id: dict[str, str]
    labels: dict[str, str]


def _operations(snapshot: SpecSnapshot) -> SpecOperations:
    spec = spec_of(snapshot)
    return SpecOperations(
        by_id={op.operation_id: key for key, op in spec.operations.items() if op.operation_id},
        labels={key: op.label for key, op in spec.operations.items()},
    )


snapshot_operations = SnapshotCache(CACHE_SIZE, _operations)


def as_key(label: str) -> str:
    """`GET /orders/{orderId}` (a label) or `GET /orders/{}` (a key) -> the key; anything else stays."""
    method, _, path = label.partition(" ")
    return operation_key(method, path) if path.startswith("/") else label


@dataclass(frozen=True, slots=True)
class UsedOperations:
    """Per spec source, the keys of the operations used, and the refs that the contract does not know."""

    keys: dict[str, frozenset[str]]
    unresolved: dict[str, list[str]]


def with_usage_file(name: str, integration: Integration, contracts_dir: Path) -> Integration:
    """`uses: {source: []}` means "what contracts/<name>.yaml lists" (written by `monitor contracts learn` and
    `monitor observe --integration`, or by hand): the integration as if those operations were listed."""
    empty = [source for source, refs in integration.uses.items() if not refs]
    if not empty:
        return integration
    try:
        usage = integration_usage(contracts_dir, name)
    except InputError:  # an invalid usage file lists nothing; `contracts status`/`diff --usage` name the problem
        return integration
    if usage is None:
        return integration
    listed = sorted(usage.operations)
    uses = {source: (list(listed) if source in empty else refs) for source, refs in integration.uses.items()}
    return integration.model_copy(update={"uses": uses})


def used_operations(*, session: Session, integration: Integration, contracts: dict[str, int | None]) -> UsedOperations:
    """Resolve `uses` (operationIds or `METHOD /path`) to keys; `contracts` maps source -> contract snapshot id."""
    keys: dict[str, frozenset[str]] = {}
    unresolved: dict[str, list[str]] = {}
    for source_id, refs in integration.uses.items():
        snapshot_id = contracts.get(source_id)
        ops = snapshot_operations.get(session, snapshot_id) if snapshot_id is not None else None
        resolved: set[str] = set()
        for ref in refs:
            normal = normalise_operation_ref(ref)
            if " /" in normal:
                resolved.add(normal)
            elif ops is not None and normal in ops.by_id:
                resolved.add(ops.by_id[normal])
            elif ops is not None:
                unresolved.setdefault(source_id, []).append(ref)
        keys[source_id] = frozenset(resolved)
    return UsedOperations(keys, unresolved)
