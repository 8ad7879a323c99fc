"""The limits table: per used operation, the need beside the documented, announced and observed figures.

One computation serves `monitor limits`, the gate's `rate-limit` reasons, the nightly report and the dashboard.
Documented figures come from the current upstream version (and, for comparison, the pinned contract); announced
ones from announcements classified `rate-limit`; observed ones from the headers of contract-test answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from monitor.config import Settings
from monitor.contracts import SnapshotCache, spec_of
from monitor.engine.limits import Need, RateLimit, format_count, format_rate, per_day
from monitor.engine.rules.limits import IDS as LIMIT_RULES
from monitor.gate.usage import UsedOperations, as_key, used_operations
from monitor.limits.needs import integration_needs
from monitor.limits.store import latest_announced, latest_observed
from monitor.redact import error_line
from monitor.store.models import Change, Contract, Source, SpecSnapshot

log = logging.getLogger("monitor.limits")
CACHE_SIZE = 32  # snapshots; content never changes under a hash, so entries only go cold


@dataclass(frozen=True, slots=True)
class OpLimits:
    label: str
    operation_id: str | None
    limit: RateLimit | None


def _limits(snapshot: SpecSnapshot) -> dict[str, OpLimits] | None:
    """Operation key -> (label, operationId, documented limit) of a stored version."""
    try:
        spec = spec_of(snapshot)
    except Exception:  # a stored version that no longer loads documents nothing we can read
        return None
    return {key: OpLimits(op.label, op.operation_id, op.limit) for key, op in spec.operations.items()}


snapshot_limits = SnapshotCache(CACHE_SIZE, _limits)


@dataclass(slots=True)
class Figure:
    """One rate figure and where it came from: documented, announced or observed."""

    kind: str  # documented, announced, observed
    rate: float | None
    burst: int | None = None
    at: datetime | None = None
    ref: str | None = None  # a change, announcement or run id, for links
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "rate": self.rate, "burst": self.burst,
                "per_day": per_day(self.rate) if self.rate is not None else None,
                "at": self.at.isoformat() if self.at else None, "ref": self.ref, "detail": self.detail}  # fmt: skip


@dataclass(slots=True)
class LimitRow:
    """One used operation of one integration."""

    integration: str
    source_id: str
    operation: str  # label `METHOD /path`
    operation_id: str | None
    need: Need | None
    documented: Figure | None
    contract: Figure | None  # the documented figure of the pinned contract
    announced: Figure | None
    observed: Figure | None
    throttled: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return as_key(self.operation)

    def figures(self) -> list[Figure]:
        return [f for f in (self.documented, self.announced, self.observed) if f is not None and f.rate is not None]

    @property
    def headroom(self) -> float | None:
        """Percent of the need the lowest known rate leaves spare (negative: short of it)."""
        rates = [f.rate for f in self.figures() if f.rate is not None]
        if self.need is None or self.need.rate is None or not rates:
            return None
        return round((min(rates) - self.need.rate) / self.need.rate * 100, 1)

    @property
    def decreased(self) -> bool:
        """The documented rate or burst is lower than the contract's."""
        d, c = self.documented, self.contract
        if d is None or c is None:
            return False
        return bool((d.rate is not None and c.rate is not None and d.rate < c.rate)
                    or (d.burst is not None and c.burst is not None and d.burst < c.burst))  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "integration": self.integration, "source": self.source_id, "operation": self.operation,
            "operation_id": self.operation_id, "need": self.need.to_json() if self.need else None,
            "documented": _json(self.documented), "contract": _json(self.contract), "announced": _json(self.announced),
            "observed": _json(self.observed), "throttled": self.throttled, "headroom_pct": self.headroom,
            "decreased": self.decreased, "history": self.history,
        }  # fmt: skip


def _json(figure: Figure | None) -> dict[str, Any] | None:
    return figure.to_json() if figure else None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def limit_rows(
    *, session: Session, settings: Settings, integration: str, used: UsedOperations | None = None,
    contracts: dict[str, int | None] | None = None, only_needed: bool = False,
) -> list[LimitRow]:  # fmt: skip
    """The table for one integration; `only_needed` keeps the operations with a declared need and skips the history
    (the gate's case, which also passes the `used` operations and `contracts` it has already read)."""
    config = settings.integrations[integration]
    needs = integration_needs(settings, integration)
    if only_needed and not any(needs.values()):
        return []
    sources = list(config.uses)
    contracts = contracts if contracts is not None else {c.source_id: c.snapshot_id for c in session.exec(
        sa_select(Contract).where(col(Contract.source_id).in_(sources))).scalars()}  # type: ignore[call-overload]  # fmt: skip
    if used is None:
        used = used_operations(session=session, integration=config, contracts=contracts)
    rows: list[LimitRow] = []
    for source_id, keys in used.keys.items():
        source = session.get(Source, source_id)
        # id and time only: the gate runs this on every evaluation, and the body is in the cache already
        current = session.execute(
            sa_select(SpecSnapshot.id, SpecSnapshot.first_seen_at).where(
                SpecSnapshot.source_id == source_id, SpecSnapshot.content_hash == source.content_hash)
        ).first() if source is not None and source.content_hash else None  # fmt: skip
        upstream = snapshot_limits.get(session, current.id if current else None) or {}
        pinned = snapshot_limits.get(session, contracts.get(source_id)) or {}
        source_needs = needs.get(source_id, {})
        chosen = []
        for key in sorted(keys):
            op = upstream.get(key) or pinned.get(key)
            if op is None:
                continue
            need = source_needs.get(key) or (source_needs.get(op.operation_id) if op.operation_id else None)
            if only_needed and need is None:
                continue
            chosen.append((key, op, need))
        if not chosen:
            continue
        observed = latest_observed(session=session, source_id=source_id)
        announced = latest_announced(
            session=session, operations=[o.operation_id for _, o, _ in chosen if o.operation_id]
        )
        history = {} if only_needed else _history(session, source_id)
        for key, op, need in chosen:
            doc = upstream.get(key)
            con = pinned.get(key)
            seen = observed.get(key)
            said = announced.get(op.operation_id or "")
            rows.append(LimitRow(
                integration=integration, source_id=source_id, operation=op.label, operation_id=op.operation_id,
                need=need,
                documented=_documented(doc.limit if doc else None, current.first_seen_at if current else None, "upstream"),
                contract=_documented(con.limit if con else None, None, "contract"),
                announced=Figure("announced", said.rate, said.burst, _utc(said.announced_at), str(said.entry_id),
                                 said.text) if said else None,
                observed=Figure("observed", seen.rate, None, _utc(seen.seen_at), str(seen.run_id),
                                f"{seen.header}: {seen.value}" if seen.header else "") if seen else None,
                throttled=seen.throttled if seen else 0,
                history=history.get(key, []),
            ))  # fmt: skip
    return rows


def _documented(limit: RateLimit | None, at: datetime | None, detail: str) -> Figure | None:
    if limit is None:
        return None
    return Figure("documented", limit.rate, limit.burst, _utc(at), None, detail)


def _history(session: Session, source_id: str) -> dict[str, list[dict[str, Any]]]:
    """Operation key -> the limit changes seen between upstream versions, oldest first."""
    rows = session.execute(
        sa_select(Change.id, Change.rule_id, Change.args, Change.operations, Change.message, Change.first_seen_at)
        .where(Change.source_id == source_id, Change.against == "previous", col(Change.rule_id).in_(sorted(LIMIT_RULES)))
        .order_by(col(Change.first_seen_at), col(Change.id))
    ).all()  # fmt: skip
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        seen = _utc(row.first_seen_at)
        for label in row.operations:
            out.setdefault(as_key(label), []).append({
                "change": row.id, "rule": row.rule_id, "old": row.args.get("old"), "new": row.args.get("new"),
                "at": seen.isoformat() if seen else None, "message": row.message,
            })  # fmt: skip
    return out


def rate_text(rate: float | None) -> str:
    """`0.0167/s (1,443/day)`, or `-` when unknown."""
    if rate is None:
        return "-"
    return f"{format_rate(rate)}/s ({format_count(per_day(rate))}/day)"


def display_row(row: LimitRow) -> dict[str, Any]:
    """One row as text cells, for the CLI table, the nightly report and the dashboard (same columns everywhere)."""
    documented = rate_text(row.documented.rate if row.documented else None)
    if row.documented and row.documented.burst is not None:
        documented += f", burst {row.documented.burst}"
    if row.decreased and row.contract and row.contract.rate is not None:
        documented += f" (contract {rate_text(row.contract.rate)})"
    observed = rate_text(row.observed.rate if row.observed else None)
    if row.throttled:
        observed += f", {row.throttled}x 429"
    history = "; ".join(f"{h['old']} -> {h['new']}" for h in row.history if h.get("old") is not None)
    short = row.headroom is not None and row.headroom < 0
    return {
        "integration": row.integration, "source": row.source_id,
        "operation": f"{row.operation_id} ({row.operation})" if row.operation_id else row.operation,
        "need": row.need.text if row.need else "-", "documented": documented,
        "announced": rate_text(row.announced.rate if row.announced else None), "observed": observed,
        "seen": row.observed.at.strftime("%Y-%m-%d %H:%M") if row.observed and row.observed.at else "",
        "headroom": "-" if row.headroom is None else f"{row.headroom:+.0f}%", "history": history or "-",
        "decreased": row.decreased, "short": short,
    }  # fmt: skip


def all_rows(*, session: Session, settings: Settings) -> list[LimitRow]:
    """Every integration's table; one whose usage file or contract cannot be read is left out (and logged), so a
    report or the dashboard still shows the others."""
    from monitor.engine import EngineError
    from monitor.errors import InputError

    rows: list[LimitRow] = []
    for name in settings.integrations:
        try:
            rows += limit_rows(session=session, settings=settings, integration=name)
        except (InputError, EngineError) as exc:
            log.warning("limits of %s: %s", name, error_line(exc))
    return rows
