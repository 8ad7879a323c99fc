"""The gate's decision: read drift, sandbox results, announcements and source health, apply policy and waivers.

`evaluate` only reads; `monitor.gate.records.record_decision` keeps the answer in the audit trail.
Precedence: any unwaived `fail` reason fails; otherwise any `unknown` (stale or missing data) gives `unknown`, never
`pass`; otherwise any `warn` warns. A fail stays a fail with stale data beside it: what is known is already enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from monitor.config import GatePolicy, Settings
from monitor.errors import InputError
from monitor.gate.usage import UsedOperations, as_key, used_operations, with_usage_file
from monitor.gate.waivers import ActiveWaivers, active_waivers
from monitor.store import queries
from monitor.store.models import Change, Contract, ContractRun, FeedEntry, Source, utcnow

DecisionValue = Literal["pass", "warn", "fail", "unknown"]
SEVERITY_RANK = {"info": 0, "warn": 1, "unknown": 2, "fail": 3}
BLOCKING_CATEGORIES = ("deprecation", "removal", "breaking-change")  # other announcements warn at most
PRESENT = ("confirmed", "flapping")  # drift statuses that are in the current upstream spec
DRIFT_KINDS = ("contract", "observed")  # drift in the spec, and drift observed in real answers (traffic)


class UnknownTarget(InputError):
    """The integration or environment asked about is not in the configuration."""


@dataclass(slots=True)
class Reason:
    """One thing the gate found: what kind, how severe, a sentence, and what it refers to."""

    kind: str  # drift, sandbox, announcement, stale, usage, rate-limit
    severity: str  # fail, warn, unknown, info
    message: str
    ref_kind: str | None = None  # change, announcement, operation, source, run
    ref_id: str | None = None
    link: str | None = None
    waiver_id: int | None = None  # set on reasons a waiver suppressed

    def to_json(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies, a cost the gate pays per reason on every evaluation.
        return {"kind": self.kind, "severity": self.severity, "message": self.message, "ref_kind": self.ref_kind,
                "ref_id": self.ref_id, "link": self.link, "waiver_id": self.waiver_id}  # fmt: skip


@dataclass(slots=True)
class Decision:
    """The gate's answer for one integration, environment and (optional) version."""

    integration: str
    environment: str
    version: str | None
    decision: DecisionValue
    deployable: bool | None
    reasons: list[Reason]
    evaluated_at: datetime
    policy: dict[str, Any]
    report_only: bool
    waived: list[Reason] = field(default_factory=list)
    id: int | None = None  # the audit-trail row, once recorded

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "integration": self.integration, "environment": self.environment, "version": self.version,
            "decision": self.decision, "deployable": self.deployable, "report_only": self.report_only,
            "evaluated_at": self.evaluated_at.isoformat(), "reasons": [r.to_json() for r in self.reasons],
            "waived": [r.to_json() for r in self.waived], "policy": self.policy,
        }  # fmt: skip


def policy_json(policy: GatePolicy, report_only: bool) -> dict[str, Any]:
    data = policy.model_dump(mode="json")
    data["max_age_s"] = int(policy.max_age.total_seconds())
    data.pop("max_age")
    data["report_only"] = report_only
    return data


def decide(reasons: list[Reason]) -> DecisionValue:
    worst = max((SEVERITY_RANK[r.severity] for r in reasons), default=0)
    return {0: "pass", 1: "warn", 2: "unknown", 3: "fail"}[worst]  # type: ignore[return-value]


def evaluate(
    *, session: Session, settings: Settings, integration: str, environment: str, version: str | None = None,
    now: datetime | None = None,
) -> Decision:  # fmt: skip
    """Decide for `integration` in `environment`. Raises UnknownTarget for names not in the configuration."""
    now = now or utcnow()
    config = settings.integrations.get(integration)
    if config is None:
        raise UnknownTarget(
            f"unknown integration {integration!r} (configured: {', '.join(settings.integrations) or 'none'})"
        )
    env = config.environments.get(environment)
    if env is None:
        raise UnknownTarget(f"integration {integration!r} has no environment {environment!r} "
                            f"(configured: {', '.join(config.environments)})")  # fmt: skip
    policy = env.policy(settings.gate)
    config = with_usage_file(integration, config, settings.contracts_dir)
    sources = list(config.uses)
    contracts = {c.source_id: c.snapshot_id for c in session.exec(
        sa_select(Contract).where(col(Contract.source_id).in_(sources))).scalars()}  # type: ignore[call-overload]  # fmt: skip
    used = used_operations(session=session, integration=config, contracts=contracts)
    waivers = active_waivers(session=session, integration=integration, environment=environment, now=now)
    found: list[Reason] = []
    found += _stale(session, settings, sources, contracts, policy, now)
    found += _usage(used)
    from monitor.limits.gate import rate_limit_reasons  # imports the gate's Reason: import late, no cycle

    limited, covered = rate_limit_reasons(session=session, settings=settings, integration=integration, used=used,
                                          contracts=contracts)  # fmt: skip
    found += limited
    found += _drift(session, used, policy, covered)
    found += _sandbox(session, settings, used, policy)
    found += _announcements(session, used, policy, now.date())
    reasons, waived = _apply_waivers(found, waivers)
    value = decide(reasons)
    deployable = True if env.report_only else {"pass": True, "warn": True, "fail": False, "unknown": None}[value]
    return Decision(integration=integration, environment=environment, version=version, decision=value,
                    deployable=deployable, reasons=sorted(reasons, key=_order), evaluated_at=now,
                    policy=policy_json(policy, env.report_only), report_only=env.report_only, waived=waived)  # fmt: skip


def _order(reason: Reason) -> tuple[int, str, str]:
    return (-SEVERITY_RANK[reason.severity], reason.kind, reason.message)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _stale(
    session: Session, settings: Settings, sources: list[str], contracts: dict[str, int | None], policy: GatePolicy,
    now: datetime,
) -> list[Reason]:  # fmt: skip
    """No successful poll (or sandbox run) within max_age: the gate cannot vouch for what it has not seen."""
    reasons = []
    oldest = now - policy.max_age
    age = _age_text(policy.max_age)
    rows = {s.id: s for s in session.exec(sa_select(Source).where(col(Source.id).in_(sources))).scalars()}  # type: ignore[call-overload]
    for source_id in sources:
        source = rows.get(source_id)
        last = _utc(source.last_success_at) if source else None
        if last is None:
            reasons.append(Reason("stale", "unknown", f"{source_id}: never polled successfully", "source", source_id,
                                  f"/api/v1/status#{source_id}"))  # fmt: skip
        elif last < oldest:
            reasons.append(Reason("stale", "unknown", f"{source_id}: no successful poll within {age} "
                                  f"(last {last:%Y-%m-%d %H:%M} UTC)", "source", source_id, f"/api/v1/status#{source_id}"))  # fmt: skip
        elif contracts.get(source_id) is None:
            reasons.append(Reason("stale", "unknown", f"{source_id}: no contract pinned yet", "source", source_id,
                                  f"/api/v1/contracts#{source_id}"))  # fmt: skip
        platform = source_id.split("/", 1)[0]
        sandbox = settings.platforms.get(platform)
        if sandbox is None or sandbox.sandbox is None:
            continue
        run = session.execute(
            sa_select(ContractRun.id, ContractRun.finished_at)
            .where(ContractRun.suite == platform, ContractRun.source_id == source_id,
                   col(ContractRun.status).in_(("passed", "failed")))
            .order_by(col(ContractRun.finished_at).desc()).limit(1)
        ).first()  # fmt: skip
        finished = _utc(run.finished_at) if run else None
        if finished is None or finished < oldest:
            when = f" (last {finished:%Y-%m-%d %H:%M} UTC)" if finished else ""
            reasons.append(Reason("stale", "unknown", f"{source_id}: no completed {platform} sandbox contract run "
                                  f"within {age}{when}", "run", str(run.id) if run else None,
                                  f"/api/v1/runs/{run.id}" if run else "/api/v1/runs"))  # fmt: skip
    return reasons


def _age_text(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _usage(used: UsedOperations) -> list[Reason]:
    """An operationId the contract does not know is a typo or a removed operation: say so, do not guess."""
    return [Reason("usage", "warn", f"{source_id}: {ref} is not an operation of the contract", "source", source_id,
                   f"/api/v1/contracts#{source_id}")
            for source_id, refs in used.unresolved.items() for ref in refs]  # fmt: skip


def _drift(
    session: Session, used: UsedOperations, policy: GatePolicy, limited: set[tuple[str, str]] | None = None
) -> list[Reason]:
    """Confirmed drift between contract and current upstream, on used operations (or the whole spec).

    `limited`: (source, operation key) pairs whose rate limits the `rate-limit` reasons already judge against a need.
    """
    from monitor.engine.rules.limits import IDS as LIMIT_RULES

    levels = {level: "warn" for level in policy.warn_on} | {level: "fail" for level in policy.fail_on}
    if not levels or not used.keys:
        return []
    rows = session.execute(
        sa_select(Change.id, Change.source_id, Change.rule_id, Change.level, Change.message,
                  Change.operations, Change.against)
        .where(col(Change.source_id).in_(list(used.keys)), col(Change.against).in_(DRIFT_KINDS),
               col(Change.status).in_(PRESENT), col(Change.level).in_(list(levels)))
        .order_by(col(Change.id))
    ).all()  # fmt: skip
    reasons = []
    for row in rows:
        keys = used.keys[row.source_id]
        touched = [op for op in row.operations if as_key(op) in keys]
        if row.operations and not touched:
            continue
        if limited and row.rule_id in LIMIT_RULES and all((row.source_id, as_key(op)) in limited for op in touched):
            continue
        where = f" ({', '.join(touched[:3])}{', ...' if len(touched) > 3 else ''})" if touched else ""
        what = "observed in real answers" if row.against == "observed" else "from the contract"
        reason = Reason("drift", levels[row.level], f"{row.source_id}: {row.level} drift {what}{where}: "
                        f"{row.message}", "change", str(row.id), f"/api/v1/changes/{row.id}")  # fmt: skip
        reasons.append(reason)
    return reasons


def _sandbox(session: Session, settings: Settings, used: UsedOperations, policy: GatePolicy) -> list[Reason]:
    """The latest sandbox result per used operation: failing fails (by policy), alternating is flaky."""
    reasons = []
    for source_id, keys in used.keys.items():
        platform = source_id.split("/", 1)[0]
        if platform not in settings.platforms or settings.platforms[platform].sandbox is None:
            continue
        for status in queries.operation_statuses(session=session, suite=platform, source_id=source_id):
            if as_key(status.operation) not in keys:
                continue
            ref = f"{platform} {status.operation}"
            if status.flaky and policy.flaky_runs != "ignore":
                reasons.append(Reason("sandbox", policy.flaky_runs, f"{platform} sandbox: {status.operation} is flaky "
                                      f"({', '.join(status.recent[:5])})", "operation", ref, f"/api/v1/runs/{status.run_id}"))  # fmt: skip
            elif status.status in queries.FAILING and policy.failing_runs != "ignore":
                since = _utc(status.failing_since)
                reasons.append(Reason("sandbox", policy.failing_runs, f"{platform} sandbox: {status.operation} "
                                      f"{status.status}" + (f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""),
                                      "operation", ref, f"/api/v1/runs/{status.run_id}"))  # fmt: skip
    return reasons


def _announcements(session: Session, used: UsedOperations, policy: GatePolicy, today: date) -> list[Reason]:
    """Announced removals/deprecations on used operations: within warn_days warns, within fail_days fails."""
    pairs = {(source_id, key) for source_id, keys in used.keys.items() for key in keys}
    if not pairs:
        return []
    cutoff = today - timedelta(days=policy.past_days)
    rows = session.execute(
        sa_select(FeedEntry.id, FeedEntry.title, FeedEntry.link, FeedEntry.category, FeedEntry.removal_date,
                  FeedEntry.effective_date, FeedEntry.operations)
        .where(or_(col(FeedEntry.removal_date) >= cutoff, col(FeedEntry.effective_date) >= cutoff))
        .order_by(col(FeedEntry.id))
    ).all()  # fmt: skip
    reasons = []
    for row in rows:
        # stored as labels (`GET /orders/{orderId}`; keys in rows written before): matched by key, shown as stored
        touched = [op for source_id, op in (tuple(p) for p in row.operations) if (source_id, as_key(op)) in pairs]
        if not touched:
            continue
        when = row.removal_date or row.effective_date
        if when is None or when < cutoff:
            continue
        days = (when - today).days
        what = "removal" if row.removal_date else "change"
        if days <= policy.fail_days:
            severity = "fail" if row.category in BLOCKING_CATEGORIES else "warn"
        elif days <= policy.warn_days:
            severity = "warn"
        else:
            continue
        span = f"{abs(days)} day" + ("" if abs(days) == 1 else "s")
        left = "today" if days == 0 else f"in {span}" if days > 0 else f"{span} ago"
        reasons.append(Reason("announcement", severity, f"{row.category}: {what} on {when.isoformat()} ({left}) "
                              f"touches {', '.join(sorted(touched)[:3])}: {row.title}", "announcement", str(row.id),
                              _http_link(row.link) or f"/api/v1/announcements/{row.id}"))  # fmt: skip
    return reasons


def _http_link(link: str | None) -> str | None:
    """A feed's own link only when it is http(s): feeds are hostile input, and `javascript:` must not reach a UI."""
    return link if link and link.lower().startswith(("https://", "http://")) else None


def _apply_waivers(found: list[Reason], waivers: ActiveWaivers) -> tuple[list[Reason], list[Reason]]:
    kept, waived = [], []
    for reason in found:
        waiver = waivers.match(reason)
        if waiver is None:
            kept.append(reason)
        else:
            reason.waiver_id = waiver
            waived.append(reason)
    return kept, waived
