"""Reads and writes, one module per capability; each takes the session first (keyword-only) and never commits:
the caller owns the unit. Callers use `from monitor.store import queries` and `queries.<name>`."""

from monitor.store.queries.announcements import (
    date_history,
    entry_hashes,
    find_entry,
    list_entries,
    record_announced_date,
)
from monitor.store.queries.changes import (
    confirm_seen,
    drift_by_level,
    fingerprint,
    list_changes,
    record_drift,
    record_upstream_changes,
)
from monitor.store.queries.contract_runs import (
    FAILING,
    OperationStatus,
    finish_contract_run,
    list_contract_runs,
    operation_statuses,
    run_results,
    start_contract_run,
)
from monitor.store.queries.contracts import contract_events, get_contract, set_contract
from monitor.store.queries.runs import claim_run, claim_runs, list_runs, running_runs
from monitor.store.queries.snapshots import (
    add_snapshot,
    content_hash,
    current_snapshot,
    find_snapshot,
    list_snapshots,
    snapshot_body,
)
from monitor.store.queries.sources import ensure_source, list_sources, record_failure, record_success, source_state

__all__ = [
    "FAILING",
    "OperationStatus",
    "add_snapshot",
    "claim_run",
    "claim_runs",
    "confirm_seen",
    "content_hash",
    "contract_events",
    "current_snapshot",
    "date_history",
    "drift_by_level",
    "ensure_source",
    "entry_hashes",
    "find_entry",
    "find_snapshot",
    "fingerprint",
    "finish_contract_run",
    "get_contract",
    "list_changes",
    "list_contract_runs",
    "list_entries",
    "list_runs",
    "list_snapshots",
    "list_sources",
    "operation_statuses",
    "record_announced_date",
    "record_drift",
    "record_failure",
    "record_success",
    "record_upstream_changes",
    "run_results",
    "running_runs",
    "set_contract",
    "snapshot_body",
    "source_state",
    "start_contract_run",
]
