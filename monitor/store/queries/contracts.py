"""The pinned contract of each spec source and the history of its moves.

Each function takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from monitor.store.models import Contract, ContractEvent


def get_contract(*, session: Session, source_id: str) -> Contract | None:
    return session.get(Contract, source_id)


def set_contract(
    *, session: Session, source_id: str, snapshot_id: int, by: str, reason: str, action: str, now: datetime
) -> Contract:
    contract = session.get(Contract, source_id)
    previous = contract.snapshot_id if contract else None
    if contract is None:
        contract = Contract(source_id=source_id, snapshot_id=snapshot_id, pinned_at=now, pinned_by=by, reason=reason)
        session.add(contract)
    else:
        contract.snapshot_id, contract.pinned_at, contract.pinned_by, contract.reason = snapshot_id, now, by, reason
    session.add(ContractEvent(source_id=source_id, action=action, from_snapshot_id=previous,
                              to_snapshot_id=snapshot_id, at=now, by=by, reason=reason))  # fmt: skip
    return contract


def contract_events(*, session: Session, source_id: str) -> Sequence[ContractEvent]:
    return session.exec(
        select(ContractEvent).where(ContractEvent.source_id == source_id).order_by(col(ContractEvent.id))
    ).all()
